"""The outbox page: counters against orders, pending events, the relay run by staff."""

import pytest
from django.urls import reverse

from apps.shop.factories import ProductFactory
from apps.shop.models import OrderEvent
from apps.shop.services import order_place

pytestmark = pytest.mark.django_db(databases=["default", "replica", "shop_db"])
PAGE = reverse("shop:outbox")


def test_the_page_shows_a_pending_event_and_the_counter_behind_it(client, user):
    order_place(customer=user, quantities={ProductFactory().pk: 1})  # no commit in a TestCase
    content = client.get(PAGE).content.decode()
    assert "Pending events (1)" in content
    assert f"Order #{OrderEvent.objects.get().order_id} for customer {user.pk}" in content
    assert "<td>john</td><td>1</td><td>0</td>" in content and "behind: events pending" in content


def test_staff_run_the_relay_and_the_counter_catches_up(admin_client, user):
    order_place(customer=user, quantities={ProductFactory().pk: 1})
    response = admin_client.post(PAGE, follow=True)
    content = response.content.decode()
    assert "Relay applied 1 events; 0 pending." in content
    assert "<td>john</td><td>1</td><td>1</td>" in content and ">equal<" in content
    assert OrderEvent.objects.get().applied_at is not None


def test_anyone_else_who_posts_is_sent_to_log_in_and_nothing_is_applied(client, user):
    order_place(customer=user, quantities={ProductFactory().pk: 1})
    response = client.post(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert OrderEvent.objects.get().applied_at is None
