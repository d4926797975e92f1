"""The pg_hba.conf that compose's servers end up with, from their own scripts, run offline.

Each primary's initdb script puts the refusal of app_readonly first; the
standby, a pg_basebackup copy of its primary, takes it out again. The
warehouse's and the legacy server's init scripts run with psql stubbed. No Docker:
the scripts run under sh and bash here, with the image's tools (pg_isready,
pg_basebackup, gosu, the image's entry point) replaced by stubs.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.compose.conftest import REPO
from tests.compose.test_compose import database_services, legacy_hosts

RULES = REPO / "docker" / "postgres" / "hba-refuse-readonly.conf"
INITDB_SCRIPT = REPO / "docker" / "postgres" / "initdb" / "30-refuse-readonly.sh"
STANDBY_ENTRYPOINT = REPO / "docker" / "postgres" / "standby-entrypoint.sh"
# What the postgres:17 image leaves in pg_hba.conf before that script runs:
# initdb's rules (trust, as the image calls it), then the image's own line and
# initdb/20-replication.sh's.
IMAGE_HBA = """\
# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             all                                     trust
host    all             all             127.0.0.1/32            trust
host    all             all             ::1/128                 trust
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            trust
host    replication     all             ::1/128                 trust

host all all all scram-sha-256
host replication replicator all scram-sha-256
"""
STUBS = {
    "pg_isready": "exit 0",
    "gosu": 'shift; exec "$@"',  # gosu USER CMD...: run CMD as is
    "chown": "exit 0",
    # Clone: the data directory after -D gets a cluster and the primary's pg_hba.conf.
    "pg_basebackup": (
        'while [ $# -gt 0 ]; do [ "$1" = -D ] && dir="$2"; shift; done\n'
        'echo 17 > "$dir/PG_VERSION"\ncp "$PRIMARY_HBA" "$dir/pg_hba.conf"'
    ),
    "docker-entrypoint.sh": 'echo "image entry point: $*"',
}


def rules(text: str) -> list[list[str]]:
    """The rules of a pg_hba.conf, in order, each split into its fields."""
    lines = (line.split("#", 1)[0].split() for line in text.splitlines())
    return [fields for fields in lines if fields]


def refuse_readonly(pgdata: Path) -> subprocess.CompletedProcess:
    """Run the primaries' initdb script on *pgdata*, as the image would."""
    env = {"PATH": os.defpath, "PGDATA": str(pgdata), "REFUSE_READONLY_RULES": str(RULES)}
    return subprocess.run(
        ["sh", str(INITDB_SCRIPT)], env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture
def primary_hba(tmp_path) -> Path:
    """A primary's pg_hba.conf once its initdb scripts have run."""
    pgdata = tmp_path / "primary"
    pgdata.mkdir()
    (pgdata / "pg_hba.conf").write_text(IMAGE_HBA)
    result = refuse_readonly(pgdata)
    assert result.returncode == 0, result.stderr
    return pgdata / "pg_hba.conf"


def test_each_primary_refuses_app_readonly_before_any_rule_of_the_image(primary_hba):
    primary = rules(primary_hba.read_text())
    assert primary[:2] == [
        ["local", "all", "app_readonly", "reject"],
        ["host", "all", "app_readonly", "all", "reject"],
    ]
    assert primary[2:] == rules(IMAGE_HBA), "the image's rules follow, unchanged"


def test_the_standby_drops_the_refusal_its_clone_copied(tmp_path, primary_hba):
    """The standby entry point clones (stubbed) the primary, then lets app_readonly in."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, body in STUBS.items():
        (stubs / name).write_text(f"#!/bin/sh\n{body}\n")
        (stubs / name).chmod(0o755)
    pgdata = tmp_path / "standby"
    env = {
        "PATH": f"{stubs}{os.pathsep}{os.defpath}",
        "PGDATA": str(pgdata),
        "PRIMARY_HOST": "db-default",
        "REPLICATION_PASSWORD": "secret",
        "REFUSE_READONLY_RULES": str(RULES),
        "PRIMARY_HBA": str(primary_hba),
    }
    result = subprocess.run(
        ["bash", str(STANDBY_ENTRYPOINT), "postgres"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "image entry point: postgres"
    assert (pgdata / "pg_hba.conf").read_text() == IMAGE_HBA


def test_every_server_mounts_the_refusal_where_its_script_reads_it(services):
    """Primaries and the standby alike: a missing file would fail their scripts.

    Not the legacy server: none of its init scripts refuses app_readonly, a role
    of the site's that doesn't exist there.
    """
    default_path = {
        script.name: re.search(r"REFUSE_READONLY_RULES:-([^}]+)}", script.read_text()).group(1)
        for script in (INITDB_SCRIPT, STANDBY_ENTRYPOINT)
    }
    assert set(default_path.values()) == {"/docker/postgres/hba-refuse-readonly.conf"}
    for name, service in database_services(services).items():
        if name in legacy_hosts(services):
            assert not (REPO / "docker" / "legacy" / "initdb" / INITDB_SCRIPT.name).exists()
            continue
        mounts = {v["target"]: v for v in service["volumes"] if v["type"] == "bind"}
        mount = mounts.get("/docker/postgres/hba-refuse-readonly.conf")
        assert mount, f"{name} doesn't mount the refusal rules"
        assert Path(mount["source"]) == RULES
        assert mount["read_only"], name


# --- The analytics warehouse ---------------------------------------------------

ANALYTICS_INITDB_SCRIPT = REPO / "docker" / "postgres" / "initdb" / "40-analytics-roles.sh"
SUBSCRIBE_SCRIPT = REPO / "docker" / "postgres" / "analytics" / "subscribe.sh"
# psql, stubbed: log each call's arguments (one per line, then a blank line) and
# answer the scripts' queries: one publication, no subscription yet, every table ready.
PSQL_STUB = """\
printf '%s\\n' "$@" >> "$PSQL_LOG"; echo >> "$PSQL_LOG"
case "$*" in *" -c "*|*" -f "*) query="$*" ;; *) query="$(cat)" ;; esac
case "$query" in *pg_publication*) echo 1 ;; *pg_subscription_rel*|*subname*) echo 0 ;; esac
"""


def stubbed_psql(
    tmp_path: Path, script: Path, **env: str
) -> tuple[subprocess.CompletedProcess, list]:
    """Run *script* with psql stubbed; return the result and each psql call's arguments."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "psql").write_text(f"#!/bin/sh\n{PSQL_STUB}")
    (stubs / "psql").chmod(0o755)
    log = tmp_path / "psql.log"
    log.touch()
    result = subprocess.run(
        [str(script)],  # executable, as the image runs it: its own #! line picks the shell
        env={"PATH": f"{stubs}{os.pathsep}{os.defpath}", "PSQL_LOG": str(log), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    calls = [call.splitlines() for call in log.read_text().split("\n\n") if call.strip()]
    return result, calls


def test_the_analytics_initdb_script_applies_the_reader_roles_on_the_warehouse(tmp_path):
    result, calls = stubbed_psql(
        tmp_path,
        ANALYTICS_INITDB_SCRIPT,
        POSTGRES_USER="postgres",
        APP_DB_NAME="multidb_analytics",
        ANALYTICS_DB_PASSWORD="reader-secret",
    )
    assert result.returncode == 0, result.stderr
    (call,) = calls
    assert "db_name=multidb_analytics" in call
    assert "reader_password=reader-secret" in call
    assert call[call.index("-f") + 1] == "/docker/postgres/analytics/roles.sql"


def test_the_analytics_initdb_script_does_nothing_on_the_other_primaries(tmp_path):
    result, calls = stubbed_psql(
        tmp_path, ANALYTICS_INITDB_SCRIPT, POSTGRES_USER="postgres", APP_DB_NAME="multidb_blog"
    )
    assert result.returncode == 0, result.stderr
    assert calls == []


def test_subscribe_runs_subscribe_sql_on_the_warehouse_once_per_source(tmp_path, services):
    """With compose's environment: one subscription per source, as the superuser, own slot."""
    environment = {
        k: v for k, v in services["subscribe"]["environment"].items() if isinstance(v, str)
    }
    sql = "/docker/postgres/analytics/subscribe.sql"
    result, calls = stubbed_psql(tmp_path, SUBSCRIBE_SCRIPT, **environment)
    assert result.returncode == 0, result.stderr
    runs = [call for call in calls if "-f" in call and call[call.index("-f") + 1] == sql]
    password = environment["REPLICATION_PASSWORD"]
    expected = [
        (
            f"subscription=analytics_{alias}",
            f"conninfo=host={host} port=5432 dbname={database} user=replicator password={password}",
        )
        for alias, (host, database) in [
            ("default", ("db-default", "multidb_default")),
            ("blog_db", ("db-blog", "multidb_blog")),
            ("shop_db", ("db-shop", "multidb_shop")),
        ]
    ]
    assert [
        (
            next(arg for arg in run if arg.startswith("subscription=")),
            next(arg for arg in run if arg.startswith("conninfo=")),
        )
        for run in runs
    ] == expected
    for run in runs:
        assert run[run.index("-h") + 1] == "db-analytics"
        assert run[run.index("-U") + 1] == "postgres"
        assert run[run.index("-d") + 1] == "multidb_analytics"
        assert "slot=analytics_multidb_analytics" in run
    assert "every table is copied" in result.stderr


# --- The legacy stock system ---------------------------------------------------

LEGACY_INITDB_SCRIPT = REPO / "docker" / "legacy" / "initdb" / "10-legacy.sh"


def test_the_legacy_initdb_script_makes_the_roles_then_the_tables_as_their_owner(
    tmp_path, services
):
    """With db-legacy's environment: roles.sql as the superuser, then schema, data and
    grants in the legacy database, as legacy_owner, in one transaction that stops at an error."""
    (name,) = legacy_hosts(services)
    environment = services[name]["environment"]
    result, calls = stubbed_psql(
        tmp_path, LEGACY_INITDB_SCRIPT, POSTGRES_USER="postgres", **environment
    )
    assert result.returncode == 0, result.stderr
    roles, tables = calls
    assert roles[roles.index("--username") + 1] == "postgres"
    assert roles[roles.index("--dbname") + 1] == "postgres"
    assert f"db_name={environment['LEGACY_DB_NAME']}" in roles
    assert f"owner_password={environment['LEGACY_OWNER_PASSWORD']}" in roles
    assert f"reader_password={environment['LEGACY_READER_PASSWORD']}" in roles
    assert roles[roles.index("-f") + 1] == "/docker/legacy/roles.sql"
    assert tables[tables.index("--username") + 1] == "postgres"
    assert tables[tables.index("--dbname") + 1] == environment["LEGACY_DB_NAME"]
    assert {"--single-transaction", "ON_ERROR_STOP=1"} <= set(tables)
    assert tables[tables.index("-c") + 1] == "SET ROLE legacy_owner"
    files = [tables[i + 1] for i, arg in enumerate(tables) if arg == "-f"]
    assert files == [f"/docker/legacy/{sql}.sql" for sql in ("schema", "data", "grants")]
    assert tables.index("-c") < tables.index("-f"), "the owner's from the first statement"


def test_the_legacy_initdb_script_stops_at_the_first_failure(tmp_path):
    """set -e: when roles.sql fails, the tables aren't attempted (and the image stops)."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "psql").write_text('#!/bin/sh\necho "$*" >> "$PSQL_LOG"; exit 3\n')
    (stubs / "psql").chmod(0o755)
    log = tmp_path / "psql.log"
    env = {
        "PATH": f"{stubs}{os.pathsep}{os.defpath}",
        "PSQL_LOG": str(log),
        "POSTGRES_USER": "postgres",
        "LEGACY_OWNER_PASSWORD": "o",
        "LEGACY_READER_PASSWORD": "r",
    }
    result = subprocess.run(
        [str(LEGACY_INITDB_SCRIPT)], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 3
    assert len(log.read_text().splitlines()) == 1
