"""Databases the site reads and never writes: a write through the ORM fails before any SQL.

For a database another system owns (an ERP, a stock system)::

    DATABASE_ROUTERS = ["routers.read_only.ReadOnlyRouter", ...]  # first
    DATABASE_READ_ONLY = ["legacy"]                                 # the aliases
    DATABASE_READ_ONLY = {"legacy": "legacy_owner"}                 # or: where allowed writes go

The router asks the routers after it where a model lives. A write routed to a
read-only alias raises ``ReadOnlyDatabaseError``, naming the model and the
alias, before Django builds any SQL; reads pass, with the reason ``read-only
database`` for the trace; and ``allow_migrate`` is False there, so
``migrate`` never creates a table or a ``django_migrations`` row in it.

``allow_writes("legacy")`` lets writes through inside a block (a context
manager and a decorator), for the code that builds test data. In the mapping
form they go to the alias it names, a connection to the same database as a role
that may write (``legacy_owner``), and so do the block's reads, so the block
reads back what it wrote; both aliases are read-only to the ORM outside it, and
neither is migrated. It is per context (``contextvars``), so it holds in this
thread or task only, and it never depends on a global flag such as
``settings.TESTING``: a process that sets one can't disarm the guard. It
lifts this guard only: a database that refuses writes itself (a role with
``SELECT`` only, a read-only connection) still refuses them. A write that
names its database with ``.using()`` never asks a router; those two guards
are what stops it.

With ``apps.py`` and the package in ``INSTALLED_APPS``, ``manage.py check``
reports ``routers.E070`` (an alias not in ``DATABASES``), ``routers.E071``
(a managed model routed to a read-only alias: its table is the owner's to
define) and ``routers.W072`` (``DATABASE_READ_ONLY`` without the router).

Copy with: ``chain.py``, ``explain.py``.
"""

from collections.abc import Iterable, Mapping
from contextlib import ContextDecorator
from contextvars import ContextVar, Token
from functools import cache
from types import MappingProxyType

from django.conf import settings
from django.core import checks
from django.core.signals import setting_changed
from django.db import router
from django.db.utils import DatabaseError
from django.dispatch import receiver

from .chain import first_answer, remembered
from .explain import explain

__all__ = [
    "ReadOnlyDatabaseError",
    "ReadOnlyRouter",
    "allow_writes",
    "check_read_only",
    "read_only_aliases",
    "write_aliases",
]

ALLOWED_REASON = "read-only database, writes allowed in this block"
_allowed: ContextVar[frozenset[str]] = ContextVar("read_only_writes_allowed", default=frozenset())


class ReadOnlyDatabaseError(DatabaseError):
    """A write was routed to a database that is read-only."""

    def __init__(self, model, alias: str):
        self.model, self.alias = model, alias
        super().__init__(
            f"{model._meta.label} is in {alias!r}, a read-only database (DATABASE_READ_ONLY): "
            "the write was refused before any SQL ran."
        )


@cache
def write_aliases() -> Mapping[str, str]:
    """Each read-only alias -> the alias its writes go to inside ``allow_writes`` (itself,
    in the list form); an alias writes go to is read-only too, and writes to itself."""
    value = getattr(settings, "DATABASE_READ_ONLY", ())
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping):
        targets = {**{target: target for target in value.values()}, **value}
    else:
        targets = {alias: alias for alias in value}
    return MappingProxyType(targets)  # cached: nobody may change it in place


@cache
def read_only_aliases() -> frozenset[str]:
    """Return every alias ``DATABASE_READ_ONLY`` names, write aliases included."""
    return frozenset(write_aliases())


@receiver(setting_changed)
def _clear_cache(*, setting, **kwargs):
    if setting == "DATABASE_READ_ONLY":
        write_aliases.cache_clear()
        read_only_aliases.cache_clear()


class allow_writes(ContextDecorator):
    """Let ORM writes reach *aliases* inside the block: ``with allow_writes("legacy"):``."""

    def __init__(self, *aliases: str):
        self.aliases = frozenset(aliases)
        self._tokens: list[Token[frozenset[str]]] = []

    def __enter__(self):
        self._tokens.append(_allowed.set(_allowed.get() | self.aliases))
        return self

    def __exit__(self, *exc_info):
        _allowed.reset(self._tokens.pop())
        return False


def writes_allowed(alias: str) -> bool:
    """Whether an ``allow_writes`` block around this code names *alias*, or a reader of it."""
    allowed = _allowed.get()
    return alias in allowed or any(write_aliases().get(name) == alias for name in allowed)


