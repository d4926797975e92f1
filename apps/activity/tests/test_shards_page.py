"""The staff page of the shard map: the map, its counts and moves, and a move started from it.

The move runs in a background thread on the site; here it runs in the
request's own thread (``_launch`` replaced), so it sees the test's rows. The
browser test runs it for real (tests/e2e/test_shard_move_in_browser.py).
"""

import pytest
from django.urls import reverse

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from apps.activity import services
from apps.activity.models import Event
from apps.activity.tests.conftest import DATABASES, ON_SHARD_0, physical_events
from routers.shard_map import read_map

pytestmark = pytest.mark.django_db(databases=DATABASES)
SHARDS = reverse("activity:shards")


@pytest.fixture(autouse=True)
def fresh_copy(settings, fresh_shard_map):
    """Map changes roll back with each test; no copy of them may outlive it. No grace wait."""
    settings.DATABASE_SHARDING = {**settings.DATABASE_SHARDING, "MAP_REFRESH_SECONDS": 0}


@pytest.fixture
def staff_client(client):
    UserFactory(username="mover", is_staff=True)
    assert client.login(username="mover", password=DEFAULT_PASSWORD)
    return client


@pytest.fixture
def inline(monkeypatch):
    monkeypatch.setattr(services, "_launch", lambda mover: mover.run())


def test_only_staff_see_it(client):
    assert client.get(SHARDS).status_code == 302  # to log in
    UserFactory(username="someone")
    client.login(username="someone", password=DEFAULT_PASSWORD)
    assert client.get(SHARDS).status_code == 403
    assert client.post(SHARDS, {"logical_shard": 5, "target": "shard_1"}).status_code == 403


def test_it_shows_the_map_version_each_logical_shard_its_database_and_rows(staff_client, near):
    Event.objects.create(user=near, kind=Event.Kind.PAGE_VIEWED)
    page = staff_client.get(SHARDS).content.decode()
    assert 'data-testid="map-version">v1<' in page
    assert '<tr data-logical-shard="5" data-alias="shard_0">' in page
    assert '<tr data-logical-shard="40" data-alias="shard_1">' in page
    row = page.split('data-logical-shard="5"')[1].split("</tr>")[0]
    assert "<td>1</td>" in row
    assert "No moves yet." in page


def test_a_move_started_here_runs_and_is_listed_with_its_steps(staff_client, near, inline):
    Event.objects.create(user=near, kind=Event.Kind.PAGE_VIEWED)
    response = staff_client.post(SHARDS, {"logical_shard": 5, "target": "shard_1"}, follow=True)
    page = response.content.decode()
    assert "Moving logical shard 5 from shard_0 to shard_1" in page
    assert read_map().alias_for(5) == "shard_1"
    assert [user_id for user_id, *_ in physical_events("shard_1")] == [ON_SHARD_0]
    assert physical_events("shard_0") == []
    assert 'data-status="done"' in page
    for step in ("copy", "catch_up", "freeze", "verify", "switch", "cleanup"):
        assert f'<span class="step-done" title="done">{step} ' in page
    assert '<tr data-logical-shard="5" data-alias="shard_1">' in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"logical_shard": 5, "target": "shard_0"}, "Logical shard 5 is already on shard_0."),
        ({"logical_shard": 64, "target": "shard_1"}, "Select a valid choice. 64 is not one"),
        ({"logical_shard": "x", "target": "shard_1"}, "Select a valid choice. x is not one"),
        ({"logical_shard": 5, "target": "default"}, "Select a valid choice. default is not one"),
        ({"action": "resume", "logical_shard": 5}, "Logical shard 5 has no move to resume."),
        ({"action": "abort", "logical_shard": 5}, "Logical shard 5 has no move to abort."),
        ({"action": "delete", "logical_shard": 5}, "Unknown action: use the Resume or Abort"),
    ],
)
def test_a_mistake_is_said_on_the_page_never_an_error_page(staff_client, data, error, inline):
    response = staff_client.post(SHARDS, data, follow=True)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert read_map().version == 1


def test_a_move_can_be_aborted_from_here_before_its_switch(staff_client, near):
    # started without running its steps, as if the process running it had stopped
    from routers.shard_move import start_move

    start_move(5, "shard_1")
    page = staff_client.get(SHARDS).content.decode()
    assert "→ moving to <span" in page and 'data-status="running"' in page
    response = staff_client.post(SHARDS, {"action": "abort", "logical_shard": 5}, follow=True)
    assert "Aborted: logical shard 5 stays where it was" in response.content.decode()
    assert read_map().alias_for(5) == "shard_0"
