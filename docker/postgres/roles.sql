-- Roles and the application database, identical on every server of the topology.
-- Used by docker compose (initdb/10-roles.sh) and by scripts/pg_topology.py.
-- Run as a superuser with these psql variables:
--   db_name               the application database to create, e.g. multidb
--   app_password          for "app": owns the database, reads and writes
--   readonly_password     for "app_readonly": the replica alias's role
--   replication_password  for "replicator": streams WAL to the standby
\set ON_ERROR_STOP on

SELECT 'CREATE ROLE app LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') \gexec
ALTER ROLE app WITH LOGIN PASSWORD :'app_password';

-- Read-only at the database level twice over: every transaction starts read
-- only, and the role holds no write privilege to fall back on if a client
-- turns that off. pg_read_all_data (PostgreSQL 14+) covers tables created later.
SELECT 'CREATE ROLE app_readonly LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_readonly') \gexec
ALTER ROLE app_readonly WITH LOGIN PASSWORD :'readonly_password';
ALTER ROLE app_readonly SET default_transaction_read_only = on;
GRANT pg_read_all_data TO app_readonly;

SELECT 'CREATE ROLE replicator LOGIN REPLICATION'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator') \gexec
ALTER ROLE replicator WITH LOGIN REPLICATION PASSWORD :'replication_password';

SELECT format('CREATE DATABASE %I OWNER app', :'db_name')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db_name') \gexec
