"""The drill's tables for the databases without a replica and for the cross-database writes.

Which pages need a database is read off the baseline phase: a page needs
every alias that the routing trace's ``X-DB-Queries`` header named in any of
its baseline answers (``pages_touching``); a page the baseline never
answered counts as needing every database. Here, unlike ``drill_report``, a
request counts in the phase in which it started, whatever it met: the
figures are about the pages that don't need the database in trouble, and a
request in flight when that server stopped is one of them too.

Times are nearest-rank percentiles of the phase's answered requests (2xx
and 3xx; the failures are counted apart); ``×1.03`` is a phase's figure over
the same figure in the phase before it.
"""

import math
from collections import Counter

from bench.drill_load import Result
from bench.drill_report import Phase
from bench.table import format_table


def windows(phases: list[Phase], ended: float) -> dict[str, tuple[float, float]]:
    """Each phase's name -> ``(start, end)``: from its action to the next phase's."""
    ends = [phase.began for phase in phases[1:]] + [ended]
    return {phase.name: (phase.began, end) for phase, end in zip(phases, ends, strict=True)}


def started_in(results: list[Result], window: tuple[float, float]) -> list[Result]:
    start, end = window
    return [r for r in results if start <= r.started < end]


def pages_touching(results: list[Result], window: tuple[float, float]) -> dict[str, set[str]]:
    """Each page -> the aliases its ``X-DB-Queries`` named in *window* (the baseline)."""
    touched: dict[str, set[str]] = {}
    for result in started_in(results, window):
        if result.status is not None and not result.failed:
            touched.setdefault(result.page, set()).update(result.queries)
    return touched


def describe_touching(touched: dict[str, set[str]]) -> str:
    return "\n".join(
        f"  {page:<24} {', '.join(sorted(aliases)) or 'none'}"
        for page, aliases in sorted(touched.items())
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least *share* of *values* at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1000:.0f} ms"


def times_against(now: float | None, before: float | None) -> str:
    """``×1.03``: *now* over *before*; blank when either is missing."""
    return f"×{now / before:.2f}" if now is not None and before else ""


def named(unavailable: list[Result]) -> str:
    """``57 (blog_db 57)``: the 503s, with the databases their pages named."""
    names = Counter(r.unavailable or "?" for r in unavailable)
    inner = ", ".join(f"{alias} {count}" for alias, count in sorted(names.items()))
    return f"{len(unavailable)} ({inner})" if unavailable else "0"


def outage_table(
    results: list[Result],
    spans: dict[str, tuple[float, float]],
    *,
    rows: list[str],
    alias: str,
    touched: dict[str, set[str]],
) -> tuple[str, list[tuple[str, float | None, float | None]]]:
    """Per phase in *rows* (the first is the reference): pages without *alias*, then with it.

    Returns the table and, per phase after the first, its name with the p50
    and p99 ratios against the phase before.
    """
    without = {page for page, aliases in touched.items() if alias not in aliases}
    header = [
        "phase",
        f"without {alias}: requests",
        "failed",
        "p50",
        "vs before",
        "p99",
        "vs before",
        f"need {alias}: requests",
        "2xx-3xx",
        "503 (named)",
        "slowest 503",
        "5xx not 503",
        "no answer",
    ]
    table, ratios, before = [], [], (None, None)
    for name in rows:
        mine = started_in(results, spans[name])
        free = [r for r in mine if r.page in without]
        need = [r for r in mine if r.page not in without]
        times = [r.seconds for r in free if not r.failed]
        p50, p99 = (percentile(times, 0.5), percentile(times, 0.99)) if times else (None, None)
        unavailable = [r for r in need if r.status == 503]
        table.append(
            [
                name,
                str(len(free)),
                str(sum(r.failed for r in free)),
                ms(p50),
                times_against(p50, before[0]),
                ms(p99),
                times_against(p99, before[1]),
                str(len(need)),
                str(sum(r.status is not None and not r.failed for r in need)),
                named(unavailable),
                ms(max((r.seconds for r in unavailable), default=None)),
                str(sum(map(server_error, need))),
                str(sum(r.status is None for r in need)),
            ]
        )
        if name != rows[0]:
            ratios.append((name, ratio(p50, before[0]), ratio(p99, before[1])))
        before = (p50, p99)
    pages = ", ".join(sorted(without)) or "none"
    return (
        f"Pages that don't need {alias}: {pages}\n"
        f"{format_table(header, table, align='l' + 'r' * (len(header) - 1))}",
        ratios,
    )


