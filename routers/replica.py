"""Read/write splitting over replicas: a drop-in for django-multidb-router.

Switch from django-multidb-router by changing import paths only: ``multidb`` is
``routers.replica`` (or ``routers``), ``multidb.pinning`` is
``routers.pinning``, ``multidb.middleware`` is ``routers.middleware``.

Settings::

    DATABASE_ROUTERS = [
        "routers.replica.PinningReplicaRouter",  # first: see "Router order" below
        "routers.app_label.AppLabelRouter",
    ]

    REPLICA_DATABASES = ["replica"]                    # replicas of "default"
    REPLICA_DATABASES = {"default": ["replica"],       # a replica set per primary
                         "blog_db": ["blog_replica"]}
    REPLICA_DATABASES = {"replica": 80, "default": 20}  # weights (of "default")
    REPLICA_DATABASES = {"default": {"replica": 80, "default": 20}}

For tests, declare each replica a test mirror of its primary
(``"TEST": {"MIRROR": "default"}``); ``routers.W014`` explains what tests see
otherwise.

Router order: which primary a model lives in is asked of the routers listed
*after* this one (``db_for_write``), so app-label routing composes: a blog
read goes to a replica of ``blog_db``, never to a replica of another primary.
Alone, every model's primary is ``default``, as in django-multidb-router. A
router listed *before* it that answers ``db_for_read`` for every replicated
model leaves no read for the replicas: ``routers.E021``.

``PinningReplicaRouter`` sends a read to the primary instead when the context
is pinned (``use_primary_db``, ``pin_this_thread``, a POST), when the primary
is in a transaction, when this request wrote to it, or while no replica has
replayed the client's last write (``pinning.py``). Reasons are recorded with
``explain.py``.

Copy with: ``chain.py``, ``explain.py``, ``health.py``, ``pinning.py``, ``replica_sets.py``,
``thread_connections.py``.
"""

import warnings

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.db import connections, router
from django.dispatch import receiver
from django.utils.module_loading import import_string

from . import pinning  # noqa: F401  (multidb.pinning is reachable as an attribute)
from .chain import first_answer, remembered
from .explain import current_record, explain
from .health import PrimaryUnavailable, health, lag_interval, max_lag
from .pinning import (
    current_scope,
    db_write,  # noqa: F401  (multidb re-exports it too)
    format_lsn,
    in_atomic_block,
    replay_position,
    this_thread_is_pinned,
)
from .replica_sets import (
    DEFAULT_DB_ALIAS,
    get_replica,
    is_weighted,
    overridden,
    primary_of,
    replica_aliases,
    replica_sets,
    rotation,
    test_mirror_of,
)
from .thread_connections import checked, connections_here

__all__ = [
    "DEFAULT_DB_ALIAS",
    "PrimaryUnavailable",
    "MasterSlaveRouter",
    "PinningMasterSlaveRouter",
    "PinningReplicaRouter",
    "ReplicaRouter",
    "caught_up",
    "check_pinning_window",
    "check_router_order",
    "get_replica",
    "get_slave",
    "replica_sets",
]


def get_slave():
    warnings.warn(
        "[multidb] The get_slave() method has been deprecated. "
        "Please switch to the get_replica() method.",
        DeprecationWarning,
        stacklevel=2,
    )
    return get_replica()


def _monitored_pairs():
    return [
        (alias, primary)
        for primary, members in replica_sets().items()
        for alias, _ in members
        if alias != primary
    ]


