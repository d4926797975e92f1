"""The analytics pages: reports from the warehouse, form errors, freshness and Rebuild."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from apps.analytics import reports
from apps.analytics.tests.conftest import DATABASES, HOSTILE_PRODUCT

pytestmark = pytest.mark.django_db(databases=DATABASES, transaction=True)
SLUGS = ["users-and-revenue", "top-products", "most-commented-authors"]
INDEX = reverse("analytics:index")


def page(slug: str) -> str:
    return reverse("analytics:report", args=[slug])


def table_rows(response, slug: str) -> list[list[str]]:
    """The text of each body cell of the report's table."""
    html = response.content.decode()
    table = re.search(
        rf'<table data-testid="report-table" data-report="{slug}">(.*?)</table>', html, re.S
    )
    body = table.group(1).split("<tbody>")[1]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def staff_client(client):
    UserFactory(username="staffer", is_staff=True)
    assert client.login(username="staffer", password=DEFAULT_PASSWORD)
    return client


@pytest.fixture
def not_ready(monkeypatch):
    """Reports read a real database that has none of the reporting objects: blog_db."""
    monkeypatch.setattr(reports, "reader_alias", lambda: "blog_db")


@pytest.mark.parametrize("slug", SLUGS)
def test_every_report_page_renders_with_an_empty_warehouse(client, empty_warehouse, slug):
    response = client.get(page(slug))
    assert response.status_code == 200
    assert response.context["shown"]["result"].rows == []
    assert b'role="img"' in response.content
    assert b"No data in this range." in response.content


def test_index_shows_three_charts_tables_and_freshness(client, empty_warehouse):
    response = client.get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg ") == 3
    assert html.count('data-testid="report-table"') == 3
    for slug in SLUGS:
        assert f'href="{page(slug)}"' in html
    assert 'data-testid="freshness"' in html
    assert "connections[&quot;analytics&quot;]" in html or 'connections["analytics"]' in html


@pytest.mark.django_db(databases=[*DATABASES, "shard_0", "shard_1"], transaction=True)
def test_nav_links_to_analytics(client, empty_warehouse):
    assert f'<a href="{INDEX}">Analytics</a>'.encode() in client.get(reverse("home")).content


@pytest.mark.sqlite_only
def test_users_and_revenue_page_reports_the_warehouse_rows(client, warehouse):
    response = client.get(page("users-and-revenue"), {"granularity": "month"})
    assert response.status_code == 200
    # Newest first, as the seed query orders them; each user's revenue counted once.
    assert table_rows(response, "users-and-revenue") == [
        ["2025-03-01", "1", "30.00"],
        ["2025-01-01", "1", "130.00"],
    ]
    chart = str(response.context["shown"]["chart"])
    assert "2025-01: $130.00 revenue, 1 new user" in chart
    assert chart.index("2025-01:") < chart.index("2025-03:")  # oldest on the left
    assert "user_metrics (view)" in response.content.decode()
    assert "<details" in response.content.decode()


@pytest.mark.sqlite_only
def test_date_range_and_granularity_reach_the_report(client, warehouse):
    response = client.get(
        page("users-and-revenue"),
        {"start": "2025-01-01", "end": "2025-02-28", "granularity": "year"},
    )
    assert table_rows(response, "users-and-revenue") == [["2025-01-01", "1", "130.00"]]
    assert response.context["shown"]["result"].columns[0].label == "Year"


@pytest.mark.sqlite_only
def test_top_products_page_ranks_by_revenue_and_escapes_names(client, warehouse):
    response = client.get(page("top-products"))
    rows = table_rows(response, "top-products")
    assert rows == [
        ["&lt;script&gt;alert(&quot;lamp&quot;)&lt;/script&gt; &amp; Co", "2", "1", "100.00"],
        ["=HYPERLINK(&quot;http://evil.example&quot;)", "2", "2", "60.00"],
    ]
    assert HOSTILE_PRODUCT.encode() not in response.content
    assert b"<script>alert" not in response.content


@pytest.mark.sqlite_only
def test_choosing_one_product_shows_only_it(client, warehouse):
    response = client.get(page("top-products"), {"product": warehouse["formula"].pk})
    assert [row[3] for row in table_rows(response, "top-products")] == ["60.00"]


@pytest.mark.sqlite_only
def test_most_commented_authors_in_a_range(client, warehouse):
    everything = table_rows(client.get(page("most-commented-authors")), "most-commented-authors")
    march = table_rows(
        client.get(page("most-commented-authors"), {"start": "2025-03-01", "end": "2025-03-31"}),
        "most-commented-authors",
    )
    assert everything == [["alice", "1", "3"], ["bob", "1", "1"]]
    assert march == [["bob", "1", "1"]]


