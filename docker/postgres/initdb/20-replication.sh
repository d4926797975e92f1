#!/bin/sh
# Official postgres image: let the replicator role stream WAL to a standby.
set -eu
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
