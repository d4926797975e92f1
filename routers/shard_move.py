"""Moving one logical shard to another physical database while the site keeps writing.

::

    python manage.py move_shard 12 --to shard_1 --dry-run   # what would move
    python manage.py move_shard 12 --to shard_1             # every step, with progress
    python manage.py move_shard 12 --resume                 # after an interruption
    python manage.py move_shard 12 --abort                  # before the switch only

The steps, in the shape of Vitess's ``MoveTables`` (copy, catch up, verify,
switch traffic, complete), for every sharded model with a ``ShardedIdField``
(its id says which logical shard a row is in, so one logical shard's rows
are found on a physical shard that holds many):

1. **copy**: the logical shard's rows, in batches by primary key
   (``row_copy.sync_rows``), while writes go on to the source. From the
   start, every write to this logical shard on the source is noted in its
   change log (``shard_freeze.py``), in the writer's own transaction;
2. **catch_up**: the rows the change log names are carried over, pass
   after pass, until a pass finds less than a batch: it costs what was
   written meanwhile, not the shard's size;
3. **verify**: every row of every model compared on both sides (a digest
   per row, ``row_copy.row_digest``), with the counts and a checksum of
   each side recorded. A row written during the comparison is in the change
   log and is checked again under the freeze; any other difference sends
   the move back to a full copy;
4. **freeze**: writes to this logical shard alone are refused on the
   source (once the writes in flight commit), the rest of the change log is
   carried over, and the rows it named are compared again with both sides'
   counts. Writers to other logical shards are not touched; a writer to
   this one waits (``retry_while_frozen``) or gets a 503 with
   ``Retry-After``. The freeze lasts as long as the writes since the
   verify take to carry over, whatever the shard's size;
5. **switch**: the map gives the logical shard to the target and its
   version goes up, in one transaction with this record. Every process
   routes there within ``MAP_REFRESH_SECONDS``; one that writes with the
   old map meanwhile is refused by the source, re-reads the map and writes
   to the target;
6. **cleanup**: after twice ``MAP_REFRESH_SECONDS``, so no process still
   reads the source, its copy of the rows is deleted and the source keeps
   refusing writes to this logical shard for good (``moved``).

On PostgreSQL, logical replication with a publication row filter would be
the engine's own way to copy and catch up. This module keeps to the ORM and
a trigger, so one code path moves shards on SQLite and PostgreSQL alike, the
target needs no subscription (nor a superuser to create one), and the
change log lives and dies with the move.

Each step is recorded in ``sharding_move`` in the map database, and each
copy batch's last key with it, so a move interrupted anywhere (a crash, a
kill) resumes where it stopped: every step can run twice. Until the switch
the source is untouched and the map unchanged, so ``abort`` deletes the
target's copy and lifts the freeze, as if the move never began. A move that
was killed while frozen keeps this logical shard's writes refused until it
is resumed or aborted. The map names a move not yet switched, so the
routing trace says where the logical shard is going.

The command is ``management/commands/move_shard.py`` in this package: copy
the ``management`` directory along to have it.

Copy with: ``health.py``, ``row_copy.py``, ``shard_freeze.py``, ``shard_ids.py``,
``shard_map.py``.
"""

import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connections, models, transaction
from django.db.models import F

from .row_copy import (
    DEFAULT_BATCH_SIZE,
    combined,
    delete_rows,
    dependency_order,
    digests,
    sync_keys,
    sync_rows,
)
from .shard_freeze import (
    forget_all_changes,
    forget_changes,
    install_guard,
    pending_changes,
    set_freeze_state,
)
from .shard_ids import SEQUENCE_BITS, ShardedIdField
from .shard_map import (
    _MAP_CACHE,
    MOVES_TABLE,
    assign_logical_shards,
    logical_shard_count,
    map_database,
    map_refresh_seconds,
    read_map,
    shard_aliases,
    sharded_models,
)

__all__ = ["STEPS", "Move", "MoveError", "ShardMover", "abort_move", "moves", "plan_move"]

