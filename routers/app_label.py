"""Route each app's models to its own database.

Settings::

    DATABASE_ROUTERS = ["routers.app_label.AppLabelRouter"]
    DATABASE_ROUTING_RULES = {"blog": "blog_db", "shop": "shop_db"}
    DATABASE_RELATIONS = [("blog_db", "default"), ("shop_db", "default")]

Apps that have no rule live in ``default``. Each app's tables are created only
in its own database. Rows may reference rows in another database only across a
pair listed in ``DATABASE_RELATIONS`` (the foreign key then needs
``db_constraint=False``); any other cross-database assignment raises
``CrossDatabaseRelationError`` naming both databases. A relation that involves
a database this router doesn't route to (another router's) is left to that
router: ``allow_relation`` abstains.

A replica named in ``REPLICA_DATABASES`` counts as its primary for relations
(``replica_sets.primary_of``), so a user read from ``replica`` can still be a
post's author.

With ``apps.py`` and the package in ``INSTALLED_APPS``, ``manage.py check``
reports ``routers.E001``-``routers.E007``: ``E007`` is a rule that sends an
app to a replica, where its writes would fail.

Copy with: ``explain.py``, ``replica_sets.py``.
"""

from collections.abc import Mapping
from functools import cache

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .explain import explain
from .replica_sets import primary_of, replica_aliases

__all__ = [
    "AppLabelRouter",
    "CrossDatabaseRelationError",
    "check_app_label_routing",
    "database_for_app",
]

ROUTER_PATH = f"{__name__}.AppLabelRouter"  # the path that works wherever the module is copied


class CrossDatabaseRelationError(ValueError):
    """Two rows in databases that may not reference each other were related."""


@cache
def routing_rules() -> dict[str, str]:
    """Return ``DATABASE_ROUTING_RULES`` (app label -> alias)."""
    return dict(getattr(settings, "DATABASE_ROUTING_RULES", {}))


@cache
def allowed_relations() -> frozenset[frozenset[str]]:
    """Return ``DATABASE_RELATIONS`` as a set of unordered alias pairs."""
    return frozenset(frozenset(pair) for pair in getattr(settings, "DATABASE_RELATIONS", []))


@receiver(setting_changed)
def _clear_caches(*, setting, **kwargs):
    if setting in {"DATABASE_ROUTING_RULES", "DATABASE_RELATIONS"}:
        routing_rules.cache_clear()
        allowed_relations.cache_clear()


def database_for_app(app_label: str) -> str:
    """Return the alias that holds *app_label*'s tables."""
    return routing_rules().get(app_label, DEFAULT_DB_ALIAS)


class AppLabelRouter:
    """Send each app to the database named in ``DATABASE_ROUTING_RULES``."""

    def db_for_read(self, model, **hints):
        """Reads of an app go to its database."""
        app_label = model._meta.app_label
        alias = routing_rules().get(app_label)  # _route(), inlined: every read asks
        if alias is not None:
            return explain(alias, "app-label rule: %s → %s", app_label, alias)
        return explain(DEFAULT_DB_ALIAS, "no rule for %s: default", app_label)

    def db_for_write(self, model, **hints):
        """Writes of an app go to its database."""
        return self._route(model._meta.app_label)

    def routes_by_model(self, model):
        """Its answers depend on the model's app alone, so routers that ask it may remember them."""
        return True

    def allow_relation(self, obj1, obj2, **hints):
        """Rows relate within one database, or across a pair in ``DATABASE_RELATIONS``."""
        db1 = primary_of(obj1._state.db or database_for_app(obj1._meta.app_label))
        db2 = primary_of(obj2._state.db or database_for_app(obj2._meta.app_label))
        if db1 == db2:
            return True
        known = {DEFAULT_DB_ALIAS, *routing_rules().values()}
        if db1 not in known or db2 not in known:
            return None  # another router's databases: abstain
        if frozenset((db1, db2)) in allowed_relations():
            return True
        raise CrossDatabaseRelationError(
            f"Can't relate {obj1._meta.label} in {db1!r} to {obj2._meta.label} in {db2!r}: "
            f"DATABASE_RELATIONS doesn't list ({db1!r}, {db2!r}). Add the pair if rows in "
            "these databases may reference each other."
        )

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        """An app's tables exist only in its own database."""
        return db == database_for_app(app_label)

    @staticmethod
    def _route(app_label):
        rules = routing_rules()
        if app_label in rules:
            alias = rules[app_label]
            return explain(alias, "app-label rule: %s → %s", app_label, alias)
        return explain(DEFAULT_DB_ALIAS, "no rule for %s: default", app_label)


