"""The write freeze of a moving logical shard, kept by the database itself.

A move switches a logical shard to its new database by raising the map's
version, and every process learns of it within
``MAP_REFRESH_SECONDS``. Until then a process may still write to the old
database; those writes must be refused there, not lost. A flag in each
process can't promise that (a process reads it late, or not at all while
the map database is out of reach), so the database refuses them:

- each physical shard has a table ``sharding_freeze`` (``logical_shard``,
  ``state``, ``detail``), empty until a move, and each sharded table with a
  ``ShardedIdField`` a trigger (``migrate`` creates both) that reads the
  row's logical shard from its id and looks up its entry;
- ``open``: a move is copying; writes go through, and on PostgreSQL each
  takes a share lock on the entry, so ``freeze`` waits for the writes in
  flight to commit before the final catch-up reads the shard (SQLite
  writes one transaction at a time, which gives the same order);
- ``frozen``: inserts, updates and deletes of that logical shard fail there;
- ``cleaning``: after the switch, the move deletes the copied rows; only
  deletes go through;
- ``moved``: for good after the move, every write fails, so a process that
  still routes by an old map can't write where nobody reads.

The error a refused write raises becomes ``ShardFrozen`` (a
``DatabaseUnavailable``: ``DegradedModeMiddleware`` answers it with a 503
and ``Retry-After``, never an error page). ``retry_while_frozen(func)``
makes a write wait for the switch instead: it re-reads the map and tries
again, for up to ``timeout`` seconds, outside a transaction on the shard.
A write to any other logical shard pays one primary-key look-up in the
empty or tiny ``sharding_freeze``.

Copy with: ``health.py``, ``shard_ids.py``, ``shard_map.py``.
"""

import time

from django.db import DatabaseError, connections, transaction
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from .health import DatabaseUnavailable
from .shard_ids import SEQUENCE_BITS, ShardedIdField
from .shard_map import _MAP_CACHE, shard_aliases, sharded_models

__all__ = [
    "FREEZE_TABLE",
    "ShardFrozen",
    "freeze_state",
    "install_guard",
    "retry_while_frozen",
    "set_freeze_state",
]

FREEZE_TABLE = "sharding_freeze"
MARK = "sharding: logical shard"  # what a refused write's message starts with, on both engines
STATES = ("open", "frozen", "cleaning", "moved")
RETRY_AFTER_SECONDS = 1


class ShardFrozen(DatabaseUnavailable):
    """A write to a logical shard that is frozen for a move, or has moved; nothing was written."""

    def __init__(self, alias: str, message: str):
        super().__init__(alias, RETRY_AFTER_SECONDS, message)


def retry_while_frozen(func, *args, timeout: float = 5.0, **kwargs):
    """``func(*args, **kwargs)``, tried again while its logical shard is frozen by a move.

    Each retry re-reads the shard map, so a write refused on the old database
    during the switch goes to the new one as soon as the map says so. Inside
    a transaction on the shard it can't retry (the transaction is broken) and
    raises ``ShardFrozen`` at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return func(*args, **kwargs)
        except ShardFrozen as error:
            if connections[error.alias].in_atomic_block or time.monotonic() > deadline:
                raise
            _MAP_CACHE.clear()
            time.sleep(0.05)


def _guarded_tables() -> list[tuple[str, str]]:
    """``(table, id column)`` of each sharded model whose id carries its logical shard."""
    from django.apps import apps

    tables = []
    for label in sharded_models():
        model = apps.get_model(label)
        if isinstance(model._meta.pk, ShardedIdField):
            tables.append((model._meta.db_table, model._meta.pk.column))
    return tables


def install_guard(alias: str) -> None:
    """Create *alias*'s ``sharding_freeze`` table and the triggers that read it (idempotent)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    mask = "4095"  # 12 bits of logical shard (shard_ids.py)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {FREEZE_TABLE} (logical_shard integer PRIMARY KEY, "
            "state varchar(10) NOT NULL, detail varchar(200) NOT NULL DEFAULT '')"
        )
        for table, column in _guarded_tables():
            name = f"sharding_guard_{table}"
            if connection.vendor == "postgresql":
                cursor.execute(_POSTGRES_FUNCTION.format(name=name, column=quote(column)))
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {name} BEFORE INSERT OR UPDATE OR DELETE "
                    f"ON {quote(table)} FOR EACH ROW EXECUTE FUNCTION {name}()"
                )
                continue
            for operation, row, allowed in (
                ("INSERT", "NEW", "'open'"),
                ("UPDATE", "NEW", "'open'"),
                ("DELETE", "OLD", "'open', 'cleaning'"),
            ):
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {name}_{operation.lower()} BEFORE {operation} "
                    f"ON {quote(table)} FOR EACH ROW WHEN EXISTS (SELECT 1 FROM {FREEZE_TABLE} "
                    f"WHERE logical_shard = (({row}.{quote(column)} >> {SEQUENCE_BITS}) & {mask}) "
                    f"AND state NOT IN ({allowed})) BEGIN SELECT RAISE(ABORT, "
                    f"'{MARK} is frozen for a move, or has moved: retry'); END"
                )


