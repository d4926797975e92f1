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
``shard_map.py``, ``shard_move_plan.py``, ``thread_connections.py``.
"""

import logging
import time
from collections.abc import Callable

from django.db import models, transaction

from .row_copy import (
    DEFAULT_BATCH_SIZE,
    combined,
    delete_rows,
    digests,
    sync_keys,
    sync_rows,
)
from .shard_freeze import forget_all_changes, forget_changes, pending_changes, set_freeze_state
from .shard_map import _MAP_CACHE, assign_logical_shards, map_database, map_refresh_seconds
from .shard_move_plan import (
    Move,
    MoveError,
    MovePlan,
    claim_move,
    movable_models,
    moves,
    plan_move,
    running_move,
    save_move,
    shard_rows,
    start_move,
)

__all__ = [
    "STEPS",
    "Move",
    "MoveError",
    "MovePlan",
    "ShardMover",
    "abort_move",
    "moves",
    "plan_move",
    "running_move",
    "shard_rows",
    "start_move",
]

logger = logging.getLogger(__name__)

STEPS = ("copy", "catch_up", "verify", "freeze", "switch", "cleanup")
MAX_CATCH_UP_PASSES = 10


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
        claim_move(self.move)
        self.move.detail["pause"] = self.pause
        try:
            return self._run()
        except Exception as error:
            self.move.detail["error"] = f"{self.move.step}: {type(error).__name__}: {error}"
            try:
                save_move(self.move)
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
            save_move(self.move)
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
                save_move(self.move)

            self._sync("copy", model, after=copied.get(label), saved=saved)

    def _catch_up(self):
        passes = self.move.detail.setdefault("catch_up", [])
        while True:
            carried = self._carry_changes(until_empty=False)
            passes.append(carried)
            save_move(self.move)
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
        for stale in ("frozen_at", "freeze_keys"):  # the next freeze starts its own
            self.move.detail.pop(stale, None)
        save_move(self.move)

    def _freeze(self):
        """Writes to this logical shard refused, the rest of the log carried over and checked."""
        move = self.move
        set_freeze_state(move.source, move.logical_shard, "frozen", f"moving to {move.target}")
        move.detail.setdefault("frozen_at", time.time())
        noted = move.detail.setdefault("freeze_keys", {})  # kept, in case this step resumes
        move.detail["freeze_changed"] = self._carry_changes(until_empty=True, noted=noted)
        save_move(move)
        checked: dict[str, dict[str, list]] = {}
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
            save_move(move)
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
    claim_move(move)
    for model in reversed(movable_models()):
        _delete_all(shard_rows(model, move.target, logical_shard), DEFAULT_BATCH_SIZE)
    set_freeze_state(move.source, logical_shard, None)
    forget_all_changes(move.source, logical_shard)
    move.status = "aborted"
    with transaction.atomic(using=map_database()):
        save_move(move)
        assign_logical_shards({logical_shard: move.source})  # the map stops naming the move
    return move
