"""The analytics warehouse of scripts/pg_topology.py: its reader role and its subscriptions.

The warehouse is fed by logical replication. Each source database (the
primary's ``default``, ``blog_db``, ``shop_db``) has a publication named
``analytics``, which ``manage.py migrate_all`` creates and keeps up to date,
since it lists Django's tables and their columns. The warehouse holds one
subscription per source, ``analytics_<alias>``. PostgreSQL 15 lets only a
superuser create, own or refresh a subscription, so this module does that
step, after migrations (the publications and the copy tables exist only then):

    subscribe(context, database)     create or refresh every subscription, wait for the copy
    unsubscribe(context, database)   drop them, and their replication slots on the sources

Both are safe to repeat. ``up`` never subscribes, and neither does ``run``: the
test suite's databases are made by Django after the servers start, so its
fixture subscribes ``test_multidb`` itself, and unsubscribes it before Django
drops it (a database can't be dropped while a subscription or a slot uses it).

The SQL comes from the files docker compose uses too:
``docker/postgres/analytics/roles.sql`` and ``subscribe.sql``. This module
imports nothing of pg_topology.py: each function takes a :class:`Context`.
Standard library only.
"""

import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ANALYTICS_SQL = Path(__file__).resolve().parent.parent / "docker" / "postgres" / "analytics"
READER_ROLES_SQL = ANALYTICS_SQL / "roles.sql"
SUBSCRIBE_SQL = ANALYTICS_SQL / "subscribe.sql"
PUBLICATION = "analytics"
READER = "analytics_reader"
READER_VARIABLE = "DATABASE_URL_ANALYTICS"
READY_TIMEOUT = 60.0
PROBE_TIMEOUT = 2.0
SSL_REQUEST = struct.pack("!ii", 8, 80877103)  # the first message of a libpq connection

# Appended to the warehouse's postgresql.conf. One apply worker per
# subscription (three for the demo database, three more while the tests run
# theirs), and each copies up to two tables at a time with table-sync workers;
# every worker is a background worker too. The launcher starts workers at most
# once per wal_retrieve_retry_interval (5 s by default): a new subscription's
# first rows would wait that long for nothing.
WAREHOUSE_CONF = """
max_logical_replication_workers = 8
max_worker_processes = 16
max_sync_workers_per_subscription = 2
wal_retrieve_retry_interval = '200ms'
"""
# Subscriptions of the current database only: pg_subscription is cluster-wide.
THIS_DATABASE = "subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"


@dataclass(frozen=True)
class Context:
    """What the warehouse's functions work with, from scripts/pg_topology.py.

    Servers have ``name``, ``alias``, ``port`` and ``log_file``. ``psql`` and
    ``psql_file`` run as the superuser and raise *error* when psql fails.
    """

    warehouse: object
    sources: list
    passwords: dict[str, str]
    psql: Callable[[object, str, str], str]  # (server, sql, database) -> output
    psql_file: Callable[[object, Path, dict, str], None]  # (server, file, variables, database)
    error: type[Exception]


def create_reader(context: Context, db_name: str) -> None:
    """Create the ``analytics`` alias's read-only role (docker/postgres/analytics/roles.sql)."""
    variables = {"db_name": db_name, "reader_password": context.passwords[READER]}
    context.psql_file(context.warehouse, READER_ROLES_SQL, variables, "postgres")


def subscription_name(source) -> str:
    """``analytics_default``, ``analytics_blog_db``, ...: one per source alias."""
    return f"analytics_{source.alias}"


def slot_name(database: str) -> str:
    """The slot on each source. Slots are cluster-wide there, so it names the database:
    the demo's ``multidb`` and the tests' ``test_multidb`` must not share one."""
    return f"analytics_{database}"


def conninfo(context: Context, source, database: str) -> str:
    """libpq's connection string from the warehouse to *source*'s *database*, as replicator."""
    return (
        f"host=127.0.0.1 port={source.port} dbname={database} user=replicator "
        f"password={context.passwords['replication']}"
    )


def subscribe(context: Context, database: str) -> None:
    """Subscribe the warehouse's *database* to every source's *database*; wait for the copy.

    A new subscription copies the published tables' rows, then streams their
    changes. An existing one is enabled again and refreshed, which starts
    replicating (and copies) tables added to the publication since.
    """
    silent = [source.name for source in context.sources if not answers(source)]
    if silent:
        raise context.error(f"{', '.join(silent)} not answering: start it, then subscribe")
    missing = [s.name for s in context.sources if not has_publication(context, s, database)]
    if missing:
        raise context.error(
            f"no publication {PUBLICATION!r} in {database} on {', '.join(missing)}: "
            "run `manage.py migrate_all` first, which creates them"
        )
    existing = subscriptions(context, database)
    for source in context.sources:
        name, slot = subscription_name(source), slot_name(database)
        if name not in existing:
            # Left behind by a warehouse database dropped without unsubscribing:
            # CREATE SUBSCRIPTION would fail on it, and nothing else reads it.
            drop_slot(context, source, slot)
        variables = {
            "subscription": name,
            "conninfo": conninfo(context, source, database),
            "slot": slot,
        }
        context.psql_file(context.warehouse, SUBSCRIBE_SQL, variables, database)
    wait_until_ready(context, database)


