"""Placing orders: one shop_db transaction, stock taken, bad input refused, counted by an outbox."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connections
from django.urls import reverse

from apps.accounts.factories import UserFactory
from apps.shop.factories import ProductFactory
from apps.shop.models import Order, OrderEvent, OrderItem, Product
from apps.shop.services import RelayResult, order_count_repair, order_place, outbox_relay
from tests.support import unreachable

pytestmark = pytest.mark.django_db(databases=["default", "replica", "shop_db"])


def test_order_takes_stock_and_records_prices_in_shop_db(user):
    book = ProductFactory(name="Book", price=Decimal("10.00"), stock=5)
    mug = ProductFactory(name="Mug", price=Decimal("2.50"), stock=5)
    order = order_place(customer=user, quantities={book.pk: 2, mug.pk: 1})
    assert order.total == Decimal("22.50")
    assert list(user.orders.all()) == [order]
    assert Product.objects.get(pk=book.pk).stock == 3
    with connections["shop_db"].cursor() as cursor:
        cursor.execute("SELECT customer_id, total FROM shop_order WHERE id = %s", [order.pk])
        customer_id, total = cursor.fetchone()
    assert customer_id == user.pk and Decimal(str(total)) == Decimal("22.50")


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ("empty", "at least one"),
        ("short", "Not enough stock"),
        ("gone", "no longer on sale"),
        ("too many", "1 to 99"),
    ],
)
def test_bad_orders_raise_and_write_nothing(user, quantities, message):
    product = ProductFactory(stock=1)
    quantities = {
        "empty": {product.pk: 0},
        "short": {product.pk: 2},
        "gone": {product.pk: 1, 999999: 1},
        "too many": {product.pk: 100},
    }[quantities]
    with pytest.raises(ValidationError, match=message):
        order_place(customer=user, quantities=quantities)
    assert not Order.objects.exists() and not OrderItem.objects.exists()
    assert Product.objects.get(pk=product.pk).stock == 1


def test_shop_page_places_an_order_for_a_logged_in_user(logged_in_client, user):
    product = ProductFactory(stock=3)
    response = logged_in_client.post(reverse("shop:product_list"), {f"qty_{product.pk}": "2"})
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:order_detail", kwargs={"pk": order.pk})
    assert order.customer_id == user.pk
    detail = logged_in_client.get(response["Location"])
    assert detail.status_code == 200 and product.name.encode() in detail.content


@pytest.mark.parametrize("value", ["abc", "-1", "1000", "0", "1e9"])
def test_shop_page_shows_form_errors_for_junk_quantities(logged_in_client, value):
    product = ProductFactory(stock=3)
    response = logged_in_client.post(reverse("shop:product_list"), {f"qty_{product.pk}": value})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Order.objects.exists()


def test_not_enough_stock_is_a_form_error_not_a_crash(logged_in_client):
    product = ProductFactory(stock=1)
    response = logged_in_client.post(reverse("shop:product_list"), {f"qty_{product.pk}": "5"})
    assert response.status_code == 200
    assert "Not enough stock" in str(response.context["form"].non_field_errors())


def test_anonymous_order_redirects_to_login(client):
    product = ProductFactory()
    response = client.post(reverse("shop:product_list"), {f"qty_{product.pk}": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Order.objects.exists()


def test_customer_cannot_see_someone_elses_order(logged_in_client):
    other = order_place(customer=UserFactory(), quantities={ProductFactory().pk: 1})
    response = logged_in_client.get(reverse("shop:order_detail", kwargs={"pk": other.pk}))
    assert response.status_code == 404


def test_order_list_shows_only_my_orders_with_items(logged_in_client, user):
    mine = order_place(customer=user, quantities={ProductFactory(name="Mine").pk: 1})
    order_place(customer=UserFactory(), quantities={ProductFactory(name="Theirs").pk: 1})
    response = logged_in_client.get(reverse("shop:order_list"))
    assert list(response.context["orders"]) == [mine]
    assert b"Mine" in response.content and b"Theirs" not in response.content


def counter(user) -> int:
    """The customer's ``orders_placed``, read on default's own connection."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT orders_placed FROM accounts_user WHERE id = %s", [user.pk])
        return cursor.fetchone()[0]


def test_an_order_is_counted_on_the_customer_in_default_after_its_commit(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(using="shop_db", execute=True) as callbacks:
        order_place(customer=user, quantities={ProductFactory().pk: 1})
        order_place(customer=user, quantities={ProductFactory().pk: 2})
    assert len(callbacks) == 4  # per order: the outbox relay, then the activity event
    assert counter(user) == 2
    assert not OrderEvent.objects.filter(applied_at__isnull=True).exists()


def test_an_order_writes_its_outbox_event_in_the_same_shop_db_transaction(user):
    order = order_place(customer=user, quantities={ProductFactory().pk: 1})
    with connections["shop_db"].cursor() as cursor:
        cursor.execute("SELECT order_id, customer_id, applied_at FROM shop_orderevent")
        assert cursor.fetchall() == [(order.pk, user.pk, None)]
    assert counter(user) == 0  # not applied before shop_db commits


def test_an_order_for_a_customer_who_is_gone_writes_nothing(user):
    product = ProductFactory(stock=5)
    with connections["default"].cursor() as cursor:
        cursor.execute("DELETE FROM accounts_user WHERE id = %s", [user.pk])
    with pytest.raises(ValidationError, match="no longer exists"):
        order_place(customer=user, quantities={product.pk: 2})
    assert not Order.objects.exists() and not OrderEvent.objects.exists()
    assert Product.objects.get(pk=product.pk).stock == 5


@pytest.mark.django_db(transaction=True, databases=["default", "replica", "shop_db"])
def test_an_order_placed_while_default_is_unreachable_is_counted_once_it_is_back():
    """The counts converge by themselves: nothing is lost, nothing is counted twice."""
    user = UserFactory(username="buyer")
    product = ProductFactory(stock=5)
    with unreachable("default"):
        order = order_place(customer=user, quantities={product.pk: 2})  # relay fails on commit
        with pytest.raises(CommandError, match="left pending"):
            call_command("outbox_relay", verbosity=0)
    assert Order.objects.filter(pk=order.pk).exists()
    assert Product.objects.get(pk=product.pk).stock == 3
    assert OrderEvent.objects.get(order=order).applied_at is None
    assert counter(user) == 0

    assert outbox_relay() == RelayResult(applied=1, pending=0)
    assert counter(user) == 1
    # A relay that crashed after updating default but before stamping the event
    # applies it again: the count is recomputed, not incremented.
    OrderEvent.objects.filter(order=order).update(applied_at=None)
    assert outbox_relay().applied == 1
    assert counter(user) == 1
    assert outbox_relay().applied == 0


def test_order_count_repair_recounts_from_shop_db(user):
    order_place(customer=user, quantities={ProductFactory().pk: 1})
    user.__class__.objects.filter(pk=user.pk).update(orders_placed=7)
    assert order_count_repair(customer=user) == 1
    assert user.__class__.objects.using("default").get(pk=user.pk).orders_placed == 1
