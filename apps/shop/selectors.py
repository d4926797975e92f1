"""Shop reads."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, QuerySet

from apps.shop.models import Order, OrderEvent, OrderItem, Product


def product_list() -> QuerySet:
    """Products on sale, by name."""
    return Product.objects.filter(is_active=True)


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
