"""The analytics warehouse: what its reports cost against the ORM, and how far behind it runs.

Run on a throwaway copy of the real PostgreSQL topology::

    make bench-analytics
    PG_TOPOLOGY_DIR=/tmp/multidb-pg-analytics PG_TOPOLOGY_PORT=24442 \\
      .venv/bin/python scripts/pg_topology.py run -- .venv/bin/python bench/analytics.py

1. ``manage.py migrate_all``, then ``scripts/pg_topology.py subscribe`` (a
   subprocess, with this process's ``PG_TOPOLOGY_*``): the warehouse
   subscribes while the sources are still empty, so every row below reaches
   it by streaming.
2. Users and products, then orders in two steps (10,000, then up to
   100,000), generated in the sources by set-based SQL (``bench.analytics_data``).
   After each step: the time until the warehouse has applied it (each logical
   slot's ``confirmed_flush_lsn`` against the source's WAL position), then
   ``refresh_reports``, then the reports.
3. Two reports, each computed several ways (``bench.analytics_reports``),
   first checked to give the same rows (the run stops if not), then timed
   warm, the ways alternating, N rounds: median and p95 of the wall time of
   one report, and the ratios against the warehouse's way.
4. Replication delay on live writes (``bench.analytics_lag``): single orders
   committed on ``shop_db``, then single users on ``default``, about 20 ms
   apart; for each, the time from COMMIT's return until the warehouse shows
   the row.

The figures are printed, never asserted.
"""

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project root
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("MULTIDB_REPLICA_LAG_INTERVAL", "0")  # no monitor thread: nothing routed

REQUIRED = ("DATABASE_URL", "DATABASE_URL_SHOP", "DATABASE_URL_ANALYTICS_OWNER")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,100000", help="Orders after each step, comma-separated."
    )
    parser.add_argument("--users", type=int, default=3000, help="Users (in default).")
    parser.add_argument("--products", type=int, default=300, help="Products (in shop_db).")
    parser.add_argument("--days", type=int, default=90, help="The top-products report's range.")
    parser.add_argument("--repeats", type=int, default=40, help="Timed rounds per size.")
    parser.add_argument("--commits", type=int, default=200, help="Live writes per source.")
    parser.add_argument("--pace-ms", type=float, default=20, help="Between two live writes.")
    parser.add_argument("--seed", type=float, default=0.42, help="setseed() of the data.")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    from bench.processes import postgres_machine, topology_missing

    if topology_missing("bench/analytics.py", "bench-analytics", REQUIRED):
        return 2

    django.setup()
    from django.core.management import call_command

    from apps.analytics import services
    from apps.analytics.replication import owner_alias
    from bench import analytics_data as data
    from bench import analytics_lag as lag
    from tests.warehouse import wait_for_warehouse

    started = time.perf_counter()
    print(postgres_machine("analytics_owner"))
    with open(os.devnull, "w") as quiet:
        call_command("migrate_all", verbosity=0, stdout=quiet)
    took = timed(subscribe)
    print(f"migrate_all done; subscribed the warehouse to the empty sources in {took:.1f} s")

    catalogue = data.create_catalogue(users=args.users, products=args.products, seed=args.seed)
    print(
        f"{len(catalogue.users):,} users in default, {len(catalogue.products)} products in shop_db"
    )
    end = datetime.now(UTC).date()
    start = end - timedelta(days=args.days - 1)
    loaded = 0
    for size in sizes:
        loading = time.perf_counter()
        lines = data.add_orders(catalogue, count=size - loaded, seed=args.seed + size / 1e7)
        load_s = time.perf_counter() - loading
        replicate_s = timed(lambda: wait_for_warehouse("default", "shop_db", timeout=600))
        check_copies(data)
        data.analyze_warehouse(owner_alias())
        (refreshed,) = services.reports_refresh()
        print(
            f"\n{size:,} orders: +{size - loaded:,} orders and {lines:,} lines inserted in "
            f"{load_s:.1f} s; the warehouse had applied them {replicate_s:.1f} s later; "
            f"refresh_reports: {refreshed.rows:,} rows of {refreshed.name} "
            f"in {refreshed.duration_ms:,.0f} ms"
        )
        loaded = size
        print(
            f"Wall time of one report, warm: median and p95 of {args.repeats} rounds, "
            f"the ways alternating; top products = the {args.days} days {start} to {end}\n"
        )
        print(report_table(time_reports(start=start, end=end, repeats=args.repeats)))

    print(
        f"\nReplication delay on live writes: from COMMIT's return until the warehouse "
        f"shows the row ({args.commits} single-row commits per source, "
        f"{args.pace_ms:g} ms apart; polled every ~1 ms through analytics_owner)\n"
    )
    pace = args.pace_ms / 1000
    delays = {
        "shop_db: one order": lag.commit_to_visible(
            lag.order_writer(catalogue.users[0]), table="shop_order", count=args.commits, pace=pace
        ),
        "default: one user": lag.commit_to_visible(
            lag.user_writer("bench-live"), table="accounts_user", count=args.commits, pace=pace
        ),
    }
    print(delay_table(delays))
    print(f"\nDone in {time.perf_counter() - started:.0f} s.")
    return 0