@pytest.mark.sqlite_only
def test_freshness_says_when_sqlite_was_synced_and_refreshed(client, warehouse):
    freshness = client.get(INDEX).context["freshness"]
    assert freshness.vendor == "sqlite"
    assert freshness.synced_at is not None
    html = client.get(INDEX).content.decode()
    assert "Last synced at" in html
    assert "run <code>manage.py sync_warehouse</code> or press Rebuild" in html
    assert "refreshed at" in html


@pytest.mark.sqlite_only
def test_never_synced_or_refreshed_says_what_to_run(client, empty_warehouse):
    html = client.get(INDEX).content.decode()
    assert "Never synced" in html
    assert "never refreshed — run <code>manage.py refresh_reports</code>" in html


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-02-01", "end": "2026-01-01"},
        {"start": "1990-01-01", "end": "2026-01-01"},
        {"granularity": "fortnight"},
        {"start": "not-a-date"},
    ],
)
def test_invalid_parameters_are_form_errors_and_run_no_report(client, empty_warehouse, query):
    response = client.get(page("users-and-revenue"), query)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["shown"] is None
    assert b'class="errorlist' in response.content
    assert b"Nothing ran" in response.content
    assert b'data-testid="report-table"' not in response.content


def test_start_after_end_error_is_shown(client, empty_warehouse):
    response = client.get(page("top-products"), {"start": "2026-02-01", "end": "2026-01-01"})
    assert b"The start date is after the end date." in response.content


def test_unknown_product_is_a_form_error(client, empty_warehouse):
    response = client.get(page("top-products"), {"product": "424242"})
    assert response.status_code == 200
    assert "product" in response.context["form"].errors


@pytest.mark.parametrize(
    "url", ["/analytics/nope/", "/analytics/nope.csv", "/analytics/Top-Products/"]
)
def test_unknown_report_is_404(client, empty_warehouse, url):
    assert client.get(url).status_code == 404


def test_csv_link_keeps_the_current_parameters(client, empty_warehouse):
    response = client.get(page("users-and-revenue"), {"start": "2026-01-01", "granularity": "week"})
    assert (
        'href="/analytics/users-and-revenue.csv?start=2026-01-01&amp;granularity=week"'
        in response.content.decode()
    )


@pytest.mark.parametrize("url", [INDEX, *[page(slug) for slug in SLUGS]])
def test_a_warehouse_without_its_objects_says_what_to_run(client, empty_warehouse, not_ready, url):
    response = client.get(url)
    assert response.status_code == 200
    assert b'data-testid="not-ready"' in response.content
    assert b"manage.py migrate_all" in response.content


def test_rebuild_is_for_staff_only(client, empty_warehouse):
    url = reverse("analytics:rebuild")
    anonymous = client.post(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    UserFactory(username="member")
    assert client.login(username="member", password=DEFAULT_PASSWORD)
    assert client.post(url).status_code == 403


def test_rebuild_refuses_get(client, empty_warehouse):
    assert staff_client(client).get(reverse("analytics:rebuild")).status_code == 405


def test_rebuild_needs_a_csrf_token(empty_warehouse):
    from django.test import Client

    client = staff_client(Client(enforce_csrf_checks=True))
    assert client.post(reverse("analytics:rebuild")).status_code == 403


def test_index_shows_the_rebuild_button_to_staff_only(client, empty_warehouse):
    assert b'action="/analytics/rebuild/"' not in client.get(INDEX).content
    assert b'action="/analytics/rebuild/"' in staff_client(client).get(INDEX).content


@pytest.mark.sqlite_only
def test_staff_rebuild_copies_new_rows_and_redirects_with_the_message(client, warehouse):
    from apps.shop.factories import OrderFactory

    OrderFactory(customer=warehouse["bob"], total=Decimal("5.00"))
    response = staff_client(client).post(reverse("analytics:rebuild"), follow=True)
    assert response.redirect_chain == [(INDEX, 302)]
    message = [str(m) for m in response.context["messages"]]
    assert len(message) == 1 and message[0].startswith("Copied ")
    assert message[0].encode() in response.content
    # bob's new order is in the warehouse now: the revenue of his month grew.
    rows = table_rows(client.get(page("users-and-revenue")), "users-and-revenue")
    assert ["2025-03-01", "1", "35.00"] in rows
