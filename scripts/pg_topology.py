#!/usr/bin/env python3
"""Run the project's PostgreSQL topology on loopback from the machine's binaries.

The same shape as docker-compose.yml: a primary for ``default``, a streaming
hot standby of it (``pg_basebackup -R -X stream`` with a replication slot),
separate servers for ``blog_db`` and ``shop_db``, an analytics warehouse
(``analytics_owner`` and ``analytics``) fed from those three by logical
replication, the legacy stock system (``legacy``), a database ``stock`` that
its own role owns and the site only reads, and the two physical shards of the
sharded data (``shard_0``, ``shard_1``), site primaries the warehouse doesn't
copy from. Roles come from the same files compose uses,
``docker/postgres/roles.sql``, ``docker/postgres/analytics/roles.sql`` and
``docker/legacy/roles.sql``, and so does the pg_hba.conf rule that refuses the
replica's read-only role on every server but the standby,
``docker/postgres/hba-refuse-readonly.conf``.

    scripts/pg_topology.py up        start all eight servers (idempotent)
    scripts/pg_topology.py status    one line per server, the warehouse's subscriptions
                                     and the legacy database's rows
    scripts/pg_topology.py env [--export]   print the DATABASE_URL* variables
    scripts/pg_topology.py subscribe [--database NAME]     subscribe the warehouse
    scripts/pg_topology.py unsubscribe [--database NAME]   drop its subscriptions
    scripts/pg_topology.py down      stop every server and delete the data
    scripts/pg_topology.py run -- CMD...   up, run CMD with the variables, down

``subscribe`` runs after migrations: it needs the ``analytics`` publication
that ``manage.py migrate_all`` creates on each source, and the warehouse's copy
tables. ``up`` and ``run`` never subscribe (scripts/pg_warehouse.py says why).

Data lives in ``$PG_TOPOLOGY_DIR`` (default ``/tmp/multidb-pg``; kept short
because Unix socket paths are limited to about 107 bytes). Ports start at
``$PG_TOPOLOGY_PORT`` (default 55432). Binaries come from ``$PG_BINDIR``,
``pg_config --bindir`` or ``/usr/lib/postgresql/<newest>/bin``. Run as root,
the servers run as the ``postgres`` OS user, since PostgreSQL refuses root.

Running the servers (binaries, ``pg_ctl``, ``psql``) is scripts/pg_processes.py's part,
the warehouse's subscriptions scripts/pg_warehouse.py's, the legacy server's roles and
tables scripts/pg_legacy.py's. All are loaded by path, and the process helpers are
re-exported here (``run``, ``psql``, ``TOPOLOGY_DIR``...).

Standard library only, so it runs before any virtualenv exists.
"""

import argparse
import importlib.util
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROLES_SQL = REPO / "docker" / "postgres" / "roles.sql"
REFUSE_READONLY_HBA = REPO / "docker" / "postgres" / "hba-refuse-readonly.conf"
PROCESSES_SCRIPT = Path(__file__).resolve().with_name("pg_processes.py")
WAREHOUSE_SCRIPT = Path(__file__).resolve().with_name("pg_warehouse.py")
LEGACY_SCRIPT = Path(__file__).resolve().with_name("pg_legacy.py")
BASE_PORT = int(os.environ.get("PG_TOPOLOGY_PORT", "55432"))
DB_NAME = "multidb"
SLOT = "replica_slot"


