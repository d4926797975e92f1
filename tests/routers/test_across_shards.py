"""across_shards() answers as one database holding every row would.

The same events are written twice: spread over the shards by the router, and
whole into a copy of the table in ``default``, made for the test. Each query
then runs both ways, and the answers must be equal: ordering (with ties broken
by the next field), slicing, counts and aggregates.
"""

import datetime
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Max, Min, Q, Sum

from apps.activity.models import Event
from apps.core.middleware import tracing
from routers.shard_map import current_map, shard_for
from routers.shard_queryset import fan_out

SHARDS = ("shard_0", "shard_1")
T0 = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)


@pytest.fixture
def both_ways(django_db_blocker):
    """Twenty users' events on the shards, and the same rows in one table in ``default``."""
    User = get_user_model()
    people = [User.objects.create(username=f"everywhere-{n}") for n in range(20)]
    kinds = [choice for choice, _ in Event.Kind.choices]
    events = [
        # Few distinct times, so ties in created_at are broken by the next field.
        Event(user=p, kind=kinds[n % 4], created_at=T0 + datetime.timedelta(minutes=n % 5))
        for p in people
        for n in range(p.pk % 4 + 1)
    ]
    Event.objects.bulk_create(events)
    with connection.schema_editor() as editor:
        editor.create_model(Event)
    try:
        Event.objects.using("default").bulk_create(events)
        yield Event.objects.using("default"), Event.objects.across_shards()
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Event)


pytestmark = pytest.mark.django_db(databases=["default", "replica", *SHARDS], transaction=True)


def ids(rows) -> list:
    return [row.pk if hasattr(row, "pk") else row for row in rows]


@pytest.mark.parametrize(
    "ordering",
    [(), ("created_at", "id"), ("-created_at", "user_id", "-id"), ("kind", "-pk")],
    ids=["meta_ordering", "oldest_first", "mixed_directions", "by_kind"],
)
@pytest.mark.parametrize("window", [slice(None), slice(0, 5), slice(7, 19), slice(40, None)])
def test_ordering_and_slicing_match_one_database(both_ways, ordering, window):
    one, everywhere = both_ways
    if ordering:
        one, everywhere = one.order_by(*ordering), everywhere.order_by(*ordering)
    expected = ids(one[window])
    assert ids(everywhere[window]) == expected
    assert everywhere[window].count() == len(expected)


def test_a_slice_of_a_slice_and_an_index_match_one_database(both_ways):
    one, everywhere = both_ways
    assert ids(everywhere[3:30][2:9]) == ids(one[3:30][2:9])
    assert everywhere[11].pk == one[11].pk
    assert everywhere.first().pk == one.first().pk
    with pytest.raises(IndexError):
        everywhere[10_000]


def test_filters_values_and_counts_match_one_database(both_ways):
    one, everywhere = both_ways
    assert everywhere.count() == one.count() > 20
    noted = Q(kind=Event.Kind.NOTE_SAVED) | Q(user_id__lt=5)
    assert everywhere.filter(noted).count() == one.filter(noted).count()
    assert everywhere.exclude(noted).exists() is one.exclude(noted).exists()
    fields = ("user_id", "kind", "created_at")
    assert list(everywhere.values(*fields).order_by("-created_at", "user_id", "kind")[:12]) == list(
        one.values(*fields).order_by("-created_at", "user_id", "kind")[:12]
    )


def test_count_sum_min_max_and_avg_match_one_database(both_ways):
    one, everywhere = both_ways
    aggregates = {
        "n": Count("id"),
        "users": Sum("user_id"),
        "first": Min("created_at"),
        "last": Max("user_id"),
        "mean": Avg("user_id"),
        "notes": Count("id", filter=Q(kind=Event.Kind.NOTE_SAVED)),
    }
    mine, theirs = everywhere.aggregate(**aggregates), one.aggregate(**aggregates)
    assert mine.pop("mean") == pytest.approx(theirs.pop("mean"))
    assert mine == theirs


@pytest.mark.parametrize(
    "refused",
    [
        lambda q: q.aggregate(n=Count("user", distinct=True)),
        lambda q: list(q.order_by(F("created_at").desc())),
        lambda q: list(q.order_by("user__username")),
        lambda q: q[2:10].aggregate(n=Count("id")),
        lambda q: q.annotate(n=Count("id")),
        lambda q: list(q.values("user_id").order_by("-created_at")[:3]),
    ],
    ids=[
        "distinct_count",
        "expression_ordering",
        "related_ordering",
        "sliced_aggregate",
        "other",
        "values_without_the_ordering",
    ],
)
def test_what_can_not_be_merged_raises_instead_of_answering_wrong(both_ways, refused):
    _, everywhere = both_ways
    with pytest.raises((ValueError, AttributeError), match="across_shards"):
        refused(everywhere)


def test_each_shard_is_asked_on_its_worker_thread_and_the_trace_sees_both(both_ways):
    """No transaction holds a shard here, so both are asked at once, off this thread."""
    _, everywhere = both_ways
    names = fan_out(lambda alias: threading.current_thread().name, SHARDS)
    assert names == [f"shard-{alias}_0" for alias in SHARDS]
    with tracing() as trace:
        rows = list(everywhere.order_by("-created_at", "-id")[:10])
    assert len(rows) == 10
    shard_map = current_map()
    for alias in SHARDS:
        reasons = {q.reason for q in trace.queries if q.alias == alias}
        assert reasons == {
            f"across shards: logical shards {shard_map.describe(alias)} of 64, "
            f"map v{shard_map.version}"
        }


def test_a_shard_in_a_transaction_on_this_thread_is_asked_here_and_sees_its_writes(both_ways):
    one, _ = both_ways
    person = get_user_model().objects.create(username="uncommitted")
    alias = shard_for(person.pk)
    with transaction.atomic(using=alias):
        Event.objects.create(user=person, kind=Event.Kind.NOTE_SAVED)
        names = fan_out(lambda a: threading.current_thread().name, SHARDS)
        assert names[SHARDS.index(alias)] == threading.current_thread().name
        assert Event.objects.across_shards().count() == one.count() + 1


def test_serial_fan_out_gives_the_same_answer_on_this_thread(both_ways):
    one, _ = both_ways
    serial = Event.objects.across_shards(parallel=False).order_by("user_id", "-id")
    assert ids(serial[5:25]) == ids(one.order_by("user_id", "-id")[5:25])
