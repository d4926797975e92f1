"""Degraded mode: while a primary is down, pages that read still render and writes get a 503.

Add it to ``MIDDLEWARE``::

    MIDDLEWARE = [
        ...,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "routers.degraded.DegradedModeMiddleware",
        ...,
    ]

Reads already fall back to a replica (``replica.py`` with ``health.py``). A
view that writes fails with a database error; this middleware turns that into
a clear "temporarily read-only" answer with HTTP 503 and ``Retry-After``, as
HTML (template ``MULTIDB_READ_ONLY_TEMPLATE``, default ``"503.html"``, or a
built-in page) or JSON for clients that ask for it. Nothing is half-written:
each write was inside its own transaction, which the error rolled back. A 5xx
answer never saves the session (``SessionMiddleware`` skips it).

Django hands a view's exception to each middleware's ``process_exception``
from the bottom of ``MIDDLEWARE`` up, and the first response wins; so a
middleware listed below this one that answers exceptions itself would hide
the 503: ``routers.W031``.

When a primary is down, ``db_for_write`` fails fast with ``PrimaryUnavailable``
for the cooldown; after it, the next write tries the primary again, so writes
work again without a restart once it is back.

Copy with: ``health.py``, ``replica_sets.py``.
"""

from django.conf import settings
from django.core import checks
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from .health import PrimaryUnavailable, cooldown_seconds, health
from .replica_sets import replica_aliases

__all__ = ["DegradedModeMiddleware", "check_exception_middleware", "read_only_response"]

FALLBACK_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Temporarily read-only</title></head><body><h1>Temporarily read-only</h1>
<p>The site can show pages but can't save changes right now. Nothing you sent
was saved. Please try again in {retry_after} seconds.</p></body></html>"""


class DegradedModeMiddleware(MiddlewareMixin):
    """Answer a failed write with 503 when the failure is a primary that is down."""

    def process_exception(self, request, exception):
        if isinstance(exception, PrimaryUnavailable):
            return read_only_response(request, exception.retry_after)
        if isinstance(exception, OperationalError | InterfaceError):
            primaries = [alias for alias in connections if alias not in replica_aliases()]
            failed = _failed_to_reach(exception, primaries)
            if failed:  # the error says which server it couldn't reach: no second wait
                health.mark_down(failed, exception)
                return read_only_response(request, cooldown_seconds())
            down = [alias for alias in primaries if not health.probe(alias)]
            if down:
                return read_only_response(request, cooldown_seconds())
        return None


def _failed_to_reach(exception, aliases) -> str | None:
    """The alias whose server a failed connection attempt (psycopg) was for, if any."""
    pgconn = getattr(exception.__cause__, "pgconn", None)
    if pgconn is None or getattr(pgconn, "backend_pid", 1):
        return None  # not a failed connection attempt
    target = (_text(pgconn.host), _text(pgconn.port), _text(pgconn.db))
    for alias in aliases:
        settings_dict = connections[alias].settings_dict
        candidate = (
            str(settings_dict.get("HOST") or ""),
            str(settings_dict.get("PORT") or "5432"),
            str(settings_dict.get("NAME") or ""),
        )
        if candidate[:2] == target[:2] and (candidate[2] == target[2] or not target[2]):
            return alias
    return None


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


def read_only_response(request, retry_after: float):
    """The 503 "temporarily read-only" answer, as JSON or HTML."""
    seconds = max(1, round(retry_after))
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse(
            {"error": "read-only", "detail": "Writes are paused.", "retry_after": seconds},
            status=503,
        )
    else:
        template = getattr(settings, "MULTIDB_READ_ONLY_TEMPLATE", "503.html")
        try:
            body = render_to_string(template, {"retry_after": seconds}, request=request)
        except TemplateDoesNotExist:
            body = FALLBACK_PAGE.format(retry_after=seconds)
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(seconds)
    return response


def ready() -> None:
    """Register this module's system check (called from ``apps.py``)."""
    checks.register(check_exception_middleware, "routers")


def check_exception_middleware(app_configs=None, **kwargs):
    """Report middleware below ``DegradedModeMiddleware`` that sees exceptions first."""
    warnings, below = [], None
    for path in settings.MIDDLEWARE:
        try:
            middleware = import_string(path)
        except ImportError:
            continue  # Django reports an unimportable middleware itself
        if isinstance(middleware, type) and issubclass(middleware, DegradedModeMiddleware):
            below = path
        elif below and callable(getattr(middleware, "process_exception", None)):
            warnings.append(
                checks.Warning(
                    f"MIDDLEWARE lists {path!r} below {below!r}. Django asks the lowest "
                    "middleware first about a view's exception, so if it answers a failed "
                    "write itself, the client gets that answer instead of the 503.",
                    hint=f"Move {below!r} below {path!r}.",
                    id="routers.W031",
                )
            )
    return warnings
