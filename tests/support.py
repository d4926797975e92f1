"""Helpers shared by the test suite."""

import os

import pytest


def in_ci() -> bool:
    """Whether the suite runs under CI (``CI=true``), where nothing may be skipped."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(what: str, how: str) -> None:
    """Skip loudly because *what* is missing, saying *how* to enable it; fail in CI."""
    message = f"{what} is not available, so this test can't run. To enable it: {how}"
    if in_ci():
        pytest.fail(f"CI requires it: {message}", pytrace=False)
    pytest.skip(message)