def server_error(result: Result) -> bool:
    """A 5xx other than the 503 that names a database that can't be reached."""
    return result.status is not None and result.status >= 500 and result.status != 503


def ratio(now: float | None, before: float | None) -> float | None:
    return now / before if now is not None and before else None


def statuses(results: list[Result]) -> str:
    """``302: 41, 503: 3, none: 1``, by status."""
    counts = Counter("none" if r.status is None else str(r.status) for r in results)
    return ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))


def orders_table(
    results: list[Result], spans: dict[str, tuple[float, float]], *, rows: list[str]
) -> str:
    """Per phase: the orders' and notes' answers, the reads', and anything 5xx but 503."""
    header = [
        "phase",
        "POST /shop/ (orders)",
        "POST /read-your-writes/ (notes)",
        "reads",
        "reads failed",
        "reads p50",
        "reads p99",
        "503 (named)",
        "5xx not 503",
    ]
    table = []
    for name in rows:
        mine = started_in(results, spans[name])
        reads = [r for r in mine if r.kind == "read"]
        times = [r.seconds for r in reads if not r.failed]
        table.append(
            [
                name,
                statuses([r for r in mine if r.kind == "order"]),
                statuses([r for r in mine if r.kind == "write"]),
                str(len(reads)),
                str(sum(r.failed for r in reads)),
                ms(percentile(times, 0.5) if times else None),
                ms(percentile(times, 0.99) if times else None),
                named([r for r in mine if r.status == 503]),
                str(sum(map(server_error, mine))),
            ]
        )
    return format_table(header, table, align="lllrrrrlr")


def counters_table(count: dict, placed_by_client: dict[str, int]) -> tuple[str, bool]:
    """Per customer: orders in shop_db, ``orders_placed`` in default, orders the clients saw placed.

    Returns the table and whether every counter equals its orders.
    """
    header = [
        "customer",
        "orders in shop_db",
        "orders_placed in default",
        "placed (302) seen by its client",
        "equal",
    ]
    rows, equal = [], True
    for customer in count["customers"]:
        same = customer["orders_in_shop_db"] == customer["orders_placed"]
        equal = equal and same
        seen = placed_by_client.get(customer["username"])
        rows.append(
            [
                customer["username"],
                str(customer["orders_in_shop_db"]),
                str(customer["orders_placed"]),
                "-" if seen is None else str(seen),
                "yes" if same else "NO",
            ]
        )
    return format_table(header, rows, align="lrrrl"), equal and bool(rows)


def placed_by_member(results: list[Result]) -> dict[str, int]:
    """Per member (``drill<N>``, client N), the orders answered with a redirect to the order."""
    members = {r.client for r in results if r.kind == "order"}
    return {
        f"drill{member}": sum(
            r.kind == "order" and r.status == 302 and r.client == member for r in results
        )
        for member in members
    }


def half_written(count: dict, before: dict, *, stock: int) -> str:
    """What a half-written order would leave behind, from ``bench.drill_orders count``.

    *before* is ``stock``'s answer at the start; every product then held *stock*.
    """
    sold = {pk: n - before["ordered"].get(pk, 0) for pk, n in count["ordered"].items()}
    taken = {pk: stock - left for pk, left in count["stock"].items()}
    same = all(taken[pk] == sold.get(pk, 0) for pk in taken)
    return (
        f"{count['orders']} orders in shop_db, {count['placed']} of them placed in the drill; "
        f"{count['pending_events']} events pending. Of the drill's orders: "
        f"{count['without_items']} without items, {count['without_event']} without their event, "
        f"{count['totals_off']} with a total that isn't the sum of its items. "
        f"Stock taken equals items ordered: {'yes' if same else 'no'} "
        f"({sum(taken.values())} taken, {sum(sold.values())} ordered)."
    )