logger = logging.getLogger(__name__)

STEPS = ("copy", "catch_up", "verify", "freeze", "switch", "cleanup")
MAX_CATCH_UP_PASSES = 10
_FIELDS = "id, logical_shard, source, target, step, status, owner, started, updated, detail"


class MoveError(Exception):
    """A move that can't start, go on or be aborted; the message says why and what to do."""


@dataclass
class Move:
    """One move's record in ``sharding_move``; ``detail`` holds its progress and timings."""

    id: int
    logical_shard: int
    source: str
    target: str
    step: str
    status: str  # running, done or aborted
    owner: str
    started: float
    updated: float
    detail: dict = field(default_factory=dict)

    @property
    def switched(self) -> bool:
        return self.step == "cleanup" or self.status == "done"


def moves(*, logical_shard: int | None = None, limit: int = 20) -> list[Move]:
    """The newest moves first, of one logical shard or of all."""
    where, params = ("", [])
    if logical_shard is not None:
        where, params = "WHERE logical_shard = %s", [logical_shard]
    with connections[map_database()].cursor() as cursor:
        cursor.execute(
            f"SELECT {_FIELDS} FROM {MOVES_TABLE} {where} ORDER BY id DESC LIMIT %s",
            [*params, limit],
        )
        return [Move(*row[:-1], detail=json.loads(row[-1])) for row in cursor.fetchall()]


def running_move(logical_shard: int) -> Move | None:
    found = [m for m in moves(logical_shard=logical_shard, limit=5) if m.status == "running"]
    return found[0] if found else None


def movable_models() -> list[type[models.Model]]:
    """The sharded models, parents before children; every one must carry its shard in its id."""
    found = [apps.get_model(label) for label in sharded_models()]
    for model in found:
        if not isinstance(model._meta.pk, ShardedIdField):
            raise MoveError(
                f"{model._meta.label} has no ShardedIdField primary key, so its rows of one "
                "logical shard can't be told apart on a physical shard that holds many."
            )
    return dependency_order(found)


def shard_rows(model, alias: str, logical_shard: int) -> models.QuerySet:
    """*model*'s rows of *logical_shard* on *alias*, read from the ids, past every router."""
    carried = F("pk").bitrightshift(SEQUENCE_BITS).bitand(4095)
    rows = models.QuerySet(model, using=alias).alias(_logical=carried)
    return rows.filter(_logical=logical_shard)


@dataclass
class MovePlan:
    logical_shard: int
    source: str
    target: str
    map_version: int
    rows: dict[str, tuple[int, int]]  # model label -> (rows on the source, rows on the target)


def plan_move(logical_shard: int, target: str) -> MovePlan:
    """What moving *logical_shard* to *target* would copy; ``MoveError`` if it can't."""
    count = logical_shard_count()
    if not 0 <= logical_shard < count:
        raise MoveError(f"Logical shard {logical_shard} doesn't exist: they are 0-{count - 1}.")
    if target not in shard_aliases():
        raise MoveError(
            f"{target!r} is not a shard: DATABASE_SHARDING['SHARDS'] is "
            f"{', '.join(shard_aliases())}."
        )
    shard_map = read_map()
    source = shard_map.alias_for(logical_shard)
    if source == target:
        raise MoveError(f"Logical shard {logical_shard} is already on {target}.")
    rows = {
        model._meta.label: (
            shard_rows(model, source, logical_shard).count(),
            shard_rows(model, target, logical_shard).count(),
        )
        for model in movable_models()
    }
    return MovePlan(logical_shard, source, target, shard_map.version, rows)


