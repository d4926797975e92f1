#!/bin/sh
# Official postgres image: runs once, when db-legacy's data directory is first
# created. db-legacy has this init directory of its own: none of the site's roles
# (docker/postgres/roles.sql) exist there, only the legacy stock system's.
# First its roles and database (docker/legacy/roles.sql, as the superuser), then
# its tables and rows as their owner, legacy_owner, in one transaction: a failure
# leaves no half-built schema, and stops the image's first start. The local
# topology runs the same files the same way (scripts/pg_legacy.py).
set -eu
db_name="${LEGACY_DB_NAME:-stock}"
sql_dir="${LEGACY_SQL_DIR:-/docker/legacy}"
psql --username "$POSTGRES_USER" --dbname postgres \
  -v db_name="$db_name" \
  -v owner_password="$LEGACY_OWNER_PASSWORD" \
  -v reader_password="$LEGACY_READER_PASSWORD" \
  -f "$sql_dir/roles.sql"
# SET ROLE in the superuser's session: the objects are the owner's and its
# privileges are the ones checked, whatever pg_hba.conf says of its logins.
psql --username "$POSTGRES_USER" --dbname "$db_name" \
  -v ON_ERROR_STOP=1 --single-transaction \
  -c 'SET ROLE legacy_owner' \
  -f "$sql_dir/schema.sql" \
  -f "$sql_dir/data.sql" \
  -f "$sql_dir/grants.sql"
