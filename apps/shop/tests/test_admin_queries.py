"""The admin's order page reads its items' products in one query, however many items."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from apps.accounts.factories import UserFactory
from apps.shop.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db(databases=["default", "replica", "shop_db"])


def shop_queries_for_order_page(client, items: int) -> tuple[int, str]:
    order = OrderFactory()
    OrderItemFactory.create_batch(items, order=order)
    with CaptureQueriesContext(connections["shop_db"]) as queries:
        response = client.get(f"/admin/shop/order/{order.pk}/change/")
    assert response.status_code == 200
    return len(queries), response.text


def test_the_order_page_runs_as_many_shop_queries_for_one_item_as_for_eight(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    one, _ = shop_queries_for_order_page(client, 1)
    eight, page = shop_queries_for_order_page(client, 8)
    assert eight == one
    assert page.count("/admin/shop/product/") >= 8  # each item still links its product
