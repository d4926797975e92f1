"""A replica that starts lagging, and catches up, is logged once each way on the real standby.

The monitor measures lag every interval; a line per measurement would fill the
log while nothing changes. ``routers.health`` logs when the replica crosses the
limit (a warning naming where reads go) and when it is back under it.
"""

import logging

import pytest
from django.test import override_settings

from apps.accounts.factories import UserFactory
from routers.health import health
from tests.postgres.test_topology import replay_paused
from tests.replication import wait_for_replay

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


@pytest.fixture(autouse=True)
def forgotten_lag():
    health.reset()
    yield
    health.reset()


def test_lagging_and_catching_up_are_each_logged_once(caplog):
    caplog.set_level(logging.INFO, logger="routers.health")
    with override_settings(MULTIDB_MAX_REPLICA_LAG={"seconds": None, "bytes": 0}):
        with replay_paused():
            UserFactory(username="written-while-paused")  # WAL the standby doesn't replay
            for _ in range(3):
                assert health.measure("replica", "default").bytes > 0
        wait_for_replay()
        for _ in range(3):
            assert health.measure("replica", "default").bytes == 0
    lines = [
        f"{record.levelname} {record.getMessage()}"
        for record in caplog.records
        if record.name == "routers.health"
    ]
    assert len(lines) == 2, lines
    assert lines[0].startswith("WARNING replica: replica lagging ")
    assert lines[0].endswith(" bytes > 0 bytes; reads go to default until it catches up")
    assert lines[1] == "INFO replica caught up with default"
