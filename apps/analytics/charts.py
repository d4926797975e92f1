"""Charts as inline SVG, rendered on the server: no JavaScript, no chart library.

Each chart is a pure function from labels and values to a ``SafeString`` that a
template prints as is. Everything a user typed (product names, usernames) is
escaped here, so the string is safe whatever the labels hold; a label too long
for the chart is cut with an ellipsis and keeps its full text in a ``<title>``,
which browsers show as a tooltip, as they do each bar's value.

The markup carries classes (``chart-bar``, ``chart-line``, ``chart-grid``...)
and no colours: ``analytics/analytics.css`` styles them from the site's custom
properties. Every chart is ``role="img"`` with a ``<title>`` and a ``<desc>``
that sums up the data for screen readers.

- ``series_chart``: one bar per period (e.g. revenue) and, optionally, a line
  for a second series with its own axis on the right (e.g. new users).
- ``ranking_chart``: horizontal bars, one per row, largest first as given.
"""

import math
import re
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = int | float | Decimal | None

WIDTH = 720
EMPTY_MESSAGE = "No data in this range."
# Width of one character at the charts' 12px font, to size and thin labels.
CHAR_WIDTH = 7.0


# -- numbers --------------------------------------------------------------------------------


def as_float(value: Number) -> float:
    """The value as a finite float; missing, NaN or infinite values count as 0."""
    if value is None:
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def nice_step(raw: float, *, integer: bool = False) -> float:
    """The smallest round step at least *raw*: 1, 2, 2.5 or 5 times a power of ten.

    An *integer* step below ten is any whole number (counts have no 2.5).
    """
    if not raw > 0:
        return 1.0
    if integer and raw < 10:
        return float(max(1, math.ceil(raw - 1e-9)))
    base = 10.0 ** math.floor(math.log10(raw))
    return next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw * (1 - 1e-9))


def axis_ticks(
    *, low: float, high: float, intervals: int = 5, integer: bool = False
) -> list[float]:
    """Round tick values from at most 0 to at least 0, covering *low*..*high*."""
    low, high = min(low, 0.0), max(high, 0.0)
    if low == high:  # all zeros: still draw a scale
        high = 1.0
    step = nice_step((high - low) / intervals, integer=integer)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [_tidy(index * step) for index in range(first, last + 1)]


def _tidy(value: float) -> float:
    """Drop float noise (0.30000000000000004) and negative zero."""
    return round(value, 9) + 0.0


def format_value(value: Number, *, kind: str) -> str:
    """A value for a tooltip or a bar's end: ``$1,234.50`` for money, ``1,234`` for counts."""
    if value is None:
        return "—"
    number = as_float(value)
    if kind == "money":
        return f"-${-number:,.2f}" if number < 0 else f"${number:,.2f}"
    if kind == "int":
        return f"{number:,.0f}"
    return str(value)


def format_tick(value: float, *, kind: str) -> str:
    """A short axis label: ``0``, ``250``, ``1.5k``, ``2M``, with ``$`` for money."""
    magnitude = abs(value)
    if magnitude >= 1e6:
        text = f"{value / 1e6:g}M"
    elif magnitude >= 1e3:
        text = f"{value / 1e3:g}k"
    else:
        text = f"{value:g}"
    if kind != "money":
        return text
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


# -- markup helpers -------------------------------------------------------------------------


def truncate(text: str, *, max_chars: int) -> str:
    """*text* cut to *max_chars* characters, the last one an ellipsis when cut."""
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def _label(text: str, *, max_chars: int, **attributes) -> str:
    """An escaped ``<text>``; a truncated one keeps the full text in its ``<title>``."""
    shown = truncate(text, max_chars=max_chars)
    tooltip = f"<title>{escape(text)}</title>" if shown != text else ""
    return f"<text{_attributes(attributes)}>{tooltip}{escape(shown)}</text>"


def _attributes(attributes: dict) -> str:
    """``x=1, class_="a"`` as `` x="1" class="a"`` (a trailing ``_`` is dropped)."""
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(_number_text(value))}"'
        for name, value in attributes.items()
    )


def _number_text(value) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _svg(*, chart_id: str, kind: str, height: float, title: str, desc: str, body: str) -> str:
    chart_id = re.sub(r"[^a-z0-9-]+", "-", chart_id.lower()).strip("-") or "chart"
    # Safe: every piece of text in *body* went through escape().
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'id="{chart_id}" viewBox="0 0 {WIDTH} {_number_text(height)}" role="img" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def empty_chart(*, chart_id: str, title: str, message: str = EMPTY_MESSAGE) -> SafeString:
    """A small chart that says there is nothing to draw."""
    body = _label(
        message, max_chars=100, x=WIDTH / 2, y=44, class_="chart-empty", text_anchor="middle"
    )
    return _svg(chart_id=chart_id, kind="empty", height=80, title=title, desc=message, body=body)


# -- a time series: bars, and an optional line on a second axis ----------------------------


