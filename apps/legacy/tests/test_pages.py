"""The legacy data on the site: the shop's product pages, /legacy/, and a read-only admin."""

import pytest
from django.urls import reverse

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from apps.legacy.models import Supplier
from apps.shop.factories import ProductFactory
from tests.legacy import LEGACY
from tests.support import unreachable

pytestmark = pytest.mark.django_db(databases=["default", "replica", "shop_db", *LEGACY])


@pytest.fixture
def staff_client(client):
    staff = UserFactory(username="keeper", is_staff=True, is_superuser=True)
    assert client.login(username=staff.username, password=DEFAULT_PASSWORD)
    return client


def test_the_product_page_shows_the_suppliers_stock_from_legacy_in_one_query(client):
    product = ProductFactory(name="Field Guide", sku="MDB-0001")
    response = client.get(reverse("shop:product_detail", args=[product.slug]))
    assert response.status_code == 200
    assert response["X-DB-Queries"] == "shop_db=1, legacy=1"
    content = response.content.decode()
    assert "Quorum Press (GB)" in content
    assert '<td data-testid="lead-time">5 days</td>' in content
    assert '<td data-testid="supplier-stock">155</td>' in content
    assert "legacy (read-only database)" in content


def test_the_product_list_asks_legacy_once_however_many_products(client):
    for n in range(1, 7):
        ProductFactory(name=f"Product {n}", sku=f"MDB-000{n}")
    ProductFactory(name="Unknown to the stock system")
    response = client.get(reverse("shop:product_list"))
    assert response["X-DB-Queries"] == "shop_db=1, legacy=1"
    content = response.content.decode()
    assert content.count("days' lead time") == 6
    assert "not in the stock system" in content


def test_a_product_without_a_sku_asks_nothing_of_legacy(client):
    product = ProductFactory(name="Local only")
    response = client.get(reverse("shop:product_detail", args=[product.slug]))
    assert response["X-DB-Queries"] == "shop_db=1"
    assert "The stock system has no item with this SKU" in response.content.decode()


def test_an_unknown_or_inactive_product_is_a_404(client):
    ProductFactory(name="Retired", is_active=False)
    assert client.get("/shop/retired/").status_code == 404
    assert client.get("/shop/no-such-product/").status_code == 404


def test_slugs_are_unique_however_the_names_repeat():
    slugs = [ProductFactory(name="Mug").slug for _ in range(3)]
    assert slugs == ["mug", "mug-2", "mug-3"]


def test_the_legacy_page_lists_the_guards_and_the_items(client):
    response = client.get(reverse("legacy:overview"))
    assert response.status_code == 200
    guards = response.context["guards"]
    assert [guard.name for guard in guards] == [
        "1. a role with SELECT only",
        "2. a read-only connection",
        "3. routers/read_only.py",
    ]
    assert guards[1].on is True and guards[2].on is True
    assert len(response.context["items"]) == 6
    assert "LON 120" in response.content.decode()


@pytest.mark.parametrize(
    ("attempt", "error"),
    [("orm", "ReadOnlyDatabaseError, before any SQL ran"), ("raw", "the database refused it")],
)
def test_the_legacy_page_tries_a_write_and_shows_what_stopped_it(client, attempt, error):
    response = client.post(reverse("legacy:overview"), {"attempt": attempt})
    assert response.status_code == 200
    assert error in response.context["attempt"][1]
    assert not Supplier.objects.filter(number="S09999").exists()


def test_the_legacy_page_answers_a_bad_choice_with_the_page(client):
    response = client.post(reverse("legacy:overview"), {"attempt": "drop-tables"})
    assert response.status_code == 200
    assert response.context["attempt"] == ("", "Choose one of the two writes.")


def test_the_legacy_admin_is_read_only(staff_client):
    changelist = staff_client.get("/admin/legacy/item/")
    assert changelist.status_code == 200
    assert b"MDB-0001" in changelist.content
    assert b"Add item" not in changelist.content
    change = staff_client.get("/admin/legacy/item/MDB-0001/change/")
    assert change.status_code == 200
    assert b"LON: 120 (counted 2026-11-02)" in change.content
    assert b'name="_save"' not in change.content
    assert staff_client.get("/admin/legacy/item/add/").status_code == 403
    assert staff_client.get("/admin/legacy/item/MDB-0001/delete/").status_code == 403
    assert (
        staff_client.post("/admin/legacy/supplier/S00010/change/", {"name": "x"}).status_code == 403
    )
    assert Supplier.objects.get(number="S00010").name == "Quorum Press"


def test_with_the_legacy_server_down_the_pages_still_answer_and_say_so(client):
    product = ProductFactory(name="Field Guide", sku="MDB-0001")
    with unreachable("legacy"):
        page = client.get(reverse("shop:product_detail", args=[product.slug]))
        assert page.status_code == 200
        assert "The stock system can't be read just now" in page.context["supply_problem"]
        overview = client.get(reverse("legacy:overview"))
    assert overview.status_code == 200
    role, connection, router_guard = overview.context["guards"]
    assert role.on is None and connection.on is None, "unknown, not waited for"
    assert router_guard.on is True
    assert "The stock system can't be read just now" in overview.context["problem"]
