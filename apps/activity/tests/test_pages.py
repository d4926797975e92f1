"""The sharding pages: mine from one shard, everyone's from both, the shards on the home page."""

import re

import pytest
from django.urls import reverse

from apps.activity.models import Event
from apps.activity.services import event_record
from apps.activity.tests.conftest import DATABASES, physical_events
from routers.health import health

# The home page counts rows in blog_db and shop_db too.
pytestmark = pytest.mark.django_db(databases=[*DATABASES, "blog_db", "shop_db"])
MINE = reverse("activity:mine")
EVERYONE = reverse("activity:everyone")


def queried(response) -> dict[str, int]:
    """``X-DB-Queries: default=3, shard_1=4`` as ``{"default": 3, "shard_1": 4}``."""
    pairs = (part.split("=") for part in response["X-DB-Queries"].split(", "))
    return {alias: int(count) for alias, count in pairs}


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(MINE)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={MINE}"


def test_my_activity_lists_my_events_only_and_goes_to_my_shard_only(far_client, far, near):
    event_record(user=far, kind=Event.Kind.POST_WRITTEN, summary="Mine, on shard_1")
    event_record(user=near, kind=Event.Kind.POST_WRITTEN, summary="Theirs, on shard_0")

    response = far_client.get(MINE)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Mine, on shard_1" in content
    assert "Theirs, on shard_0" not in content
    assert "shard_1" in queried(response) and "shard_0" not in queried(response)
    reason = f"user {far.pk} → logical shard 40/64 → shard_1, map v1"
    assert f"<strong>{reason}</strong>" in content  # the box
    assert f"shard_1 ({reason})" in content  # the routing trace, for each shard_1 query


def test_viewing_my_activity_records_the_view_on_my_shard(far_client, far):
    far_client.get(MINE)
    page = far_client.get(MINE)
    assert physical_events("shard_1") == [(far.pk, "page_viewed", "")] * 2
    assert physical_events("shard_0") == []
    rows = page.context["page"].object_list
    assert [event.kind for event in rows] == ["page_viewed", "page_viewed"]


def test_my_activity_pages_by_per_page_and_a_bad_page_number_gives_the_first_page(far_client, far):
    for n in range(5):
        event_record(user=far, kind=Event.Kind.NOTE_SAVED, summary=f"note {n}")
    for bad in ["abc", "9" * 10_240, "-1", "0.5"]:
        response = far_client.get(MINE, {"page": bad, "per_page": "2"})
        assert response.status_code == 200
        page = response.context["page"]
        assert page.number in {1, page.paginator.num_pages}
        assert len(page.object_list) == 2
    # A NUL never reaches the view: apps/core/bad_input.py answers 400 at the door.
    assert far_client.get(MINE, {"page": "\x00"}).status_code == 400
    # Five notes, and one view per request that reached the view.
    assert response.context["page"].paginator.count == 9


def test_my_activity_still_answers_200_while_my_shard_is_down(far_client, far, caplog):
    health.mark_down("shard_1", "connection refused")
    response = far_client.get(MINE)
    assert response.status_code == 200
    assert "shard_1" not in queried(response)
    assert "shard_1 is unavailable" in response.context["problem"]
    assert b'data-testid="problem"' in response.content
    assert any("page_viewed event of user" in r.getMessage() for r in caplog.records)


def test_everyones_activity_asks_both_shards_and_shows_each_shards_rows_and_time(client, near, far):
    event_record(user=near, kind=Event.Kind.NOTE_SAVED, summary="From shard_0")
    event_record(user=far, kind=Event.Kind.NOTE_SAVED, summary="From shard_1 one")
    event_record(user=far, kind=Event.Kind.NOTE_SAVED, summary="From shard_1 two")

    response = client.get(EVERYONE)

    assert response.status_code == 200
    assert queried(response)["shard_0"] == 1 and queried(response)["shard_1"] == 1
    content = response.content.decode()
    for summary in ["From shard_0", "From shard_1 one", "From shard_1 two"]:
        assert summary in content
    reports = {report.alias: report for report in response.context["everywhere"].reports}
    assert (reports["shard_0"].logical_shards, reports["shard_0"].rows) == ("0-31", 1)
    assert (reports["shard_1"].logical_shards, reports["shard_1"].rows) == ("32-63", 2)
    for alias, rows in [("shard_0", 1), ("shard_1", 2)]:
        row = re.search(rf'<tr data-shard="{alias}">(.*?)</tr>', content, re.S)[1]
        assert re.search(rf"<td>{rows}</td><td>\d+\.\d\d ms</td>", row)
    assert "logical shard 40 on" in content and "far" in content  # usernames from default
    assert "across shards: logical shards 32-63 of 64, map v1" in content


def test_everyones_activity_says_so_rather_than_show_half_when_a_shard_is_down(client, near):
    event_record(user=near, kind=Event.Kind.NOTE_SAVED, summary="From shard_0")
    health.mark_down("shard_1", "connection refused")
    response = client.get(EVERYONE)
    assert response.status_code == 200
    assert "From shard_0" not in response.content.decode()
    assert "shard_1 is unavailable" in response.context["everywhere"].problem


def test_the_home_page_lists_both_shards_with_their_logical_ranges_and_counts(client, far):
    event_record(user=far, kind=Event.Kind.NOTE_SAVED)
    content = client.get("/").content.decode()
    table = content[content.index('data-testid="shards"') :]
    for alias, ranges, count in [("shard_0", "0-31", 0), ("shard_1", "32-63", 1)]:
        row = re.search(rf'<tr data-shard="{alias}">(.*?)</tr>', table, re.S)[1]
        assert f"<td>{ranges}</td>" in row and "v1" in row and f"<td>{count}</td>" in row
    assert reverse("activity:mine") in content and reverse("activity:everyone") in content


def test_the_home_page_still_renders_while_a_shard_is_down(client):
    health.mark_down("shard_0", "connection refused")
    response = client.get("/")
    assert response.status_code == 200
    assert "shard_0" not in queried(response)
    assert re.search(
        r'data-shard="shard_0">.*?not counted \(shard_0 down', response.content.decode(), re.S
    )


def test_the_home_page_asks_no_shard_while_the_map_database_is_down(client):
    """Routing needs the map, which lives in default: known down, it isn't asked."""
    health.mark_down("default", "connection refused")
    response = client.get("/")
    assert response.status_code == 200
    assert not {"default", "shard_0", "shard_1"} & set(queried(response))
    shards = response.context["shards"]
    assert [(shard.alias, shard.logical_shards, shard.events) for shard in shards] == [
        ("shard_0", "unknown", None),
        ("shard_1", "unknown", None),
    ]
    assert all(shard.why_not.startswith("default down") for shard in shards)
