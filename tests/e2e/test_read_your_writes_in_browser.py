"""Read your writes in a real browser: post a note, land on its page, see who served the read.

The demo server runs on SQLite, where the replica is the primary's own file
opened read-only: no lag, and no WAL positions, so the pin is a time window
("pinned: wrote 0 s ago"). The Postgres side, with real lag, is
tests/postgres/test_lag_lab.py.
"""

import re
import uuid

import pytest

from tests.e2e.test_demo_in_browser import traced_aliases

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/e2e-read-your-writes.png"  # for a human to look at; nothing asserts on it


def note_query_row(page):
    """The routing-trace row of the query that read the notes table."""
    return page.get_by_test_id("routing-trace").locator("tr[data-alias]", has_text="notes_note")


def test_posted_note_is_read_back_from_default_and_a_fresh_browser_reads_the_replica(
    page, browser, demo_server
):
    from playwright.sync_api import expect

    text = f"Posted from Chromium {uuid.uuid4().hex[:8]}"
    page.goto(f"{demo_server}/read-your-writes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Read your writes")
    expect(page.get_by_test_id("served-by")).to_contain_text("This list was read from replica")

    page.get_by_label("Your note").fill(text)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Post note").click()
    page.wait_for_load_state()

    assert posted.value.status == 302
    assert re.fullmatch(rf"{re.escape(demo_server)}/read-your-writes/notes/\d+/", page.url)
    expect(page.get_by_test_id("note")).to_contain_text(text)
    served = page.get_by_test_id("served-by")
    expect(served).to_have_attribute("data-alias", "default")
    expect(served).to_contain_text("This note was read from default")
    expect(served).to_contain_text("(pinned: wrote")
    expect(note_query_row(page)).to_have_attribute("data-alias", "default")
    expect(note_query_row(page)).to_contain_text("default (pinned: wrote")
    assert "default" in traced_aliases(page)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Another browser has no pin cookie: its read of the same page goes to the replica.
    other = browser.new_context()
    try:
        stranger = other.new_page()
        stranger.goto(page.url)
        expect(stranger.get_by_test_id("note")).to_contain_text(text)
        expect(stranger.get_by_test_id("served-by")).to_have_attribute("data-alias", "replica")
        expect(stranger.get_by_test_id("served-by")).to_contain_text("(round-robin)")
        expect(note_query_row(stranger)).to_contain_text("replica (round-robin)")
    finally:
        other.close()


def test_empty_note_redisplays_the_form_with_an_error(page, demo_server):
    from playwright.sync_api import expect

    page.goto(f"{demo_server}/read-your-writes/")
    # The browser's own "required" check would stop an empty submit; skip it to test the server.
    page.locator("form[data-testid=note-form]").evaluate("form => form.noValidate = true")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Post note").click()
    page.wait_for_load_state()

    assert posted.value.status == 200
    expect(page.locator(".errorlist")).to_contain_text("This field is required.")
    assert "Traceback" not in page.content()
