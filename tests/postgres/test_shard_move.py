"""move_shard on the topology: live writers during the whole move, a process killed at each step.

Logical shard 5 moves from shard_0 (its own server) to shard_1 (another).
The writers write as the site does, through the ORM and the routers, with
``retry_while_frozen``; each database is then read with raw SQL.
"""

import signal
import subprocess
import sys
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from apps.activity.models import Event
from routers import shard_map
from routers.row_copy import checksum
from routers.shard_freeze import ShardFrozen, freeze_state, retry_while_frozen
from routers.shard_map import MAP_TABLE, MOVES_TABLE, read_map
from routers.shard_move import ShardMover, abort_move, shard_rows
from tests.subprocess_env import REPO, env_for_test_databases

SHARDS = ("shard_0", "shard_1")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica", *SHARDS]),
]
MOVING, STAYING = 5, 6


@pytest.fixture(autouse=True)
def restored_map():
    """Put the map, the moves and the freeze entries back as they were: flush leaves them."""
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT logical_shard, alias, version FROM {MAP_TABLE}")
        saved = cursor.fetchall()
    shard_map._MAP_CACHE.clear()
    yield
    with connections["default"].cursor() as cursor:
        cursor.executemany(
            f"UPDATE {MAP_TABLE} SET alias = %s, version = %s WHERE logical_shard = %s",
            [(alias, version, shard) for shard, alias, version in saved],
        )
        cursor.execute(f"DELETE FROM {MOVES_TABLE}")
    for alias in SHARDS:
        with connections[alias].cursor() as cursor:
            cursor.execute("DELETE FROM sharding_freeze")
    shard_map._MAP_CACHE.clear()


@pytest.fixture
def people():
    """Four users in logical shard 5 and four in 6, with 100 events each."""
    User = get_user_model()
    made = [
        User.objects.create(pk=64 * (3000 + n) + shard, username=f"u{shard}-{n}")
        for shard in (MOVING, STAYING)
        for n in range(4)
    ]
    Event.objects.bulk_create(
        Event(user=person, kind=Event.Kind.PAGE_VIEWED, summary=f"{person.pk} #{i}")
        for person in made
        for i in range(100)
    )
    return made


def ids_on(alias: str, logical_shard: int) -> set[int]:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT id FROM activity_event WHERE (id >> 10) & 4095 = %s", [logical_shard]
        )
        return {row_id for (row_id,) in cursor.fetchall()}


class Writer(threading.Thread):
    """Writes events for *users* until stopped, as the site does; keeps the ids it was given."""

    def __init__(self, users):
        super().__init__(daemon=True)
        self.users, self.ids, self.refused, self.failed = users, [], 0, []
        self.stopping = threading.Event()

    def run(self):
        try:
            n = 0
            while not self.stopping.is_set():
                person = self.users[n % len(self.users)]
                event = retry_while_frozen(self.write, person, n, timeout=30)
                self.ids.append(event.pk)
                n += 1
        except Exception as error:  # the test reports it
            self.failed.append(error)
        finally:
            connections.close_all()

    def write(self, person, n):
        try:
            return Event.objects.create(user=person, kind=Event.Kind.NOTE_SAVED, summary=f"w{n}")
        except ShardFrozen:
            self.refused += 1
            raise


def test_a_logical_shard_moves_under_live_writes_with_nothing_lost(people):
    moving = [p for p in people if p.pk % 64 == MOVING]
    staying = [p for p in people if p.pk % 64 == STAYING]
    writers = [Writer(moving), Writer(staying)]
    for writer in writers:
        writer.start()
    try:
        move = ShardMover.start(MOVING, "shard_1", batch_size=40, grace=0.2).run()
    finally:
        for writer in writers:
            writer.stopping.set()
            writer.join(timeout=60)
    to_moving, to_staying = writers
    assert not to_moving.failed and not to_staying.failed
    assert move.status == "done"
    assert len(to_moving.ids) > 20, "the writer wrote too little to prove anything"

    on_target = ids_on("shard_1", MOVING)
    assert set(to_moving.ids) <= on_target  # every acknowledged write arrived
    assert ids_on("shard_0", MOVING) == set()  # and nothing stayed behind
    assert len(on_target) == 400 + len(to_moving.ids)
    assert set(to_staying.ids) <= ids_on("shard_0", STAYING)
    assert len(ids_on("shard_0", STAYING)) == 400 + len(to_staying.ids)
    assert to_staying.refused == 0  # the other logical shard never waited
    shard_map._MAP_CACHE.clear()
    for event_id in to_moving.ids[-5:]:
        assert Event.objects.get(pk=event_id).user_id % 64 == MOVING  # through the ORM
    sides = move.detail["verify"]["activity.Event"]
    assert sides["source"] == sides["target"]
    assert checksum(shard_rows(Event, "shard_1", MOVING))[0] == len(on_target)


KILLER = """
import os, signal, sys
import django
django.setup()
from routers.shard_move import ShardMover
where = sys.argv[1]

def at_step(step):
    if step == where:
        os.kill(os.getpid(), signal.SIGKILL)

def at_rows(step, label, done, total):
    if where == "copy-midway" and step == "copy" and done >= 120:
        os.kill(os.getpid(), signal.SIGKILL)

ShardMover.start(5, "shard_1", batch_size=40, grace=0, on_step=at_step, progress=at_rows).run()
"""


def killed_at(where: str) -> None:
    for alias in connections:
        connections[alias].close()  # the child's freeze must not wait on this process's locks
    child = subprocess.run(
        [sys.executable, "-c", KILLER, where],
        cwd=REPO,
        env=env_for_test_databases(["default", *SHARDS]),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr


@pytest.mark.parametrize(
    "where", ["copy-midway", "catch_up", "freeze", "verify", "switch", "cleanup"]
)
def test_a_move_killed_at_each_step_resumes_to_the_same_end(people, where):
    before = checksum(shard_rows(Event, "shard_0", MOVING))
    killed_at(where)
    shard_map._MAP_CACHE.clear()
    move = ShardMover.resume(MOVING, grace=0).run()
    assert move.status == "done"
    assert checksum(shard_rows(Event, "shard_1", MOVING)) == before
    assert ids_on("shard_0", MOVING) == set()
    assert len(ids_on("shard_0", STAYING)) == 400
    assert read_map().alias_for(MOVING) == "shard_1"
    assert freeze_state("shard_0", MOVING) == "moved"


@pytest.mark.parametrize("where", ["copy-midway", "freeze", "verify", "switch"])
def test_abort_after_a_kill_before_the_switch_leaves_the_source_complete(people, where):
    before, version = checksum(shard_rows(Event, "shard_0", MOVING)), read_map().version
    killed_at(where)
    abort_move(MOVING)
    assert checksum(shard_rows(Event, "shard_0", MOVING)) == before
    assert ids_on("shard_1", MOVING) == set()
    assert read_map().alias_for(MOVING) == "shard_0"
    assert read_map().version == version + 2
    assert freeze_state("shard_0", MOVING) is None
    shard_map._MAP_CACHE.clear()
    Event.objects.create(user=people[0], kind=Event.Kind.PAGE_VIEWED)  # writes are open
    assert len(ids_on("shard_0", MOVING)) == 401
