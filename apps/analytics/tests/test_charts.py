"""The SVG charts: valid, escaped, labelled markup for any data, including none."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from apps.analytics import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & Sons'


def parse(svg: str) -> ET.Element:
    """The chart as XML: parsing fails on anything unescaped."""
    return ET.fromstring(svg)


def titles(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}title")]


def texts(root: ET.Element) -> list[str]:
    """The visible text of every ``<text>`` (its own text, after any ``<title>``)."""
    shown = []
    for element in root.iter(f"{SVG}text"):
        tooltip = element.find(f"{SVG}title")
        shown.append(tooltip.tail if tooltip is not None else element.text)
    return shown


def months(count: int) -> list[str]:
    return [f"{2000 + n // 12}-{n % 12 + 1:02d}" for n in range(count)]


def series(**overrides) -> str:
    arguments = {
        "chart_id": "users-and-revenue",
        "title": "Users and revenue",
        "labels": ["2026-01", "2026-02", "2026-03"],
        "bars": [Decimal("120.50"), Decimal("980.00"), Decimal("0.00")],
        "bar_name": "Revenue",
        "line": [3, 12, 0],
        "line_name": "New users",
    }
    return charts.series_chart(**{**arguments, **overrides})


def ranking(**overrides) -> str:
    arguments = {
        "chart_id": "top-products",
        "title": "Top products",
        "labels": ["Lamp", "Desk"],
        "values": [Decimal("300.00"), Decimal("125.25")],
        "value_name": "Revenue",
    }
    return charts.ranking_chart(**{**arguments, **overrides})


@pytest.mark.parametrize(
    ("low", "high", "integer", "expected"),
    [
        (0, 1234.5, False, [0, 250, 500, 750, 1000, 1250]),
        (0, 7, True, [0, 2, 4, 6, 8]),
        (0, 12, True, [0, 3, 6, 9, 12]),
        (0, 120, True, [0, 25, 50, 75, 100, 125]),
        (0, 3, True, [0, 1, 2, 3]),
        (0, 0.9, False, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0, 0, False, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0, 0, True, [0, 1]),
        (-3, 10, False, [-5, 0, 5, 10]),
        (0, 98_000_000, False, [0, 2e7, 4e7, 6e7, 8e7, 1e8]),
    ],
)
def test_axis_ticks_are_round_numbers_from_zero_covering_the_data(low, high, integer, expected):
    assert charts.axis_ticks(low=low, high=high, integer=integer) == expected


def test_tick_labels_are_short_and_money_has_a_dollar_sign():
    assert [charts.format_tick(v, kind="money") for v in (0, 250, 1500, 2e6)] == [
        "$0",
        "$250",
        "$1.5k",
        "$2M",
    ]
    assert charts.format_tick(0.4, kind="int") == "0.4"


def test_series_chart_is_an_accessible_image_with_title_and_summary():
    root = parse(series())
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "users-and-revenue-title"
    assert root.get("aria-describedby") == "users-and-revenue-desc"
    assert root.find(f"{SVG}title").text == "Users and revenue"
    desc = root.find(f"{SVG}desc").text
    assert desc == "3 periods, 2026-01 to 2026-03. Highest revenue: $980.00 in 2026-02."


def test_series_chart_has_a_bar_and_a_point_per_period_with_values_in_tooltips():
    root = parse(series())
    bars = root.findall(f".//{SVG}rect[@class='chart-bar']")
    assert len(bars) == 3 + 1  # one per period, and the legend's swatch
    assert len(root.findall(f".//{SVG}circle[@class='chart-point']")) == 3
    assert "2026-02: $980.00 revenue, 12 new users" in titles(root)
    heights = [float(bar.get("height")) for bar in bars[:3]]
    assert heights[1] > heights[0] > heights[2] == 0


def test_series_axis_ticks_are_labelled_on_both_sides():
    root = parse(series())
    shown = texts(root)
    for tick in ("$0", "$200", "$1k", "0", "3", "12"):
        assert tick in shown, shown


def test_many_periods_get_thinned_labels_but_every_bar():
    labels = [f"2026-01-{day:02d}" for day in range(1, 32)] * 4  # 124 day labels
    root = parse(series(labels=labels, bars=[10] * 124, line=[1] * 124))
    bottom = root.find(f".//{SVG}g[@class='chart-axis chart-axis-bottom']")
    assert 3 <= len(bottom.findall(f"{SVG}text")) <= 12
    assert len(root.findall(f".//{SVG}g[@class='chart-slot']")) == 124


def test_few_periods_each_keep_their_label():
    root = parse(series(labels=months(6), bars=[1] * 6, line=[1] * 6))
    bottom = root.find(f".//{SVG}g[@class='chart-axis chart-axis-bottom']")
    assert [text.text for text in bottom.findall(f"{SVG}text")] == months(6)


def test_one_period_is_drawn():
    root = parse(series(labels=["2026"], bars=[Decimal("5")], line=[1]))
    assert len(root.findall(f".//{SVG}g[@class='chart-slot']")) == 1
    assert root.find(f"{SVG}desc").text.startswith("1 period, 2026.")


def test_all_zeros_still_draw_a_scale():
    root = parse(series(bars=[0, 0, 0], line=[0, 0, 0]))
    assert {"$0", "$1", "0", "1"} <= set(texts(root))
    bars = root.findall(f".//{SVG}g[@class='chart-slot']/{SVG}rect[@class='chart-bar']")
    assert [float(bar.get("height")) for bar in bars] == [0, 0, 0]


def test_negative_and_missing_values_do_not_break_the_chart():
    root = parse(series(bars=[Decimal("-40"), None, float("nan")], line=[None, -2, 5]))
    assert {"-$40", "$0"} <= set(texts(root))
    assert "2026-01: -$40.00 revenue, — new users" in titles(root)
    assert "2026-02: — revenue, -2 new users" in titles(root)


def test_series_without_a_line_has_no_right_axis():
    root = parse(series(line=None))
    assert root.find(f".//{SVG}polyline") is None
    assert root.find(f".//{SVG}g[@class='chart-axis chart-axis-right']") is None


@pytest.mark.parametrize("chart", [series, ranking])
def test_labels_are_escaped(chart):
    svg = chart(labels=[HOSTILE, "Tom & Jerry"], **_two_values(chart))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "Tom &amp; Jerry" in svg
    root = parse(svg)  # well-formed: every & and < escaped
    assert any(HOSTILE in title for title in titles(root))


def _two_values(chart) -> dict:
    if chart is series:
        return {"bars": [1, 2], "line": [1, 2]}
    return {"values": [2, 1]}


def test_chart_title_and_id_are_escaped_too():
    svg = ranking(title='Top "products" <b>', chart_id='x" onload="alert(1)')
    root = parse(svg)
    assert root.find(f"{SVG}title").text == 'Top "products" <b>'
    assert root.get("id") == "x-onload-alert-1"
    assert "onload=" not in svg


def test_long_ranking_labels_are_truncated_with_the_full_text_in_a_title():
    long_name = "An exceedingly long product name that would run into the bars"
    root = parse(ranking(labels=[long_name, "Desk"]))
    category = root.findall(f".//{SVG}text[@class='chart-category']")
    shown = category[0].find(f"{SVG}title").tail
    assert shown.endswith("…")
    assert len(shown) <= 28
    assert category[0].find(f"{SVG}title").text == long_name
    assert category[1].find(f"{SVG}title") is None
    assert category[1].text == "Desk"


def test_ranking_has_one_bar_per_row_longest_first_and_values_at_their_ends():
    root = parse(ranking(details=["4 units in 2 orders", "1 units in 1 orders"]))
    bars = root.findall(f".//{SVG}rect[@class='chart-bar']")
    assert len(bars) == 2
    assert float(bars[0].get("width")) > float(bars[1].get("width")) > 0
    values = [text.text for text in root.findall(f".//{SVG}text[@class='chart-value']")]
    assert values == ["$300.00", "$125.25"]
    assert "Lamp: $300.00 revenue (4 units in 2 orders)" in titles(root)


def test_int_ranking_shows_counts_without_currency():
    root = parse(ranking(values=[12, 3], kind="int", value_name="Comments"))
    values = [text.text for text in root.findall(f".//{SVG}text[@class='chart-value']")]
    assert values == ["12", "3"]
    assert "Lamp: 12 comments" in titles(root)


@pytest.mark.parametrize("chart", [series, ranking])
def test_no_data_is_a_chart_that_says_so(chart):
    empty = (
        {"labels": [], "bars": [], "line": []} if chart is series else {"labels": [], "values": []}
    )
    root = parse(chart(**empty))
    assert root.get("role") == "img"
    assert texts(root) == [charts.EMPTY_MESSAGE]
    assert root.find(f"{SVG}desc").text == charts.EMPTY_MESSAGE


def test_colours_come_from_css_classes_not_the_markup():
    svg = series() + ranking()
    assert not re.search(r'(fill|stroke)="#', svg)
    assert "style=" not in svg
