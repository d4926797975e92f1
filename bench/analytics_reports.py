"""Two reports, each computed the warehouse's ways and the only ways without one.

Every function returns the report's rows in one normal form, so the ways can
be compared row for row:

- top products by revenue over a date range (UTC days, both ends included):
  ``(product name, units, orders, revenue)``, highest revenue first, then name;
- monthly users and revenue (the seed query): ``(month, users who joined in
  it, the revenue of their placed orders)``, newest month first.

The ORM ways read the sources directly, ``shop_db`` and ``default`` by name
(the primary, not the replica: the comparison then doesn't depend on the
standby's replay), and join in Python, since no query can join two databases.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Count, DecimalField, F, Sum

from apps.analytics import reports
from apps.analytics.replication import reader_alias
from apps.shop.models import Order, OrderItem, Product

CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=14, decimal_places=2)

# The materialized view's report, computed from the live view it is built from.
LIVE_TOP_PRODUCTS = """
    SELECT max(product_name) AS product, SUM(quantity) AS units,
           COUNT(DISTINCT order_id) AS orders, SUM(revenue) AS revenue
    FROM analytics.order_lines
    WHERE created_at >= %s AND created_at < %s
    GROUP BY product_id
    ORDER BY revenue DESC, product
    LIMIT %s
"""


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def utc_range(start: date, end: date) -> tuple[datetime, datetime]:
    """From *start*'s midnight UTC up to, not including, the midnight after *end*."""
    return (
        datetime.combine(start, time(), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC),
    )


# -- top products ---------------------------------------------------------------------------


def top_products_view(*, start: date, end: date, limit: int) -> list[tuple]:
    """``reports.top_products``: the materialized view ``analytics.daily_product_revenue``."""
    return reports.top_products(start=start, end=end, limit=limit).rows


def top_products_live(*, start: date, end: date, limit: int) -> list[tuple]:
    """One query on the live view ``analytics.order_lines``, through the read-only alias."""
    with connections[reader_alias()].cursor() as cursor:
        cursor.execute(LIVE_TOP_PRODUCTS, [*utc_range(start, end), limit])
        return [(name, int(u), int(o), money(r)) for name, u, o, r in cursor.fetchall()]


def top_products_orm_grouped(*, start: date, end: date, limit: int) -> list[tuple]:
    """The ORM grouping the lines by product in ``shop_db``, names joined in Python."""
    since, until = utc_range(start, end)
    grouped = (
        OrderItem.objects.using("shop_db")
        .filter(
            order__status=Order.Status.PLACED,
            order__created_at__gte=since,
            order__created_at__lt=until,
        )
        .values("product_id")
        .annotate(
            units=Sum("quantity"),
            orders=Count("order_id", distinct=True),
            revenue=Sum(F("quantity") * F("unit_price"), output_field=MONEY),
        )
        .order_by()
    )
    totals = {row["product_id"]: (row["units"], row["orders"], row["revenue"]) for row in grouped}
    return _ranked(totals, limit=limit)


def top_products_orm_rows(*, start: date, end: date, limit: int) -> list[tuple]:
    """The ORM fetching every line in the range, summed in Python."""
    since, until = utc_range(start, end)
    lines = (
        OrderItem.objects.using("shop_db")
        .filter(
            order__status=Order.Status.PLACED,
            order__created_at__gte=since,
            order__created_at__lt=until,
        )
        .order_by()
        .values_list("product_id", "order_id", "quantity", "unit_price")
    )
    units, orders, revenue = defaultdict(int), defaultdict(set), defaultdict(Decimal)
    for product_id, order_id, quantity, unit_price in lines:
        units[product_id] += quantity
        orders[product_id].add(order_id)
        revenue[product_id] += quantity * unit_price
    totals = {pk: (units[pk], len(orders[pk]), revenue[pk]) for pk in units}
    return _ranked(totals, limit=limit)


def _ranked(totals: dict[int, tuple], *, limit: int) -> list[tuple]:
    """Name each product (a second query on ``shop_db``) and keep the top *limit*."""
    names = dict(
        Product.objects.using("shop_db").filter(pk__in=list(totals)).values_list("id", "name")
    )
    rows = [
        (names.get(pk), int(units), int(orders), money(revenue))
        for pk, (units, orders, revenue) in totals.items()
    ]
    rows.sort(key=lambda row: (-row[3], row[0] or ""))
    return rows[:limit]


# -- monthly users and revenue --------------------------------------------------------------


def monthly_view() -> list[tuple]:
    """``reports.seed_query``: the seed query on ``analytics.user_metrics``, verbatim."""
    return [(month.date(), int(users), money(rev)) for month, users, rev in reports.seed_query()]


def monthly_orm_grouped() -> list[tuple]:
    """Users from ``default``; revenue grouped per customer in ``shop_db``; months in Python."""
    revenue = dict(
        Order.objects.using("shop_db")
        .filter(status=Order.Status.PLACED)
        .values("customer_id")
        .annotate(revenue=Sum("total"))
        .order_by()
        .values_list("customer_id", "revenue")
    )
    return _by_month(revenue)


def monthly_orm_rows() -> list[tuple]:
    """Users from ``default``; every placed order from ``shop_db``, summed in Python."""
    revenue = defaultdict(Decimal)
    orders = Order.objects.using("shop_db").filter(status=Order.Status.PLACED).order_by()
    for customer_id, total in orders.values_list("customer_id", "total"):
        revenue[customer_id] += total
    return _by_month(revenue)


def _by_month(revenue: dict[int, Decimal]) -> list[tuple]:
    users = get_user_model().objects.using("default").order_by()
    joined, income = defaultdict(int), defaultdict(Decimal)
    for user_id, date_joined in users.values_list("id", "date_joined"):
        month = date_joined.astimezone(UTC).date().replace(day=1)
        joined[month] += 1
        income[month] += revenue.get(user_id) or 0
    return [(month, joined[month], money(income[month])) for month in sorted(joined, reverse=True)]