def series_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    bars: Sequence[Number],
    bar_name: str,
    bar_kind: str = "money",
    line: Sequence[Number] | None = None,
    line_name: str = "",
    line_kind: str = "int",
) -> SafeString:
    """Bars for *bars* over *labels* (oldest first) and a line for *line* if given.

    The bars' axis is on the left and the line's on the right; both share the
    grid lines. Period labels are thinned so that they never overlap.
    """
    if not labels:
        return empty_chart(chart_id=chart_id, title=title)
    labels = [str(label) for label in labels]
    heights = [as_float(value) for value in bars]
    points = [as_float(value) for value in line] if line is not None else None
    left, right, top, bottom = 64, (52 if points is not None else 16), 36, 44
    height = 300
    plot_width, plot_height = WIDTH - left - right, height - top - bottom

    ticks = axis_ticks(low=min(heights), high=max(heights), integer=bar_kind == "int")
    low, high = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return top + plot_height * (high - value) / (high - low)

    parts = ['<g class="chart-grid">']
    for tick in ticks:
        y = y_of(tick)
        line_class = "chart-zero" if tick == 0 else "chart-gridline"
        parts.append(
            f'<line class="{line_class}" x1="{left}" x2="{left + plot_width}"'
            f' y1="{y:.1f}" y2="{y:.1f}"/>'
        )
    parts.append('</g><g class="chart-axis chart-axis-left">')
    for tick in ticks:
        parts.append(
            _label(
                format_tick(tick, kind=bar_kind),
                max_chars=8,
                x=left - 6,
                y=y_of(tick) + 4,
                text_anchor="end",
            )
        )
    parts.append("</g>")

    line_ticks = None
    if points is not None:
        line_ticks = _matching_ticks(ticks, values=points, integer=line_kind == "int")
        line_low, line_high = line_ticks[0], line_ticks[-1]
        parts.append('<g class="chart-axis chart-axis-right">')
        for tick, line_tick in zip(ticks, line_ticks, strict=True):
            parts.append(
                _label(
                    format_tick(line_tick, kind=line_kind),
                    max_chars=7,
                    x=left + plot_width + 6,
                    y=y_of(tick) + 4,
                )
            )
        parts.append("</g>")

        def line_y(value: float) -> float:
            return top + plot_height * (line_high - value) / (line_high - line_low)

    slot = plot_width / len(labels)
    bar_width = min(slot * 0.7, 48)
    zero_y = y_of(0.0)
    centers = [left + slot * (index + 0.5) for index in range(len(labels))]
    parts.append('<g class="chart-bars">')
    for index, label in enumerate(labels):
        tooltip = f"{label}: {format_value(bars[index], kind=bar_kind)} {bar_name.lower()}"
        if points is not None:
            tooltip += f", {format_value(line[index], kind=line_kind)} {line_name.lower()}"
        bar_y = y_of(heights[index])
        parts.append(
            f'<g class="chart-slot"><title>{escape(tooltip)}</title>'
            f'<rect class="chart-hit" fill="transparent" x="{left + slot * index:.1f}" y="{top}"'
            f' width="{slot:.1f}" height="{plot_height}"/>'
            f'<rect class="chart-bar" x="{centers[index] - bar_width / 2:.1f}"'
            f' y="{min(bar_y, zero_y):.1f}" width="{bar_width:.1f}"'
            f' height="{abs(zero_y - bar_y):.1f}"/></g>'
        )
    parts.append("</g>")

    if points is not None:
        coordinates = " ".join(
            f"{x:.1f},{line_y(value):.1f}" for x, value in zip(centers, points, strict=True)
        )
        parts.append(f'<polyline class="chart-line" fill="none" points="{coordinates}"/>')
        parts.append('<g class="chart-points">')
        parts.extend(
            f'<circle class="chart-point" cx="{x:.1f}" cy="{line_y(value):.1f}" r="3"/>'
            for x, value in zip(centers, points, strict=True)
        )
        parts.append("</g>")

    parts.append(
        _period_labels(labels, centers=centers, plot_width=plot_width, y=top + plot_height + 18)
    )
    parts.append(
        _legend(bar_name=bar_name, line_name=line_name if points is not None else "", x=left, y=18)
    )
    desc = _series_desc(labels, bars=bars, bar_name=bar_name, bar_kind=bar_kind)
    return _svg(
        chart_id=chart_id, kind="series", height=height, title=title, desc=desc, body="".join(parts)
    )


def _matching_ticks(ticks: list[float], *, values: list[float], integer: bool) -> list[float]:
    """Round ticks for a second axis, one per tick of the first, so grid lines agree."""
    below = sum(1 for tick in ticks if tick < 0)
    above = len(ticks) - 1 - below
    needed = max(
        max(values) / above if above else 0.0,
        -min(values) / below if below else 0.0,
    )
    step = nice_step(needed, integer=integer)
    return [_tidy((index - below) * step) for index in range(len(ticks))]