class ReplicaRouter:
    """Writes go to the primary; reads go to its replicas in turn."""

    def db_for_read(self, model, **hints):
        """Reads go to a replica of the model's primary, round-robin or by weight."""
        primary = self.primary_for(model, hints)
        if primary not in replica_sets():
            self._require(primary)  # nothing to fail over to: it must be up
            return None  # no replicas: let the next router answer
        return self.pick_replica(primary)

    def db_for_write(self, model, **hints):
        """Writes always go to the primary; one known to be down fails fast."""
        primary = self.primary_for(model, hints)
        # Connect now (it's about to be used anyway): a primary that can't be
        # reached is marked down once, and writes fail fast for the cooldown.
        if primary in replica_sets():
            usable, _ = health.usable(primary)
            if not usable:
                raise PrimaryUnavailable(primary, health.cooling_down(primary))
        else:
            self._require(primary)
        return primary

    @staticmethod
    def _require(alias):
        """A database without replicas gets the same cooldown and recovery as any other."""
        health.ensure_monitor(_monitored_pairs)
        health.require(alias)

    def allow_relation(self, obj1, obj2, **hints):
        """Rows of one primary relate, whichever of its replicas they were read from."""
        if primary_of(obj1._state.db) == primary_of(obj2._state.db):
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        """Replicas are never migrated; alone, only the primaries are."""
        if db in replica_aliases():
            return False
        if self._other_routers():
            return None
        return db == DEFAULT_DB_ALIAS or db in replica_sets()

    def allow_syncdb(self, db, model):
        """Pre-Django 1.7 spelling of allow_migrate, kept for compatibility."""
        return self.allow_migrate(db, model._meta.app_label if model else None)

    def primary_for(self, model, hints) -> str:
        """Ask the other routers where *model* is written; ``default`` if none says.

        An answer that depends on the model alone is remembered (``chain.py``).
        """
        if model is None:
            return DEFAULT_DB_ALIAS
        alias = first_answer(self, "db_for_write", model, hints, routers=_not_replica_routers)
        return alias or DEFAULT_DB_ALIAS

    def pick_replica(self, primary, eligible=None, why="round-robin", *, first=None):
        """The next healthy member of *primary*'s set (limited to *eligible*), or the primary.

        *first* is a member already taken from the turns, to try before the next.
        """
        if not health.monitor_ensured:
            health.ensure_monitor(_monitored_pairs)
        turns, skipped = rotation(primary), ""
        if eligible is None and turns.equal:
            # The usual case, without building sets: equal weights, the next member in turn.
            alias = first or turns.next()
            skipped = "" if alias == primary else health.unavailable(alias)
            if not skipped:
                return explain(alias, why)
            eligible = {member for member, _ in turns.members if member != alias}
        members = replica_sets()[primary]
        allowed = {alias for alias, _ in members if eligible is None or alias in eligible}
        while allowed:
            alias = turns.next(allowed)
            if alias != primary:
                skipped = health.unavailable(alias)
                if skipped:
                    allowed.discard(alias)
                    continue
            if is_weighted(primary):
                total = sum(w for a, w in members if eligible is None or a in eligible)
                why = f"weighted {dict(members)[alias]}/{total}"
            return explain(alias, why)
        return explain(primary, skipped or "no replica available")

    @staticmethod
    def _other_routers():
        # django.db.router.routers: the router instances Django consults, in
        # order (undocumented, but the one list that is really asked);
        # tests/routers/test_django_internals.py fails loudly if it changes.
        return _not_replica_routers(router.routers)


def _not_replica_routers(routers) -> list:
    """The routers a replica router asks where a model is written: every other kind."""
    return [other for other in routers if not isinstance(other, ReplicaRouter)]


class _Lane:
    """What a read of one model needs when nothing is special: its primary and its
    replicas' turns (None when it has none)."""

    __slots__ = ("routers", "primary", "turns", "reads_from")

    def __init__(self, routers, primary, turns, reads_from):
        self.routers, self.primary, self.turns = routers, primary, turns
        # No replicas: what the routers after this one answer for the read.
        self.reads_from = reads_from


# model -> _Lane, for models whose primary the other routers name by model alone
# (chain.py) and whose replicas take equal turns.
_lanes: dict = {}


@receiver(setting_changed)
def _forget_lanes(**kwargs):
    _lanes.clear()