def load_script(path: Path):
    """Load a sibling script by path: scripts/ is no package, nor always on sys.path."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_warehouse():
    """Load scripts/pg_warehouse.py by path (see load_script)."""
    return load_script(WAREHOUSE_SCRIPT)


# The siblings. None imports anything of this module: the warehouse's and the
# legacy server's calls each get a Context with the servers, passwords and psql to
# use. The process helpers are re-exported: tests and benchmarks call topology.run...
processes = load_script(PROCESSES_SCRIPT)
warehouse = load_warehouse()
legacy = load_script(LEGACY_SCRIPT)
TOPOLOGY_DIR = processes.TOPOLOGY_DIR
INSTALL_HINT = processes.INSTALL_HINT
TopologyError = processes.TopologyError
find_bindir = processes.find_bindir
missing_binaries = processes.missing_binaries
prepare_dir = processes.prepare_dir
as_server_user = processes.as_server_user
run = processes.run
pg_ctl = processes.pg_ctl
start = processes.start
is_running = processes.is_running
stop_leftover = processes.stop_leftover
psql_command = processes.psql_command
psql = processes.psql
psql_file = processes.psql_file
SERVER_CONF = processes.SERVER_CONF
initdb = processes.initdb
configure_and_start = processes.configure_and_start
ensure_logical_wal = processes.ensure_logical_wal
clone_standby = processes.clone_standby
wait_for_streaming = processes.wait_for_streaming

# The standby's rules; every other server puts REFUSE_READONLY_HBA's first.
HBA_CONF = """
local   all          all                        trust
host    all          all         127.0.0.1/32   scram-sha-256
host    replication  replicator  127.0.0.1/32   scram-sha-256
"""


@dataclass(frozen=True)
class Server:
    name: str
    alias: str
    variable: str
    port: int
    role: str  # the login role the Django alias uses
    standby_of: str | None = None

    @property
    def data_dir(self) -> Path:
        return TOPOLOGY_DIR / self.name

    @property
    def log_file(self) -> Path:
        return TOPOLOGY_DIR / f"{self.name}.log"


SERVERS = [
    Server("primary", "default", "DATABASE_URL", BASE_PORT, "app"),
    Server("standby", "replica", "DATABASE_URL_REPLICA", BASE_PORT + 1, "app_readonly", "primary"),
    Server("blog", "blog_db", "DATABASE_URL_BLOG", BASE_PORT + 2, "app"),
    Server("shop", "shop_db", "DATABASE_URL_SHOP", BASE_PORT + 3, "app"),
    Server("analytics", "analytics_owner", "DATABASE_URL_ANALYTICS_OWNER", BASE_PORT + 4, "app"),
    Server("legacy", "legacy", "DATABASE_URL_LEGACY", BASE_PORT + 5, legacy.READER),
    Server("shard0", "shard_0", "DATABASE_URL_SHARD_0", BASE_PORT + 6, "app"),
    Server("shard1", "shard_1", "DATABASE_URL_SHARD_1", BASE_PORT + 7, "app"),
]
BY_NAME = {server.name: server for server in SERVERS}
WAREHOUSE = BY_NAME["analytics"]
LEGACY = BY_NAME["legacy"]  # its own roles and database (scripts/pg_legacy.py)
# The aliases whose tables migrate_all publishes to the warehouse: not the legacy
# system (its owner writes it, no migration publishes it), nor the shards (nothing
# copies them). docker-compose.yml's subscribe step lists the same sources.
WAREHOUSE_SOURCES = {"default", "blog_db", "shop_db"}
SECRET_NAMES = ("app", "readonly", "replication", "analytics_reader", legacy.OWNER, legacy.READER)
# The key in secrets.json of a role in a URL, where it isn't the role's name.
ROLE_SECRETS = {"app_readonly": "readonly"}


def load_secrets() -> dict[str, str]:
    """The topology's passwords; a topology from before a role existed gets one for it."""
    path = TOPOLOGY_DIR / "secrets.json"
    values = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in SECRET_NAMES if name not in values]
    if missing:
        values.update({name: secrets.token_urlsafe(18) for name in missing})
        path.write_text(json.dumps(values))
        path.chmod(0o600)
    return values


def hba_rules(server: Server) -> str:
    """The pg_hba.conf of *server*: only the standby lets app_readonly in."""
    return HBA_CONF if server.standby_of else REFUSE_READONLY_HBA.read_text() + HBA_CONF


def init_cluster(bindir: Path, server: Server) -> None:
    """initdb *server*'s data directory unless it has one, then start it."""
    initdb(bindir, server, extra_conf=warehouse.WAREHOUSE_CONF if server is WAREHOUSE else "")
    configure_and_start(bindir, server, hba_rules(server))


def init_primary(bindir: Path, server: Server, passwords: dict) -> None:
    init_cluster(bindir, server)
    variables = {
        "db_name": DB_NAME,
        "app_password": passwords["app"],
        "readonly_password": passwords["readonly"],
        "replication_password": passwords["replication"],
    }
    psql_file(bindir, server, ROLES_SQL, variables)
    # The local topology also runs the test suite, which creates test_ databases.
    psql(bindir, server, "ALTER ROLE app CREATEDB")
    if server is WAREHOUSE:
        warehouse.create_reader(warehouse_context(bindir), DB_NAME)


