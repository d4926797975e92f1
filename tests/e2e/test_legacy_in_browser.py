"""The legacy stock system in a real browser: a product's supplier stock, and a refused write.

The demo server's ``load_demo`` built its legacy file from docker/legacy/, and
the demo products carry the SKUs of its items.
"""

import pytest

from tests.e2e.test_demo_in_browser import traced_aliases

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/e2e-legacy.png"  # for a human to look at; nothing asserts on it


def test_a_product_page_shows_the_suppliers_stock_from_the_read_only_database(page, demo_server):
    from playwright.sync_api import expect

    page.goto(f"{demo_server}/shop/")
    page.get_by_role("link", name="Multi-DB Field Guide").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Multi-DB Field Guide")
    supply = page.get_by_test_id("supply")
    expect(supply).to_contain_text("Quorum Press (GB)")
    expect(supply.get_by_test_id("lead-time")).to_have_text("5 days")
    expect(supply.get_by_test_id("supplier-stock")).to_have_text("155")
    assert traced_aliases(page).count("legacy") == 1
    expect(page.get_by_test_id("routing-trace")).to_contain_text("read-only database")


@pytest.mark.parametrize(
    ("choice", "answer"),
    [(0, "ReadOnlyDatabaseError, before any SQL ran"), (1, "attempt to write a readonly database")],
)
def test_the_legacy_page_tries_a_write_and_shows_what_stopped_it(page, demo_server, choice, answer):
    from playwright.sync_api import expect

    page.goto(f"{demo_server}/legacy/")
    guards = page.get_by_test_id("guards")
    expect(guards.locator('tr[data-guard="2"]')).to_contain_text("on")
    expect(guards.locator('tr[data-guard="3"]')).to_contain_text("on")
    form = page.get_by_test_id("try-a-write")
    form.get_by_role("radio").nth(choice).check()
    form.get_by_role("button", name="Try it").click()
    expect(page.get_by_test_id("write-result")).to_contain_text(answer)
    expect(page.get_by_test_id("legacy-items")).to_contain_text("MDB-0001")
    page.screenshot(path=SCREENSHOT, full_page=True)
