"""Sharded activity in a real browser: my events from my shard, everyone's from both shards.

The demo server's ``load_demo`` recorded an event for each demo post, order and
note. alice is user 2: logical shard 2 of 64, which the map places on shard_0.
"""

import re

import pytest

from tests.e2e.test_demo_in_browser import DEMO_PASSWORD, log_in, traced_aliases

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/e2e-activity.png"  # for a human to look at; nothing asserts on it


def test_my_activity_names_my_shard_and_reads_nothing_from_the_other(page, demo_server):
    from playwright.sync_api import expect

    log_in(page, demo_server, username="alice", password=DEMO_PASSWORD)
    page.locator("header.site").get_by_role("link", name="My activity").click()
    page.wait_for_load_state()

    assert page.url == f"{demo_server}/activity/"
    placement = page.get_by_test_id("placement")
    # The map's version is whatever moves the other browser tests made (logical shard 2 stays).
    expect(placement).to_contain_text(re.compile(r"user 2 → logical shard 2/64 → shard_0, map v\d"))
    events = page.get_by_test_id("my-events")
    expect(events.locator("tbody tr").first).to_contain_text("viewed their activity")
    expect(events).to_contain_text("Why split one site across databases")  # alice's post
    aliases = traced_aliases(page)
    assert "shard_0" in aliases and "shard_1" not in aliases


def test_everyones_activity_shows_what_each_shard_did(page, demo_server):
    from playwright.sync_api import expect

    page.goto(f"{demo_server}/")
    expect(page.get_by_test_id("shards").locator("tr[data-shard]")).to_have_count(2)
    page.locator("header.site").get_by_role("link", name="Activity", exact=True).click()
    page.wait_for_load_state()

    assert page.url == f"{demo_server}/activity/all/"
    reports = page.get_by_test_id("shard-reports")
    for alias, ranges in [("shard_0", "0-31"), ("shard_1", "32-63")]:
        row = reports.locator(f'tr[data-shard="{alias}"]')
        expect(row).to_contain_text(ranges)
        expect(row).to_contain_text(" ms")
    expect(page.get_by_test_id("all-events")).to_contain_text("wrote a post")
    aliases = traced_aliases(page)
    assert aliases.count("shard_0") == 1 and aliases.count("shard_1") == 1
    page.screenshot(path=SCREENSHOT, full_page=True)
