"""Every pattern page in Chromium, at 1280 and 390 px: its source, its experiment run, its trace.

The experiments keep one contract (``apps/core/experiments/__init__.py``): a
form ``data-testid="experiment"`` whose first ``run`` button runs it, and a
result ``data-testid="result"`` naming each database that served a step with
``data-db``. The visitor is ``admin``, so the labs that are for staff run too.
"""

import pytest

from apps.core.patterns import PATTERNS
from tests.e2e.test_demo_in_browser import DEMO_PASSWORD, log_in, traced_aliases

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
# Each marked alias, and whether the page's palette has a colour for it (that is,
# whether it is one of the server's databases rather than some other word).
COLOURED = """nodes => nodes.map(node => [
  node.dataset.db,
  getComputedStyle(node).getPropertyValue("--db").trim() !==
    getComputedStyle(document.documentElement).getPropertyValue("--accent").trim(),
])"""
SCREENSHOTS = "/tmp/e2e-gallery-{slug}-{width}.png"  # for a human; nothing asserts on them


@pytest.fixture(scope="module")
def admin_context(browser, demo_server):
    """One logged-in context per module: the session cookie is shared by every page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    log_in(context.new_page(), demo_server, username="admin", password=DEMO_PASSWORD)
    yield context
    context.close()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_gallery_lists_every_pattern_and_fits_the_window(admin_context, demo_server, width):
    from playwright.sync_api import expect

    page = admin_context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{demo_server}/patterns/")
    for pattern in PATTERNS:
        expect(page.get_by_role("link", name=pattern.title, exact=True)).to_be_visible()
    assert page_width(page) <= width
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.slug)
def test_each_pattern_runs_its_experiment_and_names_the_databases(
    admin_context, demo_server, pattern, width
):
    from playwright.sync_api import expect

    page = admin_context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{demo_server}/patterns/{pattern.slug}/")
    expect(page.get_by_test_id("source").first).to_be_visible()
    assert page_width(page) <= width, "the page scrolls sideways before the experiment"

    form = page.get_by_test_id("experiment")
    if not pattern.experiment:
        expect(form).to_have_count(0)
        return
    with page.expect_navigation():
        form.locator('button[name="run"]').first.click()
    result = page.get_by_test_id("result")
    expect(result.first).to_be_visible()
    served = result.locator("[data-db]").evaluate_all(COLOURED)
    assert served, f"{pattern.slug}: the result names no database"
    unknown = [alias for alias, coloured in served if not coloured]
    assert not unknown, f"{pattern.slug}: not a configured database: {unknown}"
    assert {alias for alias, _ in served} & set(traced_aliases(page)), "the trace disagrees"
    assert page_width(page) <= width, "the page scrolls sideways once the experiment ran"
    page.screenshot(path=SCREENSHOTS.format(slug=pattern.slug, width=width), full_page=True)
    page.close()
