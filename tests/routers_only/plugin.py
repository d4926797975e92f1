"""The suite's policy and the fixtures the routers' own tests need, on any settings.

Loaded by the root ``conftest.py`` for the whole suite, and on its own (``-p
tests.routers_only.plugin``) by the version matrix (``noxfile.py``), which runs
the routers' tests on ``tests/routers_only/settings.py`` without the demo
site's conftest. Nothing here imports the demo's apps.
"""

import os
import time

import pytest


def in_ci() -> bool:
    """Whether the suite runs under CI (``CI=true``), where nothing may be skipped."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_sessionfinish(session, exitstatus):
    """In CI (CI=true) any skipped test fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if in_ci() and skipped and session.exitstatus == 0:
        reporter.write_line(
            f"CI=true: {len(skipped)} test(s) skipped; CI allows no skips, failing the run.",
            red=True,
        )
        session.exitstatus = 1


@pytest.fixture(autouse=True, scope="session")
def no_background_lag_monitor():
    """Tests measure lag explicitly (routers.health.health.measure); no thread races them."""
    from django.test import override_settings

    with override_settings(MULTIDB_REPLICA_LAG_INTERVAL=0):
        yield


class FrozenClock:
    """A wall clock that stands still until the test moves it."""

    def __init__(self, start: float):
        self.time = start

    def __call__(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


@pytest.fixture
def clock(monkeypatch) -> FrozenClock:
    """Freeze ``routers.pinning.now()``, the clock that pins are stamped and aged with.

    It stands at the current whole second (the cookie format's two decimals
    round-trip it exactly) until ``clock.advance(seconds)``, so a test that
    writes and reads back in two steps sees "0 s ago" however slow the machine.
    """
    frozen = FrozenClock(float(int(time.time())))
    monkeypatch.setattr("routers.pinning.now", frozen)
    return frozen


@pytest.fixture(autouse=True)
def fresh_health():
    """A replica marked down, or a pin left by one test, doesn't leak into the next."""
    from routers.health import health
    from routers.pinning import unpin_this_thread

    health.reset()
    unpin_this_thread()
    yield
    health.reset()
    unpin_this_thread()
