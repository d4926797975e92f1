"""The demo in a real browser: log in, publish a post, and read the routing trace.

Each test drives Chromium against the demo server started by ``demo_server``
and checks what a visitor sees, including the routing trace panel that the
middleware appends to every HTML page (one ``<tr data-alias=...>`` per query).

``expect`` is imported inside each test, so that without Playwright the module
still collects and the ``browser`` fixture reports the loud skip.
"""

import uuid

import pytest

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "multidb-demo"
SCREENSHOT = "/tmp/e2e-blog.png"  # for a human to look at; nothing asserts on it


def traced_aliases(page) -> list[str]:
    """The alias of every query row in the page's routing trace panel, in order."""
    panel = page.get_by_test_id("routing-trace")
    return panel.locator("tr[data-alias]").evaluate_all(
        "rows => rows.map(row => row.dataset.alias)"
    )


def header_counts(response) -> dict[str, int]:
    """Parse ``X-DB-Queries: default=2, blog_db=1`` into ``{"default": 2, "blog_db": 1}``."""
    value = response.headers["x-db-queries"]
    if value == "none":
        return {}
    pairs = (part.split("=") for part in value.split(", "))
    return {alias: int(count) for alias, count in pairs}


def log_in(page, base_url: str, *, username: str, password: str):
    """Submit the login form and return the response to the POST."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/accounts/login/")
    ) as posted:
        page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return posted.value


def test_logged_in_user_publishes_post_and_trace_shows_blog_db(page, demo_server):
    """A post written in the browser heads the /blog/ list, which is served from blog_db.

    The list's trace has blog_db rows, and the post's own page has rows for
    both blog_db (the post) and default (the session, the user, the author).
    """
    from playwright.sync_api import expect

    log_in(page, demo_server, username="alice", password=DEMO_PASSWORD)
    expect(page.locator("header.site")).to_contain_text("alice")

    title = f"Written in Chromium {uuid.uuid4().hex[:8]}"
    page.goto(f"{demo_server}/blog/new/")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Content").fill("Saved to blog_db; the author lives in default.")
    page.get_by_label("Tags").fill("e2e, databases")
    with page.expect_response(
        lambda r: r.request.method == "GET" and r.url == f"{demo_server}/blog/"
    ) as listed:
        page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()

    assert page.url == f"{demo_server}/blog/"
    expect(page.locator(".messages")).to_contain_text(f"Published “{title}” to blog_db.")
    # Newest first: the new post heads page 1 rather than landing on a later page.
    first_row = page.get_by_test_id("post-list").locator("tbody tr").first
    expect(first_row.get_by_role("link", name=title)).to_be_visible()
    aliases = traced_aliases(page)
    assert "blog_db" in aliases
    assert header_counts(listed.value) == {alias: aliases.count(alias) for alias in set(aliases)}
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.get_by_test_id("post-list").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("article").get_by_role("link", name="e2e")).to_be_visible()
    aliases = traced_aliases(page)
    assert "blog_db" in aliases
    assert "default" in aliases


def test_wrong_password_redisplays_login_form_with_error(page, demo_server):
    """A wrong password answers 200 with the form's error, not an error page, and logs no one in."""
    from playwright.sync_api import expect

    response = log_in(page, demo_server, username="alice", password="not-the-password")

    assert response.status == 200
    assert page.url == f"{demo_server}/accounts/login/"
    expect(page.locator(".errorlist.nonfield")).to_contain_text(
        "Please enter a correct username and password."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.locator("header.site").get_by_role("link", name="Log in")).to_be_visible()
    assert "Traceback" not in page.content()


def test_unknown_url_shows_project_404_page_with_trace_panel(page, demo_server):
    """An unknown address gets the project's 404 template, with the trace panel appended."""
    from playwright.sync_api import expect

    response = page.goto(f"{demo_server}/no-such-page-{uuid.uuid4().hex[:8]}/")

    assert response.status == 404
    expect(page).to_have_title("Not found · django-multidb reference")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_test_id("routing-trace")).to_be_visible()
    aliases = traced_aliases(page)
    assert header_counts(response) == {alias: aliases.count(alias) for alias in set(aliases)}
