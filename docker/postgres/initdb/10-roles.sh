#!/bin/sh
# Official postgres image: runs once, when the data directory is first created.
# Applies the topology's shared role file with this container's secrets.
set -eu
psql --username "$POSTGRES_USER" --dbname postgres \
  -v db_name="${APP_DB_NAME:-multidb}" \
  -v app_password="$APP_DB_PASSWORD" \
  -v readonly_password="$READONLY_DB_PASSWORD" \
  -v replication_password="$REPLICATION_PASSWORD" \
  -f /docker/postgres/roles.sql