class PinningReplicaRouter(ReplicaRouter):
    """A ReplicaRouter that keeps each client's reads on the primary until it can see its writes."""

    def db_for_read(self, model, **hints):
        """Reads stay on the primary when pinned, in a transaction, or until a replica caught up."""
        # The fast lane: the decision below when there is nothing to decide. No
        # pin, no request scope, no replica sets overridden for the block, no
        # trace recording, no database known down or lagging, the primary in no
        # transaction, the next replica connected: then it is that replica. It is
        # the hottest path of the package, hence the inlining;
        # tests/routers/test_fast_lane.py holds it to the long way.
        lane = _lanes.get(model)
        if (
            lane is not None
            and lane.routers is router.routers
            and current_scope() is None
            and not this_thread_is_pinned()
            and overridden() is None
            and current_record() is None
            and health.monitor_ensured
            and not health.flagged
            and (here := connections_here()) is not None  # None in an event loop
        ):
            primary = here.get(lane.primary)
            if lane.turns is None:  # no replicas: the primary is up; the next router's answer
                if primary is not None and primary.connection is not None and checked(primary):
                    return lane.reads_from
            elif primary is None or not in_atomic_block(primary):
                alias = next(lane.turns)
                replica = here.get(alias)
                if alias == lane.primary or (
                    replica is not None and replica.connection is not None and checked(replica)
                ):
                    return alias
                return self.pick_replica(lane.primary, first=alias)
        primary = self.primary_for(model, hints)
        if primary not in replica_sets():
            self._require(primary)  # nothing to fail over to: it must be up
            self._open_lane(model, primary, hints)
            return None
        self._open_lane(model, primary, hints)
        if in_transaction(primary):
            return explain(primary, "in transaction")
        if health.cooling_down(primary):
            return self.pick_replica(primary, why="primary down: reading a replica")
        scope = current_scope()
        if scope is None and not this_thread_is_pinned():
            return self.pick_replica(primary)  # outside a request, not pinned: the usual read
        pinned = self._pinned(primary, scope)
        if pinned is None:
            return self.pick_replica(primary)
        if isinstance(pinned, int):
            return self._read_after(primary, pinned)
        return self._on_primary(primary, pinned)

    def _open_lane(self, model, primary, hints):
        """Give *model* a fast lane if the routers name its databases by model alone."""
        if overridden() is not None or not remembered(self, "db_for_write", model)[0]:
            return  # a lane holds the setting's turns, never a block's override
        if primary in replica_sets():
            turns = rotation(primary)
            if turns.equal:
                _lanes[model] = _Lane(router.routers, primary, turns.turns, None)
            return
        # Django asks the routers after this one when it abstains: remember what they say.
        reads_from = first_answer(self, "db_for_read", model, hints, routers=self._routers_after)
        if remembered(self, "db_for_read", model)[0]:
            _lanes[model] = _Lane(router.routers, primary, None, reads_from)

    def _routers_after(self, routers) -> list:
        return list(routers)[list(routers).index(self) + 1 :] if self in routers else []

    @staticmethod
    def _pinned(primary, scope):
        """Why reads of *primary* stay on it: a reason, a WAL position to wait for, or None."""
        if this_thread_is_pinned():
            forced = scope.forced_reason if scope and scope.forced_reason else "use_primary_db"
            return f"pinned: {forced}"
        if scope is None:
            return None
        if primary in scope.written:
            return "pinned: this request wrote to it"
        pin = scope.pins.get(primary)
        if pin is None or pin.expired():
            return None
        if pin.lsn is None:
            return f"pinned: wrote {round(pin.age())} s ago"
        return pin.lsn

    def _on_primary(self, primary, reason):
        """Read the primary for *reason*, unless it turns out to be down: then a replica."""
        if not health.usable(primary)[0]:
            return self.pick_replica(primary, why="primary down: reading a replica")
        return explain(primary, reason)

    def _read_after(self, primary, lsn):
        """Only the replicas that have replayed past *lsn* may serve."""
        caught_up, behind, skipped = {primary}, [], ""
        for alias, _ in replica_sets()[primary]:
            if alias == primary:
                continue
            unavailable = health.unavailable(alias)
            if unavailable:
                skipped = unavailable  # pick_replica would skip it too: don't ask it
                continue
            position = replay_position(alias)
            if position is not None and position >= lsn:
                caught_up.add(alias)
            else:
                behind.append(position)
        if caught_up - {primary}:
            return self.pick_replica(primary, caught_up, "caught up with your write")
        if skipped and not behind:
            return self._on_primary(primary, skipped)
        known = [p for p in behind if p is not None]
        seen = format_lsn(max(known)) if known else "unknown"
        return self._on_primary(primary, f"replica behind your write: {seen} < {format_lsn(lsn)}")


def caught_up(primary: str, pin) -> bool:
    """Whether every replica of *primary* has replayed past *pin* (LSN mode only)."""
    members = replica_sets().get(primary)
    if pin.lsn is None or not members:
        return False
    for alias, _ in members:
        if alias != primary:
            if health.unavailable(alias):
                return False  # down, hung or lagging: don't wait on it to ask
            position = replay_position(alias)
            if position is None or position < pin.lsn:
                return False
    return True


def in_transaction(primary: str) -> bool:
    """Whether *primary*'s connection is inside ``transaction.atomic()``.

    A TestCase's own wrapping transaction counts only for a replica that reads
    the primary's test database (a test mirror) from a separate server, which
    can't see the test's uncommitted rows; a mirror opened on the same
    database (the embedded SQLite default) can, and a replica that is no
    mirror has a test database of its own, so its reads are routed as in
    production.
    """
    # connections_here(): the connection this thread holds, if any, without asking
    # connections[] (its look-up costs more than the rest of a decision). One
    # that never connected is in no transaction: atomic() connects first. In an
    # event loop, wrappers are kept per async context: ask connections[] there.
    here = connections_here()
    connection = connections[primary] if here is None else here.get(primary)
    if connection is None or not in_atomic_block(connection):
        return False
    if only_testcase_atomics(connection):
        return any(
            test_mirror_of(alias) == primary and not _same_database(primary, alias)
            for alias, _ in replica_sets()[primary]
            if alias != primary
        )
    return True


