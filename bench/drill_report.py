"""The reliability drill's tables: per phase, what the clients saw.

Requests are counted in the phase in which they started, except those still
running when a phase's action hit the server (the stop, the SIGSTOP...): they
"met the change" and are counted apart, in that phase's row.
"""

import statistics
from dataclasses import dataclass

from bench.drill_load import Result
from bench.table import format_table


@dataclass
class Phase:
    name: str
    action: object  # a callable, or None for the baseline
    began: float = 0.0  # time.monotonic() when the action started
    acted: float = 0.0  # ... and when it returned
    found: object = None  # what the action returned, if it reports something


def report(phases: list[Phase], results: list[Result], ended: float) -> str:
    """One row per phase: requests, failures, worst added wait, replica share of reads.

    A request still running when a phase's action hit the server (stop, hang,
    start...) "met the change": it is counted in that phase's own columns,
    apart from the phase's other requests, which are counted by their start.
    """
    bounds = [phase.began for phase in phases[1:]] + [ended]
    baseline = [r.seconds for r in results if r.started < bounds[0] and not met_a_change(r, phases)]
    median = statistics.median(baseline) if baseline else 0.0
    header = [
        "phase",
        "requests",
        "notes",
        "orders",
        "failed",
        "median",
        "worst added wait",
        "reads on replica",
        "met the change: requests / failed / worst added wait",
    ]
    rows = []
    for phase, end in zip(phases, bounds, strict=True):
        met = [r for r in results if was_running(r, phase)] if phase.action else []
        mine = [
            r for r in results if phase.began <= r.started < end and not met_a_change(r, phases)
        ]
        replica = sum(r.queries.get("replica", 0) for r in mine if r.kind == "read")
        routed = replica + sum(r.queries.get("default", 0) for r in mine if r.kind == "read")
        rows.append(
            [
                phase.name,
                str(len(mine)),
                str(sum(r.kind == "write" for r in mine)),
                str(sum(r.kind == "order" for r in mine)),
                str(sum(r.failed for r in mine)),
                f"{statistics.median(r.seconds for r in mine) * 1000:.0f} ms" if mine else "",
                added_wait(mine, median),
                f"{replica / routed:.0%} ({replica}/{routed})" if routed else "",
                f"{len(met)} / {sum(r.failed for r in met)} / {added_wait(met, median)}"
                if phase.action
                else "",
            ]
        )
    failures = [r for r in results if r.failed]
    unavailable = [r for r in failures if r.status == 503]
    others = [r for r in failures if r.status != 503]
    examples = "".join(f"\n  {r.page}: {r.status or r.error}" for r in others[:10])
    return (
        f"{format_table(header, rows, align='lrrrrrrrr')}\n\n"
        f"Baseline median {median * 1000:.0f} ms over {len(baseline)} requests; "
        f"{len(failures)} failed requests in all: {len(unavailable)} answered 503, "
        f"{len(others)} otherwise.{examples}"
    )


def was_running(result: Result, phase: Phase) -> bool:
    """Whether *result*'s request was in flight while *phase*'s action ran."""
    return result.started < phase.acted and result.started + result.seconds > phase.began


def met_a_change(result: Result, phases: list[Phase]) -> bool:
    return any(was_running(result, phase) for phase in phases if phase.action)


def added_wait(results: list[Result], median: float) -> str:
    """The slowest request's time above the baseline median ("-" when there is none)."""
    if not results:
        return "-"
    return f"{max(0.0, max(r.seconds for r in results) - median) * 1000:.0f} ms"


def by_page(phases: list[Phase], results: list[Result], ended: float) -> str:
    """One row per phase, a median / slowest pair per page (requests that met a change apart)."""
    bounds = [phase.began for phase in phases[1:]] + [ended]
    pages = sorted({r.page for r in results}, key=lambda page: (page.startswith("POST"), page))
    header = ["phase", *pages]
    rows = []
    for phase, end in zip(phases, bounds, strict=True):
        row = [phase.name]
        for page in pages:
            times = [
                r.seconds
                for r in results
                if phase.began <= r.started < end and r.page == page and not met_a_change(r, phases)
            ]
            row.append(
                f"{statistics.median(times) * 1000:.0f} / {max(times) * 1000:.0f} ms"
                if times
                else ""
            )
        rows.append(row)
    return format_table(header, rows, align="l" + "r" * len(pages))
