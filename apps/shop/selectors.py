"""Shop reads."""

from django.db.models import Prefetch, QuerySet

from apps.shop.models import Order, OrderItem, Product


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
