-- The legacy stock system's schema, as its owner created it long before Django:
-- upper-case quoted names, CHAR natural keys, a composite primary key, a date
-- kept as CHAR(8) 'YYYYMMDD', a Y/N flag, and a view. Django never migrates it
-- (routers/read_only.py): production runs this file as legacy_owner, and so do
-- the tests, on their test database (tests/legacy.py), so both have one schema.
-- apps/legacy/models.py maps it; tests/postgres/test_legacy_drift.py compares
-- the two with inspectdb. Plain SQL that PostgreSQL and SQLite both run.

CREATE TABLE "SUPPLIER" (
    "SUPP_NO"   CHAR(6)     NOT NULL PRIMARY KEY,
    "SUPP_NAME" VARCHAR(40) NOT NULL,
    "COUNTRY"   CHAR(2)     NOT NULL,
    "PHONE"     VARCHAR(20)
);

CREATE TABLE "ITEM" (
    -- The item number is the shop's product SKU (shop.Product.sku).
    "ITEM_NO"   CHAR(10)    NOT NULL PRIMARY KEY,
    "DESCR"     VARCHAR(60) NOT NULL,
    "SUPP_NO"   CHAR(6)     NOT NULL REFERENCES "SUPPLIER" ("SUPP_NO"),
    "LEAD_DAYS" SMALLINT    NOT NULL,
    "DISC_FLAG" CHAR(1)     NOT NULL DEFAULT 'N'
);
CREATE INDEX "ITEM_SUPP" ON "ITEM" ("SUPP_NO");

CREATE TABLE "STOCK" (
    "ITEM_NO"     CHAR(10) NOT NULL REFERENCES "ITEM" ("ITEM_NO"),
    "WHSE_CODE"   CHAR(3)  NOT NULL,
    "QTY_ON_HAND" INTEGER  NOT NULL,
    "LAST_COUNT"  CHAR(8)  NOT NULL,
    PRIMARY KEY ("ITEM_NO", "WHSE_CODE")
);

-- What the shop shows: one row per item, stock summed over the warehouses.
CREATE VIEW "ITEM_AVAIL" AS
SELECT i."ITEM_NO", i."LEAD_DAYS", s."SUPP_NAME",
       COALESCE(SUM(k."QTY_ON_HAND"), 0) AS "QTY_TOTAL"
FROM "ITEM" i
JOIN "SUPPLIER" s ON s."SUPP_NO" = i."SUPP_NO"
LEFT JOIN "STOCK" k ON k."ITEM_NO" = i."ITEM_NO"
GROUP BY i."ITEM_NO", i."LEAD_DAYS", s."SUPP_NAME";
