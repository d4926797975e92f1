-- The legacy stock system's roles and database: an existing database another
-- system owns, which the site only reads (apps/legacy). Used by docker compose
-- (docker/legacy/initdb/10-legacy.sh) and by scripts/pg_topology.py, which runs
-- it again at every `up`: each statement is safe to repeat.
-- Run as a superuser with these psql variables:
--   db_name          the legacy database, e.g. stock
--   owner_password   for "legacy_owner": owns the database and its tables; the
--                    system that writes it, never the site
--   reader_password  for "legacy_reader": the `legacy` alias's role
\set ON_ERROR_STOP on

SELECT 'CREATE ROLE legacy_owner LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'legacy_owner') \gexec
ALTER ROLE legacy_owner WITH LOGIN PASSWORD :'owner_password';

-- Guard 1: SELECT only. grants.sql gives it SELECT on the tables and the view,
-- nothing else, and what PUBLIC may write (temporary tables, creating in public,
-- large objects) is taken away below, so even raw SQL can't write.
-- Guard 2: every transaction it opens starts read only.
SELECT 'CREATE ROLE legacy_reader LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'legacy_reader') \gexec
ALTER ROLE legacy_reader WITH LOGIN PASSWORD :'reader_password';
ALTER ROLE legacy_reader SET default_transaction_read_only = on;

SELECT format('CREATE DATABASE %I OWNER legacy_owner', :'db_name')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db_name') \gexec

\connect :"db_name"
REVOKE TEMPORARY ON DATABASE :"db_name" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
\ir ../postgres/revoke-large-objects.sql
\connect template1
REVOKE TEMPORARY ON DATABASE template1 FROM PUBLIC;
\ir ../postgres/revoke-large-objects.sql
