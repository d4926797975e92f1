"""The moving experiment: the shard map and a dry-run plan of moving one logical shard."""

import re

import pytest

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from apps.activity.models import Event
from apps.activity.services import event_record
from apps.activity.tests.conftest import DATABASES, ON_SHARD_0, physical_events
from routers.shard_map import read_map

pytestmark = pytest.mark.django_db(databases=DATABASES)
PAGE = "/patterns/moving-data/"


@pytest.fixture(autouse=True)
def near(fresh_shard_map):
    """A user in logical shard 5 (on shard_0) with two events."""
    near = UserFactory(pk=ON_SHARD_0, username="near")
    event_record(user=near, kind=Event.Kind.NOTE_SAVED)
    event_record(user=near, kind=Event.Kind.PAGE_VIEWED)
    return near


def result_of(response) -> str:
    assert response.status_code == 200
    return response.text.split('data-testid="result"', 1)[1].split("<h2>Settings</h2>", 1)[0]


def test_the_plan_names_the_rows_source_and_target_and_moves_nothing(client):
    version = read_map().version
    result = result_of(client.get(PAGE, {"logical_shard": "5", "to": "", "run": "1"}))

    assert re.search(r'data-db="shard_0">shard_0</span>: logical shards 0-31', result)
    assert re.search(r'data-db="shard_1">shard_1</span>: logical shards 32-63', result)
    assert re.search(r"from <span [^>]*>shard_0</span> to <span [^>]*>shard_1</span></h3>", result)
    assert "<td><code>activity.Event</code></td><td>2</td><td>0</td>" in result
    assert "Whose events: near (2)" in result
    assert re.search(
        r'routed to <span class="db" data-db="shard_0">shard_0</span> <span class="muted">'
        rf"\(id of logical shard 5 → logical shard 5/64 → shard_0, map v{version}\)",
        result,
    )
    assert result.count("<li><strong>") == 6  # copy, catch_up, verify, freeze, switch, cleanup
    assert "move_shard 5 --to shard_1 --dry-run" in result
    # Nothing moved: the rows where they were, the map at its version.
    assert len(physical_events("shard_0")) == 2 and physical_events("shard_1") == []
    assert read_map().version == version


def test_an_empty_logical_shard_plans_a_move_that_copies_nothing(client):
    result = result_of(client.get(PAGE, {"logical_shard": "40", "to": "shard_0", "run": "1"}))
    assert re.search(r"from <span [^>]*>shard_1</span> to <span [^>]*>shard_0</span>", result)
    assert "No events in it yet" in result


def test_staff_get_the_link_to_the_shards_page_and_others_are_told_it_is_for_staff(client):
    anonymous = result_of(client.get(PAGE, {"logical_shard": "5", "run": "1"}))
    assert 'href="/activity/shards/"' not in anonymous
    assert "which is for staff" in anonymous
    UserFactory(username="keeper", is_staff=True)
    assert client.login(username="keeper", password=DEFAULT_PASSWORD)
    staff = result_of(client.get(PAGE, {"logical_shard": "5", "run": "1"}))
    assert 'href="/activity/shards/"' in staff


@pytest.mark.parametrize(
    ("logical_shard", "to", "message"),
    [
        ("64", "", "Logical shard 64 doesn&#x27;t exist: they are 0-63."),
        ("999999", "shard_1", "Logical shard 999999 doesn&#x27;t exist: they are 0-63."),
        ("-1", "", "A logical shard is a whole number, 0 to 63."),
        ("abc", "", "A logical shard is a whole number, 0 to 63."),
        ("", "", "A logical shard is a whole number, 0 to 63."),
        ("9" * 10_240, "", "A logical shard is a whole number, 0 to 63."),
        ("5", "shard_9", "Move it to shard_0 or shard_1, or leave it empty."),
        ("5", "default", "Move it to shard_0 or shard_1, or leave it empty."),
        ("5", "x" * 10_240, "Move it to shard_0 or shard_1, or leave it empty."),
        ("5", "shard_0", "Logical shard 5 is already on shard_0."),
    ],
)
def test_junk_or_impossible_input_is_a_message(client, logical_shard, to, message):
    result = result_of(client.get(PAGE, {"logical_shard": logical_shard, "to": to, "run": "1"}))
    assert 'data-testid="message"' in result
    assert message in result
    assert 'data-testid="plan"' not in result


def test_the_experiment_waits_for_its_button(client):
    response = client.get(PAGE)
    assert 'value="3"' in response.text
    assert 'data-testid="result"' not in response.text
