"""Reads for the home page."""

from django.contrib.auth import get_user_model
from django.db import DatabaseError

from apps.blog.models import Post
from apps.shop.models import Order


def row_counts() -> list[tuple[str, str, int | None]]:
    """Return ``(what, alias, count)`` rows; users are counted through the replica.

    ``count`` is None when that database can't answer (not migrated yet, or
    down), so the page still renders.
    """
    queries = [
        ("users", "replica", get_user_model().objects.using("replica")),
        ("posts", "blog_db", Post.objects.all()),
        ("orders", "shop_db", Order.objects.all()),
    ]
    rows = []
    for what, alias, queryset in queries:
        try:
            count = queryset.count()
        except DatabaseError:
            count = None
        rows.append((what, queryset.db or alias, count))
    return rows
