#!/usr/bin/env bash
# Entry point of the one-shot subscribe service: subscribes the analytics
# warehouse to each source's publication "analytics", once migrate (which
# creates the publications and the warehouse's tables) has finished.
#
# Runs docker/postgres/analytics/subscribe.sql as the superuser (PostgreSQL lets
# no one else create or refresh a subscription) once per source, then waits
# until every table is copied. Every `docker compose up` runs it again: a
# missing subscription is created, an existing one refreshed (tables added to a
# publication since then start replicating).
#
# Environment: POSTGRES_PASSWORD (the warehouse's superuser), REPLICATION_PASSWORD
# (the sources' "replicator"), WAREHOUSE (host[:port]/database, default
# db-analytics/multidb_analytics), SOURCES (alias=host[:port]/database ..., default
# compose's three), SUBSCRIBE_SQL, SUBSCRIBE_TIMEOUT (seconds, default 120).
set -euo pipefail

: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
warehouse_address="${WAREHOUSE:-db-analytics/multidb_analytics}"
sources="${SOURCES:-default=db-default/multidb_default blog_db=db-blog/multidb_blog shop_db=db-shop/multidb_shop}"
subscribe_sql="${SUBSCRIBE_SQL:-/docker/postgres/analytics/subscribe.sql}"
timeout="${SUBSCRIBE_TIMEOUT:-120}"

log() { echo "subscribe: $*" >&2; }

# Split host[:port]/database into $host, $port and $database.
parse_address() {
	local host_port="${1%%/*}"
	database="${1#*/}" host="${host_port%%:*}" port=5432
	if [[ "$host_port" == *:* ]]; then port="${host_port##*:}"; fi
}

parse_address "$warehouse_address"
warehouse_host="$host" warehouse_port="$port" warehouse_db="$database"
# One slot per warehouse database on each source (slots are cluster-wide there).
slot="analytics_${warehouse_db}"

warehouse() {
	PGPASSWORD="$POSTGRES_PASSWORD" psql -h "$warehouse_host" -p "$warehouse_port" \
		-U postgres -d "$warehouse_db" -X -q -At -v ON_ERROR_STOP=1 "$@"
}

# As replicator, on a source's database (a plain connection, not a replication one).
on_source() {
	PGPASSWORD="$REPLICATION_PASSWORD" psql -h "$host" -p "$port" -U replicator -d "$database" \
		-X -q -At -v ON_ERROR_STOP=1 "$@"
}

for source in $sources; do
	alias="${source%%=*}"
	parse_address "${source#*=}"
	subscription="analytics_${alias}"
	published="$(on_source \
		-c "SELECT count(*) FROM pg_publication WHERE pubname = 'analytics'")"
	if [ "$published" = 0 ]; then
		log "no publication \"analytics\" in $database on $host: migrate_all creates it"
		exit 1
	fi
	exists="$(warehouse -v subscription="$subscription" <<-'SQL'
		SELECT count(*) FROM pg_subscription WHERE subname = :'subscription'
		  AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database());
	SQL
	)"
	if [ "$exists" = 0 ]; then
		# A slot left on the source by a warehouse volume deleted since: CREATE
		# SUBSCRIPTION would fail on it, and no one else reads it.
		on_source -v slot="$slot" >/dev/null <<-'SQL'
			SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
			WHERE slot_name = :'slot' AND NOT active;
		SQL
	fi
	log "$subscription: $host:$port/$database through slot $slot"
	warehouse -v subscription="$subscription" -v slot="$slot" \
		-v conninfo="host=$host port=$port dbname=$database user=replicator password=$REPLICATION_PASSWORD" \
		-f "$subscribe_sql"
done

# pg_subscription_rel belongs to the warehouse database: its subscriptions' tables.
for attempt in $(seq 1 "$timeout"); do
	pending="$(warehouse -c "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")"
	if [ "$pending" = 0 ]; then
		log "every table is copied; the warehouse streams from each source"
		exit 0
	fi
	sleep 1
done
log "tables still being copied after ${timeout}s:"
warehouse -c "SELECT s.subname, r.srrelid::regclass, r.srsubstate FROM pg_subscription_rel r
	JOIN pg_subscription s ON s.oid = r.srsubid WHERE r.srsubstate <> 'r'" >&2 || true
exit 1
