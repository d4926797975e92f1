"""A 400 or 403 is logged as one line on the console; a 500 keeps its traceback."""

import logging
import sys

import pytest
from django.conf import settings

from apps.core.log_filters import ClientErrorsWithoutTraceback


def record(name: str, status: int | None) -> logging.LogRecord:
    try:
        raise PermissionError("refused")
    except PermissionError:
        exc_info = sys.exc_info()
    entry = logging.LogRecord(name, logging.WARNING, __file__, 1, "Forbidden", (), exc_info)
    if status is not None:
        entry.status_code = status
    return entry


@pytest.mark.parametrize(
    ("name", "status", "traceback_kept"),
    [
        ("django.request", 403, False),
        ("django.request", 400, False),
        ("django.security.RequestDataTooBig", None, False),
        ("django.request", 500, True),
        ("routers.health", None, True),
    ],
)
def test_only_client_errors_lose_their_traceback(name, status, traceback_kept):
    entry = record(name, status)
    assert ClientErrorsWithoutTraceback().filter(entry) is True  # never drops the line
    assert (entry.exc_info is not None) is traceback_kept


def test_the_console_handler_uses_it():
    console = settings.LOGGING["handlers"]["console"]
    assert "client_errors" in console["filters"]
    assert settings.LOGGING["filters"]["client_errors"]["()"].endswith(
        "ClientErrorsWithoutTraceback"
    )