def only_testcase_atomics(connection) -> bool:
    """Whether every open ``atomic()`` block on *connection* is a TestCase's own.

    No public API says so: TestCase marks the blocks it opens with
    ``_from_testcase`` and the connection keeps them in ``atomic_blocks``, both
    private. tests/routers/test_django_internals.py fails loudly if an upgrade
    changes either.
    """
    return all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _same_database(primary: str, replica: str) -> bool:
    first, second = connections[primary].settings_dict, connections[replica].settings_dict
    return all(first.get(key) == second.get(key) for key in ("NAME", "HOST", "PORT"))


# ------------------------------------------------------------------------------
# System checks
# ------------------------------------------------------------------------------


def ready() -> None:
    """Register this module's system checks (called from ``apps.py``)."""
    checks.register(check_router_order, "routers")
    checks.register(check_pinning_window, "routers")


def check_pinning_window(app_configs=None, **kwargs):
    """Report a pinning window shorter than the lag a replica may have and still take reads."""
    try:
        seconds, interval = max_lag()[0], lag_interval()
    except (TypeError, ValueError):
        return []  # malformed: health.py's own check names the setting
    window = getattr(settings, "MULTIDB_PINNING_SECONDS", 15)
    if not replica_sets() or seconds is None or not isinstance(window, int):
        return []
    if window > seconds + interval:
        return []
    return [
        checks.Error(
            f"MULTIDB_PINNING_SECONDS ({window}) is not longer than MULTIDB_MAX_REPLICA_LAG "
            f"({seconds:g} s) plus MULTIDB_REPLICA_LAG_INTERVAL ({interval:g} s). A replica that "
            "far behind still takes reads, so a client's pin can end before the replica has "
            "its write, and the client reads its own write as missing.",
            hint=f"Raise MULTIDB_PINNING_SECONDS above {seconds + interval:g}, or lower "
            "MULTIDB_MAX_REPLICA_LAG.",
            id="routers.E023",
        )
    ]


def check_router_order(app_configs=None, **kwargs):
    """Report a router order that leaves no read for the replicas."""
    loaded = []
    for entry in settings.DATABASE_ROUTERS:
        try:
            loaded.append(import_string(entry)() if isinstance(entry, str) else entry)
        except ImportError:
            return []  # routers.E020 reports it
    position = next((i for i, r in enumerate(loaded) if isinstance(r, ReplicaRouter)), None)
    if position is None and replica_sets():
        return [
            checks.Warning(
                "REPLICA_DATABASES is set, but DATABASE_ROUTERS has no replica router, so "
                "every read goes to a primary.",
                hint=f"Add '{__name__}.PinningReplicaRouter' (or ReplicaRouter) first in "
                "DATABASE_ROUTERS, or remove REPLICA_DATABASES.",
                id="routers.W022",
            )
        ]
    if not position or not replica_sets():
        return []
    replica_router, later = loaded[position], loaded[position + 1 :]
    replicated = [m for m in apps.get_models() if _primary_for(m, later) in replica_sets()]
    if not replicated:
        return []
    errors = []
    for earlier in loaded[:position]:
        taken = [m for m in replicated if _answers_read(earlier, m)]
        if len(taken) == len(replicated):
            name = _describe(earlier)
            errors.append(
                checks.Error(
                    f"DATABASE_ROUTERS lists {name} before {_describe(replica_router)}, and "
                    f"{name} answers db_for_read for every model that has replicas, so no "
                    "read ever reaches a replica.",
                    hint=f"Move {_describe(replica_router)} above {name} in DATABASE_ROUTERS: "
                    "it asks the routers after it where each model is written.",
                    id="routers.E021",
                )
            )
    return errors


def _primary_for(model, routers) -> str:
    for other in routers:
        method = getattr(other, "db_for_write", None)
        try:
            alias = method(model) if method else None
        except Exception:
            continue  # a router that needs a row or a key to answer (sharding) says nothing here
        if alias:
            return alias
    return DEFAULT_DB_ALIAS


def _answers_read(other, model) -> bool:
    method = getattr(other, "db_for_read", None)
    try:
        return method is not None and method(model) is not None
    except Exception:
        return False  # a router that can't answer without a request says nothing here


def _describe(router_object) -> str:
    cls = type(router_object)
    return f"{cls.__module__}.{cls.__qualname__}"


class _DeprecationMixin:
    def __init__(self, *args, **kwargs):
        warnings.warn(
            "[multidb] The MasterSlaveRouter and PinningMasterSlaveRouter classes have been "
            "deprecated. Please switch to the ReplicaRouter and PinningReplicaRouter classes "
            "respectively.",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)


class MasterSlaveRouter(_DeprecationMixin, ReplicaRouter):
    pass


class PinningMasterSlaveRouter(_DeprecationMixin, PinningReplicaRouter):
    pass
