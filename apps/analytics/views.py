"""The analytics pages: parse the parameters, call ``reports``, render a chart and a table.

Every report runs in the warehouse through ``connections["analytics"]``
(``apps/analytics/reports.py``), never in the site's transactional databases.
A bad parameter is a form error (HTML) or a 400 (CSV), and a warehouse that
hasn't been migrated yet is a message saying what to run, never a 500.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from apps.analytics import charts, reports
from apps.analytics.forms import (
    MostCommentedAuthorsForm,
    ReportForm,
    TopProductsForm,
    UsersAndRevenueForm,
)

INDEX_TABLE_ROWS = 12
# A CSV cell starting with one of these is a formula to a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    summary: str
    form_class: type[ReportForm]
    run: Callable[..., reports.Result]
    chart: Callable[..., SafeString]


def users_and_revenue_chart(
    result: reports.Result, *, granularity: str = "month", **_
) -> SafeString:
    rows = list(reversed(result.rows))  # the report is newest first; the chart reads left to right
    return charts.series_chart(
        chart_id="users-and-revenue-chart",
        title=result.title,
        labels=[period_label(row[0], granularity=granularity) for row in rows],
        bars=[row[2] for row in rows],
        bar_name="Revenue",
        line=[row[1] for row in rows],
        line_name="New users",
    )


def top_products_chart(result: reports.Result, **_) -> SafeString:
    return charts.ranking_chart(
        chart_id="top-products-chart",
        title=result.title,
        labels=[row[0] for row in result.rows],
        values=[row[3] for row in result.rows],
        value_name="Revenue",
        details=[f"{_count(row[1], 'unit')} in {_count(row[2], 'order')}" for row in result.rows],
    )


def most_commented_authors_chart(result: reports.Result, **_) -> SafeString:
    return charts.ranking_chart(
        chart_id="most-commented-authors-chart",
        title=result.title,
        labels=[row[0] for row in result.rows],
        values=[row[2] for row in result.rows],
        value_name="Comments",
        kind="int",
        details=[_count(row[1], "post") for row in result.rows],
    )


REPORTS = {
    report.slug: report
    for report in [
        Report(
            "users-and-revenue",
            "Users and revenue",
            "New users and order revenue per period.",
            UsersAndRevenueForm,
            reports.users_and_revenue,
            users_and_revenue_chart,
        ),
        Report(
            "top-products",
            "Top products",
            "Products by revenue, from a materialized view of daily sales.",
            TopProductsForm,
            reports.top_products,
            top_products_chart,
        ),
        Report(
            "most-commented-authors",
            "Most-commented authors",
            "Authors by the comments their posts received.",
            MostCommentedAuthorsForm,
            reports.most_commented_authors,
            most_commented_authors_chart,
        ),
    ]
}


def period_label(day: date, *, granularity: str) -> str:
    """The period starting on *day*: ``2026-03``, ``2026 Q1``, ``2026``, or the ISO day."""
    if not isinstance(day, date):
        return str(day)
    if granularity == "month":
        return day.strftime("%Y-%m")
    if granularity == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    if granularity == "year":
        return str(day.year)
    return day.isoformat()


def table_rows(result: reports.Result) -> list[list[tuple[str, bool]]]:
    """Each cell as (text, is a number): money with two decimals, counts grouped."""
    kinds = [column.kind for column in result.columns]
    return [
        [
            (_cell_text(value, kind), kind in ("int", "money"))
            for value, kind in zip(row, kinds, strict=True)
        ]
        for row in result.rows
    ]


def _cell_text(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "int":
        return f"{value:,}"
    return value.isoformat() if kind == "date" and isinstance(value, date) else str(value)


def _count(number: int | None, noun: str) -> str:
    """``1 order``, ``12 orders``."""
    return f"{_cell_text(number, 'int')} {noun}{'' if number == 1 else 's'}"


def _report(slug: str) -> Report:
    try:
        return REPORTS[slug]
    except KeyError:
        raise Http404("No such report.") from None


def _shown(report: Report, result: reports.Result, kwargs: dict, *, limit: int | None = None):
    """What a template needs to show one report's result."""
    rows = table_rows(result)
    return {
        "report": report,
        "result": result,
        "chart": report.chart(result, **kwargs),
        "rows": rows[:limit] if limit else rows,
        "more_rows": len(rows) - limit if limit and len(rows) > limit else 0,
    }


