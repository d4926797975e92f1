"""The sharding experiment: a user's shard, a keyed query on it alone, and every shard asked."""

import re

import pytest

from apps.accounts.factories import UserFactory
from apps.activity.models import Event
from apps.activity.services import event_record
from apps.activity.tests.conftest import DATABASES, ON_SHARD_0, ON_SHARD_1

pytestmark = pytest.mark.django_db(databases=DATABASES)
PAGE = "/patterns/sharding/"


@pytest.fixture(autouse=True)
def people(fresh_shard_map):
    """near (logical shard 5, on shard_0) with one event; far (40, on shard_1) with two."""
    near = UserFactory(pk=ON_SHARD_0, username="near")
    far = UserFactory(pk=ON_SHARD_1, username="far")
    event_record(user=near, kind=Event.Kind.NOTE_SAVED)
    event_record(user=far, kind=Event.Kind.POST_WRITTEN)
    event_record(user=far, kind=Event.Kind.ORDER_PLACED)


def result_of(response) -> str:
    assert response.status_code == 200
    return response.text.split('data-testid="result"', 1)[1].split("<h2>Settings</h2>", 1)[0]


def test_a_users_logical_shard_map_version_and_database_are_shown(client):
    result = result_of(client.get(PAGE, {"username": "far", "run": "1"}))
    placement = result.split('data-testid="placement"', 1)[1].split("</ul>", 1)[0]
    assert f"User id {ON_SHARD_1}: logical shard <strong>40</strong> of 64" in placement
    assert re.search(
        r"version <strong>\d+</strong>, puts logical shard 40 on <span [^>]*>shard_1<", placement
    )


def test_the_query_with_the_key_reads_the_one_shard_that_holds_it(client):
    result = result_of(client.get(PAGE, {"username": "far", "run": "1"}))
    keyed = result.split('data-testid="keyed"', 1)[1].split("</p>", 1)[0]
    assert re.search(
        rf'data-db="shard_1">shard_1</span> <span class="muted">\(user {ON_SHARD_1} → '
        r"logical shard 40/64 → shard_1, map v\d+\)</span>: 2 events",
        keyed,
    )
    assert "placed an order, wrote a post" in keyed
    statements = result.split('data-testid="statements"', 1)[1].split("</p>", 1)[0]
    counts = r'data-db="shard_0">shard_0</span> 0, <span [^>]*>shard_1</span> 2'
    assert re.search(counts, statements)


def test_the_query_without_the_key_is_refused_then_asked_of_every_shard(client):
    result = result_of(client.get(PAGE, {"username": "near", "run": "1"}))
    assert "ShardKeyRequired: activity.Event is sharded by &#x27;user&#x27;" in result
    assert '<strong data-testid="total">3</strong>' in result
    fan_out = result.split('data-testid="fan-out"', 1)[1].split("</ul>", 1)[0]
    shard_0, shard_1 = re.findall(r'<li data-shard="(shard_\d)">(.*?)</li>', fan_out)
    assert shard_0[0] == "shard_0" and "<strong>1</strong> event in" in shard_0[1]
    assert shard_1[0] == "shard_1" and "<strong>2</strong> events in" in shard_1[1]
    assert re.search(r"\(across shards: logical shards 0-31 of 64, map v\d+\)", shard_0[1])
    assert re.search(r"\(across shards: logical shards 32-63 of 64, map v\d+\)", shard_1[1])


@pytest.mark.parametrize("username", ["nobody-here", "", "   ", "x" * 10_240, "' OR 1=1 --"])
def test_a_junk_username_is_a_message(client, username):
    result = result_of(client.get(PAGE, {"username": username, "run": "1"}))
    assert 'data-testid="message"' in result
    assert 'data-testid="fan-out"' not in result


def test_the_experiment_waits_for_its_button(client):
    response = client.get(PAGE)
    assert 'value="alice"' in response.text
    assert 'data-testid="result"' not in response.text
