"""Reads for the home page and the health page."""

import os
import threading
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections

from apps.blog.models import Post
from apps.core.topology import describe_databases
from apps.shop.models import Order
from routers.health import (
    DatabaseUnavailable,
    connection_failure,
    cooldown_seconds,
    health,
    lag_interval,
    max_lag,
)
from routers.replica_sets import replica_sets
from routers.warehouse import warehouse


def row_counts() -> list[tuple[str, str, int | None, str]]:
    """Return ``(what, alias, count, why_not)`` rows; users are counted through the replica.

    ``count`` is None when that database can't answer, and ``why_not`` says
    why: down (cooling down in ``routers.health``, or unreachable just now) or
    not migrated yet, so the page still renders. Each alias is checked with
    ``health.usable()`` first, as the routers would: the explicit
    ``.using("replica")`` bypasses them, and a hung server would otherwise
    cost every visit the connect timeout.
    """
    queries = [
        ("users", "replica", get_user_model().objects.using("replica")),
        ("posts", "blog_db", Post.objects.all()),
        ("orders", "shop_db", Order.objects.all()),
    ]
    rows = []
    for what, alias, queryset in queries:
        # What the routers would ask: one connection attempt at a time, none
        # while the alias cools down, and a failed one marks it down.
        usable, why = health.usable(alias)
        if not usable:
            rows.append((what, alias, None, why))
            continue
        try:
            rows.append((what, alias, queryset.count(), ""))
        except DatabaseError as error:
            if isinstance(error, DatabaseUnavailable) or connection_failure(error):
                left = _whole_seconds(health.cooling_down(alias))
                rows.append((what, alias, None, f"{alias} can't be reached: retry in {left} s"))
            else:
                rows.append((what, alias, None, ""))  # the template says: run migrate_all
    return rows


@dataclass(frozen=True)
class DatabaseHealth:
    """One alias on the health page; the JSON endpoint prints these fields as they are."""

    alias: str
    vendor: str
    role: str
    replica_of: str | None
    state: str
    cooling_down_seconds: int
    lag_seconds: float | None
    lag_bytes: int | None
    lag_measured_seconds_ago: float | None
    taking_reads: bool
    serves: str
    error: str


def database_health(*, details: bool = True) -> list[DatabaseHealth]:
    """One row per alias, in settings order, from this process's ``routers.health`` only.

    Nothing here connects to a database, so the answer comes at once even
    while a server hangs. It is what *this* process has seen: each worker
    keeps its own registry. The fields mean:

    - ``state``: ``"cooling down"`` when the alias was marked down and the
      routers skip it for ``cooling_down_seconds`` more (whole seconds,
      rounded as for ``Retry-After``); ``"down"`` when it was marked down and
      the cooldown is over, so the next request that needs it tries it once;
      ``"up"`` when no failure has been seen, or it answered since. Only
      replicas and the primaries that have them are watched (there is
      nothing to fail over to otherwise), so a database without replicas
      stays "up" here even while its own pages fail.
    - ``lag_seconds``, ``lag_bytes``: replicas only, the last measurement
      (the background thread's, or the health page's "measure now"); None
      when not measured yet, which on SQLite is always.
    - ``taking_reads``: whether the routers send reads to it now. A replica
      does when it is in ``REPLICA_DATABASES``, not cooling down and not
      lagging past ``MULTIDB_MAX_REPLICA_LAG`` (``health.lagging()``). A
      primary with replicas does when not cooling down: the reads of pinned
      clients and open transactions, and every read while none of its
      replicas takes any. A database without replicas does when not cooling
      down: it takes all of its apps' reads and writes.
    - ``serves``: the same, in words.
    - ``error``: the driver's message, which names hosts, ports, users and
      socket paths: with ``details=False`` (anyone but staff) it is
      ``HIDDEN_ERROR`` instead, and "" still means no error.
    """
    sets = replica_sets()
    # Read each cooldown once, so one row can't say "up" and another "its replica is down".
    cooling = {alias: health.cooling_down(alias) for alias in connections}
    replica_reads = {
        alias: _replica_reads(alias, cooling[alias])
        for primary, members in sets.items()
        for alias, _ in members
        if alias != primary
    }
    measured_ago = {
        alias: state["lag_measured_seconds_ago"] for alias, state in health.snapshot().items()
    }
    rows = []
    for info in describe_databases():
        alias = info.alias
        left = cooling[alias]
        lag = health.lag(alias)
        if alias in replica_reads:
            taking_reads, serves = replica_reads[alias]
        else:
            taking_reads, serves = _primary_serves(alias, left, sets, replica_reads)
        rows.append(
            DatabaseHealth(
                alias=alias,
                vendor=info.vendor,
                role=info.role,
                replica_of=info.replica_of,
                state=_state(alias, left),
                cooling_down_seconds=_whole_seconds(left),
                lag_seconds=None if lag is None else round(lag.seconds, 3),
                lag_bytes=None if lag is None else lag.bytes,
                lag_measured_seconds_ago=_rounded(measured_ago.get(alias), 1),
                taking_reads=taking_reads,
                serves=serves,
                error=_error(alias, details=details),
            )
        )
    return rows


