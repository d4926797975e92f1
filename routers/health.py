"""Per-process health of every database: down, cooling down, lagging, or fine.

Three ways a replica fails, and what this module does about each:

- **Dead** (refuses connections): the request that notices marks it down for
  ``MULTIDB_REPLICA_COOLDOWN_SECONDS`` (default 30) and reads elsewhere; later
  requests skip it without trying. After the cooldown one probe, and only
  one, decides whether it is back: the background thread's, where it runs
  (``recover()``, each interval), so no request pays for it; else the next
  request's.
- **Hung** (accepts nothing, answers nothing): the connect timeout bounds the
  wait (``connect_timeout``, libpq's minimum is 2 s). A request that finds
  another's attempt in flight waits for it, but no longer than
  ``MULTIDB_REPLICA_CONNECT_WAIT_SECONDS`` (0.5) from that attempt's start,
  and connects only if it succeeded; otherwise it skips the replica, and the
  failed attempt marks it down for the cooldown. So one request per cooldown
  per process pays the timeout, and no request waits on it twice.
- **Lagging**: a background thread per process measures replay lag every
  ``MULTIDB_REPLICA_LAG_INTERVAL`` seconds (default 1); the router reads the
  last figure from memory, so no request waits for a measurement. A replica
  whose lag exceeds ``MULTIDB_MAX_REPLICA_LAG`` (seconds, or
  ``{"seconds": 5, "bytes": 16 * 2**20}``) takes no reads until it catches up.

A connection kept across requests (``CONN_MAX_AGE`` with
``CONN_HEALTH_CHECKS``) is checked here before a request is routed to it, not
by Django at the first query (``check_reused()``): one broken by a server
restart is replaced, and a failed connect marks the server down as above; one
whose server no longer answers is given up after the connect timeout, where
Django's own check would wait for ever, and the server is marked down.

Lag is measured in bytes (the primary's ``pg_current_wal_lsn()`` minus the
standby's ``pg_last_wal_replay_lsn()``) and in seconds
(``now() - pg_last_xact_replay_timestamp()``), with one correction: a standby
that has replayed everything the primary wrote is 0 s behind, however long
ago the last transaction was. ``pg_last_xact_replay_timestamp()`` alone would
report an idle system as ever more lagging; bytes alone can't express the
"5 seconds behind" that users care about.

Every other database is watched the same way. A primary with replicas keeps
its reads on them while it is down, and its writes fail fast
(``PrimaryUnavailable``); a database with nothing to fail over to is refused
at once for its cooldown (``require()`` raises ``DatabaseUnavailable``), so
only the pages that need it fail, with a 503 (``degraded.py``), and the rest
never wait on it. Only a failure to reach the server counts
(``connection_failure()``): an SQL error or a statement timeout is the server
answering. The background thread also retries, once each interval, every
database whose cooldown is over, so one that is back is marked up even if no
request asks for it.

With ``apps.py`` and the package in ``INSTALLED_APPS``, ``manage.py check``
reports a setting above that isn't a number of seconds (``routers.E040``),
one that is negative (``routers.E041``), and a ``MULTIDB_MAX_REPLICA_LAG``
mapping with keys other than ``seconds`` and ``bytes`` (``routers.E042``).

Copy with: ``thread_connections.py``.
"""

import logging
import math
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.dispatch import receiver

from .thread_connections import check_reused, checked, in_event_loop, is_connected, opened

__all__ = [
    "DatabaseUnavailable",
    "Health",
    "PrimaryUnavailable",
    "check_health_settings",
    "connection_failure",
    "cooldown_seconds",
    "health",
    "lag_interval",
    "max_lag",
]

logger = logging.getLogger("routers.health")


# Settings are read on first use and kept until one changes (override_settings):
# a routing decision reads several, and a missing setting costs more to look up
# than the decision itself.


