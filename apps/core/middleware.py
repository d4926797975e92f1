"""The routing trace: which database served each query, and why.

Every connection gets one ``execute_wrapper`` when it is created; it adds each
query to the trace of the current context (a ``ContextVar`` set for the length
of a request), so queries made in ``sync_to_async`` threads land in their own
request's trace, under WSGI and ASGI alike. Each row records the alias, the
duration, the SQL and the router's reason (``routers.explain``). The trace is
injected into HTML pages as a panel, summed per alias in ``X-DB-Queries``, and
timed per alias in ``Server-Timing``.
"""

import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.shortcuts import render
from django.template.loader import render_to_string

from routers.explain import reason_for, recording
from routers.pinning import add_permanent_wrapper

MAX_ROWS = 300  # rows shown in the panel; the header counts every query
NO_DECISION = "no router call: .using() or a raw cursor"


@dataclass
class TracedQuery:
    alias: str
    sql: str
    duration_ms: float
    reason: str


@dataclass
class QueryTrace:
    queries: list[TracedQuery] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)

    def add(self, alias: str, sql: str, duration_ms: float) -> None:
        self.counts[alias] = self.counts.get(alias, 0) + 1
        self.durations[alias] = self.durations.get(alias, 0.0) + duration_ms
        if len(self.queries) < MAX_ROWS:
            reason = reason_for(alias) or NO_DECISION
            self.queries.append(TracedQuery(alias, sql, duration_ms, reason))

    def header(self) -> str:
        """``default=2, blog_db=1``, in settings order; ``none`` when no query ran."""
        parts = [f"{alias}={self.counts[alias]}" for alias in connections if alias in self.counts]
        return ", ".join(parts) or "none"

    def server_timing(self) -> str:
        entries = []
        for alias in connections:
            if alias in self.counts:
                duration, count = self.durations[alias], self.counts[alias]
                entries.append(f'db-{alias};dur={duration:.2f};desc="{alias}: {count} queries"')
        return ", ".join(entries)


_current: ContextVar[QueryTrace | None] = ContextVar("routing_trace", default=None)


@receiver(connection_created)
def attach_recorder(sender=None, connection=None, **kwargs):
    """Give *connection* the wrapper that feeds the current trace (once per connection)."""
    add_permanent_wrapper(connection, __name__, _recorder(connection.alias))


def _recorder(alias: str):
    def record(execute, sql, params, many, context):
        trace = _current.get()
        if trace is None:
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            trace.add(alias, sql, (time.perf_counter() - started) * 1000)

    return record


@contextmanager
def tracing():
    """Collect every query and routing decision of the block into a QueryTrace."""
    trace = QueryTrace()
    token = _current.set(trace)
    try:
        with recording():
            yield trace
    finally:
        _current.reset(token)


class SyncAndAsyncMiddleware:
    """The middleware protocol for both stacks: ``__call__`` returns ``__acall__(request)``
    (a coroutine) when the stack is async, so no request is switched between the two."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)


class RoutingTraceMiddleware(SyncAndAsyncMiddleware):
    """Record every query of the request and report it in headers and an HTML panel."""

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        if not getattr(settings, "ROUTING_TRACE", True):
            return self.get_response(request)
        with tracing() as trace:
            response = self.get_response(request)
        return self._report(response, trace)

    async def __acall__(self, request):
        if not getattr(settings, "ROUTING_TRACE", True):
            return await self.get_response(request)
        with tracing() as trace:
            response = await self.get_response(request)
        return self._report(response, trace)

    def _report(self, response, trace):
        response["X-DB-Queries"] = trace.header()
        if trace.counts:
            response["Server-Timing"] = trace.server_timing()
        self._inject_panel(response, trace)
        return response

    @staticmethod
    def _inject_panel(response, trace):
        if response.streaming or "text/html" not in response.get("Content-Type", ""):
            return
        content = response.content.decode(response.charset, errors="replace")
        index = content.rfind("</body>")
        if index == -1:
            return
        panel = render_to_string(
            "core/trace_panel.html",
            {
                "trace": trace,
                "summary": [
                    (a, trace.counts[a], trace.durations[a])
                    for a in connections
                    if a in trace.counts
                ],
                "total": sum(trace.counts.values()),
                "truncated": sum(trace.counts.values()) > len(trace.queries),
            },
        )
        response.content = (content[:index] + panel + content[index:]).encode(response.charset)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))


class MethodNotAllowedPageMiddleware(SyncAndAsyncMiddleware):
    """Give a bare 405 (``require_http_methods``, a class-based view's
    ``http_method_not_allowed``) the site's page, naming the methods allowed.

    Django answers a wrong method with an empty body, which a browser shows
    as "This page isn't working". The status and the ``Allow`` header stay.
    """

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        response = self.get_response(request)
        return self._page(request, response) if _bare_405(response) else response

    async def __acall__(self, request):
        response = await self.get_response(request)
        if not _bare_405(response):
            return response
        # The page reads the user, so the session: not from the event loop.
        return await sync_to_async(self._page)(request, response)

    @staticmethod
    def _page(request, response):
        allow = response.get("Allow", "")
        allowed = [method.strip() for method in allow.split(",") if method.strip()]
        context = {"method": request.method, "allowed": allowed}
        page = render(request, "405.html", context, status=405)
        page["Allow"] = allow
        return page


def _bare_405(response) -> bool:
    return (
        response.status_code == 405
        and not getattr(response, "streaming", False)
        and not response.content
    )
