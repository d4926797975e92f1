"""The health page in a real browser: every database of the demo server listed, and up."""

import pytest

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/e2e-health.png"  # for a human to look at; nothing asserts on it
ALIASES = [
    "default",
    "blog_db",
    "shop_db",
    "analytics_owner",
    "shard_0",
    "shard_1",
    "replica",
    "analytics",
    "legacy",
    "legacy_owner",
]


def test_health_page_lists_every_database_as_up(page, demo_server):
    from playwright.sync_api import expect

    page.goto(f"{demo_server}/")
    page.locator("header.site").get_by_role("link", name="Health").click()
    page.wait_for_load_state()

    assert page.url == f"{demo_server}/health/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Health")
    rows = page.get_by_test_id("health").locator("tbody tr")
    expect(rows).to_have_count(len(ALIASES))
    for alias in ALIASES:
        row = page.get_by_test_id("health").locator(f'tr[data-database="{alias}"]')
        expect(row.get_by_test_id("state")).to_have_text("up")
        expect(row.get_by_test_id("taking-reads")).to_contain_text("yes")
    expect(page.get_by_test_id("health-status")).to_have_attribute("data-ok", "true")

    page.get_by_test_id("measure-now").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("measurements")).to_contain_text("replica behind default")
    expect(page.get_by_test_id("health").locator('tr[data-database="replica"]')).to_contain_text(
        "not measured yet"
    )
    page.screenshot(path=SCREENSHOT, full_page=True)
