"""Throughput under gunicorn: connection reuse, and the multi-database build against one database.

Run on a throwaway copy of the real PostgreSQL topology::

    make bench-throughput
    PG_TOPOLOGY_DIR=/tmp/multidb-pg-throughput PG_TOPOLOGY_PORT=23482 \\
      .venv/bin/python scripts/pg_topology.py run -- .venv/bin/python bench/throughput.py

Three builds of the site serve the same pages from the same generated data
(``bulk_data``), each under gunicorn on 127.0.0.1 (``docker/gunicorn.conf.py``,
2 workers of 4 threads), the routing trace off as in a deployment:

- **single-db, reuse**: accounts, notes, blog and shop in one database
  (``multidb_single``, on ``default``'s server), read and written there, no
  replica (``bench.settings_throughput_single``); connections kept
  (``DATABASE_CONN_MAX_AGE``);
- **multi-db, no reuse**: the project as shipped, ``DATABASE_CONN_MAX_AGE=0``:
  a new connection per database per request, as before connection reuse;
- **multi-db, reuse**: the project as shipped, connections kept and checked
  before each request's first query.

The load is ``bench.drill_load``'s: closed-loop client threads on the same
machine, each sending its next request as soon as the last is answered, one
HTTP connection per request. A client reads ``/blog/``, ``/shop/`` or
``/read-your-writes/`` at random, or at ``--write-share`` POSTs a note on
``/read-your-writes/`` (a write to ``default``, which pins the client's reads
there while the replica catches up). Each round runs every build in turn
(warm-up, then ``--seconds`` measured); the figures are medians over rounds.
Printed, never asserted.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from bench.drill import free_port, start_gunicorn, stop_gunicorn, wait_until_serving
from bench.drill_load import WRITE_PATH, Load
from bench.processes import gunicorn_machine, topology_missing
from bench.table import format_table

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/blog/", "/shop/", "/read-your-writes/")
SINGLE_DATABASE = "multidb_single"
SINGLE_SETTINGS = "bench.settings_throughput_single"
MAX_AGE = "300"
GOAL = 0.95  # multi-db with reuse: at least 0.95x the single-db build's requests/s


class Build:
    def __init__(self, name: str, env: dict[str, str]):
        self.name, self.env = name, env
        self.rounds: list[dict] = []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=12, help="Client threads.")
    parser.add_argument("--seconds", type=float, default=15, help="Measured seconds per build.")
    parser.add_argument("--warmup", type=float, default=3, help="Unmeasured seconds first.")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds over the three builds.")
    parser.add_argument("--size", type=int, default=200, help="bulk_data --size, per build.")
    parser.add_argument(
        "--write-share", type=float, default=0.1, help="Share of requests that POST a note."
    )
    args = parser.parse_args()
    if topology_missing("bench/throughput.py", "bench-throughput"):
        return 2

    started = time.monotonic()
    print(gunicorn_machine(), flush=True)
    builds = [
        Build("single-db, reuse", site_env(SINGLE_SETTINGS, MAX_AGE, single=True)),
        Build("multi-db, no reuse", site_env("project.settings", "0")),
        Build("multi-db, reuse", site_env("project.settings", MAX_AGE)),
    ]
    prepare(builds[1].env, size=args.size)  # the two multi-db builds share their databases
    create_single_database(size=args.size)  # after: its events go to the migrated shards
    for number in range(1, args.rounds + 1):
        for build in builds:
            figures = measure(build, args)
            build.rounds.append(figures)
            print(
                f"round {number}, {build.name}: {figures['rps']:.1f} req/s, "
                f"p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms, "
                f"{figures['failed']} failed",
                flush=True,
            )
    report(builds, args)
    print(f"\nDone in {time.monotonic() - started:.0f} s; gunicorn stopped.")
    return 0


def site_env(settings: str, max_age: str, *, single: bool = False) -> dict[str, str]:
    """The server's environment: the topology's DATABASE_URL* variables, the build's settings."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "ROUTING_TRACE": "false",
        "DATABASE_CONN_MAX_AGE": max_age,
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
    }
    if single:
        env["DATABASE_URL"] = with_database(os.environ["DATABASE_URL"], SINGLE_DATABASE)
    return env


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_single_database(*, size: int) -> None:
    """A fresh database for the single-db build on ``default``'s server."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {SINGLE_DATABASE}")
        connection.execute(f"CREATE DATABASE {SINGLE_DATABASE} TEMPLATE template0")
    env = site_env(SINGLE_SETTINGS, "0", single=True)
    prepare(env, size=size, migrate=["migrate", "--database", "default"])


def prepare(env: dict[str, str], *, size: int, migrate: tuple = ("migrate_all",)) -> None:
    run_manage(list(migrate), env)
    run_manage(["bulk_data", "--size", str(size), "--seed", "1"], env)


def run_manage(command: list[str], env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=sys.stderr
    )


def measure(build: Build, args) -> dict:
    """Start gunicorn for *build*, warm up, run the load for ``args.seconds``, stop it."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="multidb-throughput-")) / "gunicorn.log"
    gunicorn = start_gunicorn(build.env, port, log)
    load = None
    try:
        wait_until_serving(port, gunicorn)
        load = Load(
            port=port,
            clients=args.clients,
            members=0,
            password="",
            pages=list(PAGES),
            write_share=args.write_share,
            order_share=0,
            think=0,
            seed=len(build.rounds) + 1,
            timeout=30,
        )
        for client in load.clients:
            client.fetch_token(WRITE_PATH)
        load.start()
        time.sleep(args.warmup)
        began = time.monotonic()
        time.sleep(args.seconds)
        ended = time.monotonic()
    finally:
        if load is not None:
            load.stop(timeout=40)
        stop_gunicorn(gunicorn)
    counted = [r for r in load.results if began <= r.started and r.started + r.seconds <= ended]
    latencies = sorted(r.seconds * 1000 for r in counted)
    return {
        "rps": len(counted) / (ended - began),
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "failed": sum(r.failed for r in counted),
        "tracebacks": log.read_text(errors="replace").count("Traceback"),
    }


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(share / 100 * (len(values) - 1)))]


