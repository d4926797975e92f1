"""The CSV downloads: the report's rows as plain values, safe to open in a spreadsheet."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.analytics import reports
from apps.analytics.tests.conftest import DATABASES, FORMULA_PRODUCT, HOSTILE_PRODUCT
from apps.analytics.views import csv_filename, csv_safe, csv_value

pytestmark = pytest.mark.django_db(databases=DATABASES, transaction=True)


def download(client, slug: str, **query):
    return client.get(reverse("analytics:report-csv", args=[slug]), query)


def parsed(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"start": date(2026, 1, 1), "end": date(2026, 12, 31)}, "x-2026-01-01-2026-12-31.csv"),
        ({"start": date(2026, 1, 1), "end": None}, "x-from-2026-01-01.csv"),
        ({"start": None, "end": date(2026, 12, 31)}, "x-until-2026-12-31.csv"),
        ({"start": None, "end": None}, "x-all-time.csv"),
    ],
)
def test_filename_names_the_range(kwargs, expected):
    assert csv_filename("x", **kwargs) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tTab", "'\tTab"),
        ("Lamp = light", "Lamp = light"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_evaluate_get_a_leading_quote(text, expected):
    assert csv_safe(text) == expected


def test_values_are_plain():
    assert csv_value(Decimal("1234.5"), "money") == "1234.50"
    assert csv_value(date(2026, 3, 1), "date") == "2026-03-01"
    assert csv_value(12, "int") == "12"
    assert csv_value(None, "money") == ""


def test_empty_report_is_a_header_row(client, empty_warehouse):
    response = download(client, "users-and-revenue", start="2026-01-01", end="2026-12-31")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="users-and-revenue-2026-01-01-2026-12-31.csv"'
    )
    assert parsed(response) == [["Month", "New users", "Their revenue"]]


@pytest.mark.sqlite_only
def test_users_and_revenue_csv_has_iso_dates_and_plain_money(client, warehouse):
    response = download(client, "users-and-revenue", granularity="month")
    assert (
        response["Content-Disposition"] == 'attachment; filename="users-and-revenue-all-time.csv"'
    )
    assert parsed(response) == [
        ["Month", "New users", "Their revenue"],
        ["2025-03-01", "1", "30.00"],
        ["2025-01-01", "1", "130.00"],
    ]


@pytest.mark.sqlite_only
def test_top_products_csv_keeps_names_and_defuses_formulas(client, warehouse):
    rows = parsed(download(client, "top-products", start="2025-01-01"))
    assert rows == [
        ["Product", "Units", "Orders", "Revenue"],
        [HOSTILE_PRODUCT, "2", "1", "100.00"],
        ["'" + FORMULA_PRODUCT, "2", "2", "60.00"],
    ]


@pytest.mark.sqlite_only
def test_csv_follows_the_parameters_like_the_page(client, warehouse):
    rows = parsed(
        download(client, "most-commented-authors", start="2025-03-01", end="2025-03-31", limit="1")
    )
    assert rows == [["Author", "Posts (all time)", "Comments"], ["bob", "1", "1"]]


@pytest.mark.parametrize(
    ("slug", "query", "says"),
    [
        ("users-and-revenue", {"start": "2026-02-01", "end": "2026-01-01"}, "start date is after"),
        ("users-and-revenue", {"start": "1900-01-01", "end": "2026-01-01"}, "at most 20 years"),
        ("users-and-revenue", {"granularity": "decade"}, "Per: Select a valid choice"),
        ("top-products", {"product": "987654"}, "Product: Select a valid choice"),
        ("most-commented-authors", {"limit": "0"}, "Rows:"),
        ("top-products", {"end": "31/31/2026"}, "To: Enter a valid date"),
    ],
)
def test_invalid_parameters_are_a_400_with_a_short_text(client, empty_warehouse, slug, query, says):
    response = download(client, slug, **query)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("Invalid parameters.")
    assert says in body
    assert len(body) < 300


def test_a_warehouse_without_its_objects_is_a_503_saying_what_to_run(
    client, empty_warehouse, monkeypatch
):
    monkeypatch.setattr(reports, "reader_alias", lambda: "blog_db")  # no reporting objects there
    response = download(client, "top-products")
    assert response.status_code == 503
    assert b"manage.py migrate_all" in response.content
