"""The legacy models in the admin, read-only: no add, change or delete, for anyone.

The router would refuse those writes anyway (routers/read_only.py); the admin
shouldn't offer them. ``Stock`` has a composite primary key, which Django
5.2's admin can't register, so each item's page lists its stock instead.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html_join

from apps.core.admin import ModelAdmin
from apps.legacy.models import Availability, Item, Supplier


class ReadOnlyAdmin(ModelAdmin):
    """Viewing only: the database belongs to another system.

    Django's change and delete views open their transaction on
    ``router.db_for_write(model)`` before they check permissions, and the
    router raises there: a forged POST would be a 500, not a 403. These
    views refuse a POST first, and read without that transaction.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return self._changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return self._delete_view(request, object_id, extra_context)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Supplier)
class SupplierAdmin(ReadOnlyAdmin):
    list_display = ["number", "name", "country", "phone"]
    search_fields = ["number", "name"]


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ["sku", "description", "supplier", "lead_days", "discontinued"]
    list_filter = ["discontinued"]
    list_select_related = ["supplier"]
    search_fields = ["sku", "description"]
    readonly_fields = ["stock_by_warehouse"]

    @admin.display(description="stock by warehouse")
    def stock_by_warehouse(self, item):
        rows = [(row.warehouse, row.on_hand, row.last_counted) for row in item.stock.all()]
        if not rows:
            return "none held"
        return format_html_join(", ", "{}: {} (counted {})", rows)


@admin.register(Availability)
class AvailabilityAdmin(ReadOnlyAdmin):
    list_display = ["item", "supplier_name", "lead_days", "on_hand"]
    list_select_related = ["item"]
