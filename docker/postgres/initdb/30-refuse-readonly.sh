#!/bin/sh
# Official postgres image: refuse app_readonly on this server (it reads from the
# standby only). The image has written its own pg_hba.conf by now, trusting local
# connections and ending in "host all all all scram-sha-256"; rules match top down,
# so the refusal goes before all of them. The server reads the file when it starts
# for real, after these scripts. The standby clones this data directory, and
# docker/postgres/standby-entrypoint.sh takes the same lines out of its copy.
set -eu
rules="${REFUSE_READONLY_RULES:-/docker/postgres/hba-refuse-readonly.conf}"
hba="$PGDATA/pg_hba.conf"
# Rewritten in place (not replaced), so the file keeps its owner and mode.
image_rules="$(cat "$hba")"
{ cat "$rules"; printf '%s\n' "$image_rules"; } > "$hba"
