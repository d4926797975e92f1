"""A 400 or 403 is logged as one line on the console; a 500 keeps its traceback."""

import logging
import re
import sys

import pytest
from django.conf import settings

from apps.core.log_filters import ClientErrorsWithoutTraceback
from tests.subprocess_env import database_env, manage


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
    assert console["formatter"] == "console"
    assert settings.LOGGING["filters"]["client_errors"]["()"].endswith(
        "ClientErrorsWithoutTraceback"
    )


LOG_A_LINE = """
import logging, os
logging.getLogger("routers.health").warning("replica marked down for 30 s: refused")
print(os.getpid())
"""


def test_every_console_line_has_its_time_level_process_and_logger(tmp_path):
    """Health is per process: a line names the worker that logged it, and when."""
    result = manage("shell", "-c", LOG_A_LINE, env=database_env(tmp_path))
    assert result.returncode == 0, result.stderr
    pid = result.stdout.split()[-1]
    [line] = [line for line in result.stderr.splitlines() if "marked down" in line]
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}} WARNING \[pid {pid}\] routers\.health: "
        r"replica marked down for 30 s: refused",
        line,
    ), line
