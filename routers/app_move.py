"""Moving an app's rows to another database or engine: ``move_app``.

::

    python manage.py move_app notes --from default --to notes_db
    python manage.py move_app blog --from sqlite:////srv/var/blog.sqlite3 --to blog_db

Every model of the app (its many-to-many tables too) is copied in
dependency order, in batches, primary keys kept (``row_copy.sync_rows``),
inside **one transaction on the target**: the copy commits whole or not at
all. Before it commits, each model's count and checksum are compared on
both sides, and a difference rolls everything back. On PostgreSQL the
target's sequences are then reset past the highest keys, as
``sqlsequencereset`` would. The source is only read.

A target that already holds rows of the app is refused unless
``replace=True``: then the copy makes the target equal the source (rows it
lacks inserted, rows that differ replaced, rows the source doesn't have
deleted). That is also how to catch up: copy while the site runs, then
stop writes to the app, copy again with ``replace=True`` (only the
difference moves), change the routing rule, and deploy.

The target's tables must exist (``migrate`` them there), or
``create_tables=True`` creates the missing ones from the models
(``create_app_tables``). The app's models
must not be sharded (``move_shard`` moves those) nor unmanaged (another
system owns those tables).

Copy with: ``row_copy.py``.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connections, models, transaction

from .row_copy import DEFAULT_BATCH_SIZE, checksum, dependency_order, sync_rows

__all__ = [
    "AppMoveError",
    "AppMovePlan",
    "ModelCopy",
    "app_models",
    "create_app_tables",
    "move_app",
    "plan_app_move",
    "routing_rule",
]


class AppMoveError(Exception):
    """An app move that can't run, or a copy that didn't verify; nothing was written."""


def app_models(app_label: str) -> list[type[models.Model]]:
    """The app's tables, parents before children: concrete, managed, many-to-many included."""
    try:
        config = apps.get_app_config(app_label)
    except LookupError:
        known = ", ".join(sorted(c.label for c in apps.get_app_configs()))
        raise AppMoveError(f"No installed app is labelled {app_label!r}: {known}.") from None
    found = [
        model for model in config.get_models(include_auto_created=True) if not model._meta.proxy
    ]
    unmanaged = [m._meta.label for m in found if not m._meta.managed]
    if unmanaged:
        raise AppMoveError(
            f"{', '.join(unmanaged)} {'is' if len(unmanaged) == 1 else 'are'} unmanaged: "
            "another system owns those tables, and moves them."
        )
    sharded = [m._meta.label for m in found if m._meta.label_lower in _sharded()]
    if sharded:
        raise AppMoveError(
            f"{', '.join(sharded)} {'is' if len(sharded) == 1 else 'are'} sharded: "
            "move_shard moves a logical shard's rows between shards."
        )
    return dependency_order(found)


def _sharded() -> set[str]:
    sharding = getattr(settings, "DATABASE_SHARDING", None) or {}
    return {label.lower() for label in sharding.get("MODELS", {})}


@dataclass
class AppMovePlan:
    app_label: str
    source: str
    target: str
    rows: dict[str, tuple[int, int]]  # model label -> (rows on the source, on the target)
    missing_tables: list[str]


def plan_app_move(app_label: str, source: str, target: str) -> AppMovePlan:
    """What ``move_app`` would copy, and what stops it; reads both sides, writes nothing."""
    for alias in (source, target):
        if alias not in connections:
            raise AppMoveError(f"{alias!r} is not in DATABASES: {', '.join(connections)}.")
    if source == target:
        raise AppMoveError(f"--from and --to are both {source!r}.")
    chosen = app_models(app_label)
    tables = {
        alias: set(connections[alias].introspection.table_names()) for alias in (source, target)
    }
    missing = [
        f"{m._meta.db_table} on {alias}"
        for alias in (source, target)
        for m in chosen
        if m._meta.db_table not in tables[alias]
    ]
    rows = {}
    if not missing:
        rows = {m._meta.label: (_rows(m, source).count(), _rows(m, target).count()) for m in chosen}
    return AppMovePlan(app_label, source, target, rows, missing)


