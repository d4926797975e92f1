"""Which database served a read, and why, taken from the connection that ran it.

``Note.objects.all().db`` would ask the router again, and a router with
several replicas may answer differently the second time. Watching the
connections instead reports the alias whose connection actually executed the
query, with the reason the router recorded (``routers.explain``) for it.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from django.db import connections
from django.db.models import Model

from routers import primary_of, reason_for, recording


@dataclass
class ServedRead:
    """The alias that ran the last query on a table, and the router's reason for it."""

    alias: str | None = None
    reason: str | None = None

    @property
    def from_replica(self) -> bool:
        return self.alias is not None and primary_of(self.alias) != self.alias

    @property
    def primary(self) -> str | None:
        """The primary behind the alias: itself, or the database it replicates."""
        return primary_of(self.alias)


@contextmanager
def served_by(model: type[Model]) -> Iterator[ServedRead]:
    """Record which alias served the queries on *model*'s table inside the block.

    Other queries in the block (a router asking a replica how far it has
    replayed) are ignored, so the answer is about the read itself.
    """
    served = ServedRead()
    table = model._meta.db_table

    def watch(alias):
        def wrapper(execute, sql, params, many, context):
            if table in sql:
                served.alias, served.reason = alias, reason_for(alias)
            return execute(sql, params, many, context)

        return wrapper

    # recording() nests: the routing trace, outside, still reads each reason.
    with recording(), ExitStack() as stack:
        for alias in connections:
            stack.enter_context(_wrapped(connections[alias], watch(alias)))
        yield served


@contextmanager
def _wrapped(connection, wrapper) -> Iterator[None]:
    """Like ``connection.execute_wrapper(wrapper)``, but removes exactly *wrapper* at the end.

    Django's version pops the *last* wrapper. The routing trace and the write
    detector attach theirs when a connection is created, so a connection first
    opened inside the block would lose one of those instead, for good.
    """
    connection.execute_wrappers.append(wrapper)
    try:
        yield
    finally:
        connection.execute_wrappers.remove(wrapper)
