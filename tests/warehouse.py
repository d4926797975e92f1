"""The analytics warehouse in tests: subscribed to the test databases, and waited on by LSN.

Django's test databases are new databases on each server, so the demo's
subscriptions (on ``multidb``) don't feed them: ``subscribed()`` publishes the
sources' test databases (as ``migrate_all`` does) and subscribes the
warehouse's test database to them (as ``scripts/pg_topology.py subscribe``
does), then drops the subscriptions again, before Django drops the databases.
"""

import contextlib
import time

from django.db import connections

from apps.analytics import replication


@contextlib.contextmanager
def subscribed():
    """Publish each source's test database and subscribe the warehouse's to them."""
    from tests.postgres import servers

    database = connections[replication.owner_alias()].settings_dict["NAME"]
    for alias in replication.source_aliases():
        replication.publish(alias)
    servers.topology.subscribe(servers.bindir(), database)
    try:
        yield database
    finally:
        servers.topology.unsubscribe(servers.bindir(), database)
        clear_warehouse()


def clear_warehouse() -> None:
    """Empty the warehouse's copies, reports and refresh log.

    A transactional test's flush doesn't reach them: they belong to no model
    the routers let the warehouse hold. (While subscribed, PostgreSQL's copies
    follow the sources' flushes by replication; afterwards, they keep what
    they had.)
    """
    connection = connections[replication.owner_alias()]
    replication.ensure_copies()
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for item in replication.REPLICATED:
            cursor.execute(f"DELETE FROM {quote(item.table)}")
        if postgres:
            cursor.execute("REFRESH MATERIALIZED VIEW analytics.daily_product_revenue")
        else:
            cursor.execute("DELETE FROM daily_product_revenue")
        cursor.execute(f"DELETE FROM {'analytics.' if postgres else ''}refresh_log")


def wait_for_warehouse(*aliases: str, timeout: float = 30.0) -> None:
    """Return once the warehouse has applied everything *aliases* committed so far.

    Compares each source's ``pg_current_wal_lsn()`` with the
    ``confirmed_flush_lsn`` of the warehouse's logical slot on that source: the
    position up to which the subscriber says it has applied and flushed.
    """
    for alias in aliases or replication.source_aliases():
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            (target,) = cursor.fetchone()
        deadline = time.monotonic() + timeout
        while not _confirmed(alias, target):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the warehouse did not apply {alias} up to {target} within {timeout} s"
                )
            time.sleep(0.005)


def _confirmed(alias: str, target: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT bool_and(confirmed_flush_lsn >= %s::pg_lsn) FROM pg_replication_slots"
            " WHERE database = current_database() AND slot_type = 'logical'",
            [target],
        )
        return bool(cursor.fetchone()[0])
