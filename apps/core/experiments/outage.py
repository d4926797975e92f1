"""A database made unreachable for one thread, and the health marks that leaves undone.

The failover lab's simulation. The same trick as the suite's
``tests.support.unreachable``: this thread's ``connections[alias]`` becomes a
fresh, unconnected wrapper whose settings point where nothing answers, so the
next query really tries to connect and fails with the driver's own error.
Django keeps one wrapper per alias and thread, so other requests keep theirs.

``routers.health`` is per process, not per thread: while the block runs, a
database it marks down is skipped by every request of this process. The block
lasts as long as the lab's few queries, one run at a time (``one_at_a_time``),
and afterwards the mark is lifted unless the database was already marked down
before it began (then the mark is real, and stays).
"""

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

from routers.health import health
from routers.thread_connections import reread_opened

# Nothing can be opened here (SQLite never creates directories), and nothing
# listens on port 1: either way the connection attempt fails at once.
UNREACHABLE_SQLITE = "/nonexistent-directory/unreachable.sqlite3"
UNREACHABLE_POSTGRES = {"HOST": "127.0.0.1", "PORT": "1"}

_running = threading.Lock()


@contextmanager
def one_at_a_time() -> Iterator[bool]:
    """Yield True if no other run is under way in this process (and hold it), else False."""
    acquired = _running.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            _running.release()


def nowhere(alias: str) -> str:
    """Where *alias* points while it is unreachable: a path or an address."""
    if connections[alias].vendor == "sqlite":
        return UNREACHABLE_SQLITE
    return "{HOST}:{PORT}".format(**UNREACHABLE_POSTGRES)


@contextmanager
def pointed_nowhere(alias: str) -> Iterator[str]:
    """Inside the block this thread's *alias* is a fresh wrapper pointing where nothing
    answers; yields where. The real wrapper is set aside, not closed (closing an
    in-memory SQLite test database would destroy it), and put back afterwards."""
    original = connections[alias]
    settings_dict = copy.deepcopy(original.settings_dict)
    if original.vendor == "sqlite":
        settings_dict["NAME"] = UNREACHABLE_SQLITE
    else:
        settings_dict.update(UNREACHABLE_POSTGRES)
    broken = type(original)(settings_dict, alias)
    connections[alias] = broken
    reread_opened(alias)
    try:
        yield nowhere(alias)
    finally:
        try:
            broken.close()
        finally:
            connections[alias] = original
            reread_opened(alias)


@contextmanager
def unreachable_here(alias: str) -> Iterator[str]:
    """Inside the block, this thread's *alias* refuses connections; yields where it points.

    Afterwards ``routers.health``'s mark on *alias* is lifted if the block made it.
    """
    was_down = health.is_down(alias)
    try:
        with pointed_nowhere(alias) as where:
            yield where
    finally:
        if not was_down:
            health.mark_up(alias)
