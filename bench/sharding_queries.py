"""The queries ``bench/sharding.py`` times, each across the shards in parallel and serially.

``cases()`` returns them by name; each takes ``parallel`` and returns its
answer and its ``AcrossShards.reports``; ``reference()`` is one user's
events, from one shard. ``time_modes()`` checks that both modes answer the
same, then times them alternately; ``modes_table()`` prints the figures with
the ratio serial / parallel.
"""

import math
import statistics
import time
from contextlib import contextmanager

from django.db import close_old_connections, connections
from django.db.models import BooleanField, Count, Max, Min
from django.db.models.expressions import RawSQL

from apps.activity.models import Event
from bench.table import format_table, ratio
from routers.shard_map import shard_aliases
from routers.shard_queryset import fan_out

MODES = ("parallel", "serial")
REFERENCE = "for_key(uid)[:50]: one shard, for reference"


def server_wait(seconds: float) -> RawSQL:
    """A condition true of every row, which makes the server wait *seconds* once per query.

    ``pg_sleep`` in an uncorrelated scalar subquery: PostgreSQL runs it once,
    as an InitPlan, before the scan (``EXPLAIN`` shows a ``One-Time
    Filter``), so the query's plan and rows stay those without it.
    """
    return RawSQL("(SELECT 1 FROM pg_sleep(%s)) = 1", (seconds,), output_field=BooleanField())


def events(wait: float | None = None):
    """Every event; with *wait*, each query of them waits that many seconds in its server."""
    return Event.objects.filter(server_wait(wait)) if wait else Event.objects.all()


def reference(*, wait: float | None = None):
    """``run(user)``: the user's latest 50 events, from the shard that holds them."""
    return lambda user: [event.pk for event in events(wait).for_key(user)[:50]]


def cases(*, wait: float | None = None) -> dict:
    """Name -> ``run(parallel)`` returning ``(answer, reports)``; *wait* s in each shard's query."""

    def latest(parallel):
        query = events(wait).across_shards(parallel=parallel).order_by("-created_at")[:50]
        return [event.pk for event in query], query.reports

    def count(parallel):
        query = events(wait).across_shards(parallel=parallel)
        return query.count(), query.reports

    def aggregate(parallel):
        query = events(wait).across_shards(parallel=parallel).filter(kind=Event.Kind.ORDER_PLACED)
        answer = query.aggregate(n=Count("id"), first=Min("created_at"), last=Max("created_at"))
        return answer, query.reports

    def exists(parallel):
        query = events(wait).across_shards(parallel=parallel)
        return query.exists(), query.reports

    return {
        'order_by("-created_at")[:50]': latest,
        "count()": count,
        "aggregate(Count, Min, Max) of one kind": aggregate,
        "exists()": exists,
    }


def some_users(count: int = 20) -> list[int]:
    """The ids of the first *count* users: the reference reads one a round, in turn."""
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.order_by("pk").values_list("pk", flat=True)[:count])


def time_modes(
    cases: dict, reference, *, users: list[int], rounds: int, per_query_connections=False
) -> list[dict]:
    """Time each case in both modes, alternating, after a warm-up round; one dict per case.

    *reference* runs once a round, for another of *users* each time. With
    *per_query_connections*, ``close_old_connections()`` (what Django runs at
    a request's end) follows each query inside the timing, so a query on the
    calling thread closes its connections as the shards' workers close theirs.
    """
    samples = {(name, mode): [] for name in cases for mode in MODES}
    shard_ms = {key: {alias: [] for alias in shard_aliases()} for key in samples}
    answers, alone = {}, []
    for round_number in range(rounds + 1):  # round 0 warms up and checks
        for name, run in cases.items():
            for mode in MODES if round_number % 2 else reversed(MODES):
                took, (answer, reports) = timed(
                    lambda run=run, mode=mode: run(mode == "parallel"), per_query_connections
                )
                if not round_number:
                    answers[name, mode] = answer
                    continue
                samples[name, mode].append(took)
                for report in reports:
                    shard_ms[name, mode][report.alias].append(report.milliseconds)
        user = users[round_number % len(users)]
        took, _ = timed(lambda user=user: reference(user), per_query_connections)
        if round_number:
            alone.append(took)
        else:
            check(answers)
    results = [
        {
            "query": name,
            **{
                mode: {
                    "median": statistics.median(samples[name, mode]),
                    "p95": percentile(samples[name, mode], 95),
                    "shards": [statistics.median(ms) for ms in shard_ms[name, mode].values()],
                }
                for mode in MODES
            },
        }
        for name in cases
    ]
    results.append(
        {
            "query": REFERENCE,
            "alone": {"median": statistics.median(alone), "p95": percentile(alone, 95)},
        }
    )
    return results


def timed(run, per_query_connections: bool) -> tuple[float, object]:
    """Milliseconds ``run()`` takes, and its answer."""
    started = time.perf_counter()
    answer = run()
    if per_query_connections:
        close_old_connections()
    return (time.perf_counter() - started) * 1000, answer


def check(answers: dict) -> None:
    """Stop unless both modes gave the same answer to every query."""
    for name in {name for name, _ in answers}:
        if answers[name, "parallel"] != answers[name, "serial"]:
            raise SystemExit(
                f"{name}: parallel and serial answers differ: "
                f"{answers[name, 'parallel']!r} != {answers[name, 'serial']!r}"
            )


@contextmanager
def conn_max_age(seconds):
    """Run the block with ``CONN_MAX_AGE = seconds`` on every shard, from new connections."""
    aliases = list(shard_aliases())
    kept = {alias: connections.settings[alias]["CONN_MAX_AGE"] for alias in aliases}

    def close_everywhere():
        for alias in aliases:
            connections[alias].close()  # this thread's
        fan_out(lambda alias: connections[alias].close(), aliases)  # each worker thread's

    close_everywhere()
    for alias in aliases:
        connections.settings[alias]["CONN_MAX_AGE"] = seconds
    try:
        yield
    finally:
        close_everywhere()
        for alias, value in kept.items():
            connections.settings[alias]["CONN_MAX_AGE"] = value


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank *q*-th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def modes_table(results: list[dict]) -> str:
    """One row per query: each mode's median and p95, serial / parallel, each shard's ms."""
    header = [
        "query",
        "parallel p50",
        "p95",
        "serial p50",
        "p95",
        "serial/parallel p50",
        "p95",
        "shards' ms, parallel",
        "serial",
    ]
    rows = []
    for result in results:
        if "alone" in result:  # the one-shard reference: no fan-out, no mode
            alone = result["alone"]
            rows.append(
                [result["query"], f"{alone['median']:.2f} ms", f"{alone['p95']:.2f} ms"] + [""] * 6
            )
            continue
        parallel, serial = result["parallel"], result["serial"]
        rows.append(
            [
                result["query"],
                f"{parallel['median']:.2f} ms",
                f"{parallel['p95']:.2f} ms",
                f"{serial['median']:.2f} ms",
                f"{serial['p95']:.2f} ms",
                ratio(serial["median"], parallel["median"]),
                ratio(serial["p95"], parallel["p95"]),
                " / ".join(f"{ms:.2f}" for ms in parallel["shards"]),
                " / ".join(f"{ms:.2f}" for ms in serial["shards"]),
            ]
        )
    return format_table(header, rows, align="lrrrrrrrr")