def start_move(logical_shard: int, target: str) -> Move:
    """Record a new move and open its freeze entry; the map names it (its version goes up)."""
    plan = plan_move(logical_shard, target)
    if (running := running_move(logical_shard)) is not None:
        raise MoveError(
            f"Logical shard {logical_shard} is already moving to {running.target} "
            f"(step {running.step}): --resume or --abort it."
        )
    for alias in (plan.source, plan.target):
        install_guard(alias)
    set_freeze_state(plan.target, logical_shard, None)  # where it goes, every write is welcome
    forget_all_changes(plan.source, logical_shard)  # from an earlier move that didn't end
    set_freeze_state(plan.source, logical_shard, "open", f"moving to {target}")
    now = time.time()
    with transaction.atomic(using=map_database()):
        with connections[map_database()].cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {MOVES_TABLE} (logical_shard, source, target, step, status, owner, "
                "started, updated, detail) VALUES (%s, %s, %s, 'copy', 'running', '', %s, %s, %s)",
                [logical_shard, plan.source, target, now, now, json.dumps({"plan": plan.rows})],
            )
        assign_logical_shards({logical_shard: plan.source})  # the same place, a new version
    return running_move(logical_shard)


def _save(move: Move) -> None:
    move.updated = time.time()
    with connections[map_database()].cursor() as cursor:
        cursor.execute(
            f"UPDATE {MOVES_TABLE} SET step = %s, status = %s, owner = %s, updated = %s, "
            "detail = %s WHERE id = %s",
            [move.step, move.status, move.owner, move.updated, json.dumps(move.detail), move.id],
        )


def _claim(move: Move) -> None:
    """Make this process the move's owner, unless a live process on this host still is."""
    me = f"{socket.gethostname()}:{os.getpid()}"
    host, _, pid = move.owner.rpartition(":")
    if move.owner and move.owner != me and _alive(host, pid):
        raise MoveError(f"Logical shard {move.logical_shard}'s move is running in {move.owner}.")
    with connections[map_database()].cursor() as cursor:
        cursor.execute(
            f"UPDATE {MOVES_TABLE} SET owner = %s WHERE id = %s AND owner = %s",
            [me, move.id, move.owner],
        )
        if cursor.rowcount != 1:
            raise MoveError(f"Another process took logical shard {move.logical_shard}'s move.")
    move.owner = me


def _alive(host: str, pid: str) -> bool:
    if host != socket.gethostname():
        return True  # can't tell from here: assume it runs
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


Progress = Callable[[str, str, int, int], None]  # step, model label, rows done, rows in all


