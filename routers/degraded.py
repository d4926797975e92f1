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

Copy with: ``health.py``, ``thread_connections.py``.
"""

from django.conf import settings
from django.core import checks
from django.db import InterfaceError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.http import HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from .health import DatabaseUnavailable, connection_failure, cooldown_seconds, health

__all__ = [
    "DegradedModeMiddleware",
    "check_exception_middleware",
    "read_only_response",
    "unavailable_response",
]

SAFE_METHODS = frozenset(["GET", "HEAD", "OPTIONS", "TRACE"])
FALLBACK_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title></head><body><h1>{title}</h1>
<p>{detail} Please try again in {retry_after} seconds.</p></body></html>"""


class DegradedModeMiddleware(MiddlewareMixin):
    """Answer with a 503 naming the database when a request fails because one can't be reached."""

    def process_exception(self, request, exception):
        if isinstance(exception, DatabaseUnavailable):  # refused before any SQL was sent
            return unavailable_response(request, exception.alias, exception.retry_after)
        if isinstance(exception, OperationalError | InterfaceError) and connection_failure(
            exception
        ):
            alias = _server_of(exception)
            if alias is not None:  # the error names the server it lost: nothing to probe
                health.mark_down(alias, exception)
                return unavailable_response(request, alias, cooldown_seconds())
        return None  # an SQL error, a timeout: not a server that is down


def _server_of(exception) -> str | None:
    """The alias whose connection raised *exception*, or None when nothing says.

    The traceback holds the answer: the deepest frame that ran on a Django
    connection (``DatabaseWrapper.ensure_connection``, or a cursor's
    ``execute`` with its ``db``) names its alias, for any backend. Only the
    types of the frames' ``self`` are looked at, never their attributes, so a
    lazy object there (``request.user``) is not evaluated on the broken
    connection. A psycopg error also carries the server's host, port and
    database.
    """
    alias, tb = None, exception.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        kind = type(owner)  # type(), not isinstance(): a lazy object stays unevaluated
        if issubclass(kind, BaseDatabaseWrapper):
            alias = owner.alias
        elif issubclass(kind, CursorWrapper):
            alias = owner.db.alias
        tb = tb.tb_next
    return alias or _server_of_pgconn(exception)


def _server_of_pgconn(exception) -> str | None:
    pgconn = getattr(exception.__cause__, "pgconn", None)
    if pgconn is None:
        return None
    target = (_text(pgconn.host), _text(pgconn.port), _text(pgconn.db))
    for alias in connections:
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


def unavailable_response(request, alias: str, retry_after: float):
    """The 503 for a request that needs *alias* while it can't be reached, as JSON or HTML.

    A read is told the page "can't be shown right now"; a write that nothing
    of what it sent was saved (each write ran in a transaction that rolled
    back, or never began).
    """
    seconds = max(1, round(retry_after))
    writes = request.method not in SAFE_METHODS
    if writes:
        title = "Temporarily read-only"
        detail = f"The database {alias} can't be reached right now, so nothing you sent was saved."
    else:
        title = "Temporarily unavailable"
        detail = f"The database {alias} can't be reached right now, so this page can't be shown."
    response: HttpResponse
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse(
            {
                "error": "read-only" if writes else "unavailable",
                "database": alias,
                "detail": detail,
                "retry_after": seconds,
            },
            status=503,
        )
    else:
        template = getattr(settings, "MULTIDB_READ_ONLY_TEMPLATE", "503.html")
        context = {"retry_after": seconds, "database": alias, "title": title, "detail": detail}
        body: str
        try:
            body = render_to_string(template, context, request=request)
        except TemplateDoesNotExist:
            body = FALLBACK_PAGE.format(title=title, detail=detail, retry_after=seconds)
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(seconds)
    return response


def read_only_response(request, retry_after: float, alias: str = "default"):
    """The 503 for a write refused while *alias* is down (``unavailable_response`` for writes)."""
    return unavailable_response(request, alias, retry_after)


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
