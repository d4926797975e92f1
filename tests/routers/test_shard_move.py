"""move_shard: one logical shard's rows move to another physical database, and nothing else does.

Logical shard 5 lives on shard_0 (the map migrate installs puts 0-31 there);
these tests move it to shard_1 and check each database with raw SQL. The
concurrent writers and the killed processes are in tests/postgres/test_shard_move.py.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connections, transaction
from django.test import RequestFactory

from apps.activity.models import Event
from routers import shard_map
from routers.degraded import DegradedModeMiddleware
from routers.explain import recording
from routers.shard_freeze import ShardFrozen, freeze_state
from routers.shard_map import current_map, read_map
from routers.shard_move import MoveError, ShardMover, abort_move, moves, plan_move, start_move

pytestmark = pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"])

MOVING, STAYING = 5, 6  # logical shards, both on shard_0


class Interrupted(BaseException):
    """Stands in for a crash between steps (the real kill is in the PostgreSQL tests)."""


@pytest.fixture(autouse=True)
def fresh_copy(fresh_shard_map):
    """Each test's map changes roll back with it; the process's copy must not outlive them."""


@pytest.fixture
def people():
    """Three users in logical shard 5 and two in 6, with three events each."""
    User = get_user_model()
    made = [User.objects.create(pk=64 * (2000 + n) + MOVING, username=f"m{n}") for n in range(3)]
    made += [User.objects.create(pk=64 * (2000 + n) + STAYING, username=f"s{n}") for n in range(2)]
    for person in made:
        for kind in (Event.Kind.PAGE_VIEWED, Event.Kind.NOTE_SAVED, Event.Kind.POST_WRITTEN):
            Event.objects.create(user=person, kind=kind, summary=f"{person.username} {kind}")
    return made


def held(alias: str) -> dict[int, list[tuple]]:
    """Each user's ``(id, kind, summary)`` rows in *alias*'s own database: raw SQL."""
    rows: dict[int, list[tuple]] = {}
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT user_id, id, kind, summary FROM activity_event ORDER BY id")
        for user_id, *row in cursor.fetchall():
            rows.setdefault(user_id, []).append(tuple(row))
    return rows


def mover(**options):
    return ShardMover.start(MOVING, "shard_1", grace=0, batch_size=2, **options)


def test_a_dry_run_counts_the_rows_and_changes_nothing(people):
    """As the command puts it; the database shows nothing written."""
    version = read_map().version
    out = call_command_output("move_shard", str(MOVING), "--to", "shard_1", "--dry-run")
    assert "Would move logical shard 5 from shard_0 to shard_1" in out
    assert "activity.Event" in out and "9 rows on shard_0, 0 already on shard_1" in out
    assert read_map().version == version and moves() == []


def test_a_move_puts_the_logical_shards_rows_on_the_target_and_nowhere_else(people):
    before = held("shard_0")
    move = mover().run()

    moved = {p.pk for p in people if p.pk % 64 == MOVING}
    assert set(held("shard_1")) == moved
    assert {u: rows for u, rows in held("shard_1").items()} == {u: before[u] for u in moved}
    assert set(held("shard_0")) == {p.pk for p in people if p.pk % 64 == STAYING}
    fresh = read_map()
    assert fresh.alias_for(MOVING) == "shard_1" and fresh.alias_for(STAYING) == "shard_0"
    assert move.status == "done" and move.detail["map_version"] == fresh.version
    sides = move.detail["verify"]["activity.Event"]
    assert sides["source"] == sides["target"] and sides["source"][0] == 9
    person = people[0]
    assert Event.objects.for_key(person.pk).count() == 3
    event_id = before[person.pk][0][0]
    assert Event.objects.get(pk=event_id).user_id == person.pk  # the id still finds it


def test_writes_between_the_steps_arrive_through_the_change_log(people):
    """An insert, an update and a delete before catch_up, verify and freeze: all carried over."""
    person, written = people[0], []

    def write(at):
        if at in ("catch_up", "verify", "freeze"):
            written.append(
                Event.objects.create(user=person, kind=Event.Kind.NOTE_SAVED, summary=at)
            )
            oldest = Event.objects.for_key(person.pk).order_by("pk").first()
            Event.objects.filter(pk=oldest.pk).update(summary=f"edited before {at}")
            if at == "freeze":
                Event.objects.filter(pk=written[0].pk).delete()

    move = mover(on_step=write).run()
    rows = held("shard_1")[person.pk]
    ids = {row[0] for row in rows}
    assert {e.pk for e in written[1:]} <= ids and written[0].pk not in ids
    assert rows[0][2] == "edited before freeze"
    assert len(rows) == 3 + 3 - 1
    assert move.detail["catch_up"][0] == 2  # the insert and the update before catch_up
    assert move.detail["freeze_changed"] > 0
    assert held("shard_0").get(person.pk) is None


def test_after_the_move_the_old_database_refuses_the_logical_shards_writes_only(people):
    mover().run()
    assert freeze_state("shard_0", MOVING) == "moved"
    stale = people[0]  # as a process with the old map would write it
    with pytest.raises(ShardFrozen, match="logical shard"), transaction.atomic(using="shard_0"):
        Event.objects.on_shard("shard_0").create(user=stale, kind=Event.Kind.PAGE_VIEWED)
    staying = people[3]
    Event.objects.on_shard("shard_0").create(user=staying, kind=Event.Kind.PAGE_VIEWED)
    assert len(held("shard_0")[staying.pk]) == 4
    Event.objects.create(user=stale, kind=Event.Kind.PAGE_VIEWED)  # routed by the new map
    assert len(held("shard_1")[stale.pk]) == 4


def test_while_it_moves_the_trace_names_the_target(people):
    start_move(MOVING, "shard_1")
    with recording() as decisions:
        Event.objects.for_key(people[0].pk).count()
    assert decisions["shard_0"].endswith("map v2; moving to shard_1")
    assert current_map().moving_to(MOVING) == "shard_1"


@pytest.mark.parametrize("step", ["copy", "catch_up", "freeze", "verify", "switch", "cleanup"])
def test_a_move_interrupted_before_any_step_resumes_to_the_same_end(people, step):
    before = held("shard_0")

    def crash(at):
        if at == step:
            raise Interrupted

    with pytest.raises(Interrupted):
        mover(on_step=crash).run()
    shard_map._MAP_CACHE.clear()
    move = ShardMover.resume(MOVING, grace=0, batch_size=2).run()

    assert move.status == "done"
    moved = {p.pk for p in people if p.pk % 64 == MOVING}
    assert held("shard_1") == {u: before[u] for u in moved}
    assert set(held("shard_0")) == {p.pk for p in people if p.pk % 64 == STAYING}
    assert read_map().alias_for(MOVING) == "shard_1"


@pytest.mark.parametrize("step", ["catch_up", "freeze", "verify", "switch"])
def test_abort_before_the_switch_leaves_the_source_whole_and_the_map_as_it_was(people, step):
    before, version = held("shard_0"), read_map().version

    def crash(at):
        if at == step:
            raise Interrupted

    with pytest.raises(Interrupted):
        mover(on_step=crash).run()
    abort_move(MOVING)

    assert held("shard_0") == before
    assert held("shard_1") == {}
    assert read_map().alias_for(MOVING) == "shard_0" and read_map().moving == ()
    assert read_map().version == version + 2  # the start and the abort, each named in the map
    assert freeze_state("shard_0", MOVING) is None
    Event.objects.create(user=people[0], kind=Event.Kind.PAGE_VIEWED)  # writes go on
    assert moves()[0].status == "aborted"


def test_abort_after_the_switch_refuses_and_says_how_to_move_back(people):
    def crash(at):
        if at == "cleanup":
            raise Interrupted

    with pytest.raises(Interrupted):
        mover(on_step=crash).run()
    with pytest.raises(MoveError, match="move_shard 5 --to shard_0"):
        abort_move(MOVING)


def test_verify_catches_a_write_that_got_past_the_freeze_and_reopens_writes(people):
    def sneak(at):
        if at == "verify":  # a row the source doesn't have
            with connections["shard_1"].cursor() as cursor:
                cursor.execute(
                    "INSERT INTO activity_event (id, user_id, kind, summary, created_at) "
                    "VALUES (%s, %s, 'page_viewed', 'sneaked', %s)",
                    [MOVING << 10 | 1, people[0].pk, "2026-12-05 10:00:00+00:00"],
                )

    with pytest.raises(MoveError, match="activity.Event different on shard_0 and shard_1"):
        mover(on_step=sneak).run()
    assert freeze_state("shard_0", MOVING) == "open"
    assert read_map().alias_for(MOVING) == "shard_0"
    move = ShardMover.resume(MOVING, grace=0).run()  # the catch-up deletes it
    assert move.status == "done"
    assert "sneaked" not in str(held("shard_1"))


def test_a_second_move_of_the_same_logical_shard_is_refused_while_one_runs(people):
    start_move(MOVING, "shard_1")
    with pytest.raises(MoveError, match="already moving to shard_1"):
        start_move(MOVING, "shard_1")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["64", "--to", "shard_1"], "Logical shard 64 doesn't exist: they are 0-63"),
        (["-1", "--to", "shard_1"], "Logical shard -1 doesn't exist"),
        (["5", "--to", "default"], "'default' is not a shard"),
        (["5", "--to", "shard_0"], "Logical shard 5 is already on shard_0"),
        (["5"], "Say where to: --to ALIAS"),
        (["5", "--resume"], "Logical shard 5 has no move to resume"),
        (["5", "--abort"], "Logical shard 5 has no move to abort"),
        (["5", "--to", "shard_1", "--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_the_command_names_the_mistake(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("move_shard", *arguments)


def test_the_command_moves_and_reports_each_step(people, settings):
    settings.DATABASE_SHARDING = {**settings.DATABASE_SHARDING, "MAP_REFRESH_SECONDS": 0}
    out = call_command_output("move_shard", str(MOVING), "--to", "shard_1", "--batch-size", "2")
    for step in ("copy", "catch_up", "freeze", "verify", "switch", "cleanup"):
        assert f"{step:<9} done in" in out
    assert "activity.Event [" in out and "rows/s" in out
    assert "Moved: logical shard 5 is on shard_1 (map v3); writes were frozen" in out
    assert plan_move(MOVING, "shard_0").rows == {"activity.Event": (9, 0)}


def call_command_output(*arguments) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*arguments, stdout=out)
    return out.getvalue()


def test_a_write_the_freeze_refuses_answers_503_with_retry_after_not_an_error_page():
    refused = ShardFrozen("shard_0", "sharding: logical shard 5 is frozen: retry")
    middleware = DegradedModeMiddleware(lambda request: None)
    response = middleware.process_exception(RequestFactory().post("/notes/new/"), refused)
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert b"nothing you sent was saved" in response.content
