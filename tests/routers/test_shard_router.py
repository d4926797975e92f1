"""ShardRouter and ShardedQuerySet in this project: rows land where the map says, reads follow.

Every fact is checked on the databases themselves: which physical shard holds
a row is asked with raw SQL on each shard, not of the router. These run on
both vendors: on PostgreSQL each shard is a server of its own.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import Count

from apps.activity.models import Event
from routers.explain import recording
from routers.shard_map import current_map, logical_shard_for, shard_for
from routers.sharding import ShardKeyRequired, decode_id

SHARDS = ("shard_0", "shard_1")
pytestmark = pytest.mark.django_db(databases=["default", "replica", *SHARDS])


def users(count: int) -> list:
    User = get_user_model()
    return [User.objects.create(username=f"sharded-{n}") for n in range(count)]


def rows_on(alias: str, sql: str = "SELECT user_id, id FROM activity_event") -> list[tuple]:
    """What *alias* holds, asked of the database directly, past every router."""
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_fifty_users_events_land_only_on_the_shards_the_map_names():
    people = users(50)
    for person in people:
        Event.objects.create(user=person, kind=Event.Kind.PAGE_VIEWED)
    Event.objects.bulk_create(Event(user=p, kind=Event.Kind.NOTE_SAVED) for p in people)

    shard_map = current_map()
    for alias in SHARDS:
        held = rows_on(alias)
        expected = {p.pk for p in people if shard_map.alias_for(p.pk % 64) == alias}
        assert {user_id for user_id, _ in held} == expected, alias
        assert len(held) == 2 * len(expected)
        assert expected, f"the 50 users leave {alias} empty"
    with pytest.raises(ShardKeyRequired, match="activity.Event is sharded by 'user'"):
        Event.objects.count()
    assert Event.objects.across_shards().count() == 100


def test_an_id_carries_its_users_logical_shard_and_finds_its_row_alone():
    (person,) = users(1)
    event = Event.objects.create(user=person, kind=Event.Kind.ORDER_PLACED)
    _, logical, _ = decode_id(event.pk)
    assert logical == logical_shard_for(person.pk)
    found = Event.objects.get(pk=event.pk)
    assert (found.user_id, found._state.db) == (person.pk, shard_for(person.pk))
    assert [row_id for _, row_id in rows_on(found._state.db)] == [event.pk]


@pytest.mark.parametrize("bad", ["123", 2**40, -7, 0])
def test_an_id_no_row_can_have_finds_nothing_instead_of_failing(bad):
    """A string id finds its shard as an integer would; one carrying shard 4095 matches none."""
    with pytest.raises(Event.DoesNotExist):
        Event.objects.get(pk=bad)
    assert not Event.objects.filter(pk=(4095 << 10) | 1).exists()


def test_ids_never_repeat_in_a_batch_larger_than_the_sequence():
    """2,000 rows of one user in one statement: more than 1024 in one millisecond."""
    (person,) = users(1)
    events = Event.objects.bulk_create(Event(user=person, kind="page_viewed") for _ in range(2000))
    ids = [event.pk for event in events]
    assert len(set(ids)) == 2000
    assert {decode_id(i)[1] for i in ids} == {logical_shard_for(person.pk)}
    assert len(rows_on(shard_for(person.pk))) == 2000


@pytest.mark.parametrize(
    "scoped",
    [
        lambda person: Event.objects.for_key(person.pk),
        lambda person: Event.objects.filter(user_id=person.pk),
        lambda person: Event.objects.filter(user=person),
        lambda person: person.events.all(),
    ],
    ids=["for_key", "filter_user_id", "filter_user", "related_manager"],
)
def test_a_query_that_names_the_key_reads_the_keys_shard_only(scoped):
    first, second = users(2)
    for person in (first, second):
        Event.objects.create(user=person, kind=Event.Kind.NOTE_SAVED, summary=person.username)
    queryset = scoped(first)
    assert queryset.db == shard_for(first.pk)
    assert [event.summary for event in queryset] == [first.username]
    assert queryset.count() == 1


def test_get_or_create_and_update_stay_on_the_keys_shard():
    (person,) = users(1)
    event, created = Event.objects.get_or_create(user=person, kind=Event.Kind.POST_WRITTEN)
    again, created_again = Event.objects.get_or_create(user=person, kind=Event.Kind.POST_WRITTEN)
    assert (created, created_again, again.pk) == (True, False, event.pk)
    assert Event.objects.for_key(person.pk).update(summary="edited") == 1
    assert rows_on(shard_for(person.pk), "SELECT summary FROM activity_event") == [("edited",)]


@pytest.mark.parametrize(
    "unscoped",
    [
        lambda: Event.objects.count(),
        lambda: list(Event.objects.all()),
        lambda: Event.objects.filter(kind="page_viewed").exists(),
        lambda: Event.objects.update(summary="everyone"),
        lambda: Event.objects.all().delete(),
        lambda: Event.objects.first(),
    ],
    ids=["count", "list", "filter_exists", "update", "delete", "first"],
)
def test_a_query_without_a_key_raises_instead_of_reading_one_shard(unscoped):
    with pytest.raises(ShardKeyRequired) as raised:
        unscoped()
    message = str(raised.value)
    for way in (".for_key(user_id)", ".filter(user_id=...)", ".get(pk=...)", ".across_shards()"):
        assert way in message


def test_an_event_for_an_unsaved_user_raises_shard_key_required_not_a_type_error():
    """The user has no pk yet, so no shard: the caller's mistake, named as such."""
    with pytest.raises(ShardKeyRequired, match="activity.Event"):
        Event(user=get_user_model()(username="not-saved"), kind=Event.Kind.PAGE_VIEWED)


