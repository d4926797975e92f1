"""The analytics benchmark's data, generated in the source databases by set-based SQL.

Users go to ``default``, products, orders and their items to ``shop_db``, each
through its Django connection, as ``INSERT ... SELECT generate_series``: one
statement per table, whatever the size, so 100,000 orders load in seconds
where the ORM would take minutes row by row. ``setseed`` makes each load the
same from one run to the next.

- users join uniformly over the last ``DAYS`` days;
- products cost 2.00-200.00; a few are far more popular than the rest (the
  product of each line is ``power(random(), 2)`` into the list);
- orders are spread uniformly over the same days, 5% of them cancelled, each
  with 1-5 lines (3 on average) of 1-3 units at the product's price, and a
  total that is the sum of its lines.
"""

from dataclasses import dataclass

from django.db import connections

DAYS = 730  # two years
CANCELLED_SHARE = 0.05


@dataclass
class Catalogue:
    """The ids of the benchmark's users (in ``default``) and products (in ``shop_db``)."""

    users: list[int]
    products: list[int]


def create_catalogue(*, users: int, products: int, seed: float) -> Catalogue:
    """Insert *users* users and *products* products; return their ids."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name,
                                       email, is_staff, is_active, date_joined, orders_placed)
            SELECT '!', false, 'bench-' || g, '', '', '', false, true,
                   now() - random() * make_interval(days => %s), 0
            FROM generate_series(1, %s) g
            RETURNING id
            """,
            [DAYS, users],
        )
        user_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("ANALYZE accounts_user")
    with connections["shop_db"].cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            """
            INSERT INTO shop_product (name, slug, description, price, stock, is_active,
                                      created_at)
            SELECT 'Product ' || lpad(g::text, 4, '0'), 'product-' || g, '',
                   round((2 + random() * 198)::numeric, 2), 1000, true,
                   now() - make_interval(days => %s)
            FROM generate_series(1, %s) g
            RETURNING id
            """,
            [DAYS + 1, products],
        )
        product_ids = [row[0] for row in cursor.fetchall()]
    return Catalogue(users=user_ids, products=product_ids)


def add_orders(catalogue: Catalogue, *, count: int, seed: float) -> int:
    """Insert *count* orders with their lines into ``shop_db``; return the lines inserted."""
    with connections["shop_db"].cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute("SELECT COALESCE(max(id), 0) FROM shop_order")
        (after,) = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO shop_order (customer_id, status, total, created_at)
            SELECT (%s::bigint[])[1 + floor(random() * %s)::int],
                   CASE WHEN random() < %s THEN 'cancelled' ELSE 'placed' END,
                   0,
                   now() - random() * make_interval(days => %s)
            FROM generate_series(1, %s)
            """,
            [catalogue.users, len(catalogue.users), CANCELLED_SHARE, DAYS, count],
        )
        # Each line picks its product in a subquery that refers to the line, so
        # that random() runs once per line, not once for the whole statement.
        cursor.execute(
            """
            INSERT INTO shop_orderitem (order_id, product_id, quantity, unit_price)
            SELECT o.id, p.id, 1 + floor(random() * 3)::int, p.price
            FROM shop_order o
            CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * 5)::int + 0 * o.id) line
            CROSS JOIN LATERAL (
                SELECT (%s::bigint[])[1 + floor(power(random(), 2) * %s)::int + 0 * line]
                    AS product_id
            ) pick
            JOIN shop_product p ON p.id = pick.product_id
            WHERE o.id > %s
            """,
            [catalogue.products, len(catalogue.products), after],
        )
        lines = cursor.rowcount
        cursor.execute(
            """
            UPDATE shop_order o SET total = s.total
            FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM shop_orderitem
                  WHERE order_id > %s GROUP BY order_id) s
            WHERE o.id = s.order_id
            """,
            [after],
        )
        cursor.execute("ANALYZE shop_product, shop_order, shop_orderitem")
    return lines


def analyze_warehouse(alias: str) -> None:
    """Give the warehouse's copies fresh statistics, as autovacuum would in time."""
    with connections[alias].cursor() as cursor:
        cursor.execute("ANALYZE accounts_user, shop_product, shop_order, shop_orderitem")


def counts(alias: str) -> dict[str, int]:
    """Rows per replicated shop/accounts table on *alias* (a source or the warehouse's owner)."""
    tables = {
        "default": ["accounts_user"],
        "shop_db": ["shop_product", "shop_order", "shop_orderitem"],
    }.get(alias, ["accounts_user", "shop_product", "shop_order", "shop_orderitem"])
    with connections[alias].cursor() as cursor:
        result = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            result[table] = cursor.fetchone()[0]
        return result
