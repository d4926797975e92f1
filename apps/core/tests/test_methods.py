"""Every view states its methods; a wrong one gets a page that names the allowed ones.

Django answers a wrong method with an empty 405, which a browser shows as
"This page isn't working"; ``MethodNotAllowedPageMiddleware`` gives it the
site's page, keeping the status and the ``Allow`` header.
"""

import pytest

from apps.accounts.factories import UserFactory
from apps.shop.factories import OrderFactory

pytestmark = pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])


def assert_refused(response, *allowed):
    assert response.status_code == 405
    assert "<h1>Method not allowed</h1>" in response.text
    for method in allowed:
        assert method in response["Allow"]
        assert method in response.text


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
@pytest.mark.parametrize("path", ["/", "/blog/"])
def test_read_only_pages_refuse_other_methods(client, method, path):
    assert_refused(getattr(client, method)(path), "GET", "HEAD")


def test_logging_out_by_get_gets_a_page_that_says_post(client):
    assert_refused(client.get("/accounts/logout/"), "POST")


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_form_pages_name_get_and_post(client, method):
    client.force_login(UserFactory())
    assert_refused(getattr(client, method)("/blog/new/"), "GET", "POST")
    assert_refused(getattr(client, method)("/read-your-writes/"), "GET", "POST")


def test_an_order_page_refuses_put_and_delete(client):
    order = OrderFactory()
    client.force_login(order.customer)
    for method in ("put", "delete"):
        assert_refused(getattr(client, method)(f"/shop/orders/{order.pk}/"), "GET")


def test_a_405_with_a_body_of_its_own_is_left_alone(rf):
    from django.http import HttpResponseNotAllowed

    from apps.core.middleware import MethodNotAllowedPageMiddleware

    answer = HttpResponseNotAllowed(["GET"], content=b"custom")
    response = MethodNotAllowedPageMiddleware(lambda request: answer)(rf.put("/"))
    assert response is answer
