-- One subscription of the analytics warehouse to a source's publication
-- "analytics" (which `manage.py migrate_all` creates on each source database).
-- Used by docker compose (analytics/subscribe.sh) and scripts/pg_warehouse.py.
-- Run by psql as a superuser (PostgreSQL 15 lets no one else create, own or
-- refresh a subscription), connected to the warehouse database, after
-- migrations, with these psql variables:
--   subscription  the subscription's name, e.g. analytics_default
--   conninfo      libpq connection string of the source database, as replicator
--   slot          the replication slot's name on the source, e.g. analytics_multidb
-- Safe to repeat: a new subscription is created; an existing one is enabled,
-- pointed at conninfo (a password may have changed) and refreshed.
\set ON_ERROR_STOP on

-- Neither CREATE SUBSCRIPTION nor REFRESH PUBLICATION may run in a transaction
-- block, so not in a DO block either: psql's \gexec runs each statement that a
-- SELECT builds on its own, and the WHERE decides whether there is one. The
-- existing subscription's statements come first, so a subscription created
-- below isn't refreshed at once. pg_subscription is cluster-wide: a name is
-- unique within its database only.

-- REFRESH PUBLICATION starts replicating tables added to the publication since,
-- copying their rows first. It refuses a disabled subscription: ENABLE first.
SELECT format('ALTER SUBSCRIPTION %I CONNECTION %L', :'subscription', :'conninfo'),
       format('ALTER SUBSCRIPTION %I ENABLE', :'subscription'),
       format('ALTER SUBSCRIPTION %I REFRESH PUBLICATION', :'subscription')
WHERE EXISTS (
    SELECT FROM pg_subscription
    WHERE subname = :'subscription'
      AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
) \gexec

-- Creates the slot on the source, copies each published table's rows, then
-- streams its changes from the slot.
SELECT format(
    'CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION analytics WITH (slot_name = %L)',
    :'subscription', :'conninfo', :'slot'
)
WHERE NOT EXISTS (
    SELECT FROM pg_subscription
    WHERE subname = :'subscription'
      AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
) \gexec
