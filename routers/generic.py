"""Generic relations whose targets live in other databases: each read where it lives.

A like in ``default`` points at a post in ``blog_db`` or a product in
``shop_db`` through a content type and an object id. Django's
``GenericForeignKey`` assumes one database:

- ``like.target`` reads the target from the *like's* database
  (``using=instance._state.db``), where a post's table doesn't exist;
- it looks content types up in the *target's* database when one is assigned
  (``like.target = post``) or checked against the cache, and ``blog_db`` has
  no ``django_content_type`` table: ``prefetch_related("target")`` reads the
  posts through the router, then ``like.target`` fails on that check. Were
  that table migrated into several databases, the same model could have a
  different id in each, and a stored id would name another model. Content
  types have one home.

``CrossDatabaseGenericForeignKey`` is a drop-in replacement::

    from django.contrib.contenttypes.models import ContentType

    class Like(models.Model):
        content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
        object_id = models.PositiveBigIntegerField()
        target = CrossDatabaseGenericForeignKey("content_type", "object_id")

``like.target`` reads from ``router.db_for_read(<the target's model>)``, and
``prefetch_related("target")`` runs one query per content type, each in the
database the router picks for that model. Content types always come from
``content_type_home()``: where the router writes ``ContentType`` (never a
replica). A target that no longer exists reads as ``None``, as with Django's
field: there is no cascade across databases, so a reader skips it (or a job
deletes such rows).

There is no reverse ``GenericRelation``: filtering posts by their likes would
join across databases. Ask the likes' database for the object ids first, then
filter the targets on them.

Needs ``django.contrib.contenttypes`` in ``INSTALLED_APPS``, and, like
Django's field, an app registry to import: import it from a ``models.py``.

Copy with: nothing (Django only).
"""

from collections import defaultdict

import django
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import router
from django.utils.functional import cached_property

__all__ = [
    "CrossDatabaseGenericForeignKey",
    "content_type_home",
    "content_types",
]


def content_type_home() -> str:
    """The one database content types are read from: where the router writes them."""
    return router.db_for_write(ContentType)


def content_types():
    """``ContentType.objects`` bound to their home, with Django's per-process cache."""
    return ContentType.objects.db_manager(content_type_home())


class CrossDatabaseGenericForeignKey(GenericForeignKey):
    """A ``GenericForeignKey`` that reads each target from the database its model lives in."""

    @cached_property
    def _ct_attname(self) -> str:
        return self.model._meta.get_field(self.ct_field).attname

    def get_content_type(self, obj=None, id=None, using=None, model=None):
        """Content types come from their home, whatever database *obj* or *using* names."""
        manager = content_types()
        if id is not None:
            return manager.get_for_id(id)
        if obj is None and model is None:
            raise ValueError("get_content_type() needs obj, id or model.")
        target = obj if obj is not None else model
        return manager.get_for_model(target, for_concrete_model=self.for_concrete_model)

    def model_for(self, content_type_id):
        """The model class of *content_type_id*, or None (no id, or its model is gone)."""
        if content_type_id is None:
            return None
        return self.get_content_type(id=content_type_id).model_class()

    def __get__(self, instance, cls=None):
        """The target, read from ``router.db_for_read(its model)``; None when it is gone."""
        if instance is None:
            return self
        ct_id = getattr(instance, self._ct_attname)
        object_id = getattr(instance, self.fk_field)
        if self.is_cached(instance):
            cached = self.get_cached_value(instance)
            if cached is None or self._points_at(cached, ct_id, object_id):
                return cached  # a cached None: looked up (or prefetched) and not found
        target, model = None, self.model_for(ct_id)
        if model is not None and object_id is not None:
            targets = model._base_manager.using(router.db_for_read(model))
            target = targets.filter(pk=object_id).first()
        self.set_cached_value(instance, target)
        return target

    def _points_at(self, target, ct_id, object_id) -> bool:
        return (
            ct_id == self.get_content_type(obj=target).pk
            and target._meta.pk.to_python(object_id) == target.pk
        )

    def get_prefetch_querysets(self, instances, querysets=None):
        """One query per content type, each in the database the router picks for its model."""
        custom = {}
        for queryset in querysets or ():
            ct_id = self.get_content_type(model=queryset.model).pk
            if ct_id in custom:
                raise ValueError("Only one queryset is allowed for each content type.")
            custom[ct_id] = queryset
        wanted = defaultdict(set)
        for instance in instances:
            ct_id, object_id = getattr(instance, self._ct_attname), getattr(instance, self.fk_field)
            if ct_id is not None and object_id is not None:
                wanted[ct_id].add(object_id)
        targets = []
        for ct_id, object_ids in wanted.items():
            model = self.model_for(ct_id)
            if model is None:
                continue  # a stale content type: its rows point at nothing
            queryset = custom.get(ct_id, model._base_manager.all())
            # queryset.db is the router's read choice for the model (or an explicit using()).
            targets.extend(queryset.using(queryset.db).filter(pk__in=object_ids))

        def instance_key(instance):
            model = self.model_for(getattr(instance, self._ct_attname))
            if model is None:
                return None
            return model._meta.pk.get_prep_value(getattr(instance, self.fk_field)), model

        # Django's prefetch protocol: the rows, how to key a row, how to key an
        # instance, one row per instance, the cache name, not a descriptor.
        def target_key(target):
            return target.pk, type(target)

        return targets, target_key, instance_key, True, self.name, False

    if django.VERSION < (5, 0):
        # Django 4.2 asks for one queryset (or None) by this older name; 5.0 renamed it
        # get_prefetch_querysets and takes a list. Without it, 4.2 would run Django's
        # own, which reads every target from the content type's database.
        def get_prefetch_queryset(self, instances, queryset=None):
            querysets = None if queryset is None else [queryset]
            return self.get_prefetch_querysets(instances, querysets)
