"""Shop writes. An order is placed in one ``shop_db`` transaction or not at all."""

from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import router, transaction

from apps.shop.models import Order, OrderItem, Product

MAX_QUANTITY = 99


def order_place(*, customer, quantities: Mapping[int, int]) -> Order:
    """Place an order for ``{product_id: quantity}``, taking the items from stock.

    Products are locked (``select_for_update``) so two orders can't both take
    the last item. Raises ValidationError, and writes nothing, when the order
    is empty, a product is gone or stock is short.
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
    return order