def test_the_trace_names_the_key_the_logical_shard_the_physical_one_and_the_map_version():
    (person,) = users(1)
    logical, alias = logical_shard_for(person.pk), shard_for(person.pk)
    with recording() as decisions:
        Event.objects.for_key(person.pk).count()
    version = current_map().version
    assert decisions == {
        alias: f"user {person.pk} → logical shard {logical}/64 → {alias}, map v{version}"
    }


def test_event_tables_exist_on_every_shard_and_nowhere_else():
    for alias in connections:
        assert router.allow_migrate_model(alias, Event) is (alias in SHARDS), alias
    for alias in SHARDS:
        tables = connections[alias].introspection.table_names()
        assert "activity_event" in tables
        assert "blog_post" not in tables and "auth_user" not in tables
    assert "activity_event" not in connections["default"].introspection.table_names()


def test_an_event_points_at_its_user_in_default_across_databases():
    (person,) = users(1)
    event = Event(kind=Event.Kind.NOTE_SAVED)
    event.user = person  # allow_relation: a sharded row may point anywhere else
    event.save()
    assert Event.objects.get(pk=event.pk).user == person


def test_a_lazy_user_as_a_request_has_it_relates_to_an_event_and_to_a_post():
    """The routers see ``request.user``, a SimpleLazyObject, not the User it wraps."""
    from django.utils.functional import SimpleLazyObject

    from apps.blog.models import Post

    (person,) = users(1)
    lazy = SimpleLazyObject(lambda: person)
    event = Event.objects.create(user=lazy, kind=Event.Kind.NOTE_SAVED)
    assert rows_on(shard_for(person.pk)) == [(person.pk, event.pk)]
    assert router.allow_relation(Post(title="t"), lazy) is True


def test_aggregates_across_shards_combine_every_shards_answer():
    people = users(6)
    Event.objects.bulk_create(
        Event(user=person, kind="page_viewed")
        for person in people
        for _ in range(person.pk % 3 + 1)
    )
    expected = sum(person.pk % 3 + 1 for person in people)
    assert Event.objects.across_shards().aggregate(n=Count("id")) == {"n": expected}
    assert {report.alias for report in Event.objects.across_shards().reports} == set()
    gathered = Event.objects.across_shards()
    assert len(gathered) == expected
    assert [(r.alias, r.rows) for r in gathered.reports] == [
        (alias, len(rows_on(alias))) for alias in SHARDS
    ]