def _period_labels(labels: list[str], *, centers: list[float], plot_width: float, y: float) -> str:
    """Period labels under the bars, every n-th one when they wouldn't fit side by side."""
    max_chars = 12
    label_width = min(max(len(label) for label in labels), max_chars) * CHAR_WIDTH + 10
    fits = max(1, math.floor(plot_width / label_width))
    step = math.ceil(len(labels) / fits)
    parts = ['<g class="chart-axis chart-axis-bottom">']
    for index in range(0, len(labels), step):
        parts.append(
            _label(labels[index], max_chars=max_chars, x=centers[index], y=y, text_anchor="middle")
        )
    parts.append("</g>")
    return "".join(parts)


def _legend(*, bar_name: str, line_name: str, x: float, y: float) -> str:
    parts = [
        f'<g class="chart-legend"><rect class="chart-bar" x="{x}" y="{y - 9}" width="12"'
        f' height="10"/>',
        _label(bar_name, max_chars=30, x=x + 18, y=y),
    ]
    if line_name:
        offset = x + 18 + min(len(bar_name), 30) * CHAR_WIDTH + 24
        parts.append(
            f'<line class="chart-line" x1="{offset:.1f}" x2="{offset + 16:.1f}"'
            f' y1="{y - 4}" y2="{y - 4}"/>'
        )
        parts.append(_label(line_name, max_chars=30, x=offset + 22, y=y))
    parts.append("</g>")
    return "".join(parts)


def _series_desc(labels: list[str], *, bars: Sequence[Number], bar_name: str, bar_kind: str) -> str:
    heights = [as_float(value) for value in bars]
    peak = max(range(len(heights)), key=heights.__getitem__)
    span = labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"
    return (
        f"{len(labels)} period{'s' if len(labels) != 1 else ''}, {span}. "
        f"Highest {bar_name.lower()}: {format_value(bars[peak], kind=bar_kind)} in {labels[peak]}."
    )


# -- a ranking: horizontal bars ---------------------------------------------------------------


def ranking_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[Number],
    value_name: str,
    kind: str = "money",
    details: Sequence[str] | None = None,
) -> SafeString:
    """One horizontal bar per label, in the order given, each with its value at its end.

    *details*, one string per row (e.g. ``"12 units, 5 orders"``), is added to
    each bar's tooltip.
    """
    if not labels:
        return empty_chart(chart_id=chart_id, title=title)
    labels = [str(label) for label in labels]
    lengths = [as_float(value) for value in values]
    label_chars, left, right, top, row = 28, 210, 96, 8, 28
    plot_width = WIDTH - left - right
    height = top + row * len(labels) + 28

    ticks = axis_ticks(low=min(lengths), high=max(lengths), intervals=4, integer=kind == "int")
    low, high = ticks[0], ticks[-1]

    def x_of(value: float) -> float:
        return left + plot_width * (value - low) / (high - low)

    bottom = top + row * len(labels)
    parts = ['<g class="chart-grid">']
    for tick in ticks:
        line_class = "chart-zero" if tick == 0 else "chart-gridline"
        parts.append(
            f'<line class="{line_class}" x1="{x_of(tick):.1f}" x2="{x_of(tick):.1f}"'
            f' y1="{top}" y2="{bottom}"/>'
        )
    parts.append('</g><g class="chart-axis chart-axis-bottom">')
    for tick in ticks:
        parts.append(
            _label(
                format_tick(tick, kind=kind),
                max_chars=8,
                x=x_of(tick),
                y=bottom + 18,
                text_anchor="middle",
            )
        )
    parts.append('</g><g class="chart-bars">')
    zero_x = x_of(0.0)
    for index, label in enumerate(labels):
        y = top + row * index
        end_x = x_of(lengths[index])
        value_text = format_value(values[index], kind=kind)
        tooltip = f"{label}: {value_text} {value_name.lower()}"
        if details:
            tooltip += f" ({details[index]})"
        parts.append(
            f'<g class="chart-slot"><title>{escape(tooltip)}</title>'
            f'<rect class="chart-hit" fill="transparent" x="0" y="{y}" width="{WIDTH}"'
            f' height="{row}"/>'
            + _label(
                label,
                max_chars=label_chars,
                x=left - 8,
                y=y + row / 2 + 4,
                text_anchor="end",
                class_="chart-category",
            )
            + f'<rect class="chart-bar" x="{min(zero_x, end_x):.1f}" y="{y + 5}"'
            f' width="{abs(end_x - zero_x):.1f}" height="{row - 10}"/>'
            + _label(
                value_text,
                max_chars=16,
                x=max(zero_x, end_x) + 6,
                y=y + row / 2 + 4,
                class_="chart-value",
            )
            + "</g>"
        )
    parts.append("</g>")
    desc = (
        f"{len(labels)} row{'s' if len(labels) != 1 else ''} by {value_name.lower()}. "
        f"First: {labels[0]}, {format_value(values[0], kind=kind)}."
    )
    return _svg(
        chart_id=chart_id,
        kind="ranking",
        height=height,
        title=title,
        desc=desc,
        body="".join(parts),
    )