class ShardMover:
    """Runs a move's remaining steps; see the module for what each does."""

    def __init__(
        self,
        move: Move,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Progress | None = None,
        on_step: Callable[[str], None] | None = None,
        grace: float | None = None,
        pause: float = 0.0,
    ):
        self.move = move
        self.batch_size = batch_size
        self.pause = pause  # seconds between batches of copy, verify and cleanup: a throttle
        self.progress = progress
        self.on_step = on_step
        self.grace = 2 * map_refresh_seconds() if grace is None else grace
        self.models = movable_models()

    @classmethod
    def start(cls, logical_shard: int, target: str, **options) -> "ShardMover":
        return cls(start_move(logical_shard, target), **options)

    @classmethod
    def resume(cls, logical_shard: int, **options) -> "ShardMover":
        move = running_move(logical_shard)
        if move is None:
            raise MoveError(f"Logical shard {logical_shard} has no move to resume.")
        return cls(move, **options)

    def run(self) -> Move:
        """Run the remaining steps; a failure is recorded on the move, then raised."""
        _claim(self.move)
        self.move.detail["pause"] = self.pause
        try:
            return self._run()
        except Exception as error:
            self.move.detail["error"] = f"{self.move.step}: {type(error).__name__}: {error}"
            try:
                _save(self.move)
            except Exception:  # the map database may be what failed: the move can resume
                logger.exception(
                    "move of logical shard %d: error not recorded", self.move.logical_shard
                )
            raise

    def _run(self) -> Move:
        self.move.detail.pop("error", None)
        for step in STEPS[STEPS.index(self.move.step) :]:
            if self.on_step:
                self.on_step(step)
            self.began = time.time()
            getattr(self, f"_{step}")()
            if step == "switch":
                continue  # recorded with the map, in one transaction
            self.move.detail.setdefault("timings", {})[step] = [self.began, time.time()]
            following = STEPS.index(step) + 1
            self.move.step = STEPS[following] if following < len(STEPS) else step
            self.move.status = "done" if following == len(STEPS) else "running"
            _save(self.move)
        return self.move

    def _sync(self, step: str, model, *, after=None, saved=None):
        label, move = model._meta.label, self.move
        total = shard_rows(model, move.source, move.logical_shard).count()

        def report(done):
            if self.progress:
                self.progress(step, label, done, total)

        return sync_rows(
            shard_rows(model, move.source, move.logical_shard),
            shard_rows(model, move.target, move.logical_shard),
            after=after,
            batch_size=self.batch_size,
            progress=report,
            saved=saved,
            pause=self.pause,
        )

    def _copy(self):
        copied = self.move.detail.setdefault("copied", {})
        for model in self.models:
            label = model._meta.label

            def saved(last, label=label):
                copied[label] = last
                _save(self.move)

            self._sync("copy", model, after=copied.get(label), saved=saved)

    def _catch_up(self):
        passes = self.move.detail.setdefault("catch_up", [])
        while True:
            carried = self._carry_changes(until_empty=False)
            passes.append(carried)
            _save(self.move)
            if carried < self.batch_size or len(passes) >= MAX_CATCH_UP_PASSES:
                return

    def _carry_changes(self, *, until_empty: bool, noted: dict | None = None) -> int:
        """Carry over the rows the source's change log names; return how many entries.

        Drains the log a batch at a time, until a batch is short (writes go on)
        or, *until_empty*, until none is left (writes are frozen). *noted*
        collects each model's keys carried over, for the check after the freeze.
        """
        move, carried = self.move, 0
        tables = {model._meta.db_table: model for model in self.models}
        while entries := pending_changes(move.source, move.logical_shard, limit=self.batch_size):
            keys: dict[str, list] = {}
            for _, table, row_id in entries:
                keys.setdefault(table, []).append(row_id)
            for table, pks in keys.items():
                if model := tables.get(table):
                    source = shard_rows(model, move.source, move.logical_shard)
                    target = shard_rows(model, move.target, move.logical_shard)
                    sync_keys(source, target, pks, batch_size=self.batch_size)
                    if noted is not None:
                        noted.setdefault(model._meta.label, []).extend(pks)
            forget_changes(move.source, [entry_id for entry_id, _, _ in entries])
            carried += len(entries)
            if len(entries) < self.batch_size and not until_empty:
                break
        return carried

    def _verify(self):
        """Every row on both sides, compared; rows written since are checked under the freeze.

        Writes go on while it reads, so a row may differ because it changed
        between the two reads: such a row is in the change log, which the
        freeze carries over and checks again. A difference the log doesn't
        explain means the copy is wrong: the move goes back to a full copy.
        """
        move, found, unexplained = self.move, {}, {}
        for model in self.models:
            ours = digests(shard_rows(model, move.source, move.logical_shard), pause=self.pause)
            theirs = digests(shard_rows(model, move.target, move.logical_shard), pause=self.pause)
            logged = self._logged(model)  # read after both sides: covers writes during the reads
            differ = {k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k)}
            if differ - logged:
                unexplained[model._meta.label] = len(differ - logged)
            settled = {k: v for k, v in ours.items() if k not in logged}
            found[model._meta.label] = {
                "source": combined(settled),
                "target": combined({k: v for k, v in theirs.items() if k not in logged}),
                "changed_since": len(logged),
            }
        move.detail["verify"] = found
        if unexplained:
            self._copy_again()
            said = ", ".join(f"{n} rows of {label}" for label, n in unexplained.items())
            raise MoveError(
                f"Verify found {said} different on {move.source} and {move.target}, with no "
                "write to explain it (did something write to the target?). The move goes back "
                "to a full copy: --resume runs it, --abort gives up."
            )

    def _logged(self, model) -> set:
        move, table = self.move, model._meta.db_table
        entries = pending_changes(move.source, move.logical_shard, limit=10**9)
        return {row_id for _, name, row_id in entries if name == table}

    def _copy_again(self):
        self.move.step, self.move.detail["copied"] = "copy", {}
        _save(self.move)

    def _freeze(self):
        """Writes to this logical shard refused, the rest of the log carried over and checked."""
        move = self.move
        set_freeze_state(move.source, move.logical_shard, "frozen", f"moving to {move.target}")
        move.detail.setdefault("frozen_at", time.time())
        noted = move.detail.setdefault("freeze_keys", {})  # kept, in case this step resumes
        move.detail["freeze_changed"] = self._carry_changes(until_empty=True, noted=noted)
        _save(move)
        checked = {}
        for model in self.models:
            label = model._meta.label
            source = shard_rows(model, move.source, move.logical_shard)
            target = shard_rows(model, move.target, move.logical_shard)
            keys = noted.get(label, [])
            checked[label] = {
                "rows": [source.count(), target.count()],
                "changed": [
                    combined(digests(source.filter(pk__in=keys))),
                    combined(digests(target.filter(pk__in=keys))),
                ],
            }
        move.detail["freeze_check"] = checked
        wrong = [
            label
            for label, c in checked.items()
            if c["rows"][0] != c["rows"][1] or c["changed"][0] != c["changed"][1]
        ]
        if wrong:
            set_freeze_state(move.source, move.logical_shard, "open", f"moving to {move.target}")
            self._copy_again()
            raise MoveError(
                f"With writes frozen, {', '.join(wrong)} differ on {move.source} and "
                f"{move.target}. Writes are open again and the move goes back to a full copy: "
                "--resume runs it, --abort gives up."
            )

    def _switch(self):
        move = self.move
        set_freeze_state(move.target, move.logical_shard, None)
        with transaction.atomic(using=map_database()):
            version = assign_logical_shards({move.logical_shard: move.target})
            move.detail["map_version"] = version
            move.detail["frozen_seconds"] = time.time() - move.detail["frozen_at"]
            move.detail.setdefault("timings", {})["switch"] = [self.began, time.time()]
            move.step = "cleanup"
            _save(move)
        _MAP_CACHE.clear()

    def _cleanup(self):
        move = self.move
        switched = move.detail["timings"]["switch"][1]
        time.sleep(max(0.0, switched + self.grace - time.time()))
        set_freeze_state(move.source, move.logical_shard, "cleaning", f"moved to {move.target}")
        deleted = move.detail.setdefault("deleted", {})
        for model in reversed(self.models):
            deleted[model._meta.label] = _delete_all(
                shard_rows(model, move.source, move.logical_shard), self.batch_size, self.pause
            )
        detail = f"moved to {move.target} at map v{move.detail['map_version']}"
        set_freeze_state(move.source, move.logical_shard, "moved", detail)
        forget_all_changes(move.source, move.logical_shard)


def _delete_all(rows: models.QuerySet, batch_size: int, pause: float = 0.0) -> int:
    deleted = 0
    while pks := list(rows.values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic(using=rows.db):
            deleted += delete_rows(rows.model, rows.db, pks, batch_size=batch_size)
        time.sleep(pause)
    return deleted


def abort_move(logical_shard: int) -> Move:
    """Undo a move that hasn't switched: the target's copy deleted, the source's writes open."""
    move = running_move(logical_shard)
    if move is None:
        raise MoveError(f"Logical shard {logical_shard} has no move to abort.")
    if move.switched:
        raise MoveError(
            f"Logical shard {logical_shard} switched to {move.target} at map "
            f"v{move.detail.get('map_version')}; to undo it, move it back: "
            f"move_shard {logical_shard} --to {move.source}."
        )
    _claim(move)
    for model in reversed(movable_models()):
        _delete_all(shard_rows(model, move.target, logical_shard), DEFAULT_BATCH_SIZE)
    set_freeze_state(move.source, logical_shard, None)
    forget_all_changes(move.source, logical_shard)
    move.status = "aborted"
    with transaction.atomic(using=map_database()):
        _save(move)
        assign_logical_shards({logical_shard: move.source})  # the map stops naming the move
    return move