# model -> the DATABASE_ROUTERS (django.db.router.routers) under which the
# routers after ReadOnlyRouter name, by model alone, a database that isn't read-only.
_abstains: dict = {}


@receiver(setting_changed)
def _forget_abstentions(**kwargs):
    _abstains.clear()


class ReadOnlyRouter:
    """Writes routed to a read-only alias raise; reads pass; nothing is migrated there."""

    def db_for_read(self, model, **hints):
        """Reads of a read-only database pass; inside ``allow_writes`` they follow the writes."""
        if _abstains.get(model) is router.routers:
            return None  # the usual case: the model never reaches a read-only database
        alias = self._ask("db_for_read", model, hints)
        if alias not in read_only_aliases():
            if remembered(self, "db_for_read", model)[0]:
                _abstains[model] = router.routers
            return None
        if writes_allowed(alias):
            return explain(write_aliases()[alias], ALLOWED_REASON)
        return explain(alias, "read-only database")

    def db_for_write(self, model, **hints):
        """A write to a read-only database raises, unless inside ``allow_writes``."""
        alias = self._ask("db_for_write", model, hints)
        if alias not in read_only_aliases():
            return None
        if not writes_allowed(alias):
            raise ReadOnlyDatabaseError(model, alias)
        return explain(write_aliases()[alias], ALLOWED_REASON)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        """A read-only database gets no table, and no record of migrations."""
        return False if db in read_only_aliases() else None

    def routes_by_model(self, model):
        """It abstains by model where the routers after it name no read-only database by model."""
        read_only = read_only_aliases()
        answers = [remembered(self, method, model) for method in ("db_for_read", "db_for_write")]
        found = [alias for known, alias in answers if known]
        return bool(found) and not read_only.intersection(found)

    def _ask(self, method: str, model, hints) -> str | None:
        """The alias the routers after this one choose for *model*, or None."""
        return first_answer(self, method, model, hints, routers=self._routers_after)

    def _routers_after(self, routers) -> Iterable:
        return _routers_after(self, routers)


def _routers_after(this, routers) -> Iterable:
    """The routers listed after *this* in *routers* that decide for themselves.

    A router with ``primary_for`` (the replica routers) asks the others where
    a model is written, this one included: asking it back would go round in
    circles, and it would answer what the others say anyway.
    """
    installed = any(isinstance(candidate, ReadOnlyRouter) for candidate in routers)
    later = not installed  # the system check asks every router when this one isn't listed
    for candidate in routers:
        if later and not hasattr(candidate, "primary_for"):
            yield candidate
        later = later or isinstance(candidate, ReadOnlyRouter)


def ready() -> None:
    """Register this module's system check (called from ``apps.py``)."""
    checks.register(check_read_only, "routers")


def check_read_only(app_configs=None, **kwargs):
    """Report read-only aliases that don't exist, and managed models routed to one."""
    from django.apps import apps

    errors: list[checks.CheckMessage] = []
    for alias in sorted(read_only_aliases()):
        if alias not in settings.DATABASES:
            errors.append(
                checks.Error(
                    f"DATABASE_READ_ONLY names {alias!r}, which is not in DATABASES.",
                    hint=f"Add {alias!r} to DATABASES, or take it out of DATABASE_READ_ONLY.",
                    id="routers.E070",
                )
            )
    if errors or not read_only_aliases():
        return errors
    try:
        routers = router.routers
    except ImportError:
        return errors  # Django's check reports the router it can't import
    if not any(isinstance(candidate, ReadOnlyRouter) for candidate in routers):
        errors.append(
            checks.Warning(
                "DATABASE_READ_ONLY is set, but DATABASE_ROUTERS has no ReadOnlyRouter, so "
                "ORM writes to those databases aren't refused before they reach them.",
                hint=f"Put '{__name__}.ReadOnlyRouter' first in DATABASE_ROUTERS.",
                id="routers.W072",
            )
        )
    asker = ReadOnlyRouter()  # the routers' answer without connecting to anything
    for model in apps.get_models():
        try:
            routed = asker._ask("db_for_read", model, {})
        except Exception:
            continue  # a router that needs a row or a key to answer (sharding) says nothing here
        if routed in read_only_aliases() and model._meta.managed:
            errors.append(
                checks.Error(
                    f"{model._meta.label} is routed to {routed!r}, a read-only database, but is "
                    "managed: migrate would try to create its table there.",
                    hint="Set managed = False in its Meta: the database's owner defines it.",
                    obj=model,
                    id="routers.E071",
                )
            )
    return errors
