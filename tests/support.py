"""Helpers shared by the test suite."""

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connections

from routers.health import health
from routers.thread_connections import reread_opened

# Nothing can be opened here (SQLite never creates directories), and nothing
# listens on port 1: either way the connection attempt fails at once.
UNREACHABLE_SQLITE = "/nonexistent-directory/unreachable.sqlite3"
UNREACHABLE_POSTGRES = {"HOST": "127.0.0.1", "PORT": "1"}


def in_ci() -> bool:
    """Whether the suite runs under CI (``CI=true``), where nothing may be skipped."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(what: str, how: str) -> None:
    """Skip loudly because *what* is missing, saying *how* to enable it; fail in CI."""
    message = f"{what} is not available, so this test can't run. To enable it: {how}"
    if in_ci():
        pytest.fail(f"CI requires it: {message}", pytrace=False)
    pytest.skip(message)


@contextmanager
def unreachable(alias: str) -> Iterator[None]:
    """Make *alias*'s server unreachable inside the block, as a server that refuses connections.

    In this thread the alias gets a fresh, unconnected connection whose settings
    point where nothing answers, so its next query really tries to connect and
    fails with the driver's own error. The real connection is set aside
    meanwhile, not closed: closing the in-memory SQLite test database would
    destroy it. Afterwards it is put back, and ``routers.health`` forgets what
    it learnt about the alias while it was away.
    """
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
        yield
    finally:
        broken.close()
        connections[alias] = original
        reread_opened(alias)
        health.reset()
