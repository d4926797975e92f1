"""Horizontal sharding: where a key's rows live, and IDs that say so themselves.

Rows of a sharded model spread over many **logical** shards, a fixed number
chosen once (64 by default), which a map places on fewer **physical**
databases; moving a logical shard changes the map, never a key's logical
shard. Two functions hold that promise:

``logical_shard_for(key)``
    A stable function of the key, the same in every process, on every
    machine and in every Python version, so never ``hash()`` (salted per
    process for strings). A whole number key ``k`` goes to ``k % N``: user 42
    of 64 logical shards is in logical shard 42, so neighbours spread evenly
    and a person can check it in their head. Any other key (a string, a UUID,
    bytes) goes by its digest: the first eight bytes of BLAKE2b over its UTF-8
    text (a UUID's 16 bytes, bytes as they are), read big-endian, modulo ``N``.
    ``N`` is ``DATABASE_SHARDING["LOGICAL_SHARDS"]``; changing it moves nearly
    every key, so it is chosen once.

``make_id(logical_shard, sequence)`` / ``logical_shard_of(id)``
    64-bit IDs that carry their logical shard, in the layout Instagram
    described: from the most significant bit, a 0 (the IDs are positive
    ``bigint`` values), 41 bits of milliseconds since ``ID_EPOCH`` (until the
    year 2095), 12 bits of logical shard (so at most 4096 logical shards) and
    10 bits of a sequence. IDs sort by creation time, never collide across
    logical shards, stay valid when a logical shard moves, and a lookup by id
    alone finds its shard. The sequence must be unique per logical shard
    within a millisecond: it comes from the database that writes the row
    (modulo 1024), as Instagram's came from a PostgreSQL sequence.

``shard_for(key)``
    The alias of the physical database that holds *key*'s rows today: the
    logical shard's entry in the **shard map**.

The shard map
-------------
A table in ``default`` with a version; a changed map takes effect in every
process within a second, with no restart. ``shard_map.py`` says how.

The router
----------
::

    DATABASE_ROUTERS = [
        "routers.read_only.ReadOnlyRouter",
        "routers.replica.PinningReplicaRouter",   # a shard's reads to its replicas
        "routers.sharding.ShardRouter",           # before the app-label router
        "routers.app_label.AppLabelRouter",       # answers every model: last
    ]
    DATABASE_SHARDING = {
        "SHARDS": ["shard_0", "shard_1"],         # the physical databases
        "MODELS": {"activity.Event": "user"},     # sharded model -> its shard key field
        "LOGICAL_SHARDS": 64,                     # fixed once rows exist
    }

``ShardRouter`` routes a sharded model by the shard key it finds in the
hints: an ``instance`` (a sharded row's key, or the row its key points to, so
``user.events.all()`` works), a ``shard_key``, a ``logical_shard`` (what an
id carries) or a ``physical_shard`` alias. With none of those it raises
``ShardKeyRequired``, naming the model and the ways to scope a query, rather
than read one shard silently; ``shard_queryset.py`` gives the querysets that
pass the hints. The replica router asks the routers after it where a model is
written, so listed before this one it sends a shard's reads to that shard's
replicas (``REPLICA_DATABASES = {"shard_0": ["shard_0_replica"]}``), as it
does for the app-label router. The app-label router answers for every model,
so this router must come before it (``routers.E086``).

A sharded model's tables exist on every physical shard and nowhere else
(``allow_migrate``), so ``migrate --database shard_N`` builds each one. Its
rows may point at rows in other databases (the foreign key needs
``db_constraint=False``); two sharded rows relate only on the same physical
shard. Each row's id should be a ``ShardedIdField``: a 64-bit id made by
``make_id`` when the row is inserted, its sequence from the shard's database
(a PostgreSQL sequence, or a counter row on SQLite, ``sharding_id_sequence``,
which ``migrate`` creates on every shard).

System checks: ``routers.E080`` (``DATABASE_SHARDING`` malformed),
``E081`` (an alias not in ``DATABASES``), ``E082`` (a model or key field
that doesn't exist), ``E083``/``E084`` with ``check --database`` (the map
names an alias that isn't a shard; a logical shard no entry places),
``W085`` (no ``ShardRouter``) and ``E086`` (a router before it answers for a
sharded model).

Copy with: ``explain.py``, ``shard_ids.py``, ``shard_map.py``.
"""

from collections.abc import Mapping

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router
from django.db.models.signals import post_migrate

