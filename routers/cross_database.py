"""Fail early, and clearly, on a query that would join across databases.

A relation between databases (a post in ``blog_db`` whose author is in
``default``) works for attribute access (``post.author``, ``user.blog_posts``),
for ``prefetch_related("author")`` and for filters on the key itself
(``author=user``, ``author_id__in=ids``). A lookup that needs the other table,
such as ``Post.objects.filter(author__username="john")``, would make one
database join to a table it doesn't have. Unguarded, that fails late with a
bare ``no such table`` or ``relation does not exist``.

``CrossDatabaseQuerySet`` checks each lookup while the queryset is built
(``filter``, ``exclude``, ``get``, ``order_by``, ``values``,
``select_related``, ``annotate``, ``aggregate``) and raises
``CrossDatabaseJoinError`` naming the lookup and both databases::

    class Post(models.Model):
        ...
        objects = CrossDatabaseQuerySet.as_manager()

The supported alternative is two queries: fetch the ids from the other
database, then filter on the key column.

Which database a model lives in is asked of Django's router
(``router.db_for_write``, which never names a replica), so this works with any
router. Only public QuerySet methods are overridden.

Copy with: nothing (Django only).
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models, router
from django.db.models import F, Q
from django.db.models.constants import LOOKUP_SEP
from django.db.models.expressions import OuterRef, ResolvedOuterRef

__all__ = ["CrossDatabaseJoinError", "CrossDatabaseQuerySet", "find_crossing"]


class CrossDatabaseJoinError(ValueError):
    """A query needs a join between tables that live in different databases."""


def database_of(model) -> str:
    """Return the primary database that holds *model*'s table."""
    return router.db_for_write(model)


def find_crossing(model, lookup: str, *, follows=False):
    """Return ``(path, from_model, to_model)`` where *lookup* leaves *model*'s database.

    With *follows* (``select_related``), reaching the related row counts as a
    join even when the lookup ends at the key.
    """
    parts = lookup.split(LOOKUP_SEP)
    current = model
    for index, part in enumerate(parts):
        opts = current._meta
        name = opts.pk.name if part == "pk" else part
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            return None  # a transform, a lookup such as "in", or an annotation
        if not field.is_relation or field.related_model is None or name != field.name:
            return None  # a plain column, or the raw key column ("author_id")
        target = field.related_model
        if database_of(target) != database_of(current):
            if not follows and _answered_by_key(field, target, parts[index + 1 :]):
                return None
            return LOOKUP_SEP.join(parts[: index + 1]), current, target
        current = target
    return None


def _answered_by_key(field, target, rest) -> bool:
    """Whether a forward key column answers *rest* without joining *target*."""
    if not (field.concrete and (field.many_to_one or field.one_to_one)):
        return False  # reverse and many-to-many relations always join
    if not rest:
        return True
    key_names = {"pk", field.target_field.name}
    if rest[0] in key_names:
        rest = rest[1:]
    return not rest or not _is_field(target, rest[0])


def _is_field(model, name) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _lookups(item):
    """Yield ``(lookup, value)`` for each field path that *item* refers to."""
    if isinstance(item, str):
        if item != "?":
            yield item.lstrip("-+"), None
    elif isinstance(item, Q):
        for child in item.children:
            if isinstance(child, tuple):
                yield child
            else:
                yield from _lookups(child)
    elif isinstance(item, OuterRef | ResolvedOuterRef):
        return  # refers to the outer query's model
    elif isinstance(item, F):
        yield item.name, None
    elif hasattr(item, "get_source_expressions"):
        for source in item.get_source_expressions():
            if source is not None:
                yield from _lookups(source)


class CrossDatabaseQuerySet(models.QuerySet):
    """A QuerySet that refuses lookups which would join across databases."""

    def _check(self, method, items):
        for item in items:
            for lookup, value in _lookups(item):
                self._check_lookup(method, lookup, follows=method == "select_related")
                if isinstance(value, models.QuerySet):
                    self._check_subquery(method, lookup, value)

    def _check_lookup(self, method, lookup, *, follows):
        crossing = find_crossing(self.model, lookup, follows=follows)
        if crossing is None:
            return
        path, source, target = crossing
        name = self.model.__name__
        raise CrossDatabaseJoinError(
            f"{name}.objects.{method}({lookup!r}) would join across databases: "
            f"{path!r} goes from {source._meta.label} in {database_of(source)!r} "
            f"to {target._meta.label} in {database_of(target)!r}, and one database "
            f"can't join to a table in another. Query {database_of(target)!r} for the "
            f"ids first, then filter on them, e.g. "
            f"{name}.objects.filter({path}__in=list(ids)); "
            f"or load the rows with prefetch_related({path!r})."
        )

    def _check_subquery(self, method, lookup, queryset):
        if database_of(queryset.model) != database_of(self.model):
            raise CrossDatabaseJoinError(
                f"{self.model.__name__}.objects.{method}({lookup}=<QuerySet>) would run "
                f"a {queryset.model._meta.label} subquery from {database_of(self.model)!r}, "
                f"but that table is in {database_of(queryset.model)!r}. Evaluate it "
                "first: list(queryset.values_list('pk', flat=True))."
            )

    def filter(self, *args, **kwargs):
        self._check("filter", [*args, Q(**kwargs)])
        return super().filter(*args, **kwargs)

    def exclude(self, *args, **kwargs):
        self._check("exclude", [*args, Q(**kwargs)])
        return super().exclude(*args, **kwargs)

    def order_by(self, *field_names):
        self._check("order_by", field_names)
        return super().order_by(*field_names)

    def values(self, *fields, **expressions):
        self._check("values", [*fields, *expressions.values()])
        return super().values(*fields, **expressions)

    def values_list(self, *fields, flat=False, named=False):
        self._check("values_list", fields)
        return super().values_list(*fields, flat=flat, named=named)

    def select_related(self, *fields):
        if fields == (None,):
            return super().select_related(*fields)
        self._check("select_related", fields or _non_null_paths(self.model))
        return super().select_related(*fields)

    def annotate(self, *args, **kwargs):
        self._check("annotate", [*args, *kwargs.values()])
        return super().annotate(*args, **kwargs)

    def alias(self, *args, **kwargs):
        self._check("alias", [*args, *kwargs.values()])
        return super().alias(*args, **kwargs)

    def aggregate(self, *args, **kwargs):
        self._check("aggregate", [*args, *kwargs.values()])
        return super().aggregate(*args, **kwargs)


def _non_null_paths(model, prefix="", seen=None):
    """Yield the paths a bare ``select_related()`` follows: non-null foreign keys."""
    seen = seen or {model}
    for field in model._meta.concrete_fields:
        if field.is_relation and field.many_to_one and not field.null:
            path = f"{prefix}{field.name}"
            yield path
            target = field.related_model
            if target not in seen and database_of(target) == database_of(model):
                yield from _non_null_paths(target, f"{path}{LOOKUP_SEP}", seen | {target})