def init_legacy(bindir: Path, server: Server) -> None:
    """A primary without the site's roles: the legacy system's own, and its tables."""
    init_cluster(bindir, server)
    legacy.create(legacy_context(bindir))


def init_standby(bindir: Path, server: Server, passwords: dict) -> None:
    primary = BY_NAME[server.standby_of]
    if not (server.data_dir / "PG_VERSION").exists():
        clone_standby(bindir, server, primary, slot=SLOT, password=passwords["replication"])
    configure_and_start(bindir, server, hba_rules(server))
    wait_for_streaming(bindir, primary, server)


def database_of(server: Server) -> str:
    """The database the aliases use on *server*: the legacy system has its own name."""
    return legacy.DB_NAME if server is LEGACY else DB_NAME


def database_url(server: Server, role: str, passwords: dict) -> str:
    password = passwords[ROLE_SECRETS.get(role, role)]
    return f"postgres://{role}:{password}@127.0.0.1:{server.port}/{database_of(server)}"


def database_urls(passwords: dict) -> dict[str, str]:
    """The DATABASE_URL* variables, plus a superuser URL for the standby.

    ``DATABASE_URL_ANALYTICS`` is the warehouse again, as its read-only role,
    and ``DATABASE_URL_LEGACY_OWNER`` the legacy database, as the role that owns
    it (the tests build their legacy test database through it; the site never).
    ``DATABASE_URL_REPLICA_SUPERUSER`` (libpq URI over the Unix socket) is for
    tests and the lag lab: pausing replay needs a superuser.
    """
    urls = {s.variable: database_url(s, s.role, passwords) for s in SERVERS}
    urls[warehouse.READER_VARIABLE] = database_url(WAREHOUSE, warehouse.READER, passwords)
    urls[legacy.OWNER_VARIABLE] = database_url(LEGACY, legacy.OWNER, passwords)
    standby = BY_NAME["standby"]
    urls["DATABASE_URL_REPLICA_SUPERUSER"] = (
        f"postgresql://postgres@/{DB_NAME}?host={TOPOLOGY_DIR}&port={standby.port}"
    )
    return urls


def up(bindir: Path) -> dict[str, str]:
    prepare_dir()
    passwords = load_secrets()
    for server in SERVERS:
        if server.standby_of:
            init_standby(bindir, server, passwords)
        elif server is LEGACY:
            init_legacy(bindir, server)
        else:
            init_primary(bindir, server, passwords)
    return database_urls(passwords)


def warehouse_context(bindir: Path):
    """What scripts/pg_warehouse.py works with: this topology's servers, passwords and psql."""
    return warehouse.Context(
        warehouse=WAREHOUSE,
        sources=[s for s in SERVERS if s.alias in WAREHOUSE_SOURCES],
        passwords=load_secrets(),
        psql=lambda server, sql, database: psql(bindir, server, sql, database=database),
        psql_file=lambda server, path, variables, database: psql_file(
            bindir, server, path, variables, database=database
        ),
        error=TopologyError,
    )


def legacy_context(bindir: Path):
    """What scripts/pg_legacy.py works with: the passwords, and psql on the legacy server."""
    return legacy.Context(
        passwords=load_secrets(),
        psql=lambda args, database: run(
            psql_command(bindir, LEGACY, *args, database=database)
        ).stdout.strip(),
        error=TopologyError,
    )


def subscribe(bindir: Path, database: str = DB_NAME) -> None:
    """Subscribe the warehouse's *database* to each source's; return once all tables are copied.

    Run it after migrations: the publications and the copy tables must exist.
    """
    warehouse.subscribe(warehouse_context(bindir), database)


def unsubscribe(bindir: Path, database: str = DB_NAME) -> None:
    """Drop every subscription of the warehouse's *database*, and their slots on the sources."""
    warehouse.unsubscribe(warehouse_context(bindir), database)


