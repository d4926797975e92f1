"""Connection reuse on the real topology: connections kept, and checked before first use.

``DATABASE_CONN_MAX_AGE`` keeps each PostgreSQL connection open across
requests, and ``routers.health`` runs Django's ``CONN_HEALTH_CHECKS`` check
itself, before routing to a reused connection, with the connect timeout as
its bound (``thread_connections.check_reused``). Django's test client doesn't run
``close_old_connections`` around its requests, so each test calls it where a
new request would start.
"""

import contextlib
import os
import signal

import pytest
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connections, router

from routers import reason_for, recording
from routers.health import health
from tests.postgres.test_failover import topology  # noqa: F401  (the fixture)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]
User = get_user_model()


def backend_pid(alias: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def next_request() -> None:
    """What the start of a request does to this thread's connections."""
    close_old_connections()


def read_user() -> str:
    with recording():
        alias = router.db_for_read(User)
        return alias, reason_for(alias)


def test_every_postgres_alias_keeps_its_connections_and_checks_them(settings):
    for alias, config in settings.DATABASES.items():
        if config["ENGINE"].endswith("postgresql"):
            assert config["CONN_MAX_AGE"] > 0, alias
            assert config["CONN_HEALTH_CHECKS"] is True, alias


def test_a_connection_is_kept_across_requests():
    assert read_user()[0] == "replica"
    first = backend_pid("replica")
    next_request()
    assert read_user() == ("replica", "round-robin")
    assert backend_pid("replica") == first


def test_a_connection_broken_by_a_restart_is_discarded_not_handed_out(topology):  # noqa: F811
    read_user()
    before = backend_pid("replica")
    topology.stop(topology.STANDBY, mode="fast")
    topology.start(topology.STANDBY)
    next_request()
    assert read_user() == ("replica", "round-robin")
    assert backend_pid("replica") != before  # a new connection, and it works
    assert not health.is_down("replica")


def test_a_reused_connection_to_a_stopped_server_is_a_failure_health_sees(topology):  # noqa: F811
    read_user()
    topology.stop(topology.STANDBY)
    next_request()
    alias, reason = read_user()
    assert alias == "default"
    assert health.is_down("replica")
    assert reason.startswith("replica down: cooling down")


def test_a_reused_connection_to_a_hung_backend_is_given_up_after_the_connect_timeout(
    topology,  # noqa: F811
):
    """No answer to the check: the connection is closed and the replica marked down.

    Django's own check would wait for the answer forever. The backend serving
    this connection is stopped (SIGSTOP), as a server that accepts and never
    answers.
    """
    read_user()
    pid = backend_pid("replica")
    os.kill(pid, signal.SIGSTOP)
    try:
        next_request()
        alias, reason = read_user()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    assert alias == "default"
    assert reason.startswith("replica not answering: no answer to SELECT 1 within connect_timeout")
    assert health.error("replica").startswith("no answer to SELECT 1")
    assert connections["replica"].connection is None  # given up, never handed out


def test_the_monitor_gives_up_its_own_connection_to_a_hung_backend(topology):  # noqa: F811
    """health.tidy(), between two lag measurements: the same bounded check as a request's."""
    health.measure("replica", "default")  # this thread's connections, as the monitor's
    pid = backend_pid("replica")
    os.kill(pid, signal.SIGSTOP)
    try:
        health.tidy("replica")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    assert health.is_down("replica")
    assert health.error("replica").startswith("no answer to SELECT 1")
    assert connections["replica"].connection is None
