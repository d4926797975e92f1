"""Where two readers' reads of the notes go right now, and why, in the router's own words.

The lag lab shows two mechanisms that keep readers off a replica that is
behind, and they are easy to confuse, so every explanation here is chosen by
the reason the router recorded (``routers.recording()``), never assumed:

- the **pin**: a reader who wrote stays on the primary until a replica has
  replayed the write ("replica behind your write: ..."), while a reader
  without a pin reads the replica, stale;
- the **lag limit**: once the measured lag passes ``MULTIDB_MAX_REPLICA_LAG``
  the replica takes no reads at all, pin or not ("replica lagging ...").
"""

from dataclasses import dataclass

from django.db import connections, router, transaction

from apps.notes.models import Note
from apps.notes.served import served_by
from routers import recording
from routers.health import health, max_lag
from routers.pinning import (
    Pin,
    current_scope,
    current_wal_position,
    now,
    pin_state_preserved,
    pinning_scope,
    unpin_this_thread,
    wal_position,
)
from routers.replica_sets import primary_of, replica_sets

# Reason prefix -> (which mechanism, what it means). The prefixes are the
# routers' own messages (routers/replica.py, routers/health.py).
MEANINGS = (
    (
        "replica behind your write",
        "pin",
        "The pin at work: the replica hasn't replayed this "
        "reader's write yet, so the read stays on the primary.",
    ),
    (
        "caught up with your write",
        "caught-up",
        "The replica has replayed this reader's write: the pin lets the read go there.",
    ),
    (
        "replica lagging",
        "lag",
        "The lag limit at work: the replica is further behind than "
        "MULTIDB_MAX_REPLICA_LAG, so it takes no reads from anyone, pin or not.",
    ),
    (
        "round-robin",
        "replica",
        "No pin, and no lag past the limit is known: the read goes "
        "to the replica, which serves what it has replayed so far.",
    ),
    (
        "weighted",
        "replica",
        "No pin, and no lag past the limit is known: the read goes to a replica by weight.",
    ),
    ("primary down", "down", "The primary is marked down: reads fail over to a replica."),
    ("in transaction", "transaction", "The primary is inside a transaction: reads stay with it."),
    ("pinned", "pinned", "Every read of this request is pinned to the primary."),
)


def meaning_of(reason: str | None) -> tuple[str, str]:
    """``(mechanism, explanation)`` for a reason the router recorded."""
    text = reason or ""
    for prefix, mechanism, explanation in MEANINGS:
        if text.startswith(prefix):
            return mechanism, explanation
    if " down: " in text or " not answering" in text:
        return "down", "The replica is marked down or not answering: reads go to the primary."
    if not text:
        return "none", "No routing decision was recorded for this read."
    return "other", "The router recorded this reason; the lab has no note on it."


@dataclass(frozen=True)
class Reader:
    label: str
    alias: str | None  # the database whose connection ran the read
    reason: str | None  # what the router recorded for it
    newest: int | None  # the newest note id that read saw
    mechanism: str
    explanation: str


def readers_now(*, pins: dict[str, Pin], pin_label: str) -> list[Reader]:
    """One read of the newest note by a reader with *pins*, and one by a reader without a pin.

    Each read runs in a pinning scope of its own, as a request from that
    reader would, whatever the request asking holds.
    """
    readers = []
    with pin_state_preserved():
        unpin_this_thread()
        for label, scope_pins in ((pin_label, pins), ("A reader without a pin", {})):
            with pinning_scope(scope_pins), served_by(Note) as served:
                newest = Note.objects.order_by("-pk").values_list("pk", flat=True).first()
            readers.append(
                Reader(label, served.alias, served.reason, newest, *meaning_of(served.reason))
            )
    return readers


def newest_on_primary() -> int | None:
    """The newest note id on the primary, asked of it by name."""
    primary = router.db_for_write(Note)
    return Note.objects.using(primary).order_by("-pk").values_list("pk", flat=True).first()


@dataclass(frozen=True)
class LagNow:
    replica: str
    primary: str
    seconds: float | None  # None: nothing to measure (not PostgreSQL, or unreachable)
    bytes: int | None
    limit_seconds: float | None
    limit_bytes: int | None
    excluded: str  # health's own words when the lag keeps reads away, else ""


def measure_lag(replica: str) -> LagNow:
    """*replica*'s lag measured now (``routers.health``), and whether it passes the limit."""
    primary = primary_of(replica)
    lag = health.measure(replica, primary)
    limit_seconds, limit_bytes = max_lag()
    return LagNow(
        replica,
        primary,
        None if lag is None else lag.seconds,
        None if lag is None else lag.bytes,
        limit_seconds,
        limit_bytes,
        health.lagging(replica),
    )


def pin_now(primary: str) -> Pin:
    """A pin at *primary*'s WAL position now: what a write now would leave (a time pin off PG)."""
    return Pin(now(), current_wal_position(primary))


def fresh_commit() -> int | None:
    """Commit a transaction on the notes' primary, changing no row; the WAL position after it.

    ``txid_current()`` gives the transaction an id, so its commit is written to
    the WAL with a timestamp, which the standby's lag in seconds counts from.
    None off PostgreSQL.
    """
    primary = router.db_for_write(Note)
    connection = connections[primary]
    if connection.vendor != "postgresql":
        return None
    with recording(), transaction.atomic(using=primary), connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
    return wal_position(primary)


def lab_readings() -> dict:
    """What the lag lab shows under the standby's state: the lag, two readers, the step."""
    primary = router.db_for_write(Note)
    members = replica_sets().get(primary, [])
    replica = next((alias for alias, _ in members if alias != primary), None)
    if replica is None:
        return {}  # no replica of the notes' primary: nothing can lag
    lag = measure_lag(replica)
    scope = current_scope()
    pin = scope.pins.get(primary) if scope is not None else None
    if pin is not None and not pin.expired():
        label, pins = "You (the pin from your last write)", {primary: pin}
    else:
        label, pins = (
            "A reader who writes now (a pin at the primary's position now)",
            {primary: pin_now(primary)},
        )
    readers = readers_now(pins=pins, pin_label=label)
    mechanisms = {reader.mechanism for reader in readers}
    step = 2 if "lag" in mechanisms else 1 if "pin" in mechanisms else 0
    return {"lag": lag, "readers": readers, "newest": newest_on_primary(), "step": step}
