"""Likes admin: rows in default; each page's targets in one query per content type."""

from django.contrib import admin

from apps.core.admin import ModelAdmin
from apps.likes.models import Like


@admin.register(Like)
class LikeAdmin(ModelAdmin):
    list_display = ["user", "content_type", "object_id", "target", "created_at"]
    list_select_related = ["user", "content_type"]  # same database: a join
    list_filter = ["content_type"]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        # A target per row would be a query per row, in its own database;
        # prefetching makes it one query per content type for the page.
        return super().get_queryset(request).prefetch_related("target")

    @admin.display(description="target")
    def target(self, like):
        return like.target or "(deleted)"