def ready() -> None:
    """Register this module's system check (called from ``apps.py``)."""
    checks.register(check_app_label_routing, "routers")


def check_app_label_routing(app_configs=None, **kwargs):
    """Report rules and relations that name missing apps or databases."""
    rules = getattr(settings, "DATABASE_ROUTING_RULES", {})
    relations = getattr(settings, "DATABASE_RELATIONS", [])
    errors = []
    if not isinstance(rules, Mapping):
        return [
            checks.Error(
                "DATABASE_ROUTING_RULES must be a mapping of app label to database alias.",
                hint='For example: DATABASE_ROUTING_RULES = {"blog": "blog_db"}.',
                id="routers.E001",
            )
        ]
    from django.apps import apps

    replicas = _replicas()
    for app_label, alias in rules.items():
        if alias in replicas:
            errors.append(
                checks.Error(
                    f"DATABASE_ROUTING_RULES sends {app_label!r} to {alias!r}, a replica of "
                    f"{primary_of(alias)!r} (REPLICA_DATABASES): its writes would fail there.",
                    hint=f"Send {app_label!r} to {primary_of(alias)!r}; the replica router "
                    f"sends its reads to {alias!r}.",
                    id="routers.E007",
                )
            )
        if alias not in settings.DATABASES:
            errors.append(
                checks.Error(
                    f"DATABASE_ROUTING_RULES sends {app_label!r} to {alias!r}, "
                    "which is not in DATABASES.",
                    hint=f"Add {alias!r} to DATABASES, or fix the alias in the rule.",
                    id="routers.E002",
                )
            )
        if app_label not in apps.app_configs:
            errors.append(
                checks.Error(
                    f"DATABASE_ROUTING_RULES has a rule for {app_label!r}, "
                    "which is not an installed app label.",
                    hint="Use the app label (AppConfig.label), not the dotted module path.",
                    id="routers.E003",
                )
            )
    for pair in relations if isinstance(relations, list | tuple) else [relations]:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            errors.append(
                checks.Error(
                    f"DATABASE_RELATIONS entry {pair!r} is not a pair of aliases.",
                    hint='For example: DATABASE_RELATIONS = [("blog_db", "default")].',
                    id="routers.E004",
                )
            )
            continue
        for alias in pair:
            if alias not in settings.DATABASES:
                errors.append(
                    checks.Error(
                        f"DATABASE_RELATIONS names {alias!r}, which is not in DATABASES.",
                        hint=f"Add {alias!r} to DATABASES, or remove the pair.",
                        id="routers.E005",
                    )
                )
    if rules and not _router_installed():
        errors.append(
            checks.Error(
                "DATABASE_ROUTING_RULES is set but DATABASE_ROUTERS does not include "
                f"{ROUTER_PATH!r}, so the rules are ignored.",
                hint=f"Add {ROUTER_PATH!r} to DATABASE_ROUTERS.",
                id="routers.E006",
            )
        )
    return errors


def _replicas() -> set[str]:
    """The replica aliases, or none while REPLICA_DATABASES is malformed (routers.E011 says so)."""
    try:
        return replica_aliases()
    except (TypeError, ValueError, AttributeError):
        return set()


def _router_installed() -> bool:
    for entry in settings.DATABASE_ROUTERS:
        if isinstance(entry, str):
            try:
                entry = import_string(entry)
            except ImportError:
                continue  # Django reports an unimportable router itself
        router_class = entry if isinstance(entry, type) else type(entry)
        if issubclass(router_class, AppLabelRouter):
            return True
    return False
