"""The drill's shop data: ``python -m bench.drill_orders stock N`` and ``... count``.

Run by ``bench/drill.py`` with the drill's environment; each prints one JSON
object on stdout.

- ``stock N`` sets every product's stock to N, so a long run of orders never
  runs short, and prints the quantities already ordered per product (the
  demo's orders) and the id of the last order, ``{"ordered": {"1": 3, ...},
  "last_order": 1}``.
- ``count LAST`` prints what the outbox is meant to keep equal: per customer
  with orders, the orders ``shop_db`` holds against ``orders_placed`` in
  ``default`` (read on the primary, not the replica); the events still
  pending; and what a half-written order would leave behind, among the
  orders after ``LAST`` (the demo's order has no event): orders without
  items or without their event, totals that aren't the sum of their items;
  and per product the stock left and the quantities ordered.
"""

import json
import sys
from decimal import Decimal

import django


def main() -> int:
    command, *options = sys.argv[1:]
    django.setup()
    if command == "stock":
        answer = stock_set(stock=int(options[0]))
    elif command == "count":
        answer = orders_count(after=int(options[0]))
    else:
        print(f"unknown command {command!r}: stock N | count LAST", file=sys.stderr)
        return 2
    print(json.dumps(answer))
    return 0


def stock_set(*, stock: int) -> dict:
    from django.db.models import Max

    from apps.shop.models import Order, Product

    Product.objects.update(stock=stock)
    last = Order.objects.aggregate(last=Max("id"))["last"] or 0
    return {"ordered": ordered_per_product(), "last_order": last}


def ordered_per_product() -> dict[str, int]:
    from django.db.models import Sum

    from apps.shop.models import OrderItem

    rows = OrderItem.objects.order_by().values_list("product_id").annotate(n=Sum("quantity"))
    return {str(product): quantity for product, quantity in rows}


def orders_count(*, after: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db.models import Count, DecimalField, F, Sum

    from apps.shop.models import Order, OrderEvent, Product

    per_customer = dict(Order.objects.order_by().values_list("customer_id").annotate(n=Count("id")))
    users = get_user_model().objects.using("default").filter(pk__in=per_customer)
    customers = [
        {
            "username": user.username,
            "orders_in_shop_db": per_customer[user.pk],
            "orders_placed": user.orders_placed,
        }
        for user in users.order_by("username")
    ]
    placed = Order.objects.filter(id__gt=after)
    line = F("items__quantity") * F("items__unit_price")
    totals = placed.annotate(items_total=Sum(line, output_field=DecimalField()))
    return {
        "customers": customers,
        "orders": sum(per_customer.values()),
        "placed": placed.count(),
        "pending_events": OrderEvent.objects.filter(applied_at__isnull=True).count(),
        "without_items": placed.filter(items__isnull=True).count(),
        "without_event": placed.filter(event__isnull=True).count(),
        "totals_off": sum(
            (order.items_total or Decimal("0")) != order.total for order in totals.only("total")
        ),
        "stock": {str(pk): stock for pk, stock in Product.objects.values_list("pk", "stock")},
        "ordered": ordered_per_product(),
    }


if __name__ == "__main__":
    sys.exit(main())