def subscribe() -> None:
    """``scripts/pg_topology.py subscribe``: it needs a superuser, which the topology has."""
    command = [sys.executable, str(ROOT / "scripts" / "pg_topology.py"), "subscribe"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"{' '.join(command)} exited with {result.returncode}")


def timed(step) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def check_copies(data) -> None:
    """Stop unless the warehouse holds as many rows as each source."""
    sources = {**data.counts("default"), **data.counts("shop_db")}
    copies = data.counts("analytics_owner")
    if sources != copies:
        raise SystemExit(f"The warehouse's copies differ from the sources: {copies} != {sources}")


def report_ways(*, start, end) -> dict[str, list[tuple[str, object]]]:
    """Each report's ways; the first is the warehouse's, which the ratios divide by."""
    from bench import analytics_reports as ways

    top = {"start": start, "end": end, "limit": 10}
    return {
        "top products": [
            ("materialized view (reports.top_products)", partial(ways.top_products_view, **top)),
            ("live view analytics.order_lines, 1 query", partial(ways.top_products_live, **top)),
            ("ORM, grouped in shop_db + names", partial(ways.top_products_orm_grouped, **top)),
            ("ORM, every line summed in Python", partial(ways.top_products_orm_rows, **top)),
        ],
        "monthly users and revenue": [
            ("view analytics.user_metrics (seed query)", ways.monthly_view),
            ("ORM, users + revenue grouped per customer", ways.monthly_orm_grouped),
            ("ORM, users + every order summed in Python", ways.monthly_orm_rows),
        ],
    }


def time_reports(*, start, end, repeats: int) -> list[dict]:
    """Check that each report's ways agree, then time them, alternating; one dict per way."""
    results = []
    for report, ways in report_ways(start=start, end=end).items():
        expected = ways[0][1]()
        for name, run in ways[1:]:
            if (rows := run()) != expected:
                raise SystemExit(
                    f"{report}: {name!r} gives other rows than {ways[0][0]!r}:\n"
                    f"  {rows[:5]}\n  {expected[:5]}"
                )
        if not expected:
            raise SystemExit(f"{report}: no rows, nothing to compare")
        samples = {name: [] for name, _ in ways}
        for round_number in range(repeats + 1):  # round 0 warms up
            for name, run in ways if round_number % 2 else reversed(ways):
                took = timed(run) * 1000
                if round_number:
                    samples[name].append(took)
        for name, _ in ways:
            results.append(
                {
                    "report": report,
                    "way": name,
                    "rows": len(expected),
                    "median": statistics.median(samples[name]),
                    "p95": percentile(samples[name], 95),
                }
            )
    return results


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank *q*-th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def report_table(results: list[dict]) -> str:
    from bench.table import format_table, ratio

    header = ["report", "way", "rows", "median", "p95", "median vs 1st", "p95 vs 1st"]
    rows, first = [], {}
    for result in results:
        base = first.setdefault(result["report"], result)
        rows.append(
            [
                result["report"] if base is result else "",
                result["way"],
                str(result["rows"]),
                f"{result['median']:.2f} ms",
                f"{result['p95']:.2f} ms",
                ratio(result["median"], base["median"]),
                ratio(result["p95"], base["p95"]),
            ]
        )
    return format_table(header, rows, align="llrrrrr")


def delay_table(delays: dict[str, list[tuple[float, int]]]) -> str:
    """p50, p99 and max of each source's delays; how many rows the first poll already found."""
    from bench.table import format_table

    header = ["write", "commits", "p50", "p99", "max", "seen at 1st poll"]
    rows = []
    for name, measured in delays.items():
        values = [ms for ms, _ in measured]
        first = sum(1 for _, polls in measured if polls == 1)
        rows.append(
            [
                name,
                str(len(values)),
                f"{percentile(values, 50):.1f} ms",
                f"{percentile(values, 99):.1f} ms",
                f"{max(values):.1f} ms",
                f"{first / len(values):.0%}",
            ]
        )
    return format_table(header, rows, align="lrrrrr")


if __name__ == "__main__":
    sys.exit(main())
