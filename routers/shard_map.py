"""The shard map: which physical database holds each logical shard, and its version.

A table, ``sharding_map`` (``logical_shard``, ``alias``, ``version``), in
``DATABASE_SHARDING["MAP_DATABASE"]`` (``default``). ``migrate`` creates it
there (``sharding.py`` calls ``install_map`` from ``post_migrate``) and fills
an empty one with contiguous ranges, version 1: 64 logical shards on two
databases put 0-31 on the first and 32-63 on the second.
``assign_logical_shards({n: alias})`` changes entries and raises the version
in one transaction; the map's version is its highest entry's. Beside it,
``sharding_move`` records each move of a logical shard and its steps
(``shard_move.py``); the map names the moves not yet switched, so routing
can say where a logical shard is going.

Every process keeps a copy and trusts it for
``DATABASE_SHARDING["MAP_REFRESH_SECONDS"]`` (1 by default). The next routing
decision after that asks the map database for the version (one ``MAX`` over
the table's rows, one per logical shard) and reads the whole map again only
when it changed. So a new map takes effect in every process within that many
seconds, with no restart and no deploy. While its copy is stale a process
routes by the old map, so a move between databases keeps writes to the moving
logical shard frozen for longer than that. A map database that can't be reached
leaves a process on the copy it has, logged as a warning; with no copy yet,
routing raises the database's error. A map that can't route (an alias not in
``SHARDS``, a logical shard no entry places) raises ``ShardMapError``.

Copy with: nothing (Django only).
"""

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.dispatch import receiver

__all__ = [
    "ShardMap",
    "ShardMapError",
    "assign_logical_shards",
    "current_map",
    "install_map",
    "is_sharded",
    "logical_shard_count",
    "logical_shard_for",
    "map_database",
    "read_map",
    "shard_aliases",
    "shard_for",
    "shard_key_field",
    "sharded_models",
]

logger = logging.getLogger(__name__)

DEFAULT_LOGICAL_SHARDS = 64
MAP_TABLE = "sharding_map"
MOVES_TABLE = "sharding_move"  # moves of logical shards and their steps (shard_move.py)
PRE_SWITCH_STEPS = ("copy", "catch_up", "freeze", "verify", "switch")


class ShardMapError(DatabaseError):
    """The shard map names a database that isn't a shard, or leaves a logical shard out."""


def sharding_settings() -> Mapping:
    value = getattr(settings, "DATABASE_SHARDING", None)
    return value if isinstance(value, Mapping) else {}


@cache
def logical_shard_count() -> int:
    """``DATABASE_SHARDING["LOGICAL_SHARDS"]``, 64 when unset."""
    return sharding_settings().get("LOGICAL_SHARDS", DEFAULT_LOGICAL_SHARDS)


@cache
def shard_aliases() -> tuple[str, ...]:
    """``DATABASE_SHARDING["SHARDS"]``: the physical databases, in order."""
    return tuple(sharding_settings().get("SHARDS", ()))


@cache
def sharded_models() -> dict[str, str]:
    """``DATABASE_SHARDING["MODELS"]``: lower-cased model label -> shard key field name."""
    return {label.lower(): key for label, key in sharding_settings().get("MODELS", {}).items()}


def is_sharded(model) -> bool:
    return model is not None and model._meta.label_lower in sharded_models()


def shard_key_field(model) -> models.Field:
    """The field *model* is sharded by (``user`` for ``activity.Event``)."""
    return model._meta.get_field(sharded_models()[model._meta.label_lower])


def logical_shard_for(key, *, shards: int | None = None) -> int:
    """The logical shard of *key*, from 0 to the number of logical shards less one."""
    shards = shards or logical_shard_count()
    if isinstance(key, bool) or key is None:
        raise TypeError(f"a shard key must be a whole number, a string, a UUID or bytes: {key!r}")
    if isinstance(key, int):
        return key % shards
    return int.from_bytes(_digest(key)[:8], "big") % shards


