"""factory_boy factories for the shop (``shop_db``); customers come from ``default``.

They live beside the models, not under tests/, because the ``bulk_data``
command builds its rows with them too.
"""

from decimal import Decimal

import factory

from apps.accounts.factories import UserFactory
from apps.shop.models import Order, OrderItem, Product


class ProductFactory(factory.django.DjangoModelFactory):
    name = factory.Faker("catch_phrase")
    # None: a product the legacy stock system doesn't know, so its pages ask
    # nothing of that database. Give a SKU from docker/legacy/data.sql to match one.
    sku = None
    description = factory.Faker("sentence", nb_words=10)
    price = factory.Faker("pydecimal", left_digits=3, right_digits=2, min_value=1, max_value=500)
    stock = 100

    class Meta:
        model = Product


class OrderFactory(factory.django.DjangoModelFactory):
    customer = factory.SubFactory(UserFactory)
    total = Decimal("0")

    class Meta:
        model = Order


class OrderItemFactory(factory.django.DjangoModelFactory):
    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = factory.SelfAttribute("product.price")

    class Meta:
        model = OrderItem
