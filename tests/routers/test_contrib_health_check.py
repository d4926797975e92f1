"""routers/contrib/health_check.py: each database's check, as django-health-check runs it.

A server made unreachable (``tests.support.unreachable``) refuses the check's
connection with the driver's own error; ``health.mark_down()`` puts the
registry where a failed request would. The readiness URL built on these
checks is tested in apps/core/tests/test_health_probes.py, and against
stopped PostgreSQL servers in tests/postgres/test_health_check.py.
"""

import asyncio
import time

import pytest
from django.db import connections
from django.db.backends.signals import connection_created
from health_check.exceptions import ServiceUnavailable, ServiceWarning

from routers.contrib.health_check import RoutedDatabase, routed_databases
from routers.health import Lag, health
from tests.support import unreachable

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def connections_opened():
    """Every connection opened in any thread while the test runs, by alias."""
    opened: list[str] = []

    def record(*, connection, **kwargs):
        opened.append(connection.alias)

    connection_created.connect(record, weak=False)
    yield opened
    connection_created.disconnect(record)


def result_of(check: RoutedDatabase):
    """The check run as django-health-check runs it: in a thread, with its time limit."""
    return asyncio.run(check.get_result())


def test_every_database_answers_and_each_check_passes():
    results = [result_of(check) for check in routed_databases()]
    assert {result.check.alias: result.error for result in results} == {
        alias: None for alias in connections.settings
    }


def test_a_primary_that_cannot_be_reached_fails_and_is_marked_down():
    """The check really connects, and what it learns is what the routers learn."""
    with unreachable("blog_db"):
        with pytest.raises(ServiceUnavailable) as failed:
            RoutedDatabase("blog_db").run()
        assert health.is_down("blog_db") and health.cooling_down("blog_db") > 0
    assert str(failed.value).startswith("Unavailable: blog_db down")


def test_a_replica_that_cannot_be_reached_is_a_warning_naming_where_its_reads_go():
    with unreachable("replica"):
        with pytest.raises(ServiceWarning) as warned:
            RoutedDatabase("replica").run()
        assert health.is_down("replica")
    assert str(warned.value).endswith("its reads go to default")


def test_a_primary_cooling_down_fails_at_once_and_opens_no_connection(connections_opened):
    health.mark_down("default", "connection refused")
    connections["default"].close()  # a no-op on an in-memory SQLite test database
    with pytest.raises(ServiceUnavailable, match=r"default down: cooling down \d+ s"):
        RoutedDatabase("default").run()
    assert connections_opened == []


def test_a_lagging_replica_is_a_warning_and_a_primary_is_never_judged_by_lag(settings):
    settings.MULTIDB_MAX_REPLICA_LAG = {"seconds": None, "bytes": 0}
    # What the lag monitor leaves after a measurement (only PostgreSQL has lag to measure).
    health._state("replica").lag = Lag(seconds=0.0, bytes=10, measured_at=time.monotonic())
    health.limits_changed()
    with pytest.raises(ServiceWarning, match="replica lagging 10 bytes > 0 bytes"):
        RoutedDatabase("replica").run()
    RoutedDatabase("default").run()


def test_the_time_limit_covers_a_connection_and_a_query_each_bounded_by_connect_timeout():
    check = RoutedDatabase("default")
    seconds = connections.settings["default"].get("OPTIONS", {}).get("connect_timeout")
    assert check.timeout.total_seconds() == (2 * seconds if seconds else 5)


def test_an_alias_not_in_databases_fails_with_its_name():
    with pytest.raises(ServiceUnavailable, match="nowhere is not in DATABASES"):
        RoutedDatabase("nowhere").run()


def test_the_message_names_no_host_port_or_user():
    """django-health-check shows messages to anyone; the driver's error stays in the log."""
    with unreachable("shop_db"), pytest.raises(ServiceUnavailable) as failed:
        RoutedDatabase("shop_db").run()  # in this thread: unreachable() is per thread
    assert str(failed.value) == "Unavailable: shop_db down: cooling down 30 s"
