"""Copyable database routers for multi-database Django projects.

The shape: flat modules you copy
--------------------------------
Each module is one router or one tool. Its docstring ends with a ``Copy
with:`` line naming every sibling it needs, directly or through another
sibling; copy those files into one package of your own (any name: the modules
import each other relatively) and it works there. ``apps.py`` comes along with
any of them: add your package to ``INSTALLED_APPS`` and ``manage.py check``
runs the checks of whichever modules you copied. Two tests keep these promises:
one compares every ``Copy with:`` line with the module's imports, the other
copies each module with exactly those files into a blank project under another
package name and proves it there on real SQLite files
(``tests/routers/test_copying.py``, and ``test_copying_sharding.py`` for the
sharding modules).

==================  ================================================  ==================
module              what it gives you                                 copy with
==================  ================================================  ==================
``app_label``       ``AppLabelRouter``: each app in its own database  explain,
                    (reads, writes, tables, relations)                replica_sets
``cross_database``  ``CrossDatabaseQuerySet``: a join across          (nothing)
                    databases fails early, naming both
``generic``         ``CrossDatabaseGenericForeignKey``: a generic     (nothing)
                    relation whose targets live in other databases,
                    each read where the router puts it; content
                    types from their one home
``replica``         ``ReplicaRouter``, ``PinningReplicaRouter``:      explain, health,
                    reads to replicas, writes to the primary          pinning,
                    (django-multidb-router's ``multidb``)             replica_sets
``middleware``      ``PinningRouterMiddleware``: the pin cookie       the same + replica
``degraded``        ``DegradedModeMiddleware``: 503 while a primary   health,
                    is down                                           replica_sets
``warehouse``       ``WarehouseRouter``: an app read through a        explain
                    read-only role, written through its owner
``read_only``       ``ReadOnlyRouter``: an ORM write to a read-only   explain
                    database raises ``ReadOnlyDatabaseError``;
                    ``allow_writes()`` for test data
``pinning``         read-your-writes state (``multidb.pinning``)      (nothing)
``health``          down, hung and lagging databases                  (nothing)
``replica_sets``    ``REPLICA_DATABASES``; which alias replicates     (nothing)
                    which primary (``primary_of``)
``explain``         ``explain(alias, reason)``: why a query went      (nothing)
                    where it went
``sharding``        ``ShardRouter``: each row of a sharded model to   explain,
                    the database holding its key's logical shard;     shard_ids,
                    ``ShardKeyRequired`` when a query names no key    shard_map
``shard_queryset``  ``ShardedQuerySet``: ``for_key()``,               explain,
                    ``on_shard()``, ``across_shards()`` (every        shard_ids,
                    shard at once, merged), ``bulk_create`` per       shard_map,
                    shard                                             sharding
``shard_ids``       ``ShardedIdField``: 64-bit ids that carry their   shard_map
                    logical shard (``make_id``, ``decode_id``)
``shard_map``       the versioned map of logical shards to            (nothing)
                    databases: ``logical_shard_for``, ``shard_for``,
                    ``current_map``, ``assign_logical_shards``
``shard_freeze``    the database-kept freeze of a moving logical      health, shard_ids,
                    shard, its change log, ``ShardFrozen`` and        shard_map
                    ``retry_while_frozen``
``shard_move``      ``ShardMover``: one logical shard to another      health, row_copy,
                    database under live writes, resumable;            shard_freeze,
                    ``manage.py move_shard``                          shard_ids, shard_map,
                                                                      shard_move_plan
``shard_move_plan`` the moves' records; ``plan_move``,                health, row_copy,
                    ``start_move``, ``shard_rows``                    shard_freeze,
                                                                      shard_ids, shard_map
``app_move``        ``move_app``: an app's rows to another database   row_copy
                    or engine, in one transaction, verified
``row_copy``        batched, key-keeping copies between databases     (nothing)
                    and the checksums that prove them
``checks``          ``DATABASE_ROUTERS`` entries that don't import    (nothing)
``apps``            registers the checks of the modules present       (nothing)
==================  ================================================  ==================

``contrib/debug_toolbar.py`` gives ``RoutedSQLPanel``: django-debug-toolbar's
SQL panel with the router's reason beside each query. Copy it into a
``contrib/`` folder of the package, with ``explain``.

Every module depends on Django and the standard library only, besides the
siblings named; those of ``contrib/`` each fit one library to the routers,
and need it besides: ``contrib/debug_toolbar`` gives django-debug-toolbar's
SQL panel the router's reason for each query (copy with explain), and
``contrib/health_check`` gives django-health-check a check per database (a
primary that can't be reached fails, a replica's trouble is a warning) and a
readiness view that answers 503 while one fails (copy with health,
replica_sets, thread_connections). Settings are read on first use and
re-read when ``override_settings`` changes them. In this project the package
is also installable (``pip install`` of the repository builds a wheel of
``routers`` alone, with ``py.typed``), and it may be copied under the BSD
licence in ``LICENSE``.

Settings
--------
::

    INSTALLED_APPS += ["routers"]  # runs the system checks below
    DATABASE_ROUTERS = [
        "routers.replica.PinningReplicaRouter",
        "routers.sharding.ShardRouter",  # with DATABASE_SHARDING only
        "routers.app_label.AppLabelRouter",
    ]
    DATABASE_ROUTING_RULES = {"blog": "blog_db", "shop": "shop_db"}  # app label -> alias
    DATABASE_RELATIONS = [("blog_db", "default"), ("shop_db", "default")]
    REPLICA_DATABASES = {"default": ["replica"]}  # primary -> replicas
    DATABASE_SHARDING = {
        "SHARDS": ["shard_0", "shard_1"],  # the physical databases
        "MODELS": {"activity.Event": "user"},  # sharded model -> its shard key field
        "LOGICAL_SHARDS": 64,  # fixed once rows exist
        "MAP_DATABASE": "default",  # holds the shard map (the default)
        "MAP_REFRESH_SECONDS": 1.0,  # a changed map reaches every process within this
    }
    MIDDLEWARE = [
        "routers.middleware.PinningRouterMiddleware",  # above SessionMiddleware
        "django.contrib.sessions.middleware.SessionMiddleware",
        "routers.degraded.DegradedModeMiddleware",
        ...,
    ]

Router order
------------
Django asks each router in ``DATABASE_ROUTERS`` in turn and takes the first
answer that isn't ``None``. The replica router goes first: it asks the routers
after it which primary a model is written to, then picks one of that primary's
replicas, and abstains for primaries without replicas. ``AppLabelRouter``
answers for every model (apps without a rule go to ``default``), so it goes
last; routers for special cases (a read-only legacy database) go between
them. ``AppLabelRouter`` listed first would send every read to a primary;
``manage.py check`` says so (``routers.E021``).

``ShardRouter`` goes after the replica router and before ``AppLabelRouter``.
The replica router asks it, like any router after it, where a sharded row is
written, so a shard with replicas in ``REPLICA_DATABASES`` has its reads sent
there. ``AppLabelRouter`` answers for every model, so listed before
``ShardRouter`` it would send every sharded row to one database without
asking for the key (``routers.E086``).

Replicas
--------
``REPLICA_DATABASES`` is the one statement of which alias replicates which
primary: the routers, the apps and the tests all ask ``replica_sets.primary_of``.
A replica counts as its primary for relations, and is never migrated. For
tests, also declare each replica a test mirror of its primary, so tests read
the primary's test database through it::

    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}

Without it (django-multidb-router's settings have none) tests get a separate,
empty database for the replica; ``routers.W014`` warns, and nothing fails.

``override_replica_databases(sets)`` routes one block of code by other sets
(any ``REPLICA_DATABASES`` form), in that context only: other threads and
requests keep the setting, where ``override_settings`` would change it for all.

System checks
-------------
=====================  =========================================================
``routers.E001-E007``  ``DATABASE_ROUTING_RULES`` / ``DATABASE_RELATIONS`` name
                       missing apps or databases, send an app to a replica, or
                       the router isn't installed
``routers.E011-E013``  ``REPLICA_DATABASES`` malformed, unknown alias, bad weight
``routers.W014``       a replica that isn't a test mirror of its primary
``routers.E020``       a ``DATABASE_ROUTERS`` entry that can't be imported
``routers.E021``       a router before the replica router takes every
                       replicated read
``routers.W022``       ``REPLICA_DATABASES`` set, but no replica router
``routers.E023``       a pinning window shorter than the lag a serving
                       replica may have
``routers.E030``       ``PinningRouterMiddleware`` below ``SessionMiddleware``
``routers.W031``       a middleware below ``DegradedModeMiddleware`` that
                       answers exceptions first
``routers.E040-E042``  failover settings (cooldown, lag limit, lag interval,
                       connect wait) not a finite number, negative, or a lag
                       mapping with keys other than seconds and bytes
``routers.E050-E051``  ``MULTIDB_PINNING_MODE`` / ``MULTIDB_PINNING_SECONDS``
                       that can't work
``routers.E060-E062``  ``DATABASE_WAREHOUSE`` malformed, or naming a missing
                       alias or app
``routers.W063``       the warehouse's reader isn't a test mirror of its owner
``routers.E070-E071``  ``DATABASE_READ_ONLY`` naming a missing alias; a managed
                       model routed to a read-only alias
``routers.W072``       ``DATABASE_READ_ONLY`` set, but no ``ReadOnlyRouter``
``routers.E080-E082``  ``DATABASE_SHARDING`` malformed, or naming a missing
                       alias, model or shard key field
``routers.E083-E084``  with ``check --database default`` (the map's database):
                       the shard map names an alias that isn't a shard, or
                       leaves a logical shard unplaced
``routers.W085``       ``DATABASE_SHARDING`` set, but no ``ShardRouter``
``routers.E086``       a router before ``ShardRouter`` answers for a sharded
                       model, so its key is never asked
``routers.E090``       ``DEBUG_TOOLBAR_PANELS`` lists the toolbar's SQL panel
                       beside ``RoutedSQLPanel`` (they share one id)
=====================  =========================================================

Switching from django-multidb-router
------------------------------------
Change the import paths only: ``multidb`` -> ``routers.replica`` (or
``routers``), ``multidb.pinning`` -> ``routers.pinning``,
``multidb.middleware`` -> ``routers.middleware``. The settings are the same
(``REPLICA_DATABASES``, ``MULTIDB_PINNING_SECONDS`` = 15,
``MULTIDB_PINNING_COOKIE`` = ``"multidb_pin_writes"``, ``..._SAMESITE`` =
``"Lax"``), plus ``MULTIDB_PINNING_MODE`` (``"lsn"``, the default, or
``"time"``); two defaults differ on purpose: the cookie is signed and
``HttpOnly`` (``MULTIDB_PINNING_COOKIE_HTTPONLY = False`` restores that
library's), and ``Secure`` follows ``SESSION_COOKIE_SECURE``. A project with
that library's documented settings passes ``manage.py check`` with
``routers.W014`` at most, and that library's own test suite passes against
these modules (with ``HttpOnly`` set as it had it).

This ``__init__`` re-exports the public names for convenience; a copy of the
modules needs no ``__init__`` of its own beyond an empty one. The names from
``generic`` are loaded on first use: that module defines a field on
``ContentType``, so it needs the app registry, and ``routers`` is imported
before the registry is ready (it is an installed app).
"""