def _digest(key) -> bytes:
    if isinstance(key, uuid.UUID):
        data = key.bytes
    elif isinstance(key, bytes | bytearray | memoryview):
        data = bytes(key)
    elif isinstance(key, str):
        data = key.encode("utf-8")
    else:
        raise TypeError(f"a shard key must be a whole number, a string, a UUID or bytes: {key!r}")
    return hashlib.blake2b(data, digest_size=16).digest()


def shard_for(key) -> str:
    """The alias of the physical database that holds *key*'s rows, by the current map."""
    return current_map().alias_for(logical_shard_for(key))


def map_database() -> str:
    """``DATABASE_SHARDING["MAP_DATABASE"]``: where the map table lives (``default``)."""
    return sharding_settings().get("MAP_DATABASE", DEFAULT_DB_ALIAS)


@cache
def map_refresh_seconds() -> float:
    """How long a process trusts its copy of the map: ``MAP_REFRESH_SECONDS`` (1)."""
    return float(sharding_settings().get("MAP_REFRESH_SECONDS", 1.0))


@dataclass(frozen=True)
class ShardMap:
    """Which physical database holds each logical shard; ``aliases[n]`` is shard *n*'s."""

    version: int
    aliases: tuple[str, ...]
    moving: tuple[tuple[int, str], ...] = ()  # (logical shard, target) of moves not switched

    def alias_for(self, logical_shard: int) -> str:
        return self.aliases[logical_shard]

    def moving_to(self, logical_shard: int) -> str | None:
        """The database *logical_shard* is being moved to, if a move has started."""
        return dict(self.moving).get(logical_shard)

    def ranges(self) -> dict[str, list[tuple[int, int]]]:
        """Each alias -> its logical shards as inclusive ``(first, last)`` runs."""
        runs: dict[str, list[tuple[int, int]]] = {}
        for shard, alias in enumerate(self.aliases):
            mine = runs.setdefault(alias, [])
            if mine and mine[-1][1] == shard - 1:
                mine[-1] = (mine[-1][0], shard)
            else:
                mine.append((shard, shard))
        return runs

    def describe(self, alias: str) -> str:
        """``0-31`` (or ``0-15, 40``): the logical shards *alias* holds."""
        return _described(self)[alias] if alias in self.aliases else "none"


@cache
def _described(shard_map: ShardMap) -> dict[str, str]:
    """Each alias's logical shards as text, once per map: routing asks for it per query."""
    return {
        alias: ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
        for alias, runs in shard_map.ranges().items()
    }


_MAP_CACHE: dict[str, tuple[ShardMap, float]] = {}
_MAP_LOCK = threading.Lock()


def current_map() -> ShardMap:
    """This process's copy of the map, checked against the map's version once it is stale."""
    now = time.monotonic()
    cached = _MAP_CACHE.get("map")
    if cached and now - cached[1] < map_refresh_seconds():
        return cached[0]
    with _MAP_LOCK:
        cached = _MAP_CACHE.get("map")
        if cached and time.monotonic() - cached[1] < map_refresh_seconds():
            return cached[0]  # another thread refreshed it while this one waited
        try:
            fresh = cached[0] if cached and map_version() == cached[0].version else read_map()
        except DatabaseError as error:
            if cached is None or isinstance(error, ShardMapError):
                raise
            logger.warning("shard map not refreshed, routing by v%d: %s", cached[0].version, error)
            fresh = cached[0]
        _MAP_CACHE["map"] = (fresh, time.monotonic())
        return fresh


def map_version(using: str | None = None) -> int:
    with connections[using or map_database()].cursor() as cursor:
        cursor.execute(f"SELECT MAX(version) FROM {MAP_TABLE}")
        return cursor.fetchone()[0] or 0