def create_app_tables(app_label: str, alias: str) -> list[str]:
    """Create *app_label*'s missing tables on *alias* from its models; return their names.

    What ``migrate`` would leave, for a database the routers don't yet let
    the app migrate on (its rule still names the old one): the tables from
    the models as they are now, and the app's migrations recorded as applied
    there, as ``migrate --fake`` would, so a later ``migrate`` agrees. A
    foreign key whose constraint would point at a table the target doesn't
    have is refused first, naming the field: it needs ``db_constraint=False``
    before the app lives apart from what it points at.
    """
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[alias]
    existing = set(connection.introspection.table_names())
    chosen = app_models(app_label)
    ours = {m._meta.db_table for m in chosen}
    blocking = []
    for m in chosen:
        for f in m._meta.local_fields:
            related = f.related_model  # a model class for a relation, once apps are loaded
            if not isinstance(related, type) or not getattr(f, "db_constraint", False):
                continue
            if related._meta.db_table not in existing | ours:
                blocking.append(f"{m._meta.label}.{f.name} (to {related._meta.db_table})")
    if blocking:
        raise AppMoveError(
            f"{', '.join(blocking)} would get a database constraint to a table {alias} doesn't "
            "have. Give the field db_constraint=False (and a migration) first: rows in two "
            "databases can't be held together by one."
        )
    created = []
    with connection.schema_editor() as editor:
        for model in chosen:
            if not model._meta.auto_created and model._meta.db_table not in existing:
                editor.create_model(model)  # its many-to-many tables come with it
                created.append(model._meta.db_table)
    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    applied = recorder.applied_migrations()
    for key in sorted(MigrationLoader(None, ignore_no_migrations=True).disk_migrations):
        if key[0] == app_label and key not in applied:
            recorder.record_applied(*key)
    return created


def _rows(model, alias: str) -> models.QuerySet:
    return models.QuerySet(model, using=alias)  # past every router: the alias is the point


@dataclass
class ModelCopy:
    label: str
    written: int = 0
    deleted: int = 0
    seconds: float = 0.0
    checksum: tuple[int, str] = (0, "")
    sequences_reset: bool = False


Progress = Callable[[str, int, int], None]  # model label, rows done, rows in all


def move_app(
    app_label: str,
    source: str,
    target: str,
    *,
    replace: bool = False,
    create_tables: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> list[ModelCopy]:
    """Copy every row of *app_label* from *source* to *target*, verified; see the module."""
    plan = plan_app_move(app_label, source, target)
    if create_tables and plan.missing_tables:
        create_app_tables(app_label, target)
        plan = plan_app_move(app_label, source, target)
    if plan.missing_tables:
        raise AppMoveError(
            f"No table {', '.join(plan.missing_tables)}: migrate {app_label} there first, "
            "or create the target's tables from the models (--create-tables)."
        )
    occupied = {label: there for label, (_, there) in plan.rows.items() if there}
    if occupied and not replace:
        held = ", ".join(f"{label} ({count:,} rows)" for label, count in occupied.items())
        raise AppMoveError(
            f"{target} already holds {held}. Nothing was written; to make it equal "
            f"{source}, replacing what differs, say so (--replace)."
        )
    copies = []
    with transaction.atomic(using=target):
        for model in app_models(app_label):
            label, began = model._meta.label, time.monotonic()

            def report(done, label=label, total=plan.rows[label][0]):
                if progress:
                    progress(label, done, total)

            result = sync_rows(
                _rows(model, source), _rows(model, target), batch_size=batch_size, progress=report
            )
            ours, theirs = checksum(_rows(model, source)), checksum(_rows(model, target))
            if ours != theirs:
                raise AppMoveError(
                    f"{label} didn't verify: {ours[0]:,} rows ({ours[1][:12]}) on {source}, "
                    f"{theirs[0]:,} ({theirs[1][:12]}) on {target}. Rolled back: nothing written. "
                    "If the site wrote to it meanwhile, stop its writes and run again."
                )
            copies.append(
                ModelCopy(label, result.written, result.deleted, time.monotonic() - began, ours)
            )
        reset = _reset_sequences(target, app_models(app_label))
    for copy in copies:
        copy.sequences_reset = copy.label in reset
    return copies


def _reset_sequences(alias: str, chosen: list[type[models.Model]]) -> set[str]:
    """Move *alias*'s sequences past the copied keys (PostgreSQL); the labels it reset."""
    connection = connections[alias]
    statements = connection.ops.sequence_reset_sql(no_style(), chosen)
    if not statements:
        return set()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    return {
        m._meta.label
        for m in chosen
        if isinstance(m._meta.pk, models.AutoField)  # BigAutoField and SmallAutoField too
    }


def routing_rule(app_label: str, target: str) -> str:
    """The line of settings that sends *app_label* to *target* (``app_label.py``'s rules)."""
    rules = dict(getattr(settings, "DATABASE_ROUTING_RULES", {}))
    if target == "default":
        rules.pop(app_label, None)
    else:
        rules[app_label] = target
    return f"DATABASE_ROUTING_RULES = {rules!r}"