@cache
def cooldown_seconds() -> float:
    return float(getattr(settings, "MULTIDB_REPLICA_COOLDOWN_SECONDS", 30))


@cache
def connect_wait_seconds() -> float:
    """How long others wait on a pending connection attempt before presuming the server hung."""
    return float(getattr(settings, "MULTIDB_REPLICA_CONNECT_WAIT_SECONDS", 0.5))


@cache
def lag_interval() -> float:
    """Seconds between lag measurements; 0 switches the background thread off."""
    return float(getattr(settings, "MULTIDB_REPLICA_LAG_INTERVAL", 1))


@receiver(setting_changed)
def _forget_settings(*, setting, **kwargs):
    if setting.startswith("MULTIDB_"):
        for getter in (cooldown_seconds, connect_wait_seconds, lag_interval, max_lag):
            getter.cache_clear()
        health.limits_changed()
        health.monitor_ensured = False  # MULTIDB_REPLICA_LAG_INTERVAL may have changed


@cache
def max_lag() -> tuple[float | None, int | None]:
    """``(seconds, bytes)`` a replica may lag before it stops taking reads."""
    value = getattr(settings, "MULTIDB_MAX_REPLICA_LAG", 5)
    if isinstance(value, dict):
        return value.get("seconds"), value.get("bytes")
    return (None if value is None else float(value)), None


class DatabaseUnavailable(OperationalError):
    """A database the request needs is down or cooling down; nothing was sent to it.

    Raised before any connection attempt while the alias cools down, so a page
    that needs it can answer at once (``degraded.py`` makes it a 503).
    """

    def __init__(self, alias: str, retry_after: float, reason: str = ""):
        super().__init__(
            f"{alias} is unavailable ({reason or 'down'}); retry in {retry_after:.0f} s"
        )
        self.alias = alias
        self.retry_after = retry_after
        self.reason = reason


class PrimaryUnavailable(DatabaseUnavailable):
    """Writes can't go anywhere: the primary is down (see ``degraded.py``)."""

    def __init__(self, primary: str, retry_after: float):
        super().__init__(primary, retry_after, "writes are refused")
        self.args = (f"{primary} is down; writes are refused for {retry_after:.0f} s",)
        self.primary = primary


@dataclass
class Lag:
    seconds: float
    bytes: int
    measured_at: float


@dataclass
class _State:
    down_until: float = 0.0  # monotonic; 0 means never marked down
    error: str = ""
    lag: Lag | None = None


