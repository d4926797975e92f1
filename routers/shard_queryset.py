"""Querysets for sharded models: strict by default, scoped by a key, or across every shard.

::

    class Event(models.Model):
        id = ShardedIdField()
        user = models.ForeignKey(User, db_constraint=False, on_delete=models.DO_NOTHING)
        objects = ShardedQuerySet.as_manager()

    Event.objects.for_key(42)                 # user 42's rows, from user 42's shard
    Event.objects.filter(user_id=42)          # the same: the filter names the key
    Event.objects.get(pk=event_id)            # the id carries its logical shard
    user.events.all()                         # the related manager names the key
    Event.objects.count()                     # ShardKeyRequired: which shard?
    Event.objects.across_shards().order_by("-created_at")[:20]   # every shard, merged

``across_shards()`` runs the query on every physical shard at once, one
worker thread per shard (each with its own connections, closed after each
query unless ``CONN_MAX_AGE`` keeps them, as a request's are), and merges the
results as one database would: the global ``order_by`` (field names; the
model's ``Meta.ordering`` when none is given), then the slice, each shard
asked only for the rows the slice can need. ``count()``, ``exists()`` and
``aggregate()`` with ``Count``, ``Sum``, ``Min``, ``Max`` and ``Avg``
combine the shards' answers (an average from their sums and counts); a
distinct count can't be combined, and raises. A shard the calling thread holds
in a transaction is asked on that thread, so the query sees the
transaction's own writes. ``reports`` says what each shard did: its rows and
its milliseconds. ``across_shards(parallel=False)`` asks them one after the
other, for comparison.

``bulk_create`` sends each row to its key's shard, with ids made there (one
statement per shard, and one transaction each: no transaction spans two
databases). ``on_shard(alias)`` reads one physical shard whole, every key on it.

Copy with: ``explain.py``, ``shard_ids.py``, ``shard_map.py``, ``sharding.py``.
"""

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.db import close_old_connections, connections, models

from .shard_ids import ShardedIdField, logical_shard_of, new_ids
from .shard_map import current_map, logical_shard_count, shard_aliases, shard_for, shard_key_field
from .sharding import ShardKeyRequired

__all__ = ["AcrossShards", "ShardKeyRequired", "ShardReport", "ShardedQuerySet", "fan_out"]


def _with_hints(queryset, **hints):
    # QuerySet._add_hints: how Django's related managers tell routers about the
    # instance (undocumented; tests/routers/test_django_internals.py watches it).
    clone = queryset._chain()
    clone._add_hints(**hints)
    return clone


def _hints_of(queryset) -> dict:
    return queryset._hints  # set by _add_hints (see above)


