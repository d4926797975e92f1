"""Replica sets: which replicas each primary has, and whose turn it is.

``REPLICA_DATABASES`` in any of its forms::

    REPLICA_DATABASES = ["replica"]                    # replicas of "default"
    REPLICA_DATABASES = {"default": ["replica"],       # a replica set per primary
                         "blog_db": ["blog_replica"]}
    REPLICA_DATABASES = {"replica": 80, "default": 20}  # weights (of "default")
    REPLICA_DATABASES = {"default": {"replica": 80, "default": 20}}

is normalised to ``{primary: ((alias, weight), ...)}``. Picks rotate with
smooth weighted round-robin (as in nginx): over every ``sum(weights)`` picks
each member appears ``weight`` times, spread out rather than in bursts.
This module is the one place that knows which alias is a replica of which
primary (``primary_of``, ``replica_aliases``): every router, app and test asks
it. ``REPLICA_DATABASES`` is the production setting, so the answer never
depends on ``TEST["MIRROR"]``, which only tells Django's test runner what to
create. ``routers.E011``-``routers.E013`` check the setting; ``routers.W014``
warns about a replica that tests would see as a separate, empty database.

``override_replica_databases(raw)`` routes one block of code by other replica
sets, e.g. a demo that shows weights on a project configured without them::

    with override_replica_databases({"default": {"replica": 80, "default": 20}}):
        ...  # reads of default's models: 4 in 5 from replica, 1 in 5 from default

It is context-local (a ``ContextVar``, like the pins in ``pinning.py``), so
other requests and threads keep the setting, where ``override_settings``
would change it for every thread at once; the block's picks take fresh turns.

Copy with: nothing (Django only).
"""

import itertools
import random
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = [
    "DEFAULT_DB_ALIAS",
    "check_replica_databases",
    "get_replica",
    "is_weighted",
    "normalise",
    "override_replica_databases",
    "overridden",
    "primary_of",
    "replica_aliases",
    "replica_sets",
    "rotation",
    "test_mirror_of",
]

DEFAULT_DB_ALIAS = "default"


def normalise(raw) -> dict[str, tuple[tuple[str, int], ...]]:
    """Turn any accepted REPLICA_DATABASES form into ``{primary: ((alias, weight), ...)}``."""
    if not raw:
        return {}
    if isinstance(raw, Mapping):
        if all(isinstance(weight, int) for weight in raw.values()):
            return {DEFAULT_DB_ALIAS: tuple(raw.items())}
        sets = {}
        for primary, members in raw.items():
            if isinstance(members, Mapping):
                sets[primary] = tuple(members.items())
            else:
                members = [members] if isinstance(members, str) else members
                sets[primary] = tuple((alias, 1) for alias in members)
        return sets
    members = [raw] if isinstance(raw, str) else raw
    return {DEFAULT_DB_ALIAS: tuple((alias, 1) for alias in members)}


def replica_sets() -> dict[str, tuple[tuple[str, int], ...]]:
    """``REPLICA_DATABASES`` as ``{primary: ((alias, weight), ...)}`` (or the block's override)."""
    override = _override.get()
    return _configured() if override is None else override.sets


@cache
def _configured() -> dict[str, tuple[tuple[str, int], ...]]:
    # Read by name: a project need not define either, so its settings' type (what
    # django-stubs checks settings.X against) may lack them.
    if hasattr(settings, "REPLICA_DATABASES"):
        return normalise(getattr(settings, "REPLICA_DATABASES", None))
    if hasattr(settings, "SLAVE_DATABASES"):
        warnings.warn(
            "[multidb] The SLAVE_DATABASES setting has been deprecated. "
            "Please switch to the REPLICA_DATABASES setting.",
            DeprecationWarning,
            stacklevel=2,
        )
        return normalise(getattr(settings, "SLAVE_DATABASES", None))
    return {}


def _groups() -> dict[str, str]:
    """Replica alias -> its primary."""
    override = _override.get()
    return _configured_groups() if override is None else override.groups


@cache
def _configured_groups() -> dict[str, str]:
    return _groups_of(_configured())


def _groups_of(sets) -> dict[str, str]:
    return {
        alias: primary
        for primary, members in sets.items()
        for alias, _ in members
        if alias != primary
    }


class _Rotation:
    """Smooth weighted round-robin (as in nginx): in every run of ``sum(weights)``
    picks each member appears ``weight`` times, spread out, not in bursts."""

    def __init__(self, members):
        self.members = members
        self.current = {alias: 0 for alias, _ in members}
        self.lock = threading.Lock()
        # Equal weights over every member are plain turns: a cycle, whose next()
        # is one C call (atomic under the GIL), so the usual pick takes no lock.
        self.equal = len({weight for _, weight in members}) <= 1
        self.turns = itertools.cycle([alias for alias, _ in members]) if self.equal else None
        for _ in range(random.randrange(sum(w for _, w in members) or 1)):
            self.next()  # start each process at a different point

    def next(self, eligible=None) -> str:
        if eligible is None and self.turns is not None:
            return next(self.turns)
        with self.lock:
            members = [(a, w) for a, w in self.members if eligible is None or a in eligible]
            total = sum(weight for _, weight in members)
            for alias, weight in members:
                self.current[alias] += weight
            chosen = max(members, key=lambda member: self.current[member[0]])[0]
            self.current[chosen] -= total
            return chosen


