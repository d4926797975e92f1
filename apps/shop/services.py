"""Shop writes. An order is placed in ``shop_db`` and counted in ``default``, or not at all.

Two databases, two transactions: ``transaction.atomic`` takes one alias. The
pattern is one block per database, nested, so an error anywhere inside rolls
both back:

    with transaction.atomic(using="shop_db"):       # outer: the order
        ...write the order...
        with transaction.atomic(using="default"):   # inner: the customer's counter
            ...update the counter...

The failure window is the gap between the two commits: the inner block
commits ``default`` first, then the outer commits ``shop_db``. If that last
commit fails (the shop server dies in between), the counter is one too high
and no order exists. That is the harmless way round: the counter is derived
data, and ``order_count_repair`` recomputes it from shop_db. The other order
of nesting would risk an order nobody counted, which is worse for a shop.
"""

from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models import F

from apps.shop.models import Order, OrderItem, Product

MAX_QUANTITY = 99


def order_place(*, customer, quantities: Mapping[int, int]) -> Order:
    """Place an order for ``{product_id: quantity}``, taking the items from stock.

    Products are locked (``select_for_update``) so two orders can't both take
    the last item. Raises ValidationError, and writes nothing in either
    database, when the order is empty, a product is gone, stock is short or
    the customer no longer exists; a database error rolls both back too.
    """
    wanted = {pk: qty for pk, qty in quantities.items() if qty}
    if not wanted:
        raise ValidationError("Choose at least one product.")
    if any(qty < 0 or qty > MAX_QUANTITY for qty in wanted.values()):
        raise ValidationError(f"Quantities run from 1 to {MAX_QUANTITY}.")
    with transaction.atomic(using=router.db_for_write(Order)):
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
        User = get_user_model()
        with transaction.atomic(using=router.db_for_write(User)):
            counted = User.objects.filter(pk=customer.pk).update(
                orders_placed=F("orders_placed") + 1
            )
            if not counted:
                raise ValidationError("Your account no longer exists.")
    return order


def order_count_repair(*, customer) -> int:
    """Set *customer*'s ``orders_placed`` from the orders shop_db really holds."""
    count = Order.objects.filter(customer=customer).count()
    get_user_model().objects.filter(pk=customer.pk).update(orders_placed=count)
    return count
