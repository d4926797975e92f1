"""Describe the configured databases: role, engine and the apps each one holds."""

from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router

from routers.app_label import routing_rules
from routers.read_only import read_only_aliases, write_aliases
from routers.replica_sets import primary_of
from routers.shard_map import shard_aliases, sharded_models
from routers.warehouse import warehouse


@dataclass(frozen=True)
class DatabaseInfo:
    alias: str
    vendor: str
    role: str
    location: str
    app_labels: list[str] = field(default_factory=list)
    replica_of: str | None = None


def replica_of(alias: str) -> str | None:
    """Return the primary *alias* is a replica of (``REPLICA_DATABASES``), or None."""
    primary = primary_of(alias)
    return None if primary == alias else primary


def reader_of(alias: str) -> str | None:
    """Return the alias whose database *alias* reads through a read-only role, or None.

    The warehouse's ``READ`` alias (``DATABASE_WAREHOUSE``) is its owner's
    database under another role: never migrated, like a replica.
    """
    config = warehouse()
    return config["WRITE"] if config and alias == config["READ"] else None


def is_read_only(alias: str) -> bool:
    """Whether *alias* is a database another system owns (``DATABASE_READ_ONLY``)."""
    return alias in read_only_aliases()


def sharded_here(alias: str) -> list[str]:
    """The sharded models whose rows *alias* holds a share of (``DATABASE_SHARDING``)."""
    if alias not in shard_aliases():
        return []
    return [apps.get_model(label)._meta.label for label in sharded_models()]


def primary_aliases() -> list[str]:
    """Return the writable aliases, ``default`` first: the order to migrate them in."""
    aliases = [
        alias
        for alias in settings.DATABASES
        if not (replica_of(alias) or reader_of(alias) or is_read_only(alias))
    ]
    return sorted(aliases, key=lambda alias: (alias != DEFAULT_DB_ALIAS, alias))


def apps_in(alias: str) -> list[str]:
    """Return the labels of the apps whose tables live in *alias*."""
    return [
        config.label
        for config in apps.get_app_configs()
        if any(True for _ in config.get_models()) and router.allow_migrate(alias, config.label)
    ]


def describe_databases() -> list[DatabaseInfo]:
    """Return one DatabaseInfo per configured alias, in settings order."""
    infos = []
    for alias, settings_dict in settings.DATABASES.items():
        primary = replica_of(alias)
        if primary:
            role, labels = f"replica of {primary}", apps_in(primary)
        elif owner := reader_of(alias):
            role, labels = f"warehouse, read-only role on {owner}", apps_in(owner)
        elif is_read_only(alias):
            role, labels = _read_only_role(alias), read_only_apps(alias)
        else:
            labels = apps_in(alias)
            role = "primary" if alias == DEFAULT_DB_ALIAS else "app database"
            if models := sharded_here(alias):
                role = f"physical shard of {', '.join(models)}"
            if (config := warehouse()) and alias == config["WRITE"]:
                role = "warehouse, owner role"
        infos.append(
            DatabaseInfo(
                alias=alias,
                vendor=connections[alias].vendor,
                role=role,
                location=_location(settings_dict),
                app_labels=labels,
                replica_of=primary,
            )
        )
    return infos


def read_only_apps(alias: str) -> list[str]:
    """The apps ``DATABASE_ROUTING_RULES`` sends to *alias*, a read-only database.

    Read from the rules, not asked of the routers: asking would connect to
    replicas and record decisions in the page's trace.
    """
    return sorted(label for label, target in routing_rules().items() if target == alias)


def _read_only_role(alias: str) -> str:
    readers = [name for name, target in write_aliases().items() if target == alias != name]
    if readers:
        return f"owner role of {', '.join(readers)}, for allow_writes blocks"
    return "read-only database, owned elsewhere"


def _location(config: dict) -> str:
    """Where the database is, without credentials."""
    if config.get("HOST"):
        return f"{config['HOST']}:{config.get('PORT') or 5432}/{config.get('NAME', '')}"
    return str(config.get("NAME", ""))
