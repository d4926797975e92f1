"""The failover lab on the real topology: its outage is this request's alone, and over with it.

The lab points one thread's connection where nothing answers; the servers
themselves are never touched. So while and after it runs, another thread
connects to every database, the roles keep their connection limits, and
``routers.health`` has nothing marked down.
"""

import threading

import pytest
from django.db import connections

from routers.health import health

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica", "blog_db", "shop_db"]),
]
ALIASES = ("default", "replica", "blog_db", "shop_db")


def answers_from_another_thread() -> dict[str, object]:
    """``SELECT 1`` on every alias from a fresh thread, with fresh connections."""
    answers = {}

    def ask():
        for alias in ALIASES:
            try:
                with connections[alias].cursor() as cursor:
                    cursor.execute("SELECT 1")
                    answers[alias] = cursor.fetchone()[0]
            except Exception as error:  # reported by the assertion, not raised in the thread
                answers[alias] = error
            finally:
                connections[alias].close()

    thread = threading.Thread(target=ask)
    thread.start()
    thread.join(timeout=30)
    return answers


@pytest.mark.parametrize("alias", ALIASES)
def test_after_a_run_every_database_answers_and_nothing_is_marked_down(staff_client, alias):
    response = staff_client.post("/patterns/failover/", {"alias": alias, "run": "1"})
    experiment = response.context["experiment"]
    assert experiment["ran"] and experiment["where"] == "127.0.0.1:1"
    assert 'data-testid="simulated"' in response.text
    assert "<code>127.0.0.1:1</code>" in response.text
    assert answers_from_another_thread() == dict.fromkeys(ALIASES, 1)
    assert not any(health.is_down(name) for name in ALIASES)
    for name in ALIASES:
        assert connections[name].settings_dict["PORT"] != "1"


def test_the_app_roles_keep_their_connection_limits(staff_client):
    staff_client.post("/patterns/failover/", {"alias": "default", "run": "1"})
    staff_client.post("/patterns/failover/", {"alias": "replica", "run": "1"})
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT rolname, rolconnlimit FROM pg_roles"
            " WHERE rolname IN ('app', 'app_readonly') ORDER BY rolname"
        )
        assert cursor.fetchall() == [("app", -1), ("app_readonly", -1)]
