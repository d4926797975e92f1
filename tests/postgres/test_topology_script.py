"""scripts/pg_topology.py brings the eight servers up, subscribes the warehouse, fills the
legacy database once, and takes every one of them down.

The tests share a throwaway topology of their own. Each runs ``up`` first
(idempotent, so quick when the servers already run), since pytest-randomly
runs them in any order, the one that takes it down included.
"""

import os
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from tests.subprocess_env import run_python

pytestmark = pytest.mark.postgres


def server_processes(directory: Path) -> list[str]:
    """Live (non-zombie) processes whose command line mentions *directory*."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if str(directory) in cmdline and state != "Z" and "pytest" not in cmdline:
            found.append(cmdline)
    return found


# Beside the run's own topology, never on top of it (nor of another run's).
OUTER_PORT = int(os.environ.get("PG_TOPOLOGY_PORT", "55432"))
DIRECTORY = Path(f"/tmp/multidb-pg-script-test-{OUTER_PORT}")
BASE_PORT = OUTER_PORT + 10
PORTS = {"primary": BASE_PORT, "blog": BASE_PORT + 2, "shop": BASE_PORT + 3}
WAREHOUSE_PORT = BASE_PORT + 4
LEGACY_PORT = BASE_PORT + 5
SHARD_PORTS = {"DATABASE_URL_SHARD_0": BASE_PORT + 6, "DATABASE_URL_SHARD_1": BASE_PORT + 7}
SUBSCRIPTIONS = {"analytics_default", "analytics_blog_db", "analytics_shop_db"}
PROBE_DATABASE = "script_probe"  # made by these tests on every source and the warehouse


def topology(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PG_TOPOLOGY_DIR": str(DIRECTORY), "PG_TOPOLOGY_PORT": str(BASE_PORT)}
    return run_python("scripts/pg_topology.py", *args, env=env)


def superuser(port: int, dbname: str = "postgres") -> psycopg.Connection:
    """The superuser over the throwaway topology's Unix socket."""
    return psycopg.connect(
        host=str(DIRECTORY), port=port, user="postgres", dbname=dbname, autocommit=True
    )


def scalar(port: int, sql: str, dbname: str = PROBE_DATABASE):
    with superuser(port, dbname) as connection:
        return connection.execute(sql).fetchone()[0]


def server_lines(output: str) -> list[list[str]]:
    """``[name, alias]`` of each server line of ``up`` or ``status`` (not the indented ones)."""
    return [line.split()[:2] for line in output.splitlines()[1:] if not line.startswith(" ")]


@pytest.fixture(scope="module", autouse=True)
def throwaway_topology():
    """Whatever the tests leave running is stopped at the end, even when one failed."""
    yield
    topology("down")


@pytest.fixture
def up() -> subprocess.CompletedProcess:
    """``up`` of the throwaway topology, which starts what isn't running."""
    result = topology("up")
    assert result.returncode == 0, result.stderr
    return result


def fresh_database(name: str) -> None:
    """An empty database *name* on every source and the warehouse, nothing subscribed to it."""
    unsubscribed = topology("unsubscribe", "--database", name)  # after a failed run
    assert unsubscribed.returncode == 0, unsubscribed.stderr
    for port in [*PORTS.values(), WAREHOUSE_PORT]:
        with superuser(port) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")


def test_up_starts_primary_standby_blog_shop_the_warehouse_legacy_and_the_shards(up):
    assert server_lines(up.stdout) == [
        ["primary", "default"],
        ["standby", "replica"],
        ["blog", "blog_db"],
        ["shop", "shop_db"],
        ["analytics", "analytics_owner"],
        ["legacy", "legacy"],
        ["shard0", "shard_0"],
        ["shard1", "shard_1"],
    ]
    assert "running (standby, replaying" in up.stdout.splitlines()[2]
    assert len([p for p in server_processes(DIRECTORY) if " -D " in p]) == 8
    for port in [*PORTS.values(), WAREHOUSE_PORT]:
        assert scalar(port, "SHOW wal_level", "postgres") == "logical"


def test_env_prints_every_url_and_export_lines(up):
    env = topology("env")
    assert env.returncode == 0, env.stderr
    assert "DATABASE_URL_REPLICA=postgres://app_readonly:" in env.stdout
    assert "DATABASE_URL_ANALYTICS_OWNER=postgres://app:" in env.stdout
    assert "DATABASE_URL_ANALYTICS=postgres://analytics_reader:" in env.stdout
    assert f"@127.0.0.1:{WAREHOUSE_PORT}/multidb\n" in env.stdout
    assert "DATABASE_URL_LEGACY=postgres://legacy_reader:" in env.stdout
    assert "DATABASE_URL_LEGACY_OWNER=postgres://legacy_owner:" in env.stdout
    assert env.stdout.count(f"@127.0.0.1:{LEGACY_PORT}/stock\n") == 2
    for variable, port in SHARD_PORTS.items():
        line = next(line for line in env.stdout.splitlines() if line.startswith(f"{variable}="))
        assert line.startswith(f"{variable}=postgres://app:"), line.split(":")[0]
        assert line.endswith(f"@127.0.0.1:{port}/multidb")
    exported = topology("env", "--export")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines() == [f"export {line}" for line in env.stdout.splitlines()]


