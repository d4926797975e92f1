"""Benchmark routing decisions and the blog list page; print the figures and their ratios.

From the project root::

    make bench                    # installs bench/requirements.txt first
    .venv/bin/python bench/run.py

1. ``bench.routing``: ns per ``db_for_read`` / ``db_for_write`` through
   ``django.db.router``, like for like: this project's ``PinningReplicaRouter``
   alone, with ``AppLabelRouter`` and in the demo's five routers, against
   django-multidb-router's ``PinningReplicaRouter`` (and the plain replica
   routers of both).
2. ``bench.shard_routing``: ns per shard routing decision (``ShardRouter``
   for the sharded ``activity.Event``) against ``AppLabelRouter``'s for
   ``blog.Post``, in the same process; and what a decision costs when it must
   re-check the shard map's version.
3. ``bench.blog_list``: ms per ``GET /blog/`` through Django's test client,
   for the multi-db build and a single-database build of the same page, with
   the routing trace on and off. Both builds run at once in their own
   processes, seeded alike, and their timed runs alternate.

Every database is a SQLite file in a temporary directory, removed at the end.
Timings are printed, never asserted.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from bench.processes import Worker, django_env, run_module
from bench.table import blog_list_table, map_refresh_line, routing_table, shard_routing_table

BUILDS = {"single_db": "bench.settings_single_db", "multi_db": "bench.settings_multi_db"}
TRACE = ("on", "off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=300, help="Posts to seed (bulk_data --size).")
    parser.add_argument("--seed", type=int, default=1, help="Random seed of the data.")
    parser.add_argument("--per-page", type=int, default=10, help="Posts on the blog page.")
    parser.add_argument("--repeats", type=int, default=15, help="Timed runs; the median counts.")
    parser.add_argument("--requests", type=int, default=50, help="Requests per timed run.")
    parser.add_argument("--warmup", type=int, default=30, help="Untimed requests, trace on/off.")
    parser.add_argument("--calls", type=int, default=20_000, help="Routing calls per timed run.")
    parser.add_argument(
        "--shard-calls", type=int, default=10_000, help="Shard routing calls per timed run."
    )
    args = parser.parse_args()

    started = time.perf_counter()
    print(
        f"Python {platform.python_version()}, Django {version('django')}, "
        f"django-multidb-router {version('django-multidb-router')}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="multidb-bench-") as directory:
        routing = run_module(
            "bench.routing",
            f"--calls={args.calls}",
            f"--repeats={args.repeats}",
            env=django_env(settings=BUILDS["multi_db"], directory=Path(directory, "routing")),
        )
        print(
            f"\nRouting decisions through django.db.router, like for like: ns per call, median "
            f"of {args.repeats} alternating rounds of {args.calls:,} calls; "
            'REPLICA_DATABASES = ["replica"], the same DATABASES for every stack'
        )
        print(
            "User lives in default (reads go to its replica), Post in blog_db (no replica) "
            "for stacks with AppLabelRouter\n"
        )
        print(routing_table(routing))

        env = django_env(settings=BUILDS["multi_db"], directory=Path(directory, "shard_routing"))
        env["MULTIDB_REPLICA_LAG_INTERVAL"] = "0"  # no lag monitor thread beside the timed calls
        shard_routing = run_module(
            "bench.shard_routing",
            f"--repeats={args.repeats}",
            f"--calls={args.shard_calls}",
            env=env,
        )
        print(
            f"\nShard routing decisions: ns per call, median of {args.repeats} runs; "
            "Event (activity.Event, sharded by user over shard_0 and shard_1, the map cached) "
            "against Post (blog.Post, AppLabelRouter), the same call shape"
        )
        print(
            "router = routers.ShardRouter for Event, routers.AppLabelRouter for Post; "
            "django.db.router = the project's five DATABASE_ROUTERS for both\n"
        )
        print(shard_routing_table(shard_routing["rows"]))
        print(f"\n{map_refresh_line(shard_routing['refresh'])}")
        print(
            "across_shards() in parallel against serial fan-out needs shards on real servers: "
            "make bench-sharding (bench/README.md, Sharding)"
        )

        builds, data = time_blog_list(args, directory=Path(directory))
        print(
            f"\nBlog list: GET /blog/?per_page={args.per_page}, ms per request, median of "
            f"{args.repeats} runs of {args.requests} requests after {args.warmup} warm-up ones, "
            "through django.test.Client"
        )
        print(f"Data in each build: bulk_data --size {args.size} --seed {args.seed} ({data})\n")
        print(blog_list_table(**builds))
    print(f"\nDone in {time.perf_counter() - started:.0f} s; temporary databases removed.")


def time_blog_list(args, *, directory: Path) -> tuple[dict, str]:
    """Return each build's queries and median ms per request with the trace on and off."""
    options = [
        f"--size={args.size}",
        f"--seed={args.seed}",
        f"--per-page={args.per_page}",
        f"--requests={args.requests}",
        f"--warmup={args.warmup}",
    ]
    with ExitStack() as stack:
        workers = {}
        for build, settings in BUILDS.items():
            env = django_env(settings=settings, directory=directory / build)
            workers[build] = stack.enter_context(Worker("bench.blog_list", *options, env=env))
        # The workers migrate and seed in parallel; each reports when it's ready.
        ready = {build: worker.read() for build, worker in workers.items()}
        if len({info["data"] for info in ready.values()}) != 1:
            raise RuntimeError(f"The builds were seeded with different data: {ready}")

        runs = {(build, trace): [] for build in workers for trace in TRACE}
        order = list(runs)
        for repeat in range(args.repeats):
            # Alternate the order, so neither variant always runs first.
            for build, trace in order if repeat % 2 == 0 else reversed(order):
                runs[build, trace].append(workers[build].ask(trace)["ms"])

    builds = {}
    for build in BUILDS:
        builds[build] = {"queries": ready[build]["queries"]}
        for trace in TRACE:
            builds[build][trace] = statistics.median(runs[build, trace])
    return builds, ready["multi_db"]["data"]


if __name__ == "__main__":
    main()
