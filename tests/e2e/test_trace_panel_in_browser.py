"""The routing trace reads well wherever it is shown: on the admin's pages, and at 390 px."""

from playwright.sync_api import expect

from tests.e2e.test_demo_in_browser import DEMO_PASSWORD, log_in


def luminance(css_color: str) -> float:
    """Relative luminance of ``rgb(r, g, b)`` / ``rgba(...)``, as WCAG defines it."""
    channels = [int(part) for part in css_color[css_color.index("(") + 1 : -1].split(",")[:3]]

    def linear(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(value) for value in channels)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_trace_on_an_admin_page_is_readable_and_uncovered(page, demo_server):
    log_in(page, demo_server, username="admin", password=DEMO_PASSWORD)
    page.goto(f"{demo_server}/admin/shop/order/")
    panel = page.get_by_test_id("routing-trace")
    expect(panel).to_be_visible()
    cell = panel.locator("tr[data-alias] td").first
    text_colour, background = cell.evaluate(
        """cell => {
            const colour = getComputedStyle(cell).color;
            let node = cell, background = 'rgba(0, 0, 0, 0)';
            while (node && background === 'rgba(0, 0, 0, 0)') {
                background = getComputedStyle(node).backgroundColor;
                node = node.parentElement;
            }
            return [colour, background];
        }"""
    )
    assert contrast(text_colour, background) >= 4.5, (text_colour, background)
    summary = panel.locator("summary").first
    summary.scroll_into_view_if_needed()
    uncovered = summary.evaluate(
        """summary => {
            const box = summary.getBoundingClientRect();
            const top = document.elementFromPoint(box.left + 5, box.top + box.height / 2);
            return summary.contains(top);
        }"""
    )
    assert uncovered, "something covers the trace's summary"


def test_pages_fit_a_phone_and_the_sql_column_keeps_its_width(browser, demo_server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        for path in ("/", "/blog/"):
            page.goto(f"{demo_server}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide at 390"
            sql = page.get_by_test_id("routing-trace").locator("td.sql").first
            assert sql.bounding_box()["width"] >= 200, path
    finally:
        context.close()
