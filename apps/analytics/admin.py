from django.contrib import admin

from apps.core.admin import CheckedSelectionMixin

from .models import UserMetric


@admin.register(UserMetric)
class UserMetricAdmin(CheckedSelectionMixin, admin.ModelAdmin):
    """The warehouse's per-user view, read through the read-only role: browse, never edit."""

    list_display = ["username", "created_at", "orders", "revenue", "posts", "comments"]
    search_fields = ["username"]
    date_hierarchy = "created_at"
    actions = None  # nothing to act on: the rows are a view

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
