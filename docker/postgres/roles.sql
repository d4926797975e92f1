-- Roles and the application database, identical on every server of the topology.
-- Used by docker compose (initdb/10-roles.sh) and by scripts/pg_topology.py, which
-- runs it again at every `up`: each statement is safe to repeat.
-- Run as a superuser with these psql variables:
--   db_name               the application database to create, e.g. multidb
--   app_password          for "app": owns the database, reads and writes
--   readonly_password     for "app_readonly": the replica alias's role
--   replication_password  for "replicator": streams WAL to the standby, and
--                         the published tables to the analytics warehouse
\set ON_ERROR_STOP on

SELECT 'CREATE ROLE app LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') \gexec
ALTER ROLE app WITH LOGIN PASSWORD :'app_password';

-- Read-only three times over. pg_hba.conf refuses this role on every server but
-- the standby (docker/postgres/hba-refuse-readonly.conf). Every transaction starts
-- read only. And the role holds no write privilege to fall back on if a client
-- turns that off: pg_read_all_data (PostgreSQL 14+) reads tables, including ones
-- created later, and grants nothing else; what PUBLIC may write is revoked below.
SELECT 'CREATE ROLE app_readonly LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_readonly') \gexec
ALTER ROLE app_readonly WITH LOGIN PASSWORD :'readonly_password';
ALTER ROLE app_readonly SET default_transaction_read_only = on;
GRANT pg_read_all_data TO app_readonly;

SELECT 'CREATE ROLE replicator LOGIN REPLICATION'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'replicator') \gexec
ALTER ROLE replicator WITH LOGIN REPLICATION PASSWORD :'replication_password';
-- The analytics warehouse subscribes as replicator, and a new subscription's
-- first step copies each published table with an ordinary SELECT, which takes
-- read privileges. It reveals nothing new: replicator already streams every
-- byte of the cluster to the standby physically. Read only, like the standby.
GRANT pg_read_all_data TO replicator;

SELECT format('CREATE DATABASE %I OWNER app', :'db_name')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db_name') \gexec

-- Inside the application database: every role holds PUBLIC's privileges, so
-- take away those that write. The standby is a physical copy, so it gets these too.
\connect :"db_name"
-- Temporary tables (and temporary sequences, views, functions). app owns the
-- database, and an owner keeps all its privileges, TEMPORARY included.
REVOKE TEMPORARY ON DATABASE :"db_name" FROM PUBLIC;
-- PostgreSQL 15+ creates public this way already; a cluster upgraded from an
-- older version still lets PUBLIC create tables there.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- Large objects that write (revoke-large-objects.sql says which and why): here,
-- and in template1, so every database created later, Django's test databases
-- included, starts without them.
\ir revoke-large-objects.sql
\connect template1
\ir revoke-large-objects.sql
