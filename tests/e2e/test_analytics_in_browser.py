"""The analytics pages in a real browser: charts, a report's form, its errors and its CSV.

The demo server's SQLite warehouse is synced once at start (``sync_warehouse``
in ``demo_server``), so it holds the demo rows: four users who joined on
2026-01-01, their orders, and the blog's posts and comments.

``expect`` is imported inside each test, so that without Playwright the module
still collects and the ``browser`` fixture reports the loud skip.
"""

import csv

import pytest

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/e2e-analytics.png"  # for a human to look at; nothing asserts on it
REPORTS = ["users-and-revenue", "top-products", "most-commented-authors"]


def table_texts(page, slug: str) -> list[list[str]]:
    """The cells of the report's table, row by row."""
    return page.locator(f'table[data-report="{slug}"] tbody tr').evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.textContent.trim()))"
    )


def test_index_shows_each_report_as_a_chart_and_a_table(page, demo_server):
    from playwright.sync_api import expect

    page.goto(f"{demo_server}/analytics/")
    expect(page.get_by_role("heading", name="Analytics")).to_be_visible()
    for slug in REPORTS:
        section = page.get_by_test_id(f"report-{slug}")
        chart = section.locator("svg[role=img]")
        expect(chart).to_be_visible()
        assert chart.locator("rect.chart-bar").count() >= 2  # the demo data, and a legend
        expect(section.locator(f'table[data-report="{slug}"] tbody tr').first).to_be_visible()
        assert table_texts(page, slug)[0] != ["No data in this range."]
    expect(page.get_by_test_id("freshness")).to_contain_text("Last synced at")
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_report_form_changes_the_table_and_shows_errors(page, demo_server):
    from playwright.sync_api import expect

    page.goto(f"{demo_server}/analytics/")
    page.get_by_role("link", name="Users and revenue").first.click()
    expect(page.get_by_role("heading", name="Users and revenue")).to_be_visible()
    monthly = table_texts(page, "users-and-revenue")
    assert [row[:2] for row in monthly] == [["2026-01-01", "4"]]

    form = page.get_by_test_id("report-form")
    form.get_by_label("From").fill("2026-01-01")
    form.get_by_label("To").fill("2026-01-31")
    form.get_by_label("Per").select_option("day")
    form.get_by_role("button", name="Show").click()
    expect(page).to_have_url(
        f"{demo_server}/analytics/users-and-revenue/?start=2026-01-01&end=2026-01-31&granularity=day"
    )
    table = page.locator('table[data-report="users-and-revenue"]')
    expect(table.locator("thead th").first).to_have_text("Day")
    assert [row[:2] for row in table_texts(page, "users-and-revenue")] == [["2026-01-01", "4"]]

    form.get_by_label("From").fill("2026-02-01")
    form.get_by_label("To").fill("2026-02-28")
    form.get_by_role("button", name="Show").click()
    expect(table.locator("tbody")).to_have_text("No data in this range.")

    form.get_by_label("From").fill("2026-05-01")
    form.get_by_label("To").fill("2026-04-01")
    form.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("form-errors")).to_have_text("The start date is after the end date.")
    expect(page.get_by_test_id("not-run")).to_be_visible()
    expect(table).to_have_count(0)


def test_csv_download_keeps_the_parameters(page, demo_server):
    from playwright.sync_api import expect

    page.goto(
        f"{demo_server}/analytics/users-and-revenue/?start=2026-01-01&end=2026-01-31&granularity=day"
    )
    link = page.get_by_test_id("csv-link")
    expect(link).to_be_visible()
    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename == "users-and-revenue-2026-01-01-2026-01-31.csv"
    with open(download.path(), encoding="utf-8", newline="") as downloaded:
        rows = list(csv.reader(downloaded))
    assert rows[0] == ["Day", "New users", "Their revenue"]
    assert rows[1][:2] == ["2026-01-01", "4"]
