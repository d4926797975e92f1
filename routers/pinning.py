"""Read-your-writes: which reads must go to a primary, and for how long.

A drop-in for ``multidb.pinning`` (django-multidb-router) with the same names
and behaviour, fixing its gaps:

- State lives in ``contextvars``, so it is correct under ASGI, in threads and
  in asyncio tasks, instead of ``threading.local``.
- ``use_primary_db`` nests: leaving a block restores exactly the state it
  found, also after an exception.
- A *scope* (one per request, opened by ``PinningRouterMiddleware``, or by
  ``pinning_scope()`` around background work) records which primaries were
  really written to, detected on the connection, and the write positions a
  client must see, per primary.

A write position is a ``Pin``: when the write happened and, on PostgreSQL, the
primary's WAL position (``pg_current_wal_lsn()``) after the commit. The router
sends a read to a replica only once that replica has replayed past the
position (LSN mode), or, without a position, once ``MULTIDB_PINNING_SECONDS``
have passed since the write (time mode, as in django-multidb-router).

Background work: ``token = capture_pinning()`` in the request (after the
commit), pass the string along, and wrap the work in
``with restore_pinning(token):``.

Writes are detected by an execute wrapper that each connection gets when it
is created (``connection_created``), from the moment this module is imported.
A connection opened before that (by a system check, say) is watched only once
``ready()`` runs: ``apps.py`` calls it, or call ``pinning.ready()`` from your
own ``AppConfig.ready()``.

The routers in ``replica.py`` and the middleware in ``middleware.py`` build on it.

Copy with: nothing (Django only).
"""

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps

from django.conf import settings
from django.core import checks, signing
from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver

__all__ = [
    "Pin",
    "PinningScope",
    "UsePrimaryDB",
    "add_permanent_wrapper",
    "capture_pinning",
    "check_pinning_settings",
    "current_scope",
    "current_wal_position",
    "db_write",
    "format_lsn",
    "in_atomic_block",
    "mark_as_write",
    "now",
    "pin_this_thread",
    "pinning_cookie",
    "pinning_cookie_httponly",
    "pinning_cookie_samesite",
    "pinning_cookie_secure",
    "pinning_scope",
    "pinning_seconds",
    "restore_pinning",
    "this_thread_is_pinned",
    "unpin_this_thread",
    "use_master",
    "use_primary_db",
    "wal_position",
    "watch_open_connections",
]

# ------------------------------------------------------------------------------
# Settings (django-multidb-router's names and defaults, but for two: the cookie
# is HttpOnly unless told otherwise, and Secure whenever the session cookie is)
# ------------------------------------------------------------------------------


def pinning_cookie() -> str:
    """The cookie that carries a client's write positions."""
    return getattr(settings, "MULTIDB_PINNING_COOKIE", "multidb_pin_writes")


def pinning_cookie_httponly() -> bool:
    """No script needs to read the pins: HttpOnly unless set otherwise."""
    return getattr(settings, "MULTIDB_PINNING_COOKIE_HTTPONLY", True)


def pinning_cookie_samesite() -> str:
    return getattr(settings, "MULTIDB_PINNING_COOKIE_SAMESITE", "Lax")


def pinning_cookie_secure() -> bool:
    """Secure like the session cookie (``SESSION_COOKIE_SECURE``) unless set otherwise."""
    return getattr(
        settings, "MULTIDB_PINNING_COOKIE_SECURE", getattr(settings, "SESSION_COOKIE_SECURE", False)
    )


def pinning_seconds() -> int:
    """How long after a write its reads stay on the primary, at most."""
    return int(getattr(settings, "MULTIDB_PINNING_SECONDS", 15))


def pinning_mode() -> str:
    """``"lsn"`` (default): WAL positions where the primary is PostgreSQL; ``"time"``: windows."""
    return getattr(settings, "MULTIDB_PINNING_MODE", "lsn")


PINNING_MODES = ("lsn", "time")


def ready() -> None:
    """Register the settings check and watch the connections opened so far (``apps.py``)."""
    checks.register(check_pinning_settings, "routers")
    watch_open_connections()


def check_pinning_settings(app_configs=None, **kwargs):
    """Report a pinning mode or window that can't work."""
    errors = []
    mode = getattr(settings, "MULTIDB_PINNING_MODE", "lsn")
    if mode not in PINNING_MODES:
        errors.append(
            checks.Error(
                f"MULTIDB_PINNING_MODE is {mode!r}.",
                hint='Use "lsn" (WAL positions on PostgreSQL) or "time" (a fixed window).',
                id="routers.E050",
            )
        )
    seconds = getattr(settings, "MULTIDB_PINNING_SECONDS", 15)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
        errors.append(
            checks.Error(
                f"MULTIDB_PINNING_SECONDS is {seconds!r}.",
                hint="Use a whole number of seconds, 1 or more (the default is 15).",
                id="routers.E051",
            )
        )
    return errors


def now() -> float:
    """The wall-clock time that pins are stamped and aged with (a seam for tests)."""
    return time.time()


# ------------------------------------------------------------------------------
# The forced pin: pin_this_thread() and use_primary_db
# ------------------------------------------------------------------------------

