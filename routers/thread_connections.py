"""The connections this thread holds, and whether a kept one still answers.

Two things a routing decision asks on every read, kept out of its way:

- ``opened(alias)`` and ``connections_here()``: the ``DatabaseWrapper`` this
  thread has connected through, without ``connections[alias]``, whose
  look-up through asgiref's ``Local`` costs more than the rest of a decision.
  Filled by the ``connection_created`` signal; empty in an event loop, where
  Django keeps wrappers per async context.
- ``checked()`` and ``check_reused()``: Django's ``CONN_HEALTH_CHECKS`` check
  of a connection kept across requests (``CONN_MAX_AGE``), run before routing
  to it and bounded by the alias's ``connect_timeout``, where Django's own
  check has no bound. ``health.py`` turns a check that gets no answer into a
  server marked down.

Copy with: nothing (Django only; psycopg 3 for the bounded check, else Django's).
"""

import asyncio
import os
import select
import threading
import time

from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver

__all__ = [
    "check_reused",
    "checked",
    "connections_here",
    "in_event_loop",
    "is_connected",
    "opened",
    "reread_opened",
]


class _Opened(threading.local):
    """The DatabaseWrapper of each alias this thread has connected through."""

    def __init__(self):
        self.wrappers = {}


_opened = _Opened()
# A forked child (a gunicorn worker) must not use its parent's connections.
os.register_at_fork(after_in_child=lambda: _opened.wrappers.clear())


@receiver(connection_created)
def _remember_wrapper(*, connection, **kwargs):
    # Only connections[alias] itself: a copy or a hand-made wrapper under the
    # same alias (connection.copy(), connections.create_connection()) is not
    # the one the ORM uses. Once per connect, so the look-up's cost doesn't matter.
    # In a thread running an event loop Django keeps wrappers per async
    # context, not per thread: those are left out, and looked up as before.
    alias = connection.alias
    if (
        _running_loop() is None
        and alias in connections.settings
        and connections[alias] is connection
    ):
        _opened.wrappers[alias] = connection


def connections_here() -> dict | None:
    """``{alias: DatabaseWrapper}`` for every alias this thread has connected through.

    ``opened()`` for several aliases at once: the replica router's fast lane.
    None in a thread running an event loop (see ``_remember_wrapper``): there,
    ask ``connections[alias]``.
    """
    return _opened.wrappers if _running_loop() is None else None


def opened(alias: str):
    """This thread's ``connections[alias]`` if it has ever connected through it, else None.

    Django keeps one ``DatabaseWrapper`` per alias and thread, and a thread
    that never connected can hold no connection nor transaction. A wrapper
    put into ``connections[alias]`` by hand counts once it connects, or after
    ``reread_opened(alias)``. Asking this instead of ``connections[alias]``
    saves asgiref's ``Local`` look-up, which costs more than the rest of a
    routing decision. Per thread, like the wrappers themselves; not per
    request, which is what contextvars are for. None in an event loop.
    """
    here = connections_here()
    return None if here is None else here.get(alias)


def reread_opened(alias: str) -> None:
    """Call after putting a ``DatabaseWrapper`` into ``connections[alias]`` by hand
    (a test's stand-in, or the original put back): ``opened(alias)`` is then that
    wrapper if it holds a connection already, else None until it connects."""
    connection = connections[alias]
    if is_connected(connection):
        _opened.wrappers[alias] = connection
    else:
        _opened.wrappers.pop(alias, None)


def checked(connection) -> bool:
    """Whether this request may use *connection* without a health check first.

    With ``CONN_HEALTH_CHECKS``, Django checks a reused connection before the
    first query of each request (``health_check_done`` is False until then).
    """
    return connection.health_check_done or not connection.health_check_enabled


def check_reused(connection) -> str:
    """Django's ``CONN_HEALTH_CHECKS`` check of a reused connection, done before
    routing to it and bounded by the alias's ``connect_timeout``; "" or why not.

    A connection broken by a server restart fails the check at once and is
    closed, so the caller connects anew (and a failed connect marks the server
    down). One to a hung server gets no answer: Django's own check would wait
    forever, this one waits the connect timeout, as a new connection would,
    then closes it and says so. Other backends get Django's own check.
    """
    seconds = connection.settings_dict.get("OPTIONS", {}).get("connect_timeout")
    raw = connection.connection
    if not seconds or not hasattr(raw, "pgconn"):
        connection.close_if_health_check_failed()
        return ""
    answered = _select_1(raw, float(seconds))
    connection.health_check_done = True
    if answered is None:
        connection.close()
        return f"no answer to SELECT 1 within connect_timeout ({seconds} s)"
    if not answered:
        connection.close()
    return ""


def _select_1(raw, seconds: float) -> bool | None:
    """Whether a psycopg 3 connection answers ``SELECT 1``; None if no answer in *seconds*.

    libpq's asynchronous calls, so the wait has a bound (psycopg's own
    ``execute()`` has none). The connection is idle between requests, and a
    connection left waiting is closed by the caller.
    """
    from psycopg import Error, pq

    pgconn, deadline = raw.pgconn, time.monotonic() + seconds
    try:
        with raw.lock:
            pgconn.send_query(b"SELECT 1")
            while pgconn.flush():  # 1 while part of the query is still unsent
                if not _ready(pgconn.socket, deadline, write=True):
                    return None
            pgconn.consume_input()
            while pgconn.is_busy():
                if not _ready(pgconn.socket, deadline):
                    return None
                pgconn.consume_input()
            ok = True
            while (result := pgconn.get_result()) is not None:
                ok = ok and result.status == pq.ExecStatus.TUPLES_OK
            return ok
    except Error:
        return False


def _ready(socket: int, deadline: float, *, write: bool = False) -> bool:
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    waiting = [socket]
    readable, writable, _ = (
        select.select([], waiting, [], left) if write else select.select(waiting, [], [], left)
    )
    return bool(readable or writable)


def is_connected(connection) -> bool:
    """Whether *connection* holds an open DB-API connection (so using it costs no connect).

    ``DatabaseWrapper.connection`` is the attribute Django itself keeps for that,
    but it is not documented. tests/routers/test_django_internals.py fails
    loudly if an upgrade changes it.
    """
    return connection.connection is not None


# The running event loop or None, without the exception get_running_loop()
# raises in a sync thread: asyncio's own helper, documented for loop code.
_running_loop = asyncio._get_running_loop


def in_event_loop() -> bool:
    """Whether this thread runs an event loop (async code: Django's wrappers are per context)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