from .app_label import AppLabelRouter, CrossDatabaseRelationError
from .cross_database import CrossDatabaseJoinError, CrossDatabaseQuerySet
from .explain import explain, reason_for, recording
from .health import PrimaryUnavailable
from .pinning import (
    capture_pinning,
    db_write,
    pin_this_thread,
    pinning_scope,
    restore_pinning,
    this_thread_is_pinned,
    unpin_this_thread,
    use_primary_db,
)
from .replica import (
    DEFAULT_DB_ALIAS,
    MasterSlaveRouter,
    PinningMasterSlaveRouter,
    PinningReplicaRouter,
    ReplicaRouter,
    get_replica,
    get_slave,
)
from .replica_sets import override_replica_databases, primary_of
from .shard_freeze import ShardFrozen, retry_while_frozen
from .shard_ids import ShardedIdField
from .shard_map import assign_logical_shards, current_map, logical_shard_for, shard_for
from .shard_move import MoveError, ShardMover
from .shard_queryset import ShardedQuerySet
from .sharding import ShardKeyRequired, ShardRouter

# Loaded on first use (module __getattr__, PEP 562): see the docstring.
_GENERIC = ("CrossDatabaseGenericForeignKey", "content_type_home", "content_types")

__all__ = [
    "DEFAULT_DB_ALIAS",
    "AppLabelRouter",
    "CrossDatabaseGenericForeignKey",
    "CrossDatabaseJoinError",
    "CrossDatabaseQuerySet",
    "CrossDatabaseRelationError",
    "MasterSlaveRouter",
    "MoveError",
    "PinningMasterSlaveRouter",
    "PinningReplicaRouter",
    "PrimaryUnavailable",
    "ReplicaRouter",
    "ShardFrozen",
    "ShardKeyRequired",
    "ShardMover",
    "ShardRouter",
    "ShardedIdField",
    "ShardedQuerySet",
    "assign_logical_shards",
    "capture_pinning",
    "content_type_home",
    "content_types",
    "current_map",
    "db_write",
    "explain",
    "get_replica",
    "get_slave",
    "logical_shard_for",
    "override_replica_databases",
    "pin_this_thread",
    "pinning_scope",
    "primary_of",
    "reason_for",
    "recording",
    "restore_pinning",
    "retry_while_frozen",
    "shard_for",
    "this_thread_is_pinned",
    "unpin_this_thread",
    "use_primary_db",
]


def __getattr__(name):
    if name in _GENERIC:
        from . import generic

        return getattr(generic, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
