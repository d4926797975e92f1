"""Shop writes. An order is placed in ``shop_db``, and counted in ``default`` by an outbox.

Two databases can't share a transaction, and nesting one ``atomic`` block per
database still leaves a window between the two commits: an order without
its count, or a count without its order, for good. So the order does not
touch ``default`` at all. Its ``shop_db`` transaction also writes an
``OrderEvent`` (the transactional outbox), and the count follows from it:

1. ``order_place`` writes the order, its items, the stock and the event in
   one ``shop_db`` transaction: all of them or none;
2. after that commit (``transaction.on_commit``), ``outbox_relay`` applies
   the customer's pending events to ``default``;
3. if ``default`` can't be reached then, the events stay pending, and the next
   ``manage.py outbox_relay`` run (compose runs it as a sidecar; a cron job
   would do) applies them.

Applying is idempotent: under a lock on the customer's row in ``default``,
``orders_placed`` is set to the number of orders ``shop_db`` holds for them,
then the events are stamped ``applied_at``. Applying twice, or after a crash
between the two steps, gives the same count, so the databases converge by
themselves and stay equal once nothing is pending.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, router, transaction
from django.utils import timezone

from apps.activity.models import Event
from apps.activity.services import event_record_on_commit
from apps.shop.models import Order, OrderEvent, OrderItem, Product
from routers.health import health
from routers.pinning import use_primary_db

MAX_QUANTITY = 99
RELAY_BATCH = 500

logger = logging.getLogger(__name__)


def order_place(*, customer, quantities: Mapping[int, int]) -> Order:
    """Place an order for ``{product_id: quantity}``, taking the items from stock.

    Products are locked (``select_for_update``) so two orders can't both take
    the last item. Raises ValidationError, and writes nothing, when the order
    is empty, a product is gone, stock is short or the customer no longer
    exists; a database error rolls the whole ``shop_db`` transaction back.
    ``default`` is not written here: the order's ``OrderEvent`` carries the
    count there (``outbox_relay``), so an order can be placed while
    ``default`` is down and is counted once it is back.
    """
    wanted = {pk: qty for pk, qty in quantities.items() if qty}
    if not wanted:
        raise ValidationError("Choose at least one product.")
    if any(qty < 0 or qty > MAX_QUANTITY for qty in wanted.values()):
        raise ValidationError(f"Quantities run from 1 to {MAX_QUANTITY}.")
    with use_primary_db:  # the primary's word, or a replica's while it is down
        if not get_user_model().objects.filter(pk=customer.pk).exists():
            raise ValidationError("Your account no longer exists.")
    shop = router.db_for_write(Order)
    with transaction.atomic(using=shop):
        products = Product.objects.select_for_update().filter(pk__in=wanted, is_active=True)
        products = {product.pk: product for product in products}
        missing = set(wanted) - set(products)
        if missing:
            raise ValidationError("A product in your order is no longer on sale.")
        short = [p.name for pk, p in products.items() if p.stock < wanted[pk]]
        if short:
            raise ValidationError(f"Not enough stock for: {', '.join(sorted(short))}.")
        order = Order.objects.create(customer=customer)
        items = []
        total = Decimal("0")
        for pk, product in products.items():
            product.stock -= wanted[pk]
            items.append(
                OrderItem(
                    order=order, product=product, quantity=wanted[pk], unit_price=product.price
                )
            )
            total += product.price * wanted[pk]
        Product.objects.bulk_update(products.values(), ["stock"])
        OrderItem.objects.bulk_create(items)
        order.total = total
        order.save(update_fields=["total"])
        OrderEvent.objects.create(order=order, customer=customer)
        # After shop_db's commit, not before: an event applied early would
        # count an order that might still roll back.
        transaction.on_commit(lambda: outbox_relay(customer_ids={customer.pk}), using=shop)
        # After the relay, and robust: a shard that is down loses this line of
        # history, never the order or its count.
        event_record_on_commit(
            user=customer,
            kind=Event.Kind.ORDER_PLACED,
            summary=f"order #{order.pk}",
            using=shop,
        )
    return order


@dataclass(frozen=True)
class RelayResult:
    applied: int  # events applied to default in this run
    pending: int  # events still pending afterwards (default unreachable, or past the batch)


def outbox_relay(*, customer_ids: set[int] | None = None, limit: int = RELAY_BATCH) -> RelayResult:
    """Apply up to *limit* pending ``OrderEvent`` rows (of *customer_ids*, or all) to ``default``.

    Never raises for a database that can't be reached: what couldn't be
    applied stays pending for the next run, which the return value counts.
    """
    pending = OrderEvent.objects.filter(applied_at__isnull=True)
    if customer_ids is not None:
        pending = pending.filter(customer_id__in=customer_ids)
    by_customer: dict[int, list[int]] = {}
    try:
        for event_id, customer_id in pending.values_list("id", "customer_id")[:limit]:
            by_customer.setdefault(customer_id, []).append(event_id)
    except DatabaseError as error:
        logger.warning("outbox relay: shop_db can't be read: %s", error)
        return RelayResult(applied=0, pending=-1)
    applied = 0
    for customer_id, event_ids in by_customer.items():
        try:
            orders_placed_recount(customer_id=customer_id)
            OrderEvent.objects.filter(pk__in=event_ids).update(applied_at=timezone.now())
        except DatabaseError as error:
            logger.warning("outbox relay: %d event(s) left pending: %s", len(event_ids), error)
            break  # the same server is down for the rest: leave them to the next run
        applied += len(event_ids)
    return RelayResult(applied=applied, pending=_pending_count(pending))


def orders_placed_recount(*, customer_id: int) -> int:
    """Set the customer's ``orders_placed`` in ``default`` to their orders in ``shop_db``.

    Under a row lock in ``default``: two relays for one customer take turns,
    and the later one counts every order committed before it, so the last
    write is always the full count. A primary known to be down is not tried.
    """
    User = get_user_model()
    accounts = router.db_for_write(User)  # raises PrimaryUnavailable while it is down
    if health.cooling_down(accounts):
        raise DatabaseError(f"{accounts} is down")
    with transaction.atomic(using=accounts):
        list(User.objects.using(accounts).select_for_update().filter(pk=customer_id).values("pk"))
        count = Order.objects.filter(customer_id=customer_id).count()
        User.objects.using(accounts).filter(pk=customer_id).update(orders_placed=count)
    return count


def order_count_repair(*, customer) -> int:
    """Set *customer*'s ``orders_placed`` from the orders shop_db really holds."""
    return orders_placed_recount(customer_id=customer.pk)


def _pending_count(pending) -> int:
    try:
        return pending.count()
    except DatabaseError:
        return -1
