"""Moving a logical shard from the staff page, in a real browser, while the activity pages work.

bob is user 3: logical shard 3, which the map places on shard_0. The admin
moves it to shard_1 from /activity/shards/; the move runs in the demo
server's background thread, and the page follows it until it is done. The
cleanup step waits twice the map's refresh interval (2 s), so the activity
pages are visited while the move is still running.
"""

import pytest

from tests.e2e.test_demo_in_browser import DEMO_PASSWORD, log_in

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/e2e-shard-move.png"  # for a human to look at; nothing asserts on it


def test_a_logical_shard_moves_from_the_staff_page_and_the_site_keeps_working(
    page, demo_server, browser
):
    from playwright.sync_api import expect

    log_in(page, demo_server, username="admin", password=DEMO_PASSWORD)
    page.goto(f"{demo_server}/activity/shards/")
    expect(page.locator('tr[data-logical-shard="3"]')).to_have_attribute("data-alias", "shard_0")
    form = page.get_by_test_id("move-form")
    form.get_by_label("Logical shard").select_option("3")
    form.get_by_label("To").select_option("shard_1")
    form.get_by_role("button", name="Move").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text(
        "Moving logical shard 3 from shard_0 to shard_1"
    )

    other = browser.new_page()  # bob, while the move runs
    log_in(other, demo_server, username="bob", password=DEMO_PASSWORD)
    assert other.goto(f"{demo_server}/activity/").status == 200
    expect(other.get_by_test_id("placement")).to_contain_text("logical shard 3/64")
    assert other.goto(f"{demo_server}/activity/all/").status == 200
    expect(page.locator('tr[data-move][data-status="running"]')).to_have_count(1)

    done = page.locator('tr[data-move][data-status="done"]')
    expect(done).to_have_count(1, timeout=30_000)  # the page refreshes itself every 2 s
    expect(done).to_contain_text("cleanup")
    expect(page.locator('tr[data-logical-shard="3"]')).to_have_attribute("data-alias", "shard_1")

    other.goto(f"{demo_server}/activity/")
    expect(other.get_by_test_id("placement")).to_contain_text("logical shard 3/64 → shard_1")
    mine = other.get_by_test_id("my-events").locator("tbody tr")
    expect(mine.first).to_contain_text("viewed their activity")
    seen = mine.count()
    page.screenshot(path=SCREENSHOT, full_page=True)

    # And back, as the other browser tests expect it (and where the source refused its writes).
    form = page.get_by_test_id("move-form")
    form.get_by_label("Logical shard").select_option("3")
    form.get_by_label("To").select_option("shard_0")
    form.get_by_role("button", name="Move").click()
    expect(done).to_have_count(2, timeout=30_000)
    expect(page.locator('tr[data-logical-shard="3"]')).to_have_attribute("data-alias", "shard_0")
    other.goto(f"{demo_server}/activity/")
    expect(other.get_by_test_id("placement")).to_contain_text("logical shard 3/64 → shard_0")
    expect(mine).to_have_count(seen + 1)  # every event came back, and this visit's
    other.close()
