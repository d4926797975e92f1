"""Databases without a replica (blog_db, shop_db) get the same failover rules as any other.

While one can't be reached: the pages that need it answer at once with a 503
that names it (a read "can't be shown", a write "nothing you sent was
saved"); requests during its cooldown make no connection attempt; pages that
don't need it make none either; and once it answers again it is marked up.
``tests.support.unreachable`` points the alias where nothing answers, so each
attempt fails for real.
"""

import pytest
from django.db import DatabaseError, OperationalError, connection, connections
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from routers.degraded import DegradedModeMiddleware
from routers.health import DatabaseUnavailable, health
from tests.support import unreachable

pytestmark = pytest.mark.django_db(
    transaction=True, databases=["default", "replica", "blog_db", "shop_db", "shard_0", "shard_1"]
)


@pytest.fixture
def attempts(monkeypatch):
    """Count connection attempts on each alias (the real ones still run)."""
    counts: dict[str, int] = {}

    def counting(alias):
        wrapper = connections[alias]
        real = wrapper.connect

        def connect():
            counts[alias] = counts.get(alias, 0) + 1
            return real()

        monkeypatch.setattr(wrapper, "connect", connect)

    return counts, counting


def served(response) -> set[str]:
    header = response["X-DB-Queries"]
    return set() if header == "none" else {part.split("=")[0] for part in header.split(", ")}


def test_a_page_that_needs_a_database_that_is_down_is_a_503_naming_it(client, attempts):
    counts, counting = attempts
    with unreachable("blog_db"):
        counting("blog_db")
        first = client.get("/blog/")
        second = client.get("/blog/", headers={"Accept": "application/json"})
        assert health.is_down("blog_db")
    assert first.status_code == 503 and 1 <= int(first["Retry-After"]) <= 30
    assert b"Temporarily unavailable" in first.content
    assert b"blog_db can&#x27;t be reached right now, so this page can&#x27;t be shown" in (
        first.content
    )
    assert second.status_code == 503
    assert second.json()["error"] == "unavailable" and second.json()["database"] == "blog_db"
    assert counts == {"blog_db": 1}  # the second request knew, and didn't try


def test_a_write_to_a_database_that_is_down_says_nothing_was_saved(client):
    UserFactory(username="writer")
    assert client.login(username="writer", password=DEFAULT_PASSWORD)
    with unreachable("blog_db"):
        response = client.post("/blog/new/", {"title": "Lost?", "content": "c"})
    assert response.status_code == 503
    assert b"blog_db can&#x27;t be reached right now, so nothing you sent was saved" in (
        response.content
    )
    with connections["blog_db"].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM blog_post")
        assert cursor.fetchone() == (0,)


def test_pages_that_dont_need_it_make_no_attempt_on_it(client, attempts):
    counts, counting = attempts
    with unreachable("blog_db"):
        counting("blog_db")
        assert client.get("/blog/").status_code == 503
        response = client.get("/read-your-writes/")
    assert response.status_code == 200
    assert "blog_db" not in served(response)
    assert counts == {"blog_db": 1}  # the /blog/ attempt only: nothing probed it again


def test_once_it_answers_again_after_the_cooldown_it_is_marked_up(client, settings):
    settings.MULTIDB_REPLICA_COOLDOWN_SECONDS = 0.05
    with unreachable("blog_db"):
        assert client.get("/blog/").status_code == 503
        error = health.error("blog_db")
        assert health.is_down("blog_db") and error
    # unreachable() forgets health on the way out; put back what the outage left.
    health.mark_down("blog_db", error)
    while health.cooling_down("blog_db"):
        pass  # 0.05 s
    assert client.get("/blog/").status_code == 200
    assert not health.is_down("blog_db")
    assert health.snapshot()["blog_db"]["down"] is False


def test_an_sql_error_is_not_a_server_that_is_down():
    """Only connection failures mark a database down; degraded mode lets other errors be.

    (SQLite says OperationalError, PostgreSQL ProgrammingError; a statement timeout on
    PostgreSQL is in tests/postgres/test_failover.py.)
    """
    with pytest.raises(DatabaseError) as error, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    request = RequestFactory().get("/")
    assert DegradedModeMiddleware(lambda r: None).process_exception(request, error.value) is None
    assert not health.is_down("default")


def test_the_home_page_says_a_database_is_down_not_that_it_needs_migrating(client):
    with unreachable("blog_db"):
        first = client.get("/")
        second = client.get("/")  # cooling down now: not asked
    for response in (first, second):
        assert response.status_code == 200
        content = response.content.decode()
        assert "migrate_all" not in content
    assert "blog_db down: cooling down" in first.content.decode()
    assert "blog_db down: cooling down" in second.content.decode()


def test_the_monitor_marks_a_database_that_is_back_up_without_any_request(settings):
    """What each process's background thread runs every interval: one attempt per database
    whose cooldown is over. So a worker that never serves /blog/ recovers too."""
    settings.MULTIDB_REPLICA_COOLDOWN_SECONDS = 0.05
    with unreachable("blog_db"):
        health.require("default")  # nothing wrong there
        with pytest.raises(DatabaseUnavailable):
            health.require("blog_db")
        while health.cooling_down("blog_db"):
            pass  # 0.05 s
        health.recover()  # still unreachable: a new cooldown
        assert health.cooling_down("blog_db") > 0
        error = health.error("blog_db")
    health.mark_down("blog_db", error)  # unreachable() forgets health on the way out
    while health.cooling_down("blog_db"):
        pass
    health.recover()  # the real blog_db answers
    assert not health.is_down("blog_db")


def test_finding_the_failed_alias_never_evaluates_a_lazy_object_in_the_traceback():
    """request.user is a lazy object; evaluating it would query the broken connection again."""

    def failing_call(self):
        raise OperationalError("the connection is closed")

    lazy = SimpleLazyObject(lambda: pytest.fail("the lazy object was evaluated"))
    with pytest.raises(OperationalError) as error:
        failing_call(lazy)
    request = RequestFactory().get("/")
    assert DegradedModeMiddleware(lambda r: None).process_exception(request, error.value) is None