from .explain import explain
from .shard_ids import (
    ID_EPOCH,
    MAX_LOGICAL_SHARDS,
    ShardedIdField,
    decode_id,
    install_sequence,
    logical_shard_of,
    make_id,
)
from .shard_map import (
    DEFAULT_LOGICAL_SHARDS,
    MAP_TABLE,
    ShardMap,
    ShardMapError,
    assign_logical_shards,
    current_map,
    install_map,
    is_sharded,
    logical_shard_count,
    logical_shard_for,
    map_database,
    map_problems,
    shard_aliases,
    shard_for,
    shard_key_field,
    sharded_models,
)

__all__ = [
    "ID_EPOCH",
    "MAX_LOGICAL_SHARDS",
    "ShardKeyRequired",
    "ShardMap",
    "ShardMapError",
    "ShardRouter",
    "ShardedIdField",
    "assign_logical_shards",
    "current_map",
    "decode_id",
    "install_map",
    "logical_shard_count",
    "logical_shard_for",
    "logical_shard_of",
    "make_id",
    "shard_aliases",
    "shard_for",
    "shard_key_field",
    "sharded_models",
]


class ShardKeyRequired(LookupError):
    """A query on a sharded model named no shard key, so no one shard can answer it."""

    def __init__(self, model):
        self.model = model
        field = shard_key_field(model)
        super().__init__(
            f"{model._meta.label} is sharded by {field.name!r} (DATABASE_SHARDING), and this "
            f"query names no shard key. Scope it: .for_key({field.attname}), "
            f".filter({field.attname}=...), .get(pk=...) by a sharded id, or ask every shard "
            "explicitly: .across_shards()."
        )


def _install(*, using, **kwargs):
    """``migrate`` creates the map on the map database and the id sequence on each shard."""
    if not shard_aliases():
        return
    if using == map_database():
        install_map(using)
    if using in shard_aliases():
        install_sequence(using)


# --- The router ------------------------------------------------------------------


class ShardRouter:
    """Route each sharded model by its shard key; raise ``ShardKeyRequired`` without one."""

    def db_for_read(self, model, **hints):
        """Reads go to the physical shard that holds the key's logical shard."""
        return self._route(model, hints)

    def db_for_write(self, model, **hints):
        """Writes go to the physical shard that holds the key's logical shard."""
        return self._route(model, hints)

    def routes_by_model(self, model):
        """It abstains for every model that isn't sharded; a sharded one goes by its key."""
        return not is_sharded(model)

    def allow_relation(self, obj1, obj2, **hints):
        """Sharded rows point anywhere else, and at each other on one physical shard only."""
        # obj._meta, not type(obj): request.user is a SimpleLazyObject, whose type isn't the model.
        sharded = [is_sharded(obj._meta.model) for obj in (obj1, obj2)]
        if not any(sharded):
            return None
        if all(sharded):
            return obj1._state.db == obj2._state.db or None in (obj1._state.db, obj2._state.db)
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        """A sharded model's tables live on every physical shard and nowhere else."""
        if model_name is None:
            labels = [label for label in sharded_models() if label.split(".")[0] == app_label]
            if not labels:
                return None
        elif f"{app_label}.{model_name}" not in sharded_models():
            return None
        return db in shard_aliases()

    def _route(self, model, hints):
        if not is_sharded(model):
            return None
        if alias := hints.get("physical_shard"):
            shard_map = current_map()
            return explain(
                alias,
                "across shards: logical shards %s of %d, map v%d",
                shard_map.describe(alias),
                len(shard_map.aliases),
                shard_map.version,
            )
        field = shard_key_field(model)
        key, logical = _key_of(model, field, hints)
        if logical is None:
            raise ShardKeyRequired(model)
        shard_map = current_map()
        alias = shard_map.alias_for(logical)
        said = f"{field.name} {key}" if key is not None else f"id of logical shard {logical}"
        reason = "%s → logical shard %d/%d → %s, map v%d"
        args = [said, logical, len(shard_map.aliases), alias, shard_map.version]
        if target := shard_map.moving_to(logical):
            reason, args = f"{reason}; moving to %s", [*args, target]
        return explain(alias, reason, *args)


def _key_of(model, field, hints) -> tuple[object, int | None]:
    """``(key, logical shard)`` from *hints*; ``(None, None)`` when they name none."""
    instance = hints.get("instance")
    if isinstance(instance, model):
        key = getattr(instance, field.attname)
        if key is not None:
            return key, logical_shard_for(key)
        if instance.pk is not None and isinstance(model._meta.pk, ShardedIdField):
            return None, logical_shard_of(instance.pk)
    elif (
        field.related_model
        and isinstance(instance, field.related_model)
        and instance.pk is not None  # unsaved: no key yet, so ShardKeyRequired
    ):
        return instance.pk, logical_shard_for(instance.pk)  # user.events.all(), Event(user=)
    if hints.get("shard_key") is not None:
        return hints["shard_key"], logical_shard_for(hints["shard_key"])
    if hints.get("logical_shard") is not None:
        return None, hints["logical_shard"]
    return None, None


