"""Which databases ran an experiment's queries, how many each, and the router's reason;
and how a message repeats a visitor's input.

Taken from the connections that executed the queries, not from asking the
routers again: a router with several replicas may answer differently the
second time. Only queries that name one of the watched models' tables count,
so a router's own checks (a replica's replay position) don't blur the answer.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from django.db import connections
from django.db.models import Model

from routers import reason_for, recording

NO_DECISION = "no router call: .using() or a raw cursor"
SHOWN = 30  # characters of a visitor's input a message repeats: one line on a phone


@dataclass
class Served:
    """The queries one alias ran on the watched tables, and why it was chosen."""

    alias: str
    queries: int = 0
    reason: str = ""


def shown(text: str) -> str:
    """*text* quoted for a message, cut to ``SHOWN`` characters."""
    return repr(text if len(text) <= SHOWN else text[: SHOWN - 1] + "…")


@contextmanager
def served(*models: type[Model]) -> Iterator[dict[str, Served]]:
    """Collect, per alias, the queries on *models*' tables run inside the block.

    The block records routing decisions afresh (``recording()`` nests, so the
    page's routing trace still reads each reason).
    """
    tables = [model._meta.db_table for model in models]
    found: dict[str, Served] = {}

    def watch(alias):
        def wrapper(execute, sql, params, many, context):
            if any(table in sql for table in tables):
                entry = found.setdefault(alias, Served(alias))
                entry.queries += 1
                entry.reason = reason_for(alias) or NO_DECISION
            return execute(sql, params, many, context)

        return wrapper

    with recording(), ExitStack() as stack:
        for alias in connections:  # no connection is opened by this
            stack.enter_context(_wrapped(connections[alias], watch(alias)))
        yield found


@contextmanager
def _wrapped(connection, wrapper) -> Iterator[None]:
    """Like ``connection.execute_wrapper(wrapper)``, but removes exactly *wrapper* at the end.

    Django's version pops the *last* wrapper, which may be another one added
    inside the block (``apps/notes/served.py`` has the same guard).
    """
    connection.execute_wrappers.append(wrapper)
    try:
        yield
    finally:
        connection.execute_wrappers.remove(wrapper)
