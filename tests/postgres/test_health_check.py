"""django-health-check on the real topology: ``default`` stopped, hung, then back again.

``manage.py health_check health_ready --no-http`` runs the readiness URL's
checks (``routers.contrib.health_check``) in a process of its own, which
has tried no database yet: it fails only because it asks the servers. The
readiness URL is asked through the test client; its checks run in threads
of their own, which connect to the test databases. The ``topology`` fixture
brings every server back, and the standby in step, pass or fail.
"""

import os
import time

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from routers.health import health
from tests.postgres import servers
from tests.subprocess_env import manage

pytestmark = [
    pytest.mark.postgres,
    # Every alias: the checks connect to each, from threads of their own.
    pytest.mark.django_db(transaction=True, databases="__all__"),
]
READY = reverse("health_ready")
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def topology():
    port = connections["default"].settings_dict["PORT"]
    assert str(port) == str(servers.port_of("primary")), (
        f"default is on port {port}, not on the topology's primary: run the tests with the "
        "same PG_TOPOLOGY_DIR and PG_TOPOLOGY_PORT as scripts/pg_topology.py"
    )
    servers.wait_for_standby()
    health.reset()
    try:
        yield servers
    finally:
        try:
            servers.restore()
        finally:
            health.reset()
            for connection in connections.all(initialized_only=True):
                connection.close()  # broken by a stopped server; the next use reconnects


def health_check_command():
    """``manage.py health_check`` on the readiness URL's checks, in a process of its own."""
    env = {**os.environ, "MULTIDB_REPLICA_LAG_INTERVAL": "0"}
    return manage("health_check", "health_ready", "--no-http", env=env)


def test_health_check_command_fails_while_default_is_stopped_and_passes_once_it_is_back(
    topology,
):
    before = health_check_command()
    assert before.returncode == 0, before.stdout + before.stderr

    topology.stop("primary")
    down = health_check_command()
    assert down.returncode == 1, down.stdout + down.stderr
    assert "RoutedDatabase(alias='default'): Unavailable: default down" in down.stdout
    assert "RoutedDatabase(alias='replica'): OK" in down.stdout  # the standby still answers

    topology.start("primary")
    back = health_check_command()
    assert back.returncode == 0, back.stdout + back.stderr


def test_readiness_is_503_while_default_is_stopped_and_200_once_it_is_back(topology, settings):
    settings.MULTIDB_REPLICA_COOLDOWN_SECONDS = 0.2  # so the wait below is short
    client = Client()
    assert client.get(READY, **JSON).status_code == 200

    topology.stop("primary")
    down = client.get(READY, **JSON)
    assert down.status_code == 503
    assert down.json()["RoutedDatabase(alias='default')"].startswith("Unavailable: default")
    assert down.json()["RoutedDatabase(alias='replica')"] == "OK"
    assert health.is_down("default")  # the check's failure is the routers' knowledge too

    topology.start("primary")
    deadline = time.monotonic() + 30
    while (status := client.get(READY, **JSON).status_code) != 200:
        assert time.monotonic() < deadline, f"readiness still {status} 30 s after the restart"
        time.sleep(0.1)
    assert not health.is_down("default")


def test_readiness_stays_200_with_a_warning_while_the_standby_is_stopped(topology):
    topology.stop("standby")
    response = Client().get(READY, **JSON)
    assert response.status_code == 200
    assert response.json()["RoutedDatabase(alias='replica')"].startswith("Warning: replica down")
    assert response.json()["RoutedDatabase(alias='replica')"].endswith("its reads go to default")
    assert response.json()["RoutedDatabase(alias='default')"] == "OK"


def test_readiness_is_503_while_default_accepts_no_connection_and_answers_nothing(topology):
    """A hung postmaster: the check's connection gives up at connect_timeout, not never."""
    topology.hang("primary")
    response = Client().get(READY, **JSON)
    assert response.status_code == 503
    assert response.json()["RoutedDatabase(alias='default')"].startswith("Unavailable: default")
    assert health.is_down("default")
