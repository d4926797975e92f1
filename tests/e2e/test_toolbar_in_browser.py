"""With DJANGO_DEBUG=true, the debug toolbar's SQL panel shows why each query went where it went.

The demo server runs with DEBUG on (``debug_demo_server``); the page is the
blog, whose posts live in ``blog_db`` by the app-label rule. The toolbar's SQL
panel (``routers/contrib/debug_toolbar.py``) lists every query with the
router's reason beneath it, and the demo's own routing trace, which records
in the same request, lists the same reasons.
"""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BLOG_RULE = "app-label rule: blog → blog_db"


def test_the_sql_panel_shows_the_routers_reason_next_to_each_query(page, debug_demo_server):
    page.goto(f"{debug_demo_server}/blog/")
    toolbar = page.locator("#djDebug")
    expect(toolbar).to_be_attached()
    if toolbar.locator("#djDebugToolbar").is_hidden():  # shown collapsed: open it
        toolbar.locator("#djShowToolBarButton").click()
    toolbar.locator("#djdt-SQLPanel a.SQLPanel").click()

    panel = toolbar.locator("#SQLPanel")
    expect(panel).to_be_visible()
    reasons = panel.locator(".djdt-router-reason")
    expect(reasons.first).to_be_visible()  # the panel's content arrives after the click
    queries = panel.locator("tr[id^=sqlMain_]")
    assert reasons.count() == queries.count() > 0
    # Each reason sits in its query's row, under the SQL, naming the query's alias.
    blog_row = queries.filter(has=page.locator(".djdt-router-reason", has_text=BLOG_RULE)).first
    expect(blog_row.locator(".djDebugSql")).to_contain_text("blog_post")
    expect(blog_row.locator(".djdt-router-reason")).to_have_text(f"→ blog_db: {BLOG_RULE}")

    shown = {tuple(text.removeprefix("→ ").split(": ", 1)) for text in reasons.all_inner_texts()}
    trace = page.get_by_test_id("routing-trace").locator("tr[data-alias] td.why")
    traced = {
        (text.split(" (", 1)[0], text.split(" (", 1)[1].removesuffix(")"))
        for text in trace.all_inner_texts()
    }
    assert ("blog_db", BLOG_RULE) in shown
    assert shown == traced

    # The panel keeps the SQL panel's id, so its Sel button still finds the query.
    blog_row.get_by_role("button", name="Sel").click()
    selected = toolbar.locator("#djDebugWindow")
    expect(selected).to_contain_text("SQL selected")
    expect(selected).to_contain_text("blog_db")