def rotation(primary: str) -> _Rotation:
    """Whose turn it is among *primary*'s members: one rotation per process (or per override)."""
    override = _override.get()
    return _configured_rotation(primary) if override is None else override.rotations[primary]


@cache
def _configured_rotation(primary: str) -> _Rotation:
    return _Rotation(_configured()[primary])


@receiver(setting_changed)
def _clear_caches(*, setting, **kwargs):
    if setting in {"REPLICA_DATABASES", "SLAVE_DATABASES", "DATABASE_ROUTERS"}:
        for cached in (_configured, _configured_groups, _configured_rotation):
            cached.cache_clear()


def is_weighted(primary: str) -> bool:
    """Whether *primary*'s members have different weights (else it's plain round-robin)."""
    return not rotation(primary).equal


class _Override:
    """Replica sets for one block: the sets, who replicates whom, and their own turns."""

    def __init__(self, sets):
        self.sets = sets
        self.groups = _groups_of(sets)
        self.rotations = {primary: _Rotation(members) for primary, members in sets.items()}


_override: ContextVar[_Override | None] = ContextVar("multidb_replica_sets", default=None)

# overridden() -> bool-ish: the block's override, or None. The ContextVar's own
# getter, so the replica router's fast lane can ask it in one C call.
overridden = _override.get


@contextmanager
def override_replica_databases(raw) -> Iterator[dict[str, tuple[tuple[str, int], ...]]]:
    """Route the block by *raw*, any ``REPLICA_DATABASES`` form, instead of the setting.

    Only this context sees it (threads and requests elsewhere keep the
    setting); nested blocks restore the outer sets. Raises ``ValueError`` for a
    form, alias or weight the system check would refuse.
    """
    if not isinstance(raw, list | tuple | Mapping):
        raise ValueError("REPLICA_DATABASES must be a list or a mapping.")
    sets = normalise(raw)
    for primary, members in sets.items():
        for alias, weight in ((primary, 1), *members):
            if alias not in settings.DATABASES:
                raise ValueError(f"{alias!r} is not in DATABASES.")
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
                raise ValueError(f"{alias!r} has the weight {weight!r}; use 1 or more.")
    token = _override.set(_Override(sets))
    try:
        yield sets
    finally:
        _override.reset(token)


def primary_of(alias: str | None) -> str | None:
    """The primary whose data *alias* serves: itself, or the primary it replicates."""
    return alias if alias is None else _groups().get(alias, alias)


def replica_aliases() -> set[str]:
    """Every alias that is a replica of some primary (never the primary itself)."""
    return set(_groups())


def test_mirror_of(alias: str) -> str | None:
    """The primary whose test database *alias* reads during tests (``TEST["MIRROR"]``), or None.

    For test-only decisions; routing itself asks ``primary_of()``.
    """
    return settings.DATABASES.get(alias, {}).get("TEST", {}).get("MIRROR") or None


def ready() -> None:
    """Register this module's system check (called from ``apps.py``)."""
    checks.register(check_replica_databases, "routers")


def get_replica(primary: str = DEFAULT_DB_ALIAS) -> str:
    """Return the next replica of *primary* (the primary itself when it has none)."""
    if primary not in replica_sets():
        return primary
    return rotation(primary).next()


def check_replica_databases(app_configs=None, **kwargs):
    """Report REPLICA_DATABASES entries that Django can't route to safely."""
    raw = getattr(settings, "REPLICA_DATABASES", None)
    if raw is None:
        return []
    if not isinstance(raw, list | tuple | Mapping):
        return [
            checks.Error(
                "REPLICA_DATABASES must be a list of aliases, or a mapping of primary to "
                "replicas, or of alias to weight.",
                hint='For example: REPLICA_DATABASES = {"default": ["replica"]}.',
                id="routers.E011",
            )
        ]
    errors: list[checks.CheckMessage] = []
    for primary, members in normalise(raw).items():
        for alias, weight in ((primary, 1), *members):
            if alias not in settings.DATABASES:
                errors.append(
                    checks.Error(
                        f"REPLICA_DATABASES names {alias!r}, which is not in DATABASES.",
                        hint=f"Add {alias!r} to DATABASES or remove it from REPLICA_DATABASES.",
                        id="routers.E012",
                    )
                )
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
                errors.append(
                    checks.Error(
                        f"REPLICA_DATABASES gives {alias!r} the weight {weight!r}.",
                        hint="Weights are whole numbers of 1 or more.",
                        id="routers.E013",
                    )
                )
            if (
                alias != primary
                and alias in settings.DATABASES
                and test_mirror_of(alias) != primary
            ):
                errors.append(
                    checks.Warning(
                        f"Replica {alias!r} is not declared as a test mirror of {primary!r}, "
                        f"so tests get a separate, empty test database for {alias!r}: a test "
                        f"that reads through it won't see rows written to {primary!r}, and "
                        "its tables don't exist (replicas are never migrated). Routing is "
                        "unaffected.",
                        hint=f'Set DATABASES[{alias!r}]["TEST"] = {{"MIRROR": {primary!r}}}, '
                        "so tests read the primary's test database through it.",
                        id="routers.W014",
                    )
                )
    return errors
