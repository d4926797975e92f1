"""Shop admin: reads and writes go to shop_db through the router.

Customers live in ``default``, so they are prefetched rather than joined
(see apps/blog/admin.py).
"""

from django.contrib import admin

from apps.core.admin import ModelAdmin
from apps.shop.models import Order, OrderItem, Product


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ["name", "price", "stock", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Order)
class OrderAdmin(ModelAdmin):
    list_display = ["__str__", "customer", "status", "total", "created_at"]
    list_select_related = ()
    list_filter = ["status"]
    raw_id_fields = ["customer"]
    inlines = [OrderItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("customer")
