#!/usr/bin/env bash
# Entry point of the db-replica service: a streaming hot standby of $PRIMARY_HOST.
#
# On first start ($PGDATA holds no cluster yet) it clones the primary with
# pg_basebackup through the physical replication slot $REPLICATION_SLOT; -R
# writes standby.signal and primary_conninfo, so the server comes up as a
# read-only standby that keeps streaming. The clone's pg_hba.conf is the
# primary's, which refuses app_readonly; this is the one server that role may
# use, so the refusal comes out again. Later starts skip straight to the
# official image's entry point, which runs whatever cluster is there.
#
# Environment: PRIMARY_HOST, REPLICATION_PASSWORD (the "replicator" role from
# docker/postgres/roles.sql), REPLICATION_SLOT (default "replica"),
# REFUSE_READONLY_RULES (default: docker/postgres/hba-refuse-readonly.conf where
# compose mounts it), PGDATA (set by the image).
set -euo pipefail

: "${PRIMARY_HOST:?set PRIMARY_HOST to the host name of the primary}"
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
: "${PGDATA:?PGDATA is set by the postgres image}"
slot="${REPLICATION_SLOT:-replica}"
refuse_readonly_rules="${REFUSE_READONLY_RULES:-/docker/postgres/hba-refuse-readonly.conf}"
attempts="${STANDBY_CLONE_ATTEMPTS:-30}"

log() { echo "standby-entrypoint: $*" >&2; }

# Run a command as the postgres user (the container starts as root).
as_postgres() {
	if [ "$(id -u)" = 0 ]; then gosu postgres "$@"; else "$@"; fi
}

empty_data_directory() {
	mkdir -p "$PGDATA"
	find "$PGDATA" -mindepth 1 -delete
	if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDATA"; fi
	chmod 0700 "$PGDATA"
}

base_backup() {
	PGPASSWORD="$REPLICATION_PASSWORD" as_postgres pg_basebackup \
		-h "$PRIMARY_HOST" -U replicator -D "$PGDATA" \
		-R -X stream --checkpoint=fast "$@"
}

# One try: create the slot with the backup. The primary keeps its slot when
# only this volume was deleted, so on "already exists" clone through it as is.
clone_primary() {
	local output
	empty_data_directory
	if output="$(base_backup -C -S "$slot" 2>&1)"; then
		return 0
	fi
	echo "$output" >&2
	if [[ "$output" == *"replication slot"*"already exists"* ]]; then
		log "slot \"$slot\" already exists on $PRIMARY_HOST; reusing it"
		empty_data_directory
		base_backup -S "$slot"
		return
	fi
	return 1
}

# Take the primary's refusal of app_readonly (the exact lines of the rules file
# docker/postgres/initdb/30-refuse-readonly.sh put first) out of the cloned
# pg_hba.conf. Rewritten in place, so the file keeps its owner and mode.
allow_readonly_role() {
	local hba="$PGDATA/pg_hba.conf" kept
	# grep exits 1 when it selects no line, 2 on an error (say, no rules file).
	kept="$(grep -vxFf "$refuse_readonly_rules" "$hba")" || [ $? -eq 1 ]
	printf '%s\n' "$kept" > "$hba"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	log "no cluster in $PGDATA: cloning $PRIMARY_HOST through slot \"$slot\""
	for attempt in $(seq 1 "$attempts"); do
		if pg_isready -q -h "$PRIMARY_HOST" -U replicator -d postgres && clone_primary; then
			break
		fi
		if [ "$attempt" -eq "$attempts" ]; then
			log "could not clone $PRIMARY_HOST after $attempts attempts; giving up"
			exit 1
		fi
		log "$PRIMARY_HOST not ready to clone (attempt $attempt/$attempts); retrying in 2s"
		sleep 2
	done
	allow_readonly_role
	# pg_basebackup copies the primary's modes; the server insists on 0700.
	if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$PGDATA"; fi
	chmod 0700 "$PGDATA"
	log "clone done; starting as a hot standby of $PRIMARY_HOST"
fi

exec docker-entrypoint.sh "$@"