@require_GET
def index(request):
    context = {"sections": [], "not_ready": None, "freshness": None}
    try:
        for report in REPORTS.values():
            # Each report's defaults: all time, per month, the top ten.
            result = report.run(start=None, end=None)
            context["sections"].append(_shown(report, result, {}, limit=INDEX_TABLE_ROWS))
        context["freshness"] = reports.freshness()
    except reports.WarehouseNotReady as error:
        context.update(sections=[], not_ready=str(error))
    return render(request, "analytics/index.html", context)


@require_GET
def report_page(request, slug: str):
    report = _report(slug)
    context = {
        "report": report,
        "others": [other for other in REPORTS.values() if other is not report],
        "form": None,
        "shown": None,
        "not_ready": None,
        "freshness": None,
    }
    try:
        form = context["form"] = report.form_class(request.GET)
        if form.is_valid():
            result = report.run(**form.report_kwargs())
            context["shown"] = _shown(report, result, form.report_kwargs())
        context["freshness"] = reports.freshness()
    except reports.WarehouseNotReady as error:
        context["not_ready"] = str(error)
    context["query"] = request.GET.urlencode()
    return render(request, "analytics/report.html", context)


@require_GET
def report_csv(request, slug: str):
    report = _report(slug)
    try:
        form = report.form_class(request.GET)
        if not form.is_valid():
            return _text(_errors_text(form), status=400)
        kwargs = form.report_kwargs()
        result = report.run(**kwargs)
    except reports.WarehouseNotReady as error:
        return _text(str(error), status=503)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(slug, **kwargs)}"'
    writer = csv.writer(response)
    writer.writerow(csv_safe(column.label) for column in result.columns)
    kinds = [column.kind for column in result.columns]
    for row in result.rows:
        writer.writerow(
            csv_safe(csv_value(value, kind)) for value, kind in zip(row, kinds, strict=True)
        )
    return response


def csv_filename(slug: str, *, start: date | None, end: date | None, **_) -> str:
    """``<slug>-<start>-<end>.csv``, saying ``from``/``until``/``all-time`` for open ends."""
    if start and end:
        span = f"{start.isoformat()}-{end.isoformat()}"
    elif start:
        span = f"from-{start.isoformat()}"
    elif end:
        span = f"until-{end.isoformat()}"
    else:
        span = "all-time"
    return f"{slug}-{span}.csv"


def csv_value(value, kind: str) -> str:
    """A plain value: dates ISO, money as a plain decimal (``1234.50``), nothing for none."""
    if value is None:
        return ""
    if kind == "money":
        return f"{value:.2f}"
    return value.isoformat() if isinstance(value, date) else str(value)


def csv_safe(text: str) -> str:
    """*text*, with a leading ``'`` if a spreadsheet would read it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _errors_text(form: ReportForm) -> str:
    lines = [
        f"{form.fields[name].label if name in form.fields else 'Parameters'}: {error}"
        for name, errors in form.errors.items()
        for error in errors
    ]
    return "Invalid parameters.\n" + "\n".join(lines) + "\n"


def _text(body: str, *, status: int) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@require_POST
@login_required
def rebuild(request):
    """Staff only: refresh the reports (and on SQLite copy the data first)."""
    if not request.user.is_staff:
        raise PermissionDenied("Rebuilding the warehouse is for staff.")
    try:
        messages.success(request, reports.rebuild())
    except reports.WarehouseNotReady as error:
        messages.error(request, str(error))
    return redirect("analytics:index")