def wait_until_ready(context: Context, database: str, timeout: float = READY_TIMEOUT) -> None:
    """Return once every table of every subscription in *database* is copied and streaming."""
    not_ready = (
        "SELECT s.subname, r.srrelid::regclass, r.srsubstate FROM pg_subscription_rel r "
        f"JOIN pg_subscription s ON s.oid = r.srsubid WHERE s.{THIS_DATABASE} "
        "AND r.srsubstate <> 'r' ORDER BY 1, 2"
    )
    deadline = time.monotonic() + timeout
    while rows := context.psql(context.warehouse, not_ready, database):
        if time.monotonic() > deadline:
            subscription, table, state = rows.splitlines()[0].split("|")
            raise context.error(
                f"subscription {subscription}: table {table} not ready after {timeout:g} s "
                f"(state {state!r}, not 'r'); see {context.warehouse.log_file}"
            )
        time.sleep(0.1)


def unsubscribe(context: Context, database: str) -> None:
    """Drop every subscription of the warehouse's *database*, and its slot on the source.

    DROP SUBSCRIPTION connects to the source and drops the slot there. It would
    wait for a source that doesn't answer as long as it takes (PostgreSQL 15's
    replication connections ignore connect_timeout), so such a subscription is
    first disabled and detached from its slot, then dropped; the slot is dropped
    on the source if it answers by then, and reported otherwise.
    """
    exists = f"SELECT count(*) FROM pg_database WHERE datname = {literal(database)}"
    if context.psql(context.warehouse, exists, "postgres") == "0":
        return
    by_name = {subscription_name(source): source for source in context.sources}
    for name, slot in subscriptions(context, database).items():
        source = by_name.get(name)
        drop = f"DROP SUBSCRIPTION {identifier(name)}"
        if source is None or answers(source):
            try:
                context.psql(context.warehouse, drop, database)
                continue
            except context.error:
                if source is None:
                    raise
        for change in ("DISABLE", "SET (slot_name = NONE)"):
            context.psql(
                context.warehouse, f"ALTER SUBSCRIPTION {identifier(name)} {change}", database
            )
        context.psql(context.warehouse, drop, database)
        if slot and not (answers(source) and drop_slot(context, source, slot)):
            print(
                f"pg_warehouse: slot {slot} may be left on {source.name}; drop it there with "
                f"SELECT pg_drop_replication_slot('{slot}')",
                flush=True,
            )


def subscription_lag(context: Context, database: str) -> dict[str, float | None]:
    """Seconds since each source's subscription last heard from its source.

    None when *database* has no such subscription, or no worker applies it.
    """
    lag = {name: None for name in map(subscription_name, context.sources)}
    for name, (_, seconds) in subscription_rows(context, database).items():
        lag[name] = float(seconds) if seconds else None
    return lag


def subscription_states(context: Context, database: str) -> dict[str, str]:
    """One phrase per source's subscription in *database*, for ``pg_topology.py status``."""
    try:
        rows = subscription_rows(context, database)
    except context.error:
        return {name: f"no database {database}" for name in map(subscription_name, context.sources)}
    states = {}
    for name in map(subscription_name, context.sources):
        if name not in rows:
            states[name] = "not subscribed"
            continue
        enabled, seconds = rows[name]
        if not enabled:
            states[name] = "disabled"
        elif not seconds:
            states[name] = f"no worker applying it; see {context.warehouse.log_file}"
        else:
            states[name] = f"streaming, last message {seconds} s ago"
    return states


def subscription_rows(context: Context, database: str) -> dict[str, tuple[bool, str]]:
    """``{subscription: (enabled, seconds since its apply worker's last message or "")}``."""
    sql = (
        "SELECT s.subname, s.subenabled, COALESCE(EXTRACT(EPOCH FROM now() - "
        "w.last_msg_receipt_time)::numeric(10,1)::text, '') FROM pg_subscription s "
        "LEFT JOIN pg_stat_subscription w ON w.subid = s.oid AND w.relid IS NULL "
        f"WHERE s.{THIS_DATABASE} ORDER BY 1"
    )
    rows = {}
    for line in context.psql(context.warehouse, sql, database).splitlines():
        name, enabled, seconds = line.split("|")
        rows[name] = (enabled == "t", seconds)
    return rows


def subscriptions(context: Context, database: str) -> dict[str, str]:
    """``{subscription: its slot on the source ("" when detached)}`` in *database*."""
    sql = f"SELECT subname, COALESCE(subslotname, '') FROM pg_subscription WHERE {THIS_DATABASE}"
    output = context.psql(context.warehouse, sql, database)
    return dict(line.split("|") for line in output.splitlines())


def answers(server, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether *server* answers a new connection on 127.0.0.1 within *timeout* seconds.

    A running server answers the SSLRequest with one byte, S or N. A stopped
    one refuses the connection; a hung one (SIGSTOPped) lets the kernel accept
    it and never answers. Closing before the startup packet leaves no log line.
    """
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
            sock.sendall(SSL_REQUEST)
            return sock.recv(1) in (b"S", b"N")
    except OSError:
        return False


def has_publication(context: Context, source, database: str) -> bool:
    sql = f"SELECT count(*) FROM pg_publication WHERE pubname = {literal(PUBLICATION)}"
    return context.psql(source, sql, database) != "0"


def drop_slot(context: Context, source, slot: str) -> bool:
    """Drop *slot* on *source* unless a walsender is using it; return whether it is gone."""
    where = f"FROM pg_replication_slots WHERE slot_name = {literal(slot)}"
    try:
        context.psql(
            source, f"SELECT pg_drop_replication_slot(slot_name) {where} AND NOT active", "postgres"
        )
        return context.psql(source, f"SELECT count(*) {where}", "postgres") == "0"
    except context.error:
        return False


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
