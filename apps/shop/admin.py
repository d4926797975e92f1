"""Shop admin: reads and writes go to shop_db through the router.

Customers live in ``default``, so they are prefetched rather than joined
(see apps/blog/admin.py).
"""

from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.urls import reverse
from django.utils.text import Truncator

from apps.core.admin import ModelAdmin
from apps.shop.models import Order, OrderItem, Product


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ["name", "price", "stock", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]


class KnownProductsWidget(ForeignKeyRawIdWidget):
    """The raw-id widget, labelled from products fetched once for the whole order.

    Django's looks its object up per row (``label_and_url_for_value``): one
    query per order item on the change page.
    """

    def __init__(self, *args, known: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.known = known

    def label_and_url_for_value(self, value):
        try:
            product = self.known[int(value)]
        except (KeyError, TypeError, ValueError):
            return super().label_and_url_for_value(value)  # a product added since: ask
        url = reverse(f"{self.admin_site.name}:shop_product_change", args=[product.pk])
        return Truncator(product).words(14), url


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    raw_id_fields = ["product"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:  # one query for every item's product, in shop_db
            field = formset.form.base_fields["product"]
            products = Product.objects.using(field.widget.db).filter(order_items__order=obj)
            field.widget = KnownProductsWidget(
                field.widget.rel,
                self.admin_site,
                using=field.widget.db,
                known={product.pk: product for product in products},
            )
        return formset


@admin.register(Order)
class OrderAdmin(ModelAdmin):
    list_display = ["__str__", "customer", "status", "total", "created_at"]
    list_select_related = ()
    list_filter = ["status"]
    raw_id_fields = ["customer"]
    inlines = [OrderItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("customer")
