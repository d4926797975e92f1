#!/bin/sh
# Official postgres image: on the analytics warehouse, add its read-only role
# (docker/postgres/analytics/roles.sql) on top of the shared roles of 10-roles.sh.
# Every primary mounts this directory; only db-analytics sets ANALYTICS_DB_PASSWORD
# and mounts that file, so on the others this script does nothing. (One directory
# for all keeps a script added here reaching every primary; mounting this one file
# into the directory for db-analytics alone would nest it in a read-only mount.)
set -eu
if [ -n "${ANALYTICS_DB_PASSWORD:-}" ]; then
  psql --username "$POSTGRES_USER" --dbname postgres \
    -v db_name="${APP_DB_NAME:-multidb}" \
    -v reader_password="$ANALYTICS_DB_PASSWORD" \
    -f "${ANALYTICS_ROLES_SQL:-/docker/postgres/analytics/roles.sql}"
fi