_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shard integer;
    entry record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        shard := (OLD.{column} >> %(bits)s) & 4095;
    ELSE
        shard := (NEW.{column} >> %(bits)s) & 4095;
    END IF;
    SELECT state, detail INTO entry FROM sharding_freeze
        WHERE logical_shard = shard FOR SHARE;
    IF NOT FOUND OR entry.state = 'open' OR (entry.state = 'cleaning' AND TG_OP = 'DELETE') THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'sharding: logical shard % is %: retry', shard, entry.state
        USING ERRCODE = '55000', DETAIL = entry.detail;
END
$$
""".replace("%(bits)s", str(SEQUENCE_BITS))


def freeze_state(alias: str, logical_shard: int) -> str | None:
    """The state of *logical_shard*'s entry on *alias*, or None when it has none."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT state FROM {FREEZE_TABLE} WHERE logical_shard = %s", [logical_shard]
        )
        row = cursor.fetchone()
    return row[0] if row else None


def set_freeze_state(alias: str, logical_shard: int, state: str | None, detail: str = "") -> None:
    """Give *logical_shard* the entry *state* on *alias* (None removes it); see the module.

    Setting ``frozen`` on PostgreSQL waits until the writes that passed the
    ``open`` entry have committed: they hold its share lock.
    """
    if state is not None and state not in STATES:
        raise ValueError(f"{state!r} is not one of {STATES}")
    with connections[alias].cursor() as cursor:
        if state is None:
            cursor.execute(f"DELETE FROM {FREEZE_TABLE} WHERE logical_shard = %s", [logical_shard])
            return
        # An update, never a delete and an insert: a write waiting on the entry's lock
        # then reads the new state, where a deleted entry would let it through.
        cursor.execute(
            f"INSERT INTO {FREEZE_TABLE} (logical_shard, state, detail) VALUES (%s, %s, %s) "
            "ON CONFLICT (logical_shard) DO UPDATE SET state = excluded.state, "
            "detail = excluded.detail",
            [logical_shard, state, detail[:200]],
        )


@receiver(connection_created)
def _translate_refusals(sender, connection, **kwargs):
    """Give each shard's connection the wrapper that turns a refused write into ``ShardFrozen``."""
    if connection.alias in shard_aliases() and _refusals not in connection.execute_wrappers:
        # execute_wrappers is undocumented; first, so execute_wrapper() blocks never pop it
        # (tests/routers/test_django_internals.py watches both).
        connection.execute_wrappers.insert(0, _refusals)


def _refusals(execute, sql, params, many, context):
    try:
        return execute(sql, params, many, context)
    except DatabaseError as error:
        if MARK in str(error):
            raise ShardFrozen(context["connection"].alias, str(error).splitlines()[0]) from error
        raise


def ready() -> None:
    """Install the guard at ``migrate``; translate refusals on connections already open."""
    post_migrate.connect(_install, dispatch_uid=f"{__name__}.install")
    for connection in connections.all(initialized_only=True):
        _translate_refusals(None, connection)


def _install(sender, *, using, **kwargs):
    """``migrate`` of an app with sharded models gives each shard its guard."""
    if using in shard_aliases() and any(
        label.partition(".")[0] == sender.label for label in sharded_models()
    ):
        install_guard(using)
