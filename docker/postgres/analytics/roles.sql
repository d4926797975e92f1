-- The analytics warehouse's read-only role, on top of docker/postgres/roles.sql
-- (which runs first and makes "app" the owner of the warehouse database).
-- Used by docker compose (analytics/initdb/40-analytics-roles.sh) and by
-- scripts/pg_topology.py, which runs it again at every `up`: each statement is
-- safe to repeat. Run as a superuser with these psql variables:
--   db_name          the warehouse database, e.g. multidb
--   reader_password  for "analytics_reader": the analytics alias's role
\set ON_ERROR_STOP on

-- Read-only, and nothing more: this file grants it no privilege at all. The
-- analytics app's migrations (run as app, the owner) grant it USAGE on schema
-- analytics and SELECT on what is there, so the grants live beside the tables.
-- Every transaction starts read only, and unqualified names mean the reporting
-- schema first.
SELECT 'CREATE ROLE analytics_reader LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'analytics_reader') \gexec
ALTER ROLE analytics_reader WITH LOGIN PASSWORD :'reader_password';
ALTER ROLE analytics_reader SET default_transaction_read_only = on;
ALTER ROLE analytics_reader SET search_path = analytics;

-- roles.sql took the large-object functions that write away from PUBLIC in
-- :db_name only. Django's test runner creates its test database (and anyone a
-- later database) from template1, which still grants them; a database copies
-- its template's function privileges, so revoking them in template1 too makes
-- every database created later refuse lo_create and friends to the reader.
\connect template1
REVOKE EXECUTE ON FUNCTION
    lo_create(oid),
    lo_creat(integer),
    lo_from_bytea(oid, bytea),
    lo_import(text),
    lo_import(text, oid),
    lo_put(oid, bigint, bytea),
    lowrite(integer, bytea),
    lo_truncate(integer, integer),
    lo_truncate64(integer, bigint),
    lo_unlink(oid)
FROM PUBLIC;
