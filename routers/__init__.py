"""Copyable database routers for multi-database Django projects.

Each module is one router (or one tool) and can be copied into another project
alone; ``routers.explain`` is the one small helper they share.

Modules
-------
``routers.app_label``
    ``AppLabelRouter``: each app's models live in one database. Settings::

        DATABASE_ROUTERS = ["routers.AppLabelRouter"]
        DATABASE_ROUTING_RULES = {"blog": "blog_db", "shop": "shop_db"}
        DATABASE_RELATIONS = [("blog_db", "default"), ("shop_db", "default")]

    Apps without a rule stay in ``default``. Tables are created only in their
    app's database, so ``migrate --database=blog_db`` creates the blog tables
    and nothing else. Cross-database foreign keys need ``db_constraint=False``
    and a pair in ``DATABASE_RELATIONS``.

``routers.cross_database``
    ``CrossDatabaseQuerySet``: use it as a model's manager to turn a lookup
    that would join across databases (``author__username``) into a
    ``CrossDatabaseJoinError`` naming both databases, instead of a late
    "no such table".

``routers.replica``
    ``ReplicaRouter`` and ``PinningReplicaRouter``: reads go to replicas
    (round-robin or weighted), writes to the primary. A drop-in for
    django-multidb-router (``multidb``)::

        REPLICA_DATABASES = {"default": ["replica"]}   # or ["replica"], or weights

``routers.pinning``
    Read-your-writes: ``use_primary_db``, ``db_write``, ``pin_this_thread``
    and friends (``multidb.pinning``), kept in ``contextvars``; WAL-position
    pins on PostgreSQL; ``capture_pinning()`` / ``restore_pinning(token)`` for
    work that runs after the request.

``routers.middleware``
    ``PinningRouterMiddleware`` (``multidb.middleware``): reads and writes the
    pin cookie. Put it above ``SessionMiddleware``.

``routers.explain``
    ``explain(alias, reason)``: routers record why they chose an alias, and a
    trace (the demo's routing panel) reads it back with ``reason_for(alias)``.

Switching from django-multidb-router
------------------------------------
Change the import paths only: ``multidb`` -> ``routers.replica`` (or
``routers``), ``multidb.pinning`` -> ``routers.pinning``,
``multidb.middleware`` -> ``routers.middleware``. Settings and their defaults
are the same (``REPLICA_DATABASES``, ``MULTIDB_PINNING_SECONDS`` = 15,
``MULTIDB_PINNING_COOKIE`` = ``"multidb_pin_writes"``, ``..._SECURE`` /
``..._HTTPONLY`` = False, ``..._SAMESITE`` = ``"Lax"``), plus
``MULTIDB_PINNING_MODE`` (``"lsn"``, the default, or ``"time"``).

Router order
------------
Django asks each router in ``DATABASE_ROUTERS`` in turn and takes the first
answer that isn't ``None``::

    DATABASE_ROUTERS = ["routers.PinningReplicaRouter", "routers.AppLabelRouter"]

The replica router goes first: it asks the routers after it which primary a
model is written to, then picks one of that primary's replicas, and abstains
for primaries without replicas. ``AppLabelRouter`` answers for every model
(apps without a rule go to ``default``), so it goes last; routers for special
cases (a read-only legacy database) go between them.

System checks
-------------
Add ``"routers"`` to ``INSTALLED_APPS`` so ``manage.py check`` validates the
settings above at start-up (``routers.E001``-``routers.E006`` for app-label
routing, ``routers.E011``-``routers.E014`` for replicas), naming the setting at
fault. Its ``AppConfig.ready()`` also hooks write detection onto connections
that were already open.

Replicas
--------
Declare each replica as a test mirror of its primary::

    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}

The routers treat a mirror as its primary for relations, and never migrate it.
"""

from routers.app_label import AppLabelRouter, CrossDatabaseRelationError
from routers.cross_database import CrossDatabaseJoinError, CrossDatabaseQuerySet
from routers.explain import explain, reason_for, recording
from routers.pinning import (
    capture_pinning,
    db_write,
    pin_this_thread,
    pinning_scope,
    restore_pinning,
    this_thread_is_pinned,
    unpin_this_thread,
    use_primary_db,
)
from routers.replica import (
    DEFAULT_DB_ALIAS,
    MasterSlaveRouter,
    PinningMasterSlaveRouter,
    PinningReplicaRouter,
    PrimaryUnavailable,
    ReplicaRouter,
    get_replica,
    get_slave,
)

__all__ = [
    "DEFAULT_DB_ALIAS",
    "AppLabelRouter",
    "CrossDatabaseJoinError",
    "CrossDatabaseQuerySet",
    "CrossDatabaseRelationError",
    "MasterSlaveRouter",
    "PinningMasterSlaveRouter",
    "PinningReplicaRouter",
    "PrimaryUnavailable",
    "ReplicaRouter",
    "capture_pinning",
    "db_write",
    "explain",
    "get_replica",
    "get_slave",
    "pin_this_thread",
    "pinning_scope",
    "reason_for",
    "recording",
    "restore_pinning",
    "this_thread_is_pinned",
    "unpin_this_thread",
    "use_primary_db",
]
