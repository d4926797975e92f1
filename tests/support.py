"""Helpers shared by the test suite."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

# Where unreachable() points an alias: the failover lab's addresses, one place for both.
from apps.core.experiments.outage import (  # noqa: F401 (re-exported)
    UNREACHABLE_POSTGRES,
    UNREACHABLE_SQLITE,
    pointed_nowhere,
)
from routers.health import health
from tests.routers_only.plugin import in_ci


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
    try:
        with pointed_nowhere(alias):
            yield
    finally:
        health.reset()
