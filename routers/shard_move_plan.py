"""The records of logical-shard moves, and how a move is planned and started.

``sharding_move`` in the map database holds one row per move: its logical
shard, source and target, the step it is at, its status (``running``,
``done`` or ``aborted``), the process that runs it (host and pid, so a
second process can't run it at the same time while the first lives), and
its progress and timings as JSON. ``shard_move.py`` runs the steps; this
module finds the rows to move (``shard_rows``: a logical shard's rows on one
physical shard, read from their ids), says what a move would copy
(``plan_move``) and starts one (``start_move``).

Copy with: ``health.py``, ``row_copy.py``, ``shard_freeze.py``, ``shard_ids.py``,
``shard_map.py``, ``thread_connections.py``.
"""

import json
import os
import socket
import time
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connections, models, transaction
from django.db.models import F

from .row_copy import dependency_order
from .shard_freeze import forget_all_changes, install_guard, set_freeze_state
from .shard_ids import SEQUENCE_BITS, ShardedIdField
from .shard_map import (
    MOVES_TABLE,
    assign_logical_shards,
    logical_shard_count,
    map_database,
    read_map,
    shard_aliases,
    sharded_models,
)

__all__ = [
    "Move",
    "MoveError",
    "MovePlan",
    "claim_move",
    "movable_models",
    "moves",
    "plan_move",
    "running_move",
    "save_move",
    "shard_rows",
    "start_move",
]

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
        return [_move(row) for row in cursor.fetchall()]


def _move(row: tuple) -> Move:
    """A ``Move`` from a row of ``_FIELDS`` (the columns are named as its fields)."""
    values = dict(zip(_FIELDS.split(", "), row, strict=True))
    return Move(**{**values, "detail": json.loads(values["detail"])})


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
    move = running_move(logical_shard)
    assert move is not None  # the row inserted above
    return move


def save_move(move: Move) -> None:
    """Write *move*'s step, status, owner and detail back to its row."""
    move.updated = time.time()
    with connections[map_database()].cursor() as cursor:
        cursor.execute(
            f"UPDATE {MOVES_TABLE} SET step = %s, status = %s, owner = %s, updated = %s, "
            "detail = %s WHERE id = %s",
            [move.step, move.status, move.owner, move.updated, json.dumps(move.detail), move.id],
        )


def claim_move(move: Move) -> None:
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