def health_summary(*, rows: list[DatabaseHealth], details: bool = True) -> dict:
    """The top of the health JSON: ``ok``, ``problems`` and the limits in force.

    ``ok`` is false when a database that takes writes (any but a replica) is
    down or cooling down: writes to it fail, so that part of the site is
    read-only. A replica that is down or lagging leaves ``ok`` true, since
    its reads go elsewhere, but is listed in ``problems``, as is every alias
    that is not "up". The endpoint answers 200 either way: it reports, and a
    load balancer shouldn't take a whole process out for one database.
    ``pid`` is None with ``details=False``: only staff learn the process id.
    """
    limit_seconds, limit_bytes = max_lag()
    problems = []
    for row in rows:
        if row.state == "cooling down":
            problems.append(f"{row.alias}: cooling down {row.cooling_down_seconds} s: {row.error}")
        elif row.state == "down":
            problems.append(f"{row.alias}: down ({row.error}); the next request tries it again")
        elif row.replica_of and not row.taking_reads:
            problems.append(f"{row.alias}: {row.serves}")
    return {
        "ok": all(row.state == "up" for row in rows if not row.replica_of),
        "problems": problems,
        "pid": os.getpid() if details else None,
        "cooldown_seconds": cooldown_seconds(),
        "max_lag_seconds": limit_seconds,
        "max_lag_bytes": limit_bytes,
        "lag_interval_seconds": lag_interval(),
    }


@dataclass(frozen=True)
class LagMeasurement:
    replica: str
    primary: str
    outcome: str


def replica_lag_measure() -> list[LagMeasurement]:
    """Measure every replica's lag behind its primary now, and say how it went.

    This one connects: to each replica and its primary, each attempt bounded
    by the connect timeout. It never raises a database error; a server that
    fails is marked down by ``health.measure()`` and its error is reported.
    """
    results = []
    for primary, members in replica_sets().items():
        for replica, _ in members:
            if replica == primary:
                continue
            try:
                lag = health.measure(replica, primary)
            except DatabaseError as error:
                outcome = f"failed: {error}"
            else:
                if lag is not None:
                    outcome = f"{lag.seconds:.1f} s, {lag.bytes} bytes behind"
                elif connections[replica].vendor != "postgresql":
                    outcome = f"nothing to measure: {connections[replica].vendor} has no replay lag"
                else:  # the primary is asked first, and marked down if it fails
                    failed = primary if health.is_down(primary) else replica
                    outcome = f"failed: {failed}: {health.error(failed)}"
            results.append(LagMeasurement(replica=replica, primary=primary, outcome=outcome))
    return results


@dataclass(frozen=True)
class LagReport:
    """What the health page says about replay lag: measured now, or why not."""

    measurements: list[LagMeasurement]
    measured_now: bool
    note: str


def replica_lag_report(*, may_measure: bool) -> LagReport:
    """Measure every replica now if *may_measure* and the throttle allows; else say what's known.

    Measuring connects to every replica and its primary, each attempt up to
    the connect timeout, so the health page lets staff only ask for it, and
    this process measures at most once every ``MULTIDB_REPLICA_LAG_INTERVAL``
    seconds (0: no limit), however many ask: a second request within the
    interval gets the first one's figures and opens no connection. Everyone
    else gets what the registry already holds, which opens none either.
    """
    if not may_measure:
        note = "Measuring connects to every replica, so only staff can ask for it; "
        return LagReport(replica_lag_known(), False, note + "these are the last known figures.")
    claimed, last, ago = _lag_throttle.claim(interval=lag_interval())
    if not claimed:
        note = (
            f"This process measured {ago:.1f} s ago, and measures at most once every "
            f"{lag_interval():g} s (MULTIDB_REPLICA_LAG_INTERVAL): these are the figures it has."
        )
        return LagReport(last if last is not None else replica_lag_known(), False, note)
    measurements = replica_lag_measure()
    _lag_throttle.store(measurements)
    return LagReport(measurements, True, "")


