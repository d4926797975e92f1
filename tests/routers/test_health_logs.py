"""``routers.health`` logs each change of a database's health once, not once per request.

Health is per process, so a line per request (or per failed retry, or per thread
that met the outage) would bury the one that says when it changed. A database
that goes down logs one warning; requests during its cooldown and retries that
fail again log nothing more at INFO; coming back logs one line.
"""

import logging

import pytest

from routers.health import health
from tests.support import unreachable

pytestmark = pytest.mark.django_db(
    transaction=True, databases=["default", "replica", "blog_db", "shop_db", "shard_0", "shard_1"]
)


def lines(caplog, alias: str) -> list[str]:
    return [
        f"{record.levelname} {record.getMessage()}"
        for record in caplog.records
        if record.name == "routers.health" and record.getMessage().startswith(alias)
    ]


def test_a_database_going_down_is_logged_once_however_many_requests_meet_it(client, caplog):
    caplog.set_level(logging.INFO, logger="routers.health")
    with unreachable("blog_db"):
        statuses = [client.get("/blog/").status_code for _ in range(5)]
    assert statuses == [503] * 5
    [line] = lines(caplog, "blog_db")
    assert line.startswith("WARNING blog_db marked down for ")


def test_a_retry_that_fails_again_logs_nothing_new_and_coming_back_logs_once(client, caplog):
    caplog.set_level(logging.INFO, logger="routers.health")
    with unreachable("blog_db"):
        assert client.get("/blog/").status_code == 503
        assert not health.probe("blog_db")  # the monitor's retries, still refused
        assert not health.probe("blog_db")
        assert len(lines(caplog, "blog_db")) == 1
        error = health.error("blog_db")
    health.mark_down("blog_db", error)  # unreachable() forgets health on the way out
    caplog.clear()
    assert health.probe("blog_db") and health.probe("blog_db")  # the real blog_db answers
    assert lines(caplog, "blog_db") == ["INFO blog_db is back"]
