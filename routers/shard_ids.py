"""IDs that carry their logical shard, made when a row is inserted.

64-bit IDs in the layout Instagram described: from the most significant bit,
a 0 (the IDs are positive ``bigint`` values), 41 bits of milliseconds since
``ID_EPOCH`` (until the year 2095), 12 bits of logical shard (so at most 4096
logical shards) and 10 bits of a sequence. IDs sort by creation time, never
collide across logical shards, stay valid when a logical shard moves, and a
lookup by id alone finds its shard (``logical_shard_of``).

The sequence comes from the database that writes the row, as Instagram's came
from a PostgreSQL sequence: ``sharding_id_sequence``, a sequence on
PostgreSQL and a one-row counter table on SQLite, which ``migrate`` creates
on every shard (``sharding.py``). It is unique per database, so two processes
writing one logical shard in the same millisecond get different IDs; it costs
one round trip per insert (one per shard for ``bulk_create``).

``ShardedIdField`` is the primary key that does it: ``id = ShardedIdField()``.

Copy with: ``shard_map.py``.
"""

import datetime

from django.db import connections, models, transaction

from .shard_map import logical_shard_for, shard_for, shard_key_field

__all__ = [
    "ID_EPOCH",
    "MAX_LOGICAL_SHARDS",
    "ShardedIdField",
    "decode_id",
    "install_sequence",
    "logical_shard_of",
    "make_id",
    "new_ids",
]

ID_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
TIME_BITS, SHARD_BITS, SEQUENCE_BITS = 41, 12, 10
MAX_LOGICAL_SHARDS = 1 << SHARD_BITS
_SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1
_SHARD_MASK = MAX_LOGICAL_SHARDS - 1
_MAX_MILLISECONDS = (1 << TIME_BITS) - 1
_SEQUENCES = 1 << SEQUENCE_BITS
_MILLISECOND = datetime.timedelta(milliseconds=1)
SEQUENCE_NAME = "sharding_id_sequence"


def make_id(logical_shard: int, sequence: int, *, at: datetime.datetime | None = None) -> int:
    """A new row's id: *at* (now by default), *logical_shard*, and *sequence* modulo 1024."""
    if not 0 <= logical_shard < MAX_LOGICAL_SHARDS:
        raise ValueError(f"logical shard {logical_shard} is outside 0-{MAX_LOGICAL_SHARDS - 1}")
    at = at or datetime.datetime.now(datetime.timezone.utc)
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


def next_sequences(alias: str, count: int = 1) -> list[int]:
    """*count* new values of *alias*'s id sequence, each unique on that database."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT nextval('{SEQUENCE_NAME}') FROM generate_series(1, %s)", [count]
            )
            return [value for (value,) in cursor.fetchall()]
        cursor.execute(f"UPDATE {SEQUENCE_NAME} SET value = value + %s RETURNING value", [count])
        (last,) = cursor.fetchone()
        return list(range(last - count + 1, last + 1))


def new_ids(model, keys: list, alias: str) -> list[int]:
    """Ids for new rows of *model* with shard keys *keys*, written to *alias*.

    A sequence repeats every 1024 values, so a batch larger than that takes
    one more millisecond per 1024 rows: the layout's limit, as Instagram's,
    is 1024 new rows per database per millisecond.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    sequences = next_sequences(alias, len(keys))
    return [
        make_id(logical_shard_for(key), sequence, at=now + _MILLISECOND * (i // _SEQUENCES))
        for i, (key, sequence) in enumerate(zip(keys, sequences, strict=True))
    ]


class ShardedIdField(models.BigIntegerField):
    """A primary key made by ``make_id`` when the row is inserted: it carries its shard."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if add and value is None:
            key = getattr(model_instance, shard_key_field(type(model_instance)).attname)
            alias = model_instance._state.db or shard_for(key)
            (value,) = new_ids(type(model_instance), [key], alias)
            setattr(model_instance, self.attname, value)
        return value


def install_sequence(alias: str) -> None:
    """Create *alias*'s id sequence if it has none."""
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE_NAME}")
            return
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {SEQUENCE_NAME} (value integer NOT NULL)")
        cursor.execute(
            f"INSERT INTO {SEQUENCE_NAME} (value) SELECT 0 WHERE NOT EXISTS "
            f"(SELECT 1 FROM {SEQUENCE_NAME})"
        )