def subscription_lag(bindir: Path, database: str = DB_NAME) -> dict[str, float | None]:
    """Seconds since each source's subscription last heard from it (None: not subscribed)."""
    return warehouse.subscription_lag(warehouse_context(bindir), database)


def down(bindir: Path | None) -> None:
    """Stop every server (standby first) and delete the topology directory."""
    for server in reversed(SERVERS):
        if bindir and is_running(bindir, server):
            pg_ctl(bindir, server, "-m", "immediate", "-w", "stop", check=False)
        stop_leftover(server)
    shutil.rmtree(TOPOLOGY_DIR, ignore_errors=True)


def status(bindir: Path, database: str = DB_NAME) -> int:
    down_count = 0
    for server in SERVERS:
        if not is_running(bindir, server):
            print(f"{server.name:<9} {server.alias:<15} port {server.port}  stopped")
            down_count += 1
            continue
        recovery = psql(bindir, server, "SELECT pg_is_in_recovery()") == "t"
        detail = "standby, replaying" if recovery else "primary"
        if recovery:
            lag = psql(
                bindir,
                server,
                "SELECT COALESCE(EXTRACT(EPOCH FROM now() - "
                "pg_last_xact_replay_timestamp()), 0)::numeric(10,3)",
            )
            detail += f", last replayed transaction {lag} s ago"
        print(f"{server.name:<9} {server.alias:<15} port {server.port}  running ({detail})")
        if server is WAREHOUSE:
            context = warehouse_context(bindir)
            for name, state in warehouse.subscription_states(context, database).items():
                print(f"  {database}: {name:<18} {state}")
        if server is LEGACY:
            print(f"  {legacy.DB_NAME}: {legacy.describe(legacy_context(bindir))}")
    return 1 if down_count else 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    """One subcommand each, so ``env --export`` is a flag and ``run``'s command is left alone."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start all eight servers (idempotent)")
    commands.add_parser("down", help="stop every server and delete the data")
    env = commands.add_parser("env", help="print the DATABASE_URL* variables")
    env.add_argument("--export", action="store_true", help="print `export` lines")
    for name, text in [
        ("status", "one line per server; the warehouse database's subscriptions, legacy's rows"),
        ("subscribe", "subscribe the warehouse's database to every source (after migrations)"),
        ("unsubscribe", "drop every subscription of the warehouse's database"),
    ]:
        command = commands.add_parser(name, help=text)
        command.add_argument("--database", default=DB_NAME, help=f"default: {DB_NAME}")
    run_parser = commands.add_parser("run", help="up, run a command with the variables, down")
    run_parser.add_argument("rest", nargs=argparse.REMAINDER, help="-- CMD...")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    bindir = find_bindir()
    if bindir is None and args.command != "down":
        return missing_binaries()
    try:
        if args.command == "up":
            up(bindir)
            print(f"PostgreSQL topology is up in {TOPOLOGY_DIR}")
            return status(bindir)
        if args.command == "down":
            down(bindir)
            print("PostgreSQL topology is down")
            return 0
        if args.command == "status":
            return status(bindir, args.database)
        if args.command == "subscribe":
            subscribe(bindir, args.database)
            return status(bindir, args.database)
        if args.command == "unsubscribe":
            unsubscribe(bindir, args.database)
            print(f"the warehouse's {args.database} has no subscription left")
            return 0
        if args.command == "env":
            if not (TOPOLOGY_DIR / "secrets.json").exists():
                raise TopologyError(f"no topology in {TOPOLOGY_DIR}: run `up` first")
            prefix = "export " if args.export else ""
            for variable, url in database_urls(load_secrets()).items():
                print(f"{prefix}{variable}={shlex.quote(url)}")
            return 0
        command = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
        return run_with_topology(bindir, command)
    except TopologyError as error:
        print(f"pg_topology: {error}", file=sys.stderr)
        return 1


def run_with_topology(bindir: Path, command: list[str]) -> int:
    if not command:
        print("pg_topology: run needs a command, e.g. run -- pytest", file=sys.stderr)
        return 2
    try:
        urls = up(bindir)
        print(f"PostgreSQL topology is up: running {' '.join(command)}", flush=True)
        return subprocess.run(command, env={**os.environ, **urls}, check=False).returncode
    finally:
        down(bindir)
        print("PostgreSQL topology is down", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