class Health:
    """What this process knows about each database. Thread-safe."""

    def __init__(self):
        self._states: dict[str, _State] = {}
        # alias -> connection attempts in flight: (start, set when it ends)
        self._attempts: dict[str, dict[int, tuple[float, threading.Event]]] = {}
        self._lock = threading.Lock()
        self._monitor_pid = None
        # ensure_monitor() ran in this process since the settings last changed:
        # the routers skip calling it again on every pick.
        self.monitor_ensured = False
        self._beat = 0.0  # monotonic time of the monitor's latest loop
        # Aliases known down or lagging: unavailable() and the replica router's
        # fast lane skip their checks for every other alias. Read without the lock.
        self.flagged: set[str] = set()
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        """In a forked child (a gunicorn worker): the parent's monitor thread isn't here."""
        self._monitor_pid, self.monitor_ensured = None, False
        self._attempts.clear()

    def _state(self, alias) -> _State:
        return self._states.setdefault(alias, _State())

    # --- down and cooling down -------------------------------------------------

    def mark_down(self, alias: str, error: object) -> None:
        with self._lock:
            state = self._state(alias)
            # A change is logged once: the retries that fail while it stays down
            # (each request's, each thread's, the monitor's) would repeat the line.
            changed = not state.down_until
            state.down_until = time.monotonic() + cooldown_seconds()
            state.error = str(error).strip().splitlines()[0] if str(error).strip() else "down"
            self.flagged.add(alias)
        if changed:
            logger.warning("%s marked down for %.0f s: %s", alias, cooldown_seconds(), error)
        else:
            logger.debug("%s still down: %s", alias, error)

    def mark_up(self, alias: str) -> None:
        with self._lock:
            state = self._state(alias)
            if state.down_until:
                logger.info("%s is back", alias)
            state.down_until, state.error = 0.0, ""
            self._reflag(alias)

    def cooling_down(self, alias: str) -> float:
        """Seconds left in *alias*'s cooldown, 0 when it may be tried."""
        state = self._states.get(alias)
        if state is None or not state.down_until:
            return 0.0
        return max(0.0, state.down_until - time.monotonic())

    def is_down(self, alias: str) -> bool:
        """Marked down and not yet shown to be back (a cooled-down alias is still down)."""
        state = self._states.get(alias)
        return bool(state and state.down_until)

    def error(self, alias: str) -> str:
        state = self._states.get(alias)
        return state.error if state else ""

    # --- connecting --------------------------------------------------------------

    def usable(self, alias: str, *, retry: bool = False) -> tuple[bool, str]:
        """Whether reads may go to *alias* now, connecting if needed; else why not.

        Called by the routers for a database they are about to name. A
        connection already open in this thread is used as it is; otherwise one
        attempt is made, unless the alias is cooling down, or another thread's
        attempt doesn't succeed within ``connect_wait_seconds()`` of its start.
        Once an alias has been marked down, a process whose background monitor
        runs leaves the retries to it (``recover()``, each interval), so no
        request pays a connection attempt on a server known to be down;
        *retry* is the monitor's own call.
        """
        state = self._states.get(alias)
        if state is None or not state.down_until:
            connection = opened(alias)
            if connection is not None and connection.connection is not None:
                if checked(connection):
                    return True, ""  # up, and this thread holds a connection: the usual case
                silent = check_reused(connection)
                if silent:
                    self.mark_down(alias, silent)
                    return False, f"{alias} not answering: {silent}"
                if connection.connection is not None:
                    return True, ""
                # Broken (a server restart): discarded, so connect anew below.
        if alias not in connections.settings:
            return True, ""  # not a configured database: nothing to judge
        left = self.cooling_down(alias)
        if left:
            return False, f"{alias} down: cooling down {left:.0f} s"
        if not retry and self.is_down(alias) and self._monitoring():
            return False, f"{alias} down: retried in the background"
        connection = connections[alias]
        if is_connected(connection) or in_event_loop():
            if self.is_down(alias) and is_connected(connection):
                self.mark_up(alias)  # its cooldown is over and it holds a connection: back
            return True, ""  # connected already, or async code: the query connects later
        # A request that finds another attempt in flight waits for it, at most
        # connect_wait_seconds() from that attempt's start: if it succeeds, this
        # one connects too (attempts overlap, bursts aren't serialised); if it
        # fails or is still waiting, the server is presumed down or hung and
        # this request skips it. So only the first attempt can pay the timeout.
        with self._lock:
            attempts = self._attempts.setdefault(alias, {})
            oldest = min(attempts.values(), key=lambda attempt: attempt[0], default=None)
        if oldest is not None:
            started, finished = oldest
            waited = finished.wait(max(0.0, connect_wait_seconds() - (time.monotonic() - started)))
            if not waited:
                return False, f"{alias} not answering: a connection attempt is still waiting"
            left = self.cooling_down(alias)
            if left:
                return False, f"{alias} down: cooling down {left:.0f} s"
        mine = (time.monotonic(), threading.Event())
        with self._lock:
            self._attempts[alias][id(mine)] = mine
        try:
            connection.ensure_connection()
        except DatabaseError as error:
            self.mark_down(alias, error)
            return False, f"{alias} down: cooling down {cooldown_seconds():.0f} s"
        except AssertionError:
            # Django's TestCase forbids connecting to a database the test didn't
            # declare (DatabaseOperationForbidden). The test may still ask where a
            # read goes; a query there would fail with Django's own message.
            return True, ""
        finally:
            with self._lock:
                del self._attempts[alias][id(mine)]
            mine[1].set()
        self.mark_up(alias)
        return True, ""

    def unavailable(self, alias: str) -> str:
        """Why reads may not go to *alias* now (lagging, down, not answering), or "" if they may.

        ``lagging()`` then ``usable()``, with the usual case first: nothing
        known against it and a connection open in this thread.
        """
        if alias not in self.flagged:
            connection = opened(alias)
            if connection is not None and connection.connection is not None and checked(connection):
                return ""
        return self.lagging(alias) or self.usable(alias)[1]

    def require(self, alias: str) -> None:
        """Return if *alias* may be used now (connecting if needed); else raise DatabaseUnavailable.

        The same rules as ``usable()``: while *alias* cools down nothing is
        tried, and while another thread's attempt hangs this one waits at most
        ``connect_wait_seconds()``.
        """
        usable, why = self.usable(alias)
        if not usable:
            raise DatabaseUnavailable(alias, max(self.cooling_down(alias), 1.0), why)

    def recoverable(self) -> list[str]:
        """Aliases marked down whose cooldown is over: the next attempt decides."""
        return [
            alias
            for alias in list(self._states)
            if self.is_down(alias) and not self.cooling_down(alias)
        ]

    def probe(self, alias: str) -> bool:
        """Open a fresh connection to *alias* now; mark it up or down accordingly."""
        connection = connections[alias]
        connection.close()
        try:
            connection.ensure_connection()
        except DatabaseError as error:
            self.mark_down(alias, error)
            return False
        self.mark_up(alias)
        return True

    # --- lag -----------------------------------------------------------------

    def lag(self, alias: str) -> Lag | None:
        state = self._states.get(alias)
        return state.lag if state else None

    def lagging(self, alias: str) -> str:
        """Why *alias* lags too much to take reads, or "" when it doesn't."""
        lag = self.lag(alias)
        if lag is None:
            return ""
        limit_seconds, limit_bytes = max_lag()
        if limit_seconds is not None and lag.seconds > limit_seconds:
            return f"replica lagging {lag.seconds:.1f} s > {limit_seconds:g} s"
        if limit_bytes is not None and lag.bytes > limit_bytes:
            return f"replica lagging {lag.bytes} bytes > {limit_bytes} bytes"
        return ""

    def measure(self, replica: str, primary: str) -> Lag | None:
        """Measure *replica*'s lag behind *primary* now, and remember it.

        PostgreSQL only; other backends have no replication to measure.
        """
        if {connections[replica].vendor, connections[primary].vendor} != {"postgresql"}:
            return None
        primary_lsn = self._query(primary, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        if primary_lsn is None:
            return None
        row = self._query(
            replica,
            "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn,"
            " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
        )
        if row is None:
            return None
        replayed, seconds = row
        behind = max(0, int(primary_lsn[0]) - int(replayed or 0))
        lag = Lag(
            seconds=0.0 if behind == 0 else float(seconds or 0.0),
            bytes=behind,
            measured_at=time.monotonic(),
        )
        with self._lock:
            was_lagging = self.lagging(replica)
            self._state(replica).lag = lag
            self._reflag(replica)
            lagging = self.lagging(replica)
        if lagging and not was_lagging:  # logged when it starts and ends, not per measure
            logger.warning("%s: %s; reads go to %s until it catches up", replica, lagging, primary)
        elif was_lagging and not lagging:
            logger.info("%s caught up with %s", replica, primary)
        return lag

    def _reflag(self, alias: str) -> None:
        """Flag *alias* while it is down or lags past the limit (call with the lock held)."""
        if self._states[alias].down_until or self.lagging(alias):
            self.flagged.add(alias)
        else:
            self.flagged.discard(alias)

    def limits_changed(self) -> None:
        """Judge every measured lag again (``MULTIDB_MAX_REPLICA_LAG`` changed)."""
        with self._lock:
            for alias in list(self._states):
                self._reflag(alias)

    def _query(self, alias, sql):
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(sql)
                row = cursor.fetchone()
        except DatabaseError as error:
            connections[alias].close()
            if connection_failure(error):
                self.mark_down(alias, error)
            else:  # the server answered; the question was wrong (e.g. it is in recovery)
                logger.warning("lag query on %s failed: %s", alias, error)
            return None
        self.mark_up(alias)
        return row

    # --- the background monitor -------------------------------------------------

    def ensure_monitor(self, pairs) -> None:
        """Start this process's lag monitor once, for the ``[(replica, primary), ...]``
        that the callable *pairs* returns.

        Checks the process id, so a worker forked from a process that already
        ran one starts its own.
        """
        if self._monitor_pid is not None or not lag_interval():
            self.monitor_ensured = True
            return  # running (a forked child forgets its parent's: _forked()), or off
        with self._lock:
            if self._monitor_pid is not None:
                return
            self._monitor_pid, self.monitor_ensured = os.getpid(), True
        thread = threading.Thread(
            target=self._monitor, args=(list(pairs()),), name="routers-health", daemon=True
        )
        thread.start()

    def _monitoring(self) -> bool:
        """Whether this process's monitor thread runs and has looped lately."""
        fresh = max(5 * lag_interval(), 5.0)
        return self._monitor_pid == os.getpid() and time.monotonic() - self._beat < fresh

    def _monitor(self, pairs):
        while True:
            self._beat = time.monotonic()
            if (
                not lag_interval()
            ):  # switched off (settings changed): stop; the next pick restarts it
                with self._lock:
                    self._monitor_pid, self.monitor_ensured = None, False
                return
            for replica, primary in pairs:
                try:
                    self.measure(replica, primary)
                except Exception:  # e.g. database access blocked in a test run
                    logger.debug("lag measurement of %s skipped", replica, exc_info=True)
            for alias in {alias for pair in pairs for alias in pair}:
                self.tidy(alias)
            self.recover()
            time.sleep(max(lag_interval(), 0.05))

    def tidy(self, alias: str) -> None:
        """Between two rounds of the monitor, what a request's start does to a connection.

        This thread has no requests: it drops a broken or expired connection
        itself (``close_if_unusable_or_obsolete()``, undocumented, what Django
        runs around each request) and checks a kept one with a bound
        (``check_reused()``), so the next measurement never waits on a server
        that stopped answering.
        """
        connection = connections[alias]
        connection.close_if_unusable_or_obsolete()
        if is_connected(connection) and not checked(connection):
            silent = check_reused(connection)
            if silent:
                self.mark_down(alias, silent)

    def recover(self) -> None:
        """Try each database whose cooldown is over once (the monitor does, off the request path).

        A database that came back is marked up here even if no request needs
        it, so every process's health page recovers on its own; one that is
        still down starts a new cooldown.
        """
        for alias in self.recoverable():
            try:
                self.usable(alias, retry=True)
            except Exception:  # e.g. database access blocked in a test run
                logger.debug("recovery probe of %s skipped", alias, exc_info=True)
            finally:
                connections[alias].close()

    def snapshot(self) -> dict[str, dict]:
        """Everything known, per alias, for a health page."""
        now = time.monotonic()
        report = {}
        for alias, state in list(self._states.items()):
            report[alias] = {
                "down": bool(state.down_until),
                "cooling_down_seconds": max(0.0, state.down_until - now)
                if state.down_until
                else 0.0,
                "error": state.error,
                "lag_seconds": state.lag.seconds if state.lag else None,
                "lag_bytes": state.lag.bytes if state.lag else None,
                "lag_measured_seconds_ago": now - state.lag.measured_at if state.lag else None,
            }
        return report

    def reset(self) -> None:
        """Forget everything (tests; a topology change)."""
        with self._lock:
            self._states.clear()
            self.flagged.clear()


def connection_failure(error: Exception) -> bool:
    """Whether *error* means the server can't be reached, rather than a failed statement.

    PostgreSQL's SQLSTATE class 08 is "connection exception", 57P01-57P03 are
    shutdowns; a client-side failure (refused, timed out, connection lost) has
    no SQLSTATE. SQLite has no server: only a file that can't be opened counts.
    A statement timeout (57014) or an SQL error is the server answering.
    """
    cause = error.__cause__
    if isinstance(error, InterfaceError):
        return True  # the connection object is closed or broken
    if cause is not None and type(cause).__module__.startswith("sqlite3"):
        return "unable to open database file" in str(cause)
    state = getattr(cause, "sqlstate", None)
    return state is None or state.startswith("08") or state in {"57P01", "57P02", "57P03"}


def ready() -> None:
    """Register this module's system check (called from ``apps.py``)."""
    checks.register(check_health_settings, "routers")


# The settings read as seconds above, with their defaults.
SECONDS_SETTINGS = {
    "MULTIDB_REPLICA_COOLDOWN_SECONDS": 30,
    "MULTIDB_REPLICA_CONNECT_WAIT_SECONDS": 0.5,
    "MULTIDB_REPLICA_LAG_INTERVAL": 1,
}
MAX_LAG_KEYS = {"seconds", "bytes"}
MAX_LAG_EXAMPLE = 'MULTIDB_MAX_REPLICA_LAG = {"seconds": 5, "bytes": 16 * 2**20}'


def check_health_settings(app_configs=None, **kwargs):
    """Report failover settings that aren't a number of seconds, 0 or more."""
    errors = []
    for name, default in SECONDS_SETTINGS.items():
        example = f"{name} = {default!r}"
        errors += _number_errors(name, getattr(settings, name, default), example=example)
    limit = getattr(settings, "MULTIDB_MAX_REPLICA_LAG", 5)
    if isinstance(limit, Mapping):
        unknown = sorted(map(repr, set(limit) - MAX_LAG_KEYS))
        if unknown:
            errors.append(
                checks.Error(
                    f"MULTIDB_MAX_REPLICA_LAG has the key(s) {', '.join(unknown)}; "
                    "only 'seconds' and 'bytes' are read.",
                    hint=f"For example: {MAX_LAG_EXAMPLE}.",
                    id="routers.E042",
                )
            )
        for key in sorted(MAX_LAG_KEYS & set(limit)):
            if limit[key] is not None:
                errors += _number_errors(
                    f"MULTIDB_MAX_REPLICA_LAG[{key!r}]",
                    limit[key],
                    example=MAX_LAG_EXAMPLE,
                    whole=key == "bytes",
                )
    elif limit is not None:
        errors += _number_errors(
            "MULTIDB_MAX_REPLICA_LAG", limit, example="MULTIDB_MAX_REPLICA_LAG = 5"
        )
    return errors


def _number_errors(name: str, value, *, example: str, whole: bool = False) -> list[checks.Error]:
    """E040 if *value* isn't a finite number (a whole one if *whole*), E041 if it is negative."""
    kind = "a whole number" if whole else "a finite number"
    is_number = isinstance(value, int if whole else int | float) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value):
        return [
            checks.Error(
                f"{name} is {value!r}, which is not {kind}.",
                hint=f"Set it to {kind} of {'bytes' if whole else 'seconds'}, 0 or more, "
                f"not a string: for example {example}.",
                id="routers.E040",
            )
        ]
    if value < 0:
        return [
            checks.Error(
                f"{name} is {value!r}, a negative number.",
                hint=f"Use 0 or more: for example {example}.",
                id="routers.E041",
            )
        ]
    return []


health = Health()
