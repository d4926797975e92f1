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

``routers.explain``
    ``explain(alias, reason)``: routers record why they chose an alias, and a
    trace (the demo's routing panel) reads it back with ``reason_for(alias)``.

Router order
------------
Django asks each router in ``DATABASE_ROUTERS`` in turn and takes the first
answer that isn't ``None``. ``AppLabelRouter`` answers for every model (apps
without a rule go to ``default``), so list it last: routers for special cases
(a read-only legacy database, read replicas) go before it.

System checks
-------------
Add ``"routers"`` to ``INSTALLED_APPS`` so ``manage.py check`` validates the
settings above at start-up (``routers.E001``-``routers.E006``), naming the
setting at fault.

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
