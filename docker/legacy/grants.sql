-- What the `legacy` alias's role may do in the legacy database: read, nothing
-- else. Run as legacy_owner, the owner of the tables, after schema.sql (compose's
-- init step, scripts/pg_topology.py, and the tests on their test database).
-- CONNECT comes from PUBLIC, as on any database; roles.sql took away what PUBLIC
-- could write with.
GRANT USAGE ON SCHEMA public TO legacy_reader;
GRANT SELECT ON "SUPPLIER", "ITEM", "STOCK", "ITEM_AVAIL" TO legacy_reader;
-- A database made later from template1 (the tests' test database) lets PUBLIC
-- create temporary tables again, which even a read-only transaction may write.
DO $$ BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;