def replica_lag_known() -> list[LagMeasurement]:
    """Every replica's last measured lag, from the registry alone: no connection."""
    results = []
    for primary, members in replica_sets().items():
        for replica, _ in members:
            if replica == primary:
                continue
            lag = health.lag(replica)
            if lag is not None:
                ago = time.monotonic() - lag.measured_at  # routers.health's clock
                outcome = f"{lag.seconds:.1f} s, {lag.bytes} bytes behind, measured {ago:.1f} s ago"
            elif connections[replica].vendor != "postgresql":
                outcome = f"nothing to measure: {connections[replica].vendor} has no replay lag"
            else:
                outcome = "not measured yet"
            results.append(LagMeasurement(replica=replica, primary=primary, outcome=outcome))
    return results


# The throttle's clock; tests move it (monkeypatch apps.core.selectors.now).
now = time.monotonic


class _LagThrottle:
    """When this process last measured, and what it found. Thread-safe, per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def claim(self, *, interval: float) -> tuple[bool, list[LagMeasurement] | None, float]:
        """``(True, ...)`` when the caller may measure now (and is recorded as measuring);
        else ``(False, the last measurements, seconds since they started)``."""
        with self._lock:
            if self._pid != os.getpid():  # a forked worker starts afresh
                self._pid, self._started, self._last = os.getpid(), None, None
            at = now()
            ago = None if self._started is None else at - self._started
            if interval and ago is not None and ago < interval:
                return False, self._last, ago
            self._started = at
            return True, None, 0.0

    def store(self, measurements: list[LagMeasurement]) -> None:
        with self._lock:
            self._last = measurements

    def reset(self) -> None:
        """Forget the last measurement (tests)."""
        with self._lock:
            self._pid, self._started, self._last = os.getpid(), None, None


_lag_throttle = _LagThrottle()


def replica_lag_throttle_reset() -> None:
    """Forget when this process last measured, so the next request may (tests)."""
    _lag_throttle.reset()


def _replica_reads(alias: str, left: float) -> tuple[bool, str]:
    if left:
        return False, f"no reads: {alias} down: cooling down {_whole_seconds(left)} s"
    lagging = health.lagging(alias)
    if lagging:
        return False, f"no reads: {lagging}"
    if health.is_down(alias):
        return True, "reads, once the next read finds it back"
    return True, "reads"


def _primary_serves(alias, left, sets, replica_reads) -> tuple[bool, str]:
    if alias not in sets:
        if left:
            return False, "nothing: its reads and writes have no replica to go to"
        if warehouse_part := _warehouse_serves(alias):
            return True, warehouse_part
        return True, "reads and writes (no replica, so not watched)"
    replicas_reading = any(replica_reads.get(member, (False,))[0] for member, _ in sets[alias])
    if left:
        if replicas_reading:
            return False, f"nothing: writes get a 503 for {_whole_seconds(left)} s, reads a replica"
        return False, "nothing: it and every replica of it are down"
    if replicas_reading:
        return True, "writes, and reads for pinned clients"
    return True, "writes and every read (no replica is taking reads)"


def _warehouse_serves(alias) -> str | None:
    config = warehouse()
    if config and alias == config["READ"]:
        return "the reports' reads (a role that can only read)"
    if config and alias == config["WRITE"]:
        return "migrations and refreshes only (the owner role); the site never connects"
    return None


# What anyone but staff sees instead of a database error: the driver's message
# names hosts, ports, users and socket paths.
HIDDEN_ERROR = "error details are shown to staff only"


def _error(alias: str, *, details: bool) -> str:
    error = health.error(alias)
    return error if details or not error else HIDDEN_ERROR


def _state(alias: str, left: float) -> str:
    if left:
        return "cooling down"
    return "down" if health.is_down(alias) else "up"


def _whole_seconds(seconds: float) -> int:
    """Seconds as ``Retry-After`` gives them: whole, and at least 1 while any are left."""
    return max(1, round(seconds)) if seconds else 0


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