def read_map(using: str | None = None) -> ShardMap:
    """The map as the map database holds it now; ``ShardMapError`` if it can't route."""
    with connections[using or map_database()].cursor() as cursor:
        cursor.execute(f"SELECT logical_shard, alias, version FROM {MAP_TABLE}")
        rows = cursor.fetchall()
        marks = ", ".join(["%s"] * len(PRE_SWITCH_STEPS))
        cursor.execute(
            f"SELECT logical_shard, target FROM {MOVES_TABLE} "
            f"WHERE status = 'running' AND step IN ({marks}) ORDER BY logical_shard",
            PRE_SWITCH_STEPS,
        )
        moving = tuple(cursor.fetchall())
    entries = {shard: alias for shard, alias, _ in rows}
    version = max((row[2] for row in rows), default=0)
    problems = map_problems(entries)
    if problems:
        raise ShardMapError(f"The shard map (v{version}) can't route: {'; '.join(problems)}.")
    return ShardMap(version, tuple(entries[n] for n in range(logical_shard_count())), moving)


def map_problems(entries: Mapping[int, str]) -> list[str]:
    """What stops *entries* routing every key: aliases that aren't shards, shards left out."""
    problems = []
    strangers = sorted({alias for alias in entries.values() if alias not in shard_aliases()})
    if strangers:
        problems.append(f"it names {', '.join(strangers)}, not in DATABASE_SHARDING['SHARDS']")
    missing = [n for n in range(logical_shard_count()) if n not in entries]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        problems.append(f"no entry places logical shard {shown}")
    return problems


def initial_entries() -> dict[int, str]:
    """Contiguous ranges of logical shards, one per physical shard, in ``SHARDS`` order."""
    shards, count = shard_aliases(), logical_shard_count()
    return {n: shards[n * len(shards) // count] for n in range(count)}


def install_map(using: str | None = None) -> None:
    """Create the map and moves tables on *using* if it has none, and fill an empty map."""
    connection = connections[using or map_database()]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MAP_TABLE} (logical_shard integer PRIMARY KEY, "
            "alias varchar(100) NOT NULL, version integer NOT NULL)"
        )
        identity = "GENERATED BY DEFAULT AS IDENTITY " if connection.vendor == "postgresql" else ""
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MOVES_TABLE} (id integer {identity}PRIMARY KEY, "
            "logical_shard integer NOT NULL, source varchar(100) NOT NULL, "
            "target varchar(100) NOT NULL, step varchar(20) NOT NULL, "
            "status varchar(20) NOT NULL, owner varchar(200) NOT NULL, "
            "started double precision NOT NULL, updated double precision NOT NULL, "
            "detail text NOT NULL)"
        )
        cursor.execute(f"SELECT COUNT(*) FROM {MAP_TABLE}")
        if cursor.fetchone()[0] == 0 and shard_aliases():
            cursor.executemany(
                f"INSERT INTO {MAP_TABLE} (logical_shard, alias, version) VALUES (%s, %s, 1)",
                list(initial_entries().items()),
            )


def assign_logical_shards(entries: Mapping[int, str], *, using: str | None = None) -> int:
    """Place each logical shard in *entries* on its alias; return the map's new version."""
    alias = using or map_database()
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one change at a time, versions in order
            cursor.execute(f"LOCK TABLE {MAP_TABLE} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT logical_shard, alias, version FROM {MAP_TABLE}")
        rows = cursor.fetchall()
        current = {shard: target for shard, target, _ in rows}
        version = max((row[2] for row in rows), default=0) + 1
        problems = map_problems({**current, **entries})
        if problems:
            raise ShardMapError(f"Not changed: {'; '.join(problems)}.")
        cursor.executemany(
            f"UPDATE {MAP_TABLE} SET alias = %s, version = %s WHERE logical_shard = %s",
            [(target, version, shard) for shard, target in entries.items()],
        )
    _MAP_CACHE.clear()  # this process sees its own change at once
    return version


@receiver(setting_changed)
def _clear_cache(*, setting, **kwargs):
    if setting == "DATABASE_SHARDING":
        logical_shard_count.cache_clear()
        shard_aliases.cache_clear()
        map_refresh_seconds.cache_clear()
        sharded_models.cache_clear()
        _MAP_CACHE.clear()
