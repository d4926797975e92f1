"""One database's migrations, live: what ``showmigrations`` says, which apps may migrate
there, and the tables it really has.

One alias per request. Replicas, read-only roles and read-only databases are
read too: each step that fails there (no ``django_migrations`` table it may
read, a server down) is a message in the page, inside its own savepoint so a
failed step leaves the next one a usable transaction.
"""

import io

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router, transaction

from apps.core.topology import is_read_only, reader_of, replica_of

from .watch import shown

FAILURES = (DatabaseError, CommandError, ImproperlyConfigured)


def run(request) -> dict:
    aliases = list(settings.DATABASES)
    chosen = request.GET.get("database", "").strip()[:100]
    page = {"aliases": aliases, "database": chosen or DEFAULT_DB_ALIAS, "ran": False}
    if not request.GET.get("run"):
        return page
    page["ran"] = True
    if chosen not in settings.DATABASES:
        page["problem"] = f"No database alias {shown(chosen)}: choose one of {', '.join(aliases)}."
        return page
    tables, page["tables_problem"] = _step(chosen, connections[chosen].introspection.table_names)
    output, page["showmigrations_problem"] = _step(chosen, _showmigrations, chosen)
    page.update(
        role=_migrate_all_says(chosen),
        showmigrations=output,
        tables=tables or [],
        apps=_apps(chosen, set(tables or [])),
    )
    return page


def _showmigrations(alias: str) -> str:
    buffer = io.StringIO()
    call_command("showmigrations", database=alias, stdout=buffer, no_color=True)
    return buffer.getvalue()


def _step(alias, function, *args):
    """``(result, "")``, or ``(None, message)`` when the database refused or isn't there."""
    try:
        with transaction.atomic(using=alias):  # a savepoint inside a test's transaction
            return function(*args), ""
    except FAILURES as error:
        return None, f"{type(error).__name__}: {error}".strip()


def _apps(alias: str, tables: set[str]) -> list[dict]:
    """Each app with models: whether the routers let it migrate here, and its tables here."""
    rows = []
    for config in apps.get_app_configs():
        models = list(config.get_models())
        if not models:
            continue
        names = [model._meta.db_table for model in models]
        rows.append(
            {
                "label": config.label,
                "allowed": router.allow_migrate(alias, config.label),
                "present": [name for name in names if name in tables],
                "total": len(names),
            }
        )
    return rows


def _migrate_all_says(alias: str) -> str:
    """What ``manage.py migrate_all`` does with *alias*, in its own words."""
    if primary := replica_of(alias):
        return f"skipped: a replica of {primary}, which gives it its schema"
    if owner := reader_of(alias):
        return f"skipped: a read-only role on {owner}'s database, migrated through {owner}"
    if is_read_only(alias):
        return "skipped: read-only (DATABASE_READ_ONLY); its owner defines its schema"
    return "migrated: migrate --database " + alias
