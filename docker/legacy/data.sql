-- The legacy stock system's rows: production's demo data and the tests' data
-- alike (tests/legacy.py loads it once per test session). Item numbers match
-- the SKUs of the shop's demo products (fixtures/shop_db.json).

INSERT INTO "SUPPLIER" ("SUPP_NO", "SUPP_NAME", "COUNTRY", "PHONE") VALUES
    ('S00010', 'Quorum Press', 'GB', '+44 20 7946 0018'),
    ('S00020', 'Failover Instruments', 'DE', NULL),
    ('S00030', 'Heap & Tuple Merch', 'NL', '+31 20 794 6021');

INSERT INTO "ITEM" ("ITEM_NO", "DESCR", "SUPP_NO", "LEAD_DAYS", "DISC_FLAG") VALUES
    ('MDB-0001', 'FIELD GUIDE, MULTI-DB, PB', 'S00010', 5, 'N'),
    ('MDB-0002', 'STOPWATCH, REPLICA LAG', 'S00020', 21, 'N'),
    ('MDB-0003', 'STICKERS, SHARD, SET/5', 'S00030', 3, 'N'),
    ('MDB-0004', 'MUG, CONN POOL, 350ML', 'S00030', 10, 'N'),
    ('MDB-0005', 'POSTER, WAL SEGMENT', 'S00010', 14, 'N'),
    ('MDB-0006', 'T-SHIRT, RO ROLE, M', 'S00030', 7, 'Y');

INSERT INTO "STOCK" ("ITEM_NO", "WHSE_CODE", "QTY_ON_HAND", "LAST_COUNT") VALUES
    ('MDB-0001', 'LON', 120, '20261102'),
    ('MDB-0001', 'AMS', 35, '20261030'),
    ('MDB-0002', 'FRA', 4, '20261015'),
    ('MDB-0003', 'AMS', 900, '20261101'),
    ('MDB-0003', 'LON', 250, '20261101'),
    ('MDB-0004', 'AMS', 0, '20261028'),
    ('MDB-0005', 'LON', 60, '20261020');