def median_figures(rounds: list[dict]) -> dict:
    return {key: statistics.median(figures[key] for figures in rounds) for key in rounds[0]}


def report(builds: list[Build], args) -> None:
    print(
        f"\n{args.clients} closed-loop clients on loopback, no pause between requests; "
        f"{', '.join(PAGES)} at random, {args.write_share:.0%} POSTs of a note; gunicorn "
        f"2 workers x 4 threads; median of {args.rounds} rounds of {args.seconds:g} s "
        f"after {args.warmup:g} s of warm-up\n"
    )
    medians = {
        build.name: {
            key: statistics.median(r[key] for r in build.rounds) for key in build.rounds[0]
        }
        for build in builds
    }
    rows = [
        [
            name,
            f"{m['rps']:.1f}",
            f"{m['p50']:.1f} ms",
            f"{m['p99']:.1f} ms",
            f"{m['failed']:g}",
            f"{m['tracebacks']:g}",
        ]
        for name, m in medians.items()
    ]
    print(
        format_table(["build", "req/s", "p50", "p99", "failed", "tracebacks"], rows, align="lrrrrr")
    )
    single, bare, reuse = (medians[build.name]["rps"] for build in builds)
    print(
        f"\nmulti-db reuse / single-db reuse: {reuse / single:.2f}x req/s (goal: at least {GOAL})"
    )
    print(f"multi-db reuse / multi-db no reuse: {reuse / bare:.2f}x req/s (the gain of reuse)")
    print(f"multi-db no reuse / single-db reuse: {bare / single:.2f}x req/s")


if __name__ == "__main__":
    sys.exit(main())
