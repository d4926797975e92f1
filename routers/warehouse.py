"""Read an app's database through a role that can only read; write it through its owner.

A reporting warehouse is two aliases on one database: the site reads it as a
role that holds ``SELECT`` and nothing else, and only migrations and refreshes
connect as the role that owns its objects. This router sends the listed apps'
reads to the first alias and their writes and migrations to the second, and
keeps every other app's tables out of both::

    DATABASE_ROUTERS = ["routers.warehouse.WarehouseRouter", ...]
    DATABASE_WAREHOUSE = {
        "APPS": ["analytics"],      # app labels that live in the warehouse
        "READ": "analytics",        # the site's read-only alias
        "WRITE": "analytics_owner", # the owner: migrations, refreshes
    }
    DATABASES["analytics"]["TEST"] = {"MIRROR": "analytics_owner"}

It answers for its apps only, and their databases have no replicas, so it may
go anywhere in ``DATABASE_ROUTERS``; first keeps the replica router from
asking it on every read. Raw SQL through ``connections["analytics"]`` needs no
router: call ``explain(alias, reason)`` first to give the trace a reason.

With ``apps.py`` and the package in ``INSTALLED_APPS``, ``manage.py check``
reports ``routers.E060``-``routers.E062`` and ``routers.W063``.

Copy with: ``explain.py``.
"""

from collections.abc import Mapping
from functools import cache

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.dispatch import receiver

from .explain import explain

__all__ = ["WarehouseRouter", "check_warehouse", "warehouse"]

KEYS = ("APPS", "READ", "WRITE")


@cache
def warehouse() -> dict | None:
    """Return ``DATABASE_WAREHOUSE``, or None when unset or malformed (``routers.E060``)."""
    config = getattr(settings, "DATABASE_WAREHOUSE", None)
    if not isinstance(config, Mapping) or any(key not in config for key in KEYS):
        return None
    return {"APPS": frozenset(config["APPS"]), "READ": config["READ"], "WRITE": config["WRITE"]}


@receiver(setting_changed)
def _clear_cache(*, setting, **kwargs):
    if setting == "DATABASE_WAREHOUSE":
        warehouse.cache_clear()


class WarehouseRouter:
    """Warehouse apps read through ``READ``, write through ``WRITE``; no other app is there."""

    def db_for_read(self, model, **hints):
        """Reads of a warehouse app use the read-only alias."""
        if (config := warehouse()) and model._meta.app_label in config["APPS"]:
            return explain(config["READ"], "warehouse: read-only role")
        return None

    def db_for_write(self, model, **hints):
        """Writes of a warehouse app use the owner's alias."""
        if (config := warehouse()) and model._meta.app_label in config["APPS"]:
            return explain(config["WRITE"], "warehouse: owner role")
        return None

    def routes_by_model(self, model):
        """Its answers depend on the model's app alone, so routers that ask it may remember them."""
        return True

    def allow_relation(self, obj1, obj2, **hints):
        """Rows read through either alias are rows of the one warehouse."""
        if config := warehouse():
            aliases = {config["READ"], config["WRITE"]}
            if obj1._state.db in aliases and obj2._state.db in aliases:
                return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        """Warehouse apps migrate through the owner only; no other app has tables there."""
        if not (config := warehouse()):
            return None
        if app_label in config["APPS"]:
            return db == config["WRITE"]
        if db in (config["READ"], config["WRITE"]):
            return False
        return None


def ready() -> None:
    """Register this module's system check (called from ``apps.py``)."""
    checks.register(check_warehouse, "routers")


def check_warehouse(app_configs=None, **kwargs):
    """Report a ``DATABASE_WAREHOUSE`` that names missing apps or aliases."""
    config = getattr(settings, "DATABASE_WAREHOUSE", None)
    if config is None:
        return []
    if warehouse() is None:
        return [
            checks.Error(
                f"DATABASE_WAREHOUSE must be a mapping with the keys {', '.join(KEYS)}.",
                hint='For example: {"APPS": ["analytics"], "READ": "analytics", '
                '"WRITE": "analytics_owner"}.',
                id="routers.E060",
            )
        ]
    from django.apps import apps

    errors: list[checks.CheckMessage] = []
    read, write = config["READ"], config["WRITE"]
    for key in ("READ", "WRITE"):
        if config[key] not in settings.DATABASES:
            errors.append(
                checks.Error(
                    f"DATABASE_WAREHOUSE[{key!r}] is {config[key]!r}, which is not in DATABASES.",
                    hint=f"Add {config[key]!r} to DATABASES, or fix the alias.",
                    id="routers.E061",
                )
            )
    for app_label in config["APPS"]:
        if app_label not in apps.app_configs:
            errors.append(
                checks.Error(
                    f"DATABASE_WAREHOUSE lists {app_label!r}, which is not an installed app label.",
                    hint="Use the app label (AppConfig.label), not the dotted module path.",
                    id="routers.E062",
                )
            )
    mirror = settings.DATABASES.get(read, {}).get("TEST", {}).get("MIRROR")
    if not errors and read != write and mirror != write:
        errors.append(
            checks.Warning(
                f"{read!r} reads the warehouse {write!r} writes, but isn't its test mirror, "
                f"so tests read a separate, empty {read!r} database.",
                hint=f'Set DATABASES[{read!r}]["TEST"] = {{"MIRROR": {write!r}}}.',
                id="routers.W063",
            )
        )
    return errors