def test_subscribe_needs_the_publications_first(up):
    fresh_database("script_unpublished")
    result = topology("subscribe", "--database", "script_unpublished")
    assert result.returncode == 1
    assert "no publication 'analytics' in script_unpublished" in result.stderr
    assert "migrate_all" in result.stderr
    assert scalar(WAREHOUSE_PORT, "SELECT count(*) FROM pg_subscription", "postgres") == 0


def wait_for(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)


def test_subscribe_copies_streams_and_refreshes_and_unsubscribe_drops_the_slots(up):
    """Each source publishes one table (as migrate_all would); the warehouse holds them all."""
    fresh_database(PROBE_DATABASE)
    table = "CREATE TABLE probe (source text, id int, PRIMARY KEY (source, id))"
    for name, port in PORTS.items():
        with superuser(port, PROBE_DATABASE) as source:
            source.execute(table)
            source.execute("INSERT INTO probe VALUES (%s, 1)", [name])
            source.execute("CREATE PUBLICATION analytics FOR TABLE probe")
    with superuser(WAREHOUSE_PORT, PROBE_DATABASE) as warehouse:
        warehouse.execute(table)

    subscribed = topology("subscribe", "--database", PROBE_DATABASE)
    assert subscribed.returncode == 0, subscribed.stderr
    count = "SELECT count(*) FROM probe"
    assert scalar(WAREHOUSE_PORT, count) == 3, "the initial copy is done when subscribe returns"
    for name in SUBSCRIPTIONS:
        assert f"{PROBE_DATABASE}: {name}" in subscribed.stdout
    assert "streaming, last message" in subscribed.stdout

    with superuser(PORTS["shop"], PROBE_DATABASE) as shop:
        shop.execute("INSERT INTO probe VALUES ('shop', 2)")
    wait_for(lambda: scalar(WAREHOUSE_PORT, count) == 4, "the insert to stream")

    # Run again after a table joins a publication: refreshed, its rows copied.
    with superuser(PORTS["blog"], PROBE_DATABASE) as blog:
        blog.execute("CREATE TABLE later (id int PRIMARY KEY)")
        blog.execute("INSERT INTO later VALUES (7)")
        blog.execute("ALTER PUBLICATION analytics ADD TABLE later")
    with superuser(WAREHOUSE_PORT, PROBE_DATABASE) as warehouse:
        warehouse.execute("CREATE TABLE later (id int PRIMARY KEY)")
    again = topology("subscribe", "--database", PROBE_DATABASE)
    assert again.returncode == 0, again.stderr
    assert scalar(WAREHOUSE_PORT, "SELECT count(*) FROM later") == 1
    assert scalar(WAREHOUSE_PORT, "SELECT count(*) FROM pg_subscription") == 3

    for _ in range(2):  # the second run finds nothing to drop
        dropped = topology("unsubscribe", "--database", PROBE_DATABASE)
        assert dropped.returncode == 0, dropped.stderr
        assert scalar(WAREHOUSE_PORT, "SELECT count(*) FROM pg_subscription") == 0
    slots = "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'analytics_script_probe'"
    for port in PORTS.values():
        assert scalar(port, slots, "postgres") == 0
        with superuser(port) as admin:  # nothing holds the source database any more
            admin.execute(f"DROP DATABASE {PROBE_DATABASE}")
    with superuser(WAREHOUSE_PORT) as admin:
        admin.execute(f"DROP DATABASE {PROBE_DATABASE}")


def test_the_shards_are_site_primaries_with_its_roles_and_no_subscription(up):
    """roles.sql's roles, app allowed CREATEDB (for the tests' databases), app_readonly
    refused first by pg_hba.conf; the warehouse has no subscription to them."""
    roles = "SELECT rolname, rolcreatedb FROM pg_roles WHERE rolname LIKE 'app%' ORDER BY 1"
    first_rule = "SELECT user_name, auth_method FROM pg_hba_file_rules ORDER BY line_number LIMIT 1"
    for port in SHARD_PORTS.values():
        with superuser(port, "multidb") as shard:
            assert shard.execute(roles).fetchall() == [("app", True), ("app_readonly", False)]
            assert shard.execute(first_rule).fetchone() == (["app_readonly"], "reject")
            assert shard.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
    lines = up.stdout.splitlines()
    subscriptions = [line.split()[1] for line in lines if line.startswith("  multidb: ")]
    assert set(subscriptions) >= SUBSCRIPTIONS
    assert not [name for name in subscriptions if "shard" in name]


def test_up_fills_the_legacy_database_once_as_its_owner(up):
    """A second ``up`` neither fails on the tables it made nor adds their rows again."""
    again = topology("up")
    assert again.returncode == 0, again.stderr
    assert "  stock: 3 suppliers, 6 items, 7 stock rows" in again.stdout
    counts = 'SELECT (SELECT count(*) FROM "ITEM"), (SELECT count(*) FROM "STOCK")'
    with superuser(LEGACY_PORT, "stock") as legacy:
        assert legacy.execute(counts).fetchone() == (6, 7)
        owners = "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        assert legacy.execute(owners).fetchall() == [("legacy_owner",)]
        roles = "SELECT rolname FROM pg_roles WHERE rolname IN ('app', 'legacy_owner')"
        assert legacy.execute(roles).fetchall() == [("legacy_owner",)], "none of the site's"


def test_down_stops_all_eight_servers_and_deletes_the_directory(up):
    assert len([p for p in server_processes(DIRECTORY) if " -D " in p]) == 8
    down = topology("down")
    assert down.returncode == 0, down.stderr
    assert server_processes(DIRECTORY) == []
    assert not DIRECTORY.exists()