_pinned: ContextVar[bool] = ContextVar("multidb_pinned", default=False)
_saved: ContextVar[tuple[bool, ...]] = ContextVar("multidb_pinned_saved", default=())


# this_thread_is_pinned() -> bool: whether every read of this context goes to a
# primary. The ContextVar's own getter, one C call: every read decision asks it.
this_thread_is_pinned = _pinned.get


def pin_this_thread() -> None:
    """Send every read of this context to the primaries."""
    _pinned.set(True)


def unpin_this_thread() -> None:
    """Stop forcing reads to the primaries (pins from writes still apply)."""
    _pinned.set(False)


class UsePrimaryDB:
    """Context manager and decorator: reads inside go to the primaries.

    One shared instance is safe: the state to restore is kept in a context
    variable, so nested and concurrent blocks each restore their own.
    """

    def __call__(self, func):
        @wraps(func)
        def decorator(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorator

    def __enter__(self):
        _saved.set((*_saved.get(), _pinned.get()))
        _pinned.set(True)

    def __exit__(self, exc_type, exc, tb):
        *outer, previous = _saved.get()
        _saved.set(tuple(outer))
        _pinned.set(previous)


@contextmanager
def pin_state_preserved() -> Iterator[None]:
    """Restore the forced pin to its value at entry when the block ends."""
    token = _pinned.set(_pinned.get())
    try:
        yield
    finally:
        _pinned.reset(token)


class _DeprecatedUseMaster(UsePrimaryDB):
    def __enter__(self):
        import warnings

        warnings.warn(
            "[multidb] @use_master has been deprecated, please switch to @use_primary_db",
            DeprecationWarning,
            stacklevel=2,
        )
        return super().__enter__()


use_primary_db = UsePrimaryDB()
use_master = _DeprecatedUseMaster()


def mark_as_write(response):
    """Mark *response* as having written, so the client gets pinned."""
    response._db_write = True
    return response


def db_write(func):
    """View decorator: reads in the view go to the primaries, and the client is pinned."""

    @wraps(func)
    def wrapped(*args, **kwargs):
        with use_primary_db:
            response = func(*args, **kwargs)
        return mark_as_write(response)

    return wrapped


# ------------------------------------------------------------------------------
# Write positions and the scope that tracks them
# ------------------------------------------------------------------------------

MAX_TOKEN_LENGTH = 1024
SIGNING_SALT = "routers.pinning"
_ENTRY = re.compile(r"^([A-Za-z0-9_-]{1,64}):(\d{1,12}(?:\.\d{1,3})?):(\d{0,20})$")


@dataclass(frozen=True)
class Pin:
    """A write a client must be able to read back: when, and where in the WAL."""

    written_at: float
    lsn: int | None = None

    def age(self) -> float:
        return max(0.0, now() - self.written_at)

    def expired(self) -> bool:
        return self.age() >= pinning_seconds()


def format_lsn(lsn: int) -> str:
    """Write *lsn* the way PostgreSQL does: ``0/3000060``."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def encode_pins(pins: dict[str, Pin]) -> str:
    """Sign ``default:1732251234.52:50331744|blog_db:1732251236.1:`` (cookie-safe characters).

    The signature (``django.core.signing``, salted, keyed by ``SECRET_KEY``)
    covers the write times, so a client can neither make up a pin nor move
    one later.
    """
    plain = "|".join(
        f"{alias}:{pin.written_at:.2f}:{'' if pin.lsn is None else pin.lsn}"
        for alias, pin in sorted(pins.items())
    )
    return signing.Signer(salt=SIGNING_SALT).sign(plain)


def decode_pins(value: str | None) -> dict[str, Pin]:
    """Verify and parse an untrusted cookie or token; anything else is ignored, never raised.

    Unsigned, tampered or malformed values give no pins. Each write time is
    clamped to now (a server's clock may run ahead of another's), and a pin
    older than ``MULTIDB_PINNING_SECONDS`` is dropped: no value pins a client
    for longer than the window after the write it records.
    """
    if not value or len(value) > MAX_TOKEN_LENGTH:
        return {}
    try:
        plain = signing.Signer(salt=SIGNING_SALT).unsign(value.strip('"'))
    except signing.BadSignature:
        return {}
    current = now()
    pins = {}
    for entry in plain.split("|")[:16]:
        match = _ENTRY.match(entry)
        if not match:
            continue
        alias, written_at, lsn = match.groups()
        lsn_value = int(lsn) if lsn else None
        if lsn_value is not None and lsn_value >= 2**64:
            continue
        pin = Pin(min(float(written_at), current), lsn_value)
        if not pin.expired():
            pins[alias] = pin
    return pins


@dataclass
class PinningScope:
    """What one request (or one piece of background work) knows about its writes."""

    pins: dict[str, Pin] = field(default_factory=dict)  # from the cookie or token
    written: set[str] = field(default_factory=set)  # primaries written in this scope
    replay_positions: dict[str, int | None] = field(default_factory=dict)  # per replica
    forced_reason: str = ""  # why the scope pinned everything, e.g. "POST request"


_scope: ContextVar[PinningScope | None] = ContextVar("multidb_scope", default=None)


# current_scope() -> PinningScope | None: the request's scope, if any. The
# ContextVar's own getter, as this_thread_is_pinned().
current_scope = _scope.get


_WRITE = re.compile(
    r"^\s*(?:INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|COPY|GRANT|REVOKE"
    r"|WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b)",
    re.IGNORECASE | re.DOTALL,
)


def is_write(sql: str) -> bool:
    """Whether *sql* changes data (reads, locks and transaction control don't)."""
    return bool(_WRITE.match(sql))


@contextmanager
def pinning_scope(pins: dict[str, Pin] | None = None) -> Iterator[PinningScope]:
    """Track which databases the block writes to, starting from the client's *pins*."""
    scope = PinningScope(pins=dict(pins or {}))
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@receiver(connection_created)
def _watch_writes(sender, connection, **kwargs):
    """Give every new connection a wrapper that reports writes to the current scope.

    Installed once per connection object, whatever thread or task opens it; the
    scope comes from the context, so sync_to_async threads report to their
    request's scope.
    """
    add_permanent_wrapper(connection, __name__, _detector(connection.alias))


def add_permanent_wrapper(connection, name: str, wrapper) -> None:
    """Give *connection* the execute wrapper *wrapper* for good, once per *name*.

    Django's public ``execute_wrapper()`` is a context manager, for wrappers
    that end with a block; a permanent one goes into the list behind it,
    ``execute_wrappers`` (undocumented), and first: ``execute_wrapper()``
    blocks pop the *last* wrapper when they end, which must never be a
    permanent one. tests/routers/test_permanent_wrappers.py and
    test_django_internals.py fail loudly if Django changes either. The routing
    trace hangs its recorder on connections this way too.
    """
    attached = connection.__dict__.setdefault("_permanent_wrappers", set())
    if name not in attached:
        connection.execute_wrappers.insert(0, wrapper)
        attached.add(name)


def watch_open_connections() -> None:
    """Watch connections that were already open when this module was imported."""
    for connection in connections.all(initialized_only=True):
        _watch_writes(None, connection)


def _detector(alias: str):
    def detect(execute, sql, params, many, context):
        scope = _scope.get()
        if scope is not None and alias not in scope.written and is_write(sql):
            scope.written.add(alias)
        return execute(sql, params, many, context)

    return detect


def pins_after(scope: PinningScope, primaries) -> dict[str, Pin]:
    """The scope's pins plus a fresh one for each of *primaries*, positioned after its commit."""
    pins = {alias: pin for alias, pin in scope.pins.items() if not pin.expired()}
    written_at = now()
    for alias in primaries:
        pins[alias] = Pin(written_at, current_wal_position(alias))
    return pins


def capture_pinning() -> str:
    """Return a token of this context's pins, for work that runs elsewhere.

    Call it after the commit (e.g. in ``transaction.on_commit``): a position
    taken inside an open transaction would come before the commit, so the
    write gets a time window instead.
    """
    scope = current_scope()
    if scope is None:
        return ""
    return encode_pins(pins_after(scope, scope.written))


@contextmanager
def restore_pinning(token: str) -> Iterator[PinningScope]:
    """Run the block with the pins captured by ``capture_pinning()``."""
    with pinning_scope(decode_pins(token)) as scope:
        yield scope


# ------------------------------------------------------------------------------
# WAL positions (PostgreSQL); None elsewhere, which means time mode
# ------------------------------------------------------------------------------


def current_wal_position(alias: str) -> int | None:
    """The primary's committed WAL position now, for a pin; None means time mode."""
    connection = connections[alias]
    if pinning_mode() != "lsn" or in_atomic_block(connection):
        return None  # time mode; or not committed yet: the commit record comes later
    return wal_position(alias)


def wal_position(alias: str) -> int | None:
    """*alias*'s ``pg_current_wal_lsn()`` in bytes from 0/0; None off PostgreSQL or on error."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
            return int(cursor.fetchone()[0])
    except DatabaseError:
        return None


def in_atomic_block(connection) -> bool:
    """Whether *connection* is inside ``transaction.atomic()``.

    ``in_atomic_block`` is the flag ``atomic()`` itself keeps, but it is not
    documented; the public ``transaction.get_autocommit()`` would open a
    connection to answer. tests/routers/test_django_internals.py fails
    loudly if an upgrade changes it.
    """
    return connection.in_atomic_block


def replay_position(alias: str) -> int | None:
    """How far replica *alias* has replayed, asked at most once per scope."""
    scope = current_scope()
    if scope is not None and alias in scope.replay_positions:
        return scope.replay_positions[alias]
    position = None
    connection = connections[alias]
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                # A replica alias on the primary's own server (not in recovery)
                # is never behind: its position is the primary's.
                cursor.execute(
                    "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
                    " ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn"
                )
                value = cursor.fetchone()[0]
                position = None if value is None else int(value)
        except DatabaseError:
            position = None
    if scope is not None:
        scope.replay_positions[alias] = position
    return position
