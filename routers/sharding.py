"""Horizontal sharding: where a key's rows live, and IDs that say so themselves.

Rows of a sharded model spread over many **logical** shards, a fixed number
chosen once (64 by default), which a map places on fewer **physical**
databases; moving a logical shard changes the map, never a key's logical
shard. Two functions hold that promise:

``logical_shard_for(key)``
    A stable function of the key, the same in every process, on every
    machine and in every Python version, so never ``hash()`` (salted per
    process for strings). A whole number key ``k`` goes to ``k % N``: user 42
    of 64 logical shards is in logical shard 42, so neighbours spread evenly
    and a person can check it in their head. Any other key (a string, a UUID,
    bytes) goes by its digest: the first eight bytes of BLAKE2b over its UTF-8
    text (a UUID's 16 bytes, bytes as they are), read big-endian, modulo ``N``.
    ``N`` is ``DATABASE_SHARDING["LOGICAL_SHARDS"]``; changing it moves nearly
    every key, so it is chosen once.

``make_id(logical_shard, sequence)`` / ``logical_shard_of(id)``
    64-bit IDs that carry their logical shard, in the layout Instagram
    described: from the most significant bit, a 0 (the IDs are positive
    ``bigint`` values), 41 bits of milliseconds since ``ID_EPOCH`` (until the
    year 2095), 12 bits of logical shard (so at most 4096 logical shards) and
    10 bits of a sequence. IDs sort by creation time, never collide across
    logical shards, stay valid when a logical shard moves, and a lookup by id
    alone finds its shard. The sequence must be unique per logical shard
    within a millisecond: it comes from the database that writes the row
    (modulo 1024), as Instagram's came from a PostgreSQL sequence.

Copy with: nothing (Django only).
"""

import datetime
import hashlib
import uuid
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = [
    "ID_EPOCH",
    "MAX_LOGICAL_SHARDS",
    "decode_id",
    "logical_shard_count",
    "logical_shard_for",
    "logical_shard_of",
    "make_id",
]

DEFAULT_LOGICAL_SHARDS = 64
ID_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
TIME_BITS, SHARD_BITS, SEQUENCE_BITS = 41, 12, 10
MAX_LOGICAL_SHARDS = 1 << SHARD_BITS
_SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1
_SHARD_MASK = MAX_LOGICAL_SHARDS - 1
_MAX_MILLISECONDS = (1 << TIME_BITS) - 1


@cache
def logical_shard_count() -> int:
    """``DATABASE_SHARDING["LOGICAL_SHARDS"]``, 64 when unset."""
    return getattr(settings, "DATABASE_SHARDING", {}).get("LOGICAL_SHARDS", DEFAULT_LOGICAL_SHARDS)


@receiver(setting_changed)
def _clear_cache(*, setting, **kwargs):
    if setting == "DATABASE_SHARDING":
        logical_shard_count.cache_clear()


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


def make_id(logical_shard: int, sequence: int, *, at: datetime.datetime | None = None) -> int:
    """A new row's id: *at* (now by default), *logical_shard*, and *sequence* modulo 1024."""
    if not 0 <= logical_shard < MAX_LOGICAL_SHARDS:
        raise ValueError(f"logical shard {logical_shard} is outside 0-{MAX_LOGICAL_SHARDS - 1}")
    at = at or datetime.datetime.now(datetime.UTC)
    milliseconds = (at - ID_EPOCH) // datetime.timedelta(milliseconds=1)
    if not 0 <= milliseconds <= _MAX_MILLISECONDS:
        raise ValueError(f"{at.isoformat()} is outside the id's time range from {ID_EPOCH.date()}")
    return (
        milliseconds << (SHARD_BITS + SEQUENCE_BITS)
        | logical_shard << SEQUENCE_BITS
        | sequence & _SEQUENCE_MASK
    )


def logical_shard_of(row_id: int) -> int:
    """The logical shard an id made by ``make_id`` carries."""
    return row_id >> SEQUENCE_BITS & _SHARD_MASK


def decode_id(row_id: int) -> tuple[datetime.datetime, int, int]:
    """``(created, logical shard, sequence)`` of an id made by ``make_id``."""
    milliseconds = row_id >> (SHARD_BITS + SEQUENCE_BITS)
    created = ID_EPOCH + datetime.timedelta(milliseconds=milliseconds)
    return created, logical_shard_of(row_id), row_id & _SEQUENCE_MASK