class ShardedQuerySet(models.QuerySet):
    """A queryset that knows its shard from its key, or asks every shard when told to."""

    _db: str | None  # QuerySet's own "using" (private, so django-stubs leaves it out)

    def for_key(self, key):
        """The rows whose shard key is *key*, from the shard that holds them."""
        field = shard_key_field(self.model)
        return _with_hints(super().filter(**{field.attname: key}), shard_key=key)

    def on_shard(self, alias: str):
        """Every row on the physical shard *alias*, whatever its key."""
        return _with_hints(self, physical_shard=alias)

    def across_shards(self, *, parallel: bool = True) -> "AcrossShards":
        """This query on every physical shard, merged; see the module's docstring."""
        return AcrossShards(self, parallel=parallel)

    def filter(self, *args, **kwargs):
        return self._scoped_by(kwargs, super().filter(*args, **kwargs))

    def create(self, **kwargs):
        return self._scoped_by(kwargs, self)._create(**kwargs)

    def get_or_create(self, defaults=None, **kwargs):
        return super(ShardedQuerySet, self._scoped_by(kwargs, self)).get_or_create(
            defaults, **kwargs
        )

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        scoped = self._scoped_by(kwargs, self)
        return super(ShardedQuerySet, scoped).update_or_create(defaults, create_defaults, **kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        """Each row to its key's shard, ids made there; one statement set per shard."""
        objs, field = list(objs), shard_key_field(self.model)
        groups: dict[str, list] = {}
        for obj in objs:
            groups.setdefault(self._db or shard_for(getattr(obj, field.attname)), []).append(obj)
        for alias, group in groups.items():
            fresh = [obj for obj in group if obj.pk is None]
            if fresh and isinstance(self.model._meta.pk, ShardedIdField):
                keys = [getattr(obj, field.attname) for obj in fresh]
                for obj, new_id in zip(fresh, new_ids(self.model, keys, alias), strict=True):
                    obj.pk = new_id
            models.QuerySet.bulk_create(self.using(alias), group, *args, **kwargs)
        return objs

    def _create(self, **kwargs):
        return super().create(**kwargs)

    def _scoped_by(self, kwargs, queryset):
        """*queryset* with a shard hint taken from *kwargs*, when this one has none yet."""
        hints = _hints_of(self)
        if self._db or any(hints.get(name) is not None for name in _SCOPES):
            return queryset
        field = shard_key_field(self.model)
        for name in (field.name, field.attname, f"{field.name}__pk", f"{field.name}__id"):
            if kwargs.get(name) is not None:
                key = kwargs[name]
                return _with_hints(queryset, shard_key=getattr(key, "pk", key))
        pk = self.model._meta.pk
        if isinstance(pk, ShardedIdField):
            for name in ("pk", pk.attname):
                try:
                    logical = logical_shard_of(int(kwargs[name]))
                except (KeyError, TypeError, ValueError):
                    continue
                if logical >= logical_shard_count():
                    # No id made here carries that shard, so no row has it. An empty
                    # query sends no SQL, but Django still asks for a database.
                    return _with_hints(queryset.none(), physical_shard=shard_aliases()[0])
                return _with_hints(queryset, logical_shard=logical)
        return queryset


_SCOPES = ("instance", "shard_key", "logical_shard", "physical_shard")


@dataclass(frozen=True)
class ShardReport:
    """What one physical shard did for an ``across_shards()`` query."""

    alias: str
    logical_shards: str
    rows: int
    milliseconds: float


class AcrossShards:
    """A query on every physical shard, merged as one database would answer it."""

    CHAINABLE = ("filter", "exclude", "order_by", "values", "only", "defer", "select_related")

    def __init__(self, queryset, *, parallel=True, low=0, high=None):
        self._queryset = queryset
        self._parallel = parallel
        self._low, self._high = low, high
        self._results = None
        self.reports: list[ShardReport] = []

    def __getattr__(self, name):
        if name not in self.CHAINABLE:
            raise AttributeError(f"across_shards() has no {name}()")

        def chained(*args, **kwargs):
            queryset = getattr(self._queryset, name)(*args, **kwargs)
            return AcrossShards(queryset, parallel=self._parallel, low=self._low, high=self._high)

        return chained

    def __getitem__(self, item):
        if isinstance(item, int):
            if item < 0:
                raise ValueError("across_shards() takes no negative index")
            found = list(self[item : item + 1])
            if not found:
                raise IndexError(item)
            return found[0]
        if item.step or (item.start or 0) < 0 or (item.stop or 0) < 0:
            raise ValueError("across_shards() takes a slice [start:stop] of positive bounds")
        low, high = self._low + (item.start or 0), self._high
        if item.stop is not None:
            stop = self._low + item.stop
            high = stop if high is None else min(stop, high)
        if high is not None:
            low = min(low, high)
        return AcrossShards(self._queryset, parallel=self._parallel, low=low, high=high)

    def __iter__(self):
        return iter(self._fetch())

    def __len__(self):
        return len(self._fetch())

    def __repr__(self):
        return f"<AcrossShards {self._queryset.model._meta.label} [{self._low}:{self._high}]>"

    def first(self):
        found = list(self[:1])
        return found[0] if found else None

    def count(self) -> int:
        total = sum(self._gather(lambda qs: qs.count(), rows=lambda n: n))
        total = max(total - self._low, 0)
        return total if self._high is None else min(total, self._high - self._low)

    def exists(self) -> bool:
        if self._low or self._high is not None:
            return bool(len(self))
        return any(self._gather(lambda qs: qs.exists(), rows=int))

    def aggregate(self, **aggregates) -> dict:
        """``Count``, ``Sum``, ``Min``, ``Max`` and ``Avg``, combined from every shard's."""
        parts: dict[str, models.Aggregate] = {}
        for name, aggregate in aggregates.items():
            kind = type(aggregate)
            if kind not in {*_COMBINE, models.Avg} or getattr(aggregate, "distinct", False):
                raise ValueError(
                    f"across_shards() combines Count, Sum, Min, Max and Avg, not {aggregate!r}"
                )
            if kind is models.Avg:
                source = aggregate.get_source_expressions()[0]  # then its filter, if any
                parts[f"{name}__sum"] = models.Sum(source, filter=aggregate.filter)
                parts[f"{name}__count"] = models.Count(source, filter=aggregate.filter)
            parts[name] = aggregate  # an average's own, for the type of the answer
        if self._low or self._high is not None:
            raise ValueError("across_shards() aggregates whole queries, not slices")
        answers = self._gather(lambda qs: qs.aggregate(**parts), rows=lambda _: 1)
        combined = {}
        for name, aggregate in aggregates.items():
            if type(aggregate) is models.Avg:
                total = sum(a[f"{name}__sum"] or 0 for a in answers)
                count = sum(a[f"{name}__count"] for a in answers)
                kind = next((type(a[name]) for a in answers if a[name] is not None), float)
                combined[name] = kind(total) / count if count else None
            else:
                values = [a[name] for a in answers if a[name] is not None]
                combined[name] = _COMBINE[type(aggregate)](values) if values else None
        return combined

    def _fetch(self) -> list:
        if self._results is not None:
            return self._results
        ordering = _ordering(self._queryset)
        queryset = self._queryset.order_by(*ordering) if ordering else self._queryset
        if self._high is not None:
            queryset = queryset[: self._high]  # no shard can hold more than that of the answer
        rows = []
        for part in self._gather(list, rows=len, queryset=queryset):
            rows.extend(part)
        for name, descending in reversed([_direction(o) for o in ordering]):
            rows.sort(key=_sort_key(name, self._queryset.model), reverse=descending)
        self._results = rows[self._low : self._high]
        return self._results

    def _gather(self, run, *, rows, queryset=None) -> list:
        """``run(queryset on shard)`` for every shard, in ``SHARDS`` order."""
        queryset = self._queryset if queryset is None else queryset
        shard_map = current_map()
        aliases = list(shard_aliases())

        def on(alias):
            started = time.perf_counter()
            answer = run(_with_hints(queryset, physical_shard=alias, across_shards=True))
            elapsed = (time.perf_counter() - started) * 1000
            described = shard_map.describe(alias)
            return answer, ShardReport(alias, described, rows(answer), elapsed)

        outcomes = fan_out(on, aliases, parallel=self._parallel)
        self.reports = [report for _, report in outcomes]
        return [answer for answer, _ in outcomes]


# How the shards' answers to each aggregate combine (an average from its sum and count).
_COMBINE: dict[type[models.Aggregate], Callable[[list], Any]] = {
    models.Count: sum,
    models.Sum: sum,
    models.Min: min,
    models.Max: max,
}


def _ordering(queryset) -> list[str]:
    query = queryset.query
    ordering = list(
        query.order_by or (queryset.model._meta.ordering if query.default_ordering else ())
    )
    for item in ordering:
        if not isinstance(item, str) or "__" in item or item.lstrip("-+") == "?":
            raise ValueError(
                f"across_shards() orders by field names of the model only, not {item!r}"
            )
    return ordering


def _direction(item: str) -> tuple[str, bool]:
    return item.lstrip("-+"), item.startswith("-")


def _sort_key(name: str, model):
    """Sort by *name*, None last ascending (first descending), as PostgreSQL does."""
    if name == "pk":
        name = model._meta.pk.name

    def key(row):
        if isinstance(row, dict):
            if name not in row:
                raise ValueError(
                    f"across_shards() merges values() rows by the fields they hold: "
                    f"add {name!r} to values() to order by it"
                )
            value = row[name]
        elif isinstance(row, models.Model):
            field = row._meta.get_field(name)
            if not isinstance(field, models.Field):  # a reverse relation: no column to read
                raise ValueError(
                    f"across_shards() orders by the model's own fields, not by {name!r}"
                )
            value = getattr(row, field.attname)
        else:
            raise ValueError("across_shards() orders model instances and values() rows only")
        return (value is None, value) if value is not None else (True, 0)

    return key


# --- One worker thread per shard -------------------------------------------------

_workers: dict[str, ThreadPoolExecutor] = {}
_workers_lock = threading.Lock()


def _worker(alias: str) -> ThreadPoolExecutor:
    with _workers_lock:
        if alias not in _workers:
            _workers[alias] = ThreadPoolExecutor(1, thread_name_prefix=f"shard-{alias}")
        return _workers[alias]


def fan_out(run, aliases, *, parallel: bool = True) -> list:
    """``run(alias)`` for each alias, at once on the shards' worker threads; in order.

    Each runs in a copy of the caller's context, so a trace or routing
    explanation recorded around the call sees every shard's queries. A shard
    whose connection is in a transaction on this thread is asked here, where
    the transaction is.
    """
    futures = {}
    for alias in aliases:
        here = connections[alias].in_atomic_block  # undocumented; watched by the internals test
        if parallel and not here:
            context = contextvars.copy_context()
            futures[alias] = _worker(alias).submit(_run_on_worker, context, run, alias)
    answers = {}
    for alias in aliases:
        if alias not in futures:
            answers[alias] = run(alias)
    return [answers[alias] if alias in answers else futures[alias].result() for alias in aliases]


def _run_on_worker(context, run, alias):
    # The worker's own connections (the shard's, and the map database's when the
    # router re-reads the map), closed as at a request's start and end:
    # CONN_MAX_AGE decides whether they outlive the query.
    close_old_connections()
    try:
        return context.run(run, alias)
    finally:
        close_old_connections()
