"""How long a committed row takes to become visible in the warehouse.

Each write commits one row on its source through Django (autocommit: the
call returns after COMMIT). The clock starts when it returns; the warehouse's
copy is then polled through the owner's alias (``SELECT 1 FROM <table> WHERE
id = %s``, a fresh snapshot each time, about 1 ms apart) and the clock stops
at the first poll that finds the row. So each figure is the logical
replication's delay plus at most one poll interval (about 1.2 ms here: the
sleep and the query).
"""

import time
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connections

from apps.analytics.replication import owner_alias
from apps.shop.models import Order

POLL_SECONDS = 0.001
TIMEOUT_SECONDS = 30.0


def commit_to_visible(
    write: Callable[[int], int], *, table: str, count: int, pace: float
) -> list[tuple[float, int]]:
    """For each of *count* commits: ms until the warehouse showed the row, and the polls it took.

    ``write(i)`` commits the i-th row and returns its id. A write starts
    *pace* seconds after the one before, or at once when its row took longer.
    """
    delays = []
    with connections[owner_alias()].cursor() as cursor:
        for index in range(count):
            started = time.perf_counter()
            pk = write(index)
            committed = time.perf_counter()
            polls = 0
            while True:
                polls += 1
                cursor.execute(f"SELECT 1 FROM public.{table} WHERE id = %s", [pk])
                if cursor.fetchone() is not None:
                    break
                if time.perf_counter() - committed > TIMEOUT_SECONDS:
                    raise RuntimeError(
                        f"{table} row {pk} not in the warehouse after {TIMEOUT_SECONDS:g} s"
                    )
                time.sleep(POLL_SECONDS)
            delays.append(((time.perf_counter() - committed) * 1000, polls))
            time.sleep(max(0.0, started + pace - time.perf_counter()))
    return delays


def order_writer(customer_id: int) -> Callable[[int], int]:
    """Commit one order (no lines) on ``shop_db``; return its id."""

    def write(index: int) -> int:
        order = Order.objects.using("shop_db").create(
            customer_id=customer_id, total=Decimal("9.99")
        )
        return order.pk

    return write


def user_writer(prefix: str) -> Callable[[int], int]:
    """Commit one user on ``default`` (the primary); return its id."""
    User = get_user_model()

    def write(index: int) -> int:
        user = User(username=f"{prefix}-{index}", password="!")
        user.save(using="default")
        return user.pk

    return write
