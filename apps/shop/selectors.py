"""Shop reads."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, QuerySet

from apps.legacy.selectors import supply_for
from apps.shop.models import Order, OrderEvent, OrderItem, Product


def product_list() -> QuerySet:
    """Products on sale, by name."""
    return Product.objects.filter(is_active=True)


def product_detail(*, slug: str) -> Product:
    """The product on sale at /shop/<slug>/; raises Product.DoesNotExist."""
    return product_list().get(slug=slug)


def with_supply(products) -> tuple[list[Product], str]:
    """*products*, each with ``supply``: its stock and supplier in the legacy system, or None.

    One query on ``shop_db`` (the products) and one on ``legacy`` for them all,
    matched by SKU: the databases share no key to join on. The string says why
    there is no supply when the legacy database can't answer.
    """
    products = list(products)
    supply, problem = supply_for(product.sku for product in products)
    for product in products:
        product.supply = supply.get(product.sku)
    return products, problem


def order_list(*, customer) -> QuerySet:
    """*customer*'s orders with their items and products: two queries on ``shop_db``.

    ``customer.orders`` crosses from ``default`` to ``shop_db`` through the
    reverse of a cross-database key; filtering on the key needs no join.
    """
    items = OrderItem.objects.select_related("product")
    return customer.orders.prefetch_related(Prefetch("items", queryset=items))


def order_detail(*, customer, pk: int) -> Order:
    """One of *customer*'s orders; raises Order.DoesNotExist for anyone else's."""
    return order_list(customer=customer).get(pk=pk)


@dataclass(frozen=True)
class CustomerCount:
    username: str
    orders_in_shop_db: int  # the truth: orders shop_db holds for the customer
    orders_placed: int  # the counter in default, which the outbox keeps equal


def outbox_overview(*, limit: int = 20) -> dict:
    """The outbox for its demo page: pending events, the latest applied, counters against orders."""
    events = OrderEvent.objects.order_by("-id")
    per_customer = dict(Order.objects.order_by().values_list("customer_id").annotate(n=Count("id")))
    users = get_user_model().objects.filter(pk__in=per_customer).order_by("username")
    return {
        "pending": list(events.filter(applied_at__isnull=True)[:limit]),
        "pending_count": events.filter(applied_at__isnull=True).count(),
        "applied": list(events.filter(applied_at__isnull=False)[:limit]),
        "customers": [
            CustomerCount(user.username, per_customer[user.pk], user.orders_placed)
            for user in users
        ],
    }