# --- System checks ---------------------------------------------------------------


def ready() -> None:
    """Register the checks, and the map's and sequences' set-up at migrate (from ``apps.py``)."""
    post_migrate.connect(_install, dispatch_uid=f"{__name__}.install")
    checks.register(check_sharding, "routers")
    checks.register(check_shard_map, "routers", checks.Tags.database)


def check_sharding(app_configs=None, **kwargs):
    """Report a malformed ``DATABASE_SHARDING``, missing aliases and models, router order."""
    value = getattr(settings, "DATABASE_SHARDING", None)
    if value is None:
        return []
    shards = value.get("SHARDS") if isinstance(value, Mapping) else None
    count = value.get("LOGICAL_SHARDS", DEFAULT_LOGICAL_SHARDS) if shards else None
    if (
        not isinstance(shards, list | tuple)
        or not shards
        or not isinstance(value.get("MODELS", {}), Mapping)
        or not isinstance(count, int)
        or not len(shards) <= count <= MAX_LOGICAL_SHARDS
    ):
        return [
            checks.Error(
                "DATABASE_SHARDING must be a mapping with SHARDS (a list of aliases), MODELS "
                f"(model label -> shard key field) and LOGICAL_SHARDS (from the number of "
                f"shards to {MAX_LOGICAL_SHARDS}).",
                hint='For example: {"SHARDS": ["shard_0", "shard_1"], '
                '"MODELS": {"activity.Event": "user"}, "LOGICAL_SHARDS": 64}.',
                id="routers.E080",
            )
        ]
    errors = []
    for alias in [*shards, value.get("MAP_DATABASE", DEFAULT_DB_ALIAS)]:
        if alias not in settings.DATABASES:
            errors.append(
                checks.Error(
                    f"DATABASE_SHARDING names {alias!r}, which is not in DATABASES.",
                    hint=f"Add {alias!r} to DATABASES, or fix the alias in DATABASE_SHARDING.",
                    id="routers.E081",
                )
            )
    for label, key in value.get("MODELS", {}).items():
        try:
            apps.get_model(label)._meta.get_field(key)
        except (LookupError, ValueError, FieldDoesNotExist) as error:
            errors.append(
                checks.Error(
                    f"DATABASE_SHARDING['MODELS'] shards {label!r} by {key!r}: {error}",
                    hint="Name an installed model as 'app_label.Model' and one of its fields.",
                    id="routers.E082",
                )
            )
    return errors or _check_router_order()


def _check_router_order():
    try:
        routers = router.routers
    except ImportError:
        return []  # Django's check reports the router it can't import
    position = next((i for i, r in enumerate(routers) if isinstance(r, ShardRouter)), None)
    if position is None:
        return [
            checks.Warning(
                "DATABASE_SHARDING is set, but DATABASE_ROUTERS has no ShardRouter, so sharded "
                "models aren't routed to their shards.",
                hint=f"Add '{__name__}.ShardRouter' before the app-label router.",
                id="routers.W085",
            )
        ]
    errors = []
    for earlier in routers[:position]:
        if hasattr(earlier, "primary_for"):
            continue  # a replica router asks this one where a model is written
        for label in sharded_models():
            model = apps.get_model(label)
            try:
                answer = getattr(earlier, "db_for_read", lambda m: None)(model)
            except Exception:  # a router that needs hints to answer isn't answering
                answer = None
            if answer:
                errors.append(
                    checks.Error(
                        f"{type(earlier).__name__} comes before ShardRouter in DATABASE_ROUTERS "
                        f"and sends {model._meta.label} to {answer!r}, so its shard key is "
                        "never asked.",
                        hint="Put ShardRouter before it.",
                        id="routers.E086",
                    )
                )
    return errors


def check_shard_map(app_configs=None, databases=None, **kwargs):
    """With ``--database`` naming the map's database: report a map that can't route."""
    if not shard_aliases() or map_database() not in (databases or ()):
        return []
    try:
        with connections[map_database()].cursor() as cursor:
            cursor.execute(f"SELECT logical_shard, alias FROM {MAP_TABLE}")
            entries = dict(cursor.fetchall())
    except DatabaseError:
        return []  # not migrated yet: migrate creates it
    errors = []
    for problem in map_problems(entries):
        ident = "routers.E083" if problem.startswith("it names") else "routers.E084"
        errors.append(
            checks.Error(
                f"The shard map in {map_database()!r} can't route: {problem}.",
                hint="Change it with assign_logical_shards(), or add the alias to SHARDS.",
                id=ident,
            )
        )
    return errors
