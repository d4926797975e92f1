"""The shard map: a versioned table, a per-process copy that follows it, and checks on it."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections
from django.test import override_settings

from apps.activity.models import Event
from routers import shard_map
from routers.shard_map import (
    ShardMapError,
    assign_logical_shards,
    current_map,
    read_map,
    shard_for,
)
from routers.sharding import check_shard_map, check_sharding

SHARDS = ("shard_0", "shard_1")
pytestmark = pytest.mark.django_db(databases=["default", "replica", *SHARDS])


def rows_on(alias: str) -> list[tuple]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT user_id FROM activity_event")
        return cursor.fetchall()


def another_process_sets(logical_shard: int, alias: str) -> None:
    """Change the map's table as another process would: this one's copy doesn't know."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "UPDATE sharding_map SET alias = %s, version = "
            "(SELECT MAX(version) + 1 FROM sharding_map) WHERE logical_shard = %s",
            [alias, logical_shard],
        )


class Clock:
    """time.monotonic for routers.shard_map, moved by hand: no test waits on the wall clock."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.fixture(autouse=True)
def fresh_copy(fresh_shard_map):
    """Each test's map changes roll back with it; the process's copy must not outlive them."""


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(shard_map.time, "monotonic", fake.monotonic)
    shard_map._MAP_CACHE.clear()
    yield fake
    shard_map._MAP_CACHE.clear()


def test_migrate_fills_the_map_with_contiguous_ranges_at_version_one():
    fresh = read_map()
    assert fresh.version == 1
    assert fresh.ranges() == {"shard_0": [(0, 31)], "shard_1": [(32, 63)]}
    assert (fresh.describe("shard_0"), fresh.describe("shard_1")) == ("0-31", "32-63")


def test_another_processs_change_reaches_this_one_once_its_copy_is_stale(clock):
    assert shard_for(42) == "shard_1"
    another_process_sets(42, "shard_0")
    clock.now += 0.5  # within MAP_REFRESH_SECONDS: the copy is trusted, no query
    assert (current_map().version, shard_for(42)) == (1, "shard_1")
    clock.now += 0.6
    assert (current_map().version, shard_for(42)) == (2, "shard_0")


def test_a_changed_map_sends_new_rows_to_the_new_place():
    person = get_user_model().objects.create(username="moved")
    before = shard_for(person.pk)
    after = next(alias for alias in SHARDS if alias != before)
    version = assign_logical_shards({person.pk % 64: after})
    assert version == 2 and current_map().version == 2, "this process sees its own change"
    Event.objects.create(user=person, kind=Event.Kind.NOTE_SAVED)
    assert rows_on(after) == [(person.pk,)] and rows_on(before) == []


def test_a_change_naming_a_database_that_is_no_shard_is_refused_and_changes_nothing():
    with pytest.raises(ShardMapError, match="names replica, not in DATABASE_SHARDING"):
        assign_logical_shards({3: "replica"})
    assert read_map().version == 1


def test_a_map_database_that_fails_leaves_the_process_on_its_copy(clock, caplog):
    """The map's database moved to one without the table: every read of it fails."""
    copy = current_map()
    broken = {**settings.DATABASE_SHARDING, "MAP_DATABASE": "shard_1"}
    with override_settings(DATABASE_SHARDING=broken):
        with pytest.raises(DatabaseError):
            current_map()  # no copy yet: the database's error
        shard_map._MAP_CACHE["map"] = (copy, clock.now)
        clock.now += 5
        assert current_map() is copy
    assert "shard map not refreshed, routing by v1" in caplog.text


def test_a_map_that_leaves_a_shard_out_or_names_a_stranger_fails_the_check_and_routing():
    with connections["default"].cursor() as cursor:
        cursor.execute("DELETE FROM sharding_map WHERE logical_shard IN (5, 6)")
        cursor.execute("UPDATE sharding_map SET alias = 'blog_db' WHERE logical_shard = 7")
    errors = check_shard_map(databases=["default"])
    assert [error.id for error in errors] == ["routers.E083", "routers.E084"]
    assert "no entry places logical shard 5, 6" in errors[1].msg
    assert check_shard_map(databases=None) == [], "only with --database"
    with pytest.raises(ShardMapError, match="names blog_db"):
        read_map()


@pytest.mark.parametrize(
    ("sharding", "expected"),
    [
        ({"SHARDS": []}, "routers.E080"),
        ({"SHARDS": ["shard_0"], "LOGICAL_SHARDS": 5000}, "routers.E080"),
        ({"SHARDS": ["shard_0", "nowhere"], "MODELS": {}}, "routers.E081"),
        ({"SHARDS": ["shard_0"], "MAP_DATABASE": "nowhere"}, "routers.E081"),
        ({"SHARDS": ["shard_0"], "MODELS": {"activity.Event": "owner"}}, "routers.E082"),
        ({"SHARDS": ["shard_0"], "MODELS": {"activity.Nothing": "user"}}, "routers.E082"),
    ],
    ids=["no_shards", "too_many_logical", "missing_alias", "missing_map", "no_field", "no_model"],
)
def test_the_check_names_what_is_wrong_in_database_sharding(sharding, expected):
    with override_settings(DATABASE_SHARDING=sharding):
        assert [error.id for error in check_sharding()] == [expected]


def test_the_check_wants_the_router_and_before_the_app_label_router():
    without = ["routers.replica.PinningReplicaRouter", "routers.app_label.AppLabelRouter"]
    with override_settings(DATABASE_ROUTERS=without):
        assert [error.id for error in check_sharding()] == ["routers.W085"]
    late = [*without, "routers.sharding.ShardRouter"]
    with override_settings(DATABASE_ROUTERS=late):
        errors = check_sharding()
    assert [error.id for error in errors] == ["routers.E086"]
    assert "AppLabelRouter comes before ShardRouter" in errors[0].msg
    assert check_sharding() == [], "this project's order"
