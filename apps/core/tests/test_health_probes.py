"""The probes' URLs: liveness opens no connection; readiness is 503 while a primary is down.

``/health/ready/`` is ``routers.contrib.health_check.ReadinessView``; its
checks run in threads of their own, so a server is made "down" here the way
a failed request leaves it, with ``health.mark_down()``, which the checks
honour without connecting. Stopped PostgreSQL servers are
tests/postgres/test_health_check.py; each check against a server that
refuses connections is tests/routers/test_contrib_health_check.py.
"""

from contextlib import ExitStack

import pytest
from django.db import connections
from django.db.backends.signals import connection_created
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from routers.health import health
from tests.subprocess_env import database_env, manage

LIVE = reverse("health_live")
READY = reverse("health_ready")
JSON = {"HTTP_ACCEPT": "application/json"}

pytestmark = pytest.mark.django_db(databases="__all__")


def test_liveness_answers_200_and_opens_no_connection_to_any_database(client):
    """No connection opened in any thread, no query on any alias, even while one is down."""
    health.mark_down("default", "connection refused")
    opened: list[str] = []

    def record(*, connection, **kwargs):
        opened.append(connection.alias)

    connection_created.connect(record, weak=False)
    try:
        with ExitStack() as stack:
            captured = [
                stack.enter_context(CaptureQueriesContext(connections[alias]))
                for alias in connections
            ]
            response = client.get(LIVE)
    finally:
        connection_created.disconnect(record)
    assert response.status_code == 200 and response.content == b"alive\n"
    assert opened == []
    assert [query for each in captured for query in each.captured_queries] == []
    assert response["X-DB-Queries"] == "none"
    assert response["Cache-Control"].startswith("max-age=0")


def test_readiness_answers_200_when_every_database_answers(client):
    response = client.get(READY, **JSON)
    assert response.status_code == 200
    assert set(response.json().values()) == {"OK"}
    assert len(response.json()) == len(connections.settings)


@pytest.mark.parametrize("primary", ["default", "shop_db"])
def test_readiness_answers_503_while_a_primary_is_down(client, primary):
    health.mark_down(primary, "connection refused")
    response = client.get(READY, **JSON)
    assert response.status_code == 503
    assert response.json()[f"RoutedDatabase(alias='{primary}')"].startswith(
        f"Unavailable: {primary} down: cooling down"
    )


def test_readiness_answers_200_with_a_warning_while_only_a_replica_is_down(client):
    health.mark_down("replica", "connection refused")
    response = client.get(READY, **JSON)
    assert response.status_code == 200
    assert response.json()["RoutedDatabase(alias='replica')"].startswith(
        "Warning: replica down: cooling down"
    )


def test_readiness_in_text_for_a_probe_and_html_for_a_person(client):
    health.mark_down("default", "connection refused")
    text = client.get(READY, HTTP_ACCEPT="text/plain")
    assert text.status_code == 503
    assert "RoutedDatabase(alias='default'): Unavailable: default down" in text.content.decode()
    page = client.get(READY, HTTP_ACCEPT="text/html")
    assert page.status_code == 503 and b"<table" in page.content


def test_both_probes_answer_plain_http_when_demo_mode_forces_https(tmp_path):
    """DEMO_MODE=false redirects to HTTPS; the image's HEALTHCHECK asks http://127.0.0.1:8000."""
    env = database_env(tmp_path) | {
        "DEMO_MODE": "false",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "test-only-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "MULTIDB_REPLICA_LAG_INTERVAL": "0",
    }
    asked = (
        "from django.test import Client; c = Client(HTTP_HOST='127.0.0.1:8000'); "
        f"print(*(c.get(path).status_code for path in ['{LIVE}', '{READY}', '/']))"
    )
    finished = manage("shell", "-c", asked, env=env)
    live, ready, home = finished.stdout.splitlines()[-1].split()
    # Ready may be 503 here: a read-only alias whose file its owner's check
    # hasn't created yet can't be opened. Either way it is answered, not redirected.
    assert (live, home) == ("200", "301") and ready in {"200", "503"}, finished.stderr
