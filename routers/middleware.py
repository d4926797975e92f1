"""``PinningRouterMiddleware``: a drop-in for ``multidb.middleware``.

Add it high in ``MIDDLEWARE``, above ``SessionMiddleware``, so that the writes
of the middleware below it (a session saved at login) are seen too::

    MIDDLEWARE = [
        "routers.middleware.PinningRouterMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        ...
    ]

For each request it:

- reads the client's write positions from the ``MULTIDB_PINNING_COOKIE``
  cookie (untrusted: junk is ignored, and no value pins for longer than
  ``MULTIDB_PINNING_SECONDS``);
- pins the whole request to the primaries when its method is not GET, HEAD,
  OPTIONS or TRACE, as django-multidb-router does;
- notices every primary the request really writes to, whatever its method;
- on the way out, records a position for each primary written to (all of
  them for a ``db_write`` view), and sets, refreshes or deletes the cookie.
  A request that wrote nothing (a refused POST) sets no pin. The cookie is
  signed (``pinning.encode_pins``), HttpOnly, and Secure when
  ``SESSION_COOKIE_SECURE`` is.

Works under WSGI and ASGI (sync and async capable), and also when called
old-style through ``process_request`` / ``process_response``. The router it
serves is ``replica.PinningReplicaRouter``. Listed below
``SessionMiddleware``, it would miss the session saved at login, and the next
request could read a replica that hasn't got it yet: ``routers.E030``.

Copy with: ``chain.py``, ``explain.py``, ``health.py``, ``pinning.py``, ``replica.py``,
``replica_sets.py``, ``thread_connections.py``.
"""

from contextlib import contextmanager

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core import checks
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from . import pinning  # pinning.now(), looked up at each call: the one clock tests freeze
from .health import health
from .pinning import (
    Pin,
    decode_pins,
    encode_pins,
    pin_state_preserved,
    pin_this_thread,
    pinning_cookie,
    pinning_cookie_httponly,
    pinning_cookie_samesite,
    pinning_cookie_secure,
    pinning_scope,
    pinning_seconds,
    pins_after,
    unpin_this_thread,
)
from .replica import caught_up, replica_sets

__all__ = [
    "READ_ONLY_METHODS",
    "PinningRouterMiddleware",
    "check_middleware_order",
    "pinning_cookie",
    "pinning_cookie_httponly",
    "pinning_cookie_samesite",
    "pinning_cookie_secure",
    "pinning_seconds",
]

READ_ONLY_METHODS = frozenset(["GET", "TRACE", "HEAD", "OPTIONS"])


class PinningRouterMiddleware(MiddlewareMixin):
    """Pin a client's reads to the primaries until the replicas have its writes."""

    def __init__(self, get_response):
        super().__init__(get_response)
        # What Django 5.0+ keeps as self.async_mode; 4.2 keeps no such attribute.
        self.is_async = iscoroutinefunction(get_response)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        with self._scope(request):
            return super().__call__(request)

    async def __acall__(self, request):
        with self._scope(request):
            return await super().__acall__(request)

    @contextmanager
    def _scope(self, request):
        pins = decode_pins(request.COOKIES.get(pinning_cookie()))
        with pin_state_preserved(), pinning_scope(pins) as scope:
            request._multidb_scope = scope
            yield

    def process_request(self, request):
        """Pin the request when its method writes; unpin a reused context otherwise."""
        scope = getattr(request, "_multidb_scope", None)
        if request.method not in READ_ONLY_METHODS:
            pin_this_thread()
            if scope is not None:
                scope.forced_reason = f"{request.method} request"
        elif scope is None and pinning_cookie() in request.COOKIES:
            pin_this_thread()  # old-style use without a scope: cookie present means pinned
        else:
            unpin_this_thread()

    def process_response(self, request, response):
        """Record this request's writes in the cookie; drop pins every replica has replayed."""
        scope = getattr(request, "_multidb_scope", None)
        replicated = set(replica_sets())
        declared = getattr(response, "_db_write", False)  # a db_write view, or mark_as_write()
        if scope is None:  # called directly, without __call__: django-multidb-router's way
            if declared or request.method not in READ_ONLY_METHODS:
                written_at = pinning.now()
                self._store(response, {alias: Pin(written_at) for alias in replicated})
            return response
        # Only real writes pin, and views that declare they write: a POST that
        # was refused (403, 404, a form error) changed nothing, so it pins
        # nothing and costs no WAL-position query.
        written = replicated if declared else scope.written & replicated
        # A primary known to be down took no write, and asking it for a WAL
        # position would wait on its connect timeout.
        written = {alias for alias in written if not health.cooling_down(alias)}
        sent = request.COOKIES.get(pinning_cookie())
        if not written and not scope.pins and sent is None:
            return response
        pins = {
            alias: pin
            for alias, pin in pins_after(scope, written).items()
            if alias in written or not caught_up(alias, pin)
        }
        # Rewrite whenever the value changes: new writes, pins dropped, or a sent
        # value that was unsigned, tampered or junk.
        if written or encode_pins(pins) != (sent or ""):
            self._store(response, pins)
        return response

    def _store(self, response, pins: dict[str, Pin]):
        if not pins:
            response.delete_cookie(pinning_cookie(), samesite=pinning_cookie_samesite())
            return
        newest = max(pin.written_at for pin in pins.values())
        remaining = max(1, round(pinning_seconds() - max(0.0, pinning.now() - newest)))
        self._set_cookie(response, encode_pins(pins), remaining)

    @staticmethod
    def _set_cookie(response, value, max_age):
        response.set_cookie(
            pinning_cookie(),
            value=value,
            max_age=max_age,
            secure=pinning_cookie_secure(),
            httponly=pinning_cookie_httponly(),
            samesite=pinning_cookie_samesite(),
        )


SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"


def ready() -> None:
    """Register this module's system check (called from ``apps.py``)."""
    checks.register(check_middleware_order, "routers")


def check_middleware_order(app_configs=None, **kwargs):
    """Report ``PinningRouterMiddleware`` listed below ``SessionMiddleware``."""
    position: dict[str, tuple[int, str]] = {}
    for index, path in enumerate(settings.MIDDLEWARE):
        try:
            middleware = import_string(path)
        except ImportError:
            continue  # Django reports an unimportable middleware itself
        if isinstance(middleware, type) and issubclass(middleware, PinningRouterMiddleware):
            position.setdefault("pinning", (index, path))
        elif path == SESSION_MIDDLEWARE:
            position.setdefault("session", (index, path))
    if "pinning" in position and "session" in position:
        (pinning_at, path), (session_at, _) = position["pinning"], position["session"]
        if pinning_at > session_at:
            return [
                checks.Error(
                    f"MIDDLEWARE lists {path!r} below SessionMiddleware, so the session "
                    "saved at login is not seen as a write: the next request may read a "
                    "replica that doesn't have it yet, and the user looks logged out.",
                    hint=f"Move {path!r} above {SESSION_MIDDLEWARE!r}.",
                    id="routers.E030",
                )
            ]
    return []
