-- The analytics warehouse's read-only role, on top of docker/postgres/roles.sql
-- (which runs first and makes "app" the owner of the warehouse database).
-- Used by docker compose (analytics/initdb/40-analytics-roles.sh) and by
-- scripts/pg_topology.py, which runs it again at every `up`: each statement is
-- safe to repeat. Run as a superuser with these psql variables:
--   db_name          the warehouse database, e.g. multidb
--   reader_password  for "analytics_reader": the analytics alias's role
\set ON_ERROR_STOP on

-- Read-only, and nothing more: this file grants it no privilege at all (roles.sql
-- already took from PUBLIC, in every database, what would let it write). The
-- analytics app's migrations (run as app, the owner) grant it USAGE on schema
-- analytics and SELECT on what is there, so the grants live beside the tables.
-- Every transaction starts read only, and unqualified names mean the reporting
-- schema first.
SELECT 'CREATE ROLE analytics_reader LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'analytics_reader') \gexec
ALTER ROLE analytics_reader WITH LOGIN PASSWORD :'reader_password';
ALTER ROLE analytics_reader SET default_transaction_read_only = on;
ALTER ROLE analytics_reader SET search_path = analytics;
