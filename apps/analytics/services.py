"""Writes to the warehouse, all through its owner's alias: refreshes and the SQLite copy."""

import time
from dataclasses import dataclass

from django.db import connections, transaction
from django.utils import timezone

from . import replication
from .replication import REPLICATED, owner_alias

# PostgreSQL refreshes these CONCURRENTLY: readers keep the old rows meanwhile.
MATERIALIZED_VIEWS = ["daily_product_revenue"]
SYNC_LOG_NAME = "sync_warehouse"

# SQLite has no materialized views: the same rows, rebuilt in one transaction.
SQLITE_REBUILD = {
    "daily_product_revenue": """
        INSERT INTO daily_product_revenue (day, product_id, product_name, units, orders, revenue)
        SELECT date(created_at), product_id, max(product_name), sum(quantity),
               count(DISTINCT order_id), sum(revenue)
        FROM order_lines
        GROUP BY date(created_at), product_id
    """,
}


@dataclass(frozen=True)
class Refreshed:
    name: str
    rows: int
    duration_ms: float


@dataclass(frozen=True)
class Synced:
    table: str
    inserted: int
    updated: int
    deleted: int


def reports_refresh() -> list[Refreshed]:
    """Refresh every materialized view and record when (``refresh_log``)."""
    connection = connections[owner_alias()]
    done = []
    for name in MATERIALIZED_VIEWS:
        started = time.perf_counter()
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY analytics.{name}")
            else:
                cursor.execute(f"DELETE FROM {name}")
                cursor.execute(SQLITE_REBUILD[name])
            cursor.execute(f"SELECT count(*) FROM {_qualified(connection, name)}")
            rows = cursor.fetchone()[0]
            duration_ms = (time.perf_counter() - started) * 1000
            _log(cursor, connection, name, duration_ms, rows)
        done.append(Refreshed(name, rows, duration_ms))
    return done


def warehouse_sync() -> list[Synced]:
    """Copy the replicated columns from each source into the SQLite warehouse.

    Incremental and idempotent: each table is compared with its source by
    primary key, and only rows that are new, changed or gone are written, in
    one transaction per run. A second run with nothing new writes nothing.
    PostgreSQL's warehouse is fed by logical replication instead.
    """
    connection = connections[owner_alias()]
    if connection.vendor == "postgresql":
        raise ValueError(
            "The PostgreSQL warehouse is fed by logical replication; "
            "sync_warehouse is for the embedded SQLite one."
        )
    replication.ensure_copies()
    started = time.perf_counter()
    results = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for item in REPLICATED:
            results.append(_sync_table(item, cursor, connection))
        rows = sum(r.inserted + r.updated + r.deleted for r in results)
        _log(cursor, connection, SYNC_LOG_NAME, (time.perf_counter() - started) * 1000, rows)
    return results


def _sync_table(item, cursor, connection) -> Synced:
    quote = connection.ops.quote_name
    columns = item.columns()
    listed = ", ".join(quote(c) for c in columns)
    pk_index = columns.index(item.pk)
    with connections[item.source].cursor() as source:
        source.execute(f"SELECT {listed} FROM {quote(item.table)}")
        wanted = {row[pk_index]: tuple(row) for row in source.fetchall()}
    cursor.execute(f"SELECT {listed} FROM {quote(item.table)}")
    have = {row[pk_index]: tuple(row) for row in cursor.fetchall()}
    new = [row for key, row in wanted.items() if key not in have]
    changed = [row for key, row in wanted.items() if key in have and have[key] != row]
    gone = [(key,) for key in have if key not in wanted]
    marks = ", ".join(["%s"] * len(columns))
    if new:
        cursor.executemany(f"INSERT INTO {quote(item.table)} ({listed}) VALUES ({marks})", new)
    if changed:
        assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
        cursor.executemany(
            f"UPDATE {quote(item.table)} SET {assignments} WHERE {quote(item.pk)} = %s",
            [row + (row[pk_index],) for row in changed],
        )
    if gone:
        cursor.executemany(f"DELETE FROM {quote(item.table)} WHERE {quote(item.pk)} = %s", gone)
    return Synced(item.table, len(new), len(changed), len(gone))


def _qualified(connection, name: str) -> str:
    return f"analytics.{name}" if connection.vendor == "postgresql" else name


def _log(cursor, connection, name: str, duration_ms: float, rows: int) -> None:
    now = timezone.now() if connection.vendor == "postgresql" else timezone.now().isoformat()
    cursor.execute(
        f"INSERT INTO {_qualified(connection, 'refresh_log')} "
        "(name, refreshed_at, duration_ms, row_count) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET refreshed_at = excluded.refreshed_at, "
        "duration_ms = excluded.duration_ms, row_count = excluded.row_count",
        [name, now, duration_ms, rows],
    )
