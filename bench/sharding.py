"""``across_shards()`` on the real PostgreSQL topology: parallel fan-out against serial.

Run on a throwaway copy of the topology::

    make bench-sharding
    PG_TOPOLOGY_DIR=/tmp/multidb-pg-sharding PG_TOPOLOGY_PORT=23442 \\
      .venv/bin/python scripts/pg_topology.py run -- .venv/bin/python bench/sharding.py

1. ``manage.py migrate_all``, then 1,000 users in ``default`` and 100,000
   ``activity.Event`` rows spread over them by ``Event.objects.bulk_create``,
   which sends each row to its user's shard (``shard_0`` or ``shard_1``);
   then ``VACUUM ANALYZE`` on each shard, as autovacuum would in time.
2. ``bench.settings_sharding``: the project's settings with
   ``CONN_MAX_AGE = None`` on every alias, so both modes keep their
   connections (that module says why).
3. Each query of ``bench.sharding_queries`` with ``across_shards()`` and
   ``across_shards(parallel=False)``, the modes alternating, N rounds after a
   warm-up round: median and p95 of the wall time, and the median of each
   shard's own milliseconds (``.reports``). One user's ``for_key(uid)[:50]``
   (one shard) for reference. The modes' answers are compared first.
4. The same with a 5 ms wait inside each shard's query, as if the shards
   were farther away; then the same with ``CONN_MAX_AGE = 0``, Django's
   default, where every query opens its connections.
5. ``ShardRouter().db_for_read(Event, shard_key=42)`` with the map cached
   and with ``MAP_REFRESH_SECONDS = 0`` (each decision asks ``default`` for
   the map's version), against a ``SELECT 1`` round trip to ``default``.

The figures are printed, never asserted.
"""

import argparse
import os
import random
import statistics
import sys
import time
import timeit
from datetime import UTC, datetime, timedelta
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project root
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_sharding"
os.environ.setdefault("MULTIDB_REPLICA_LAG_INTERVAL", "0")  # no monitor thread beside the timing
os.environ.setdefault("DJANGO_DEBUG", "false")  # DEBUG records every query, which would be timed

REQUIRED = ("DATABASE_URL", "DATABASE_URL_SHARD_0", "DATABASE_URL_SHARD_1")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000, help="Users (in default).")
    parser.add_argument("--events", type=int, default=100_000, help="Events over the shards.")
    parser.add_argument("--rounds", type=int, default=60, help="Timed rounds per table.")
    parser.add_argument("--wait-ms", type=float, default=5, help="The farther-shards wait.")
    parser.add_argument("--seed", type=int, default=1, help="Random seed of the data.")
    args = parser.parse_args()
    from bench.processes import postgres_machine, topology_missing

    if topology_missing("bench/sharding.py", "bench-sharding", REQUIRED):
        return 2

    django.setup()
    from django.core.management import call_command

    from bench import sharding_queries as queries
    from bench.table import format_table, ratio

    started = time.perf_counter()
    print(postgres_machine("shard_0"))
    with open(os.devnull, "w") as quiet:
        call_command("migrate_all", verbosity=0, stdout=quiet)
    print(load(users=args.users, events=args.events, seed=args.seed))

    timing = {"users": queries.some_users(), "rounds": args.rounds}
    wait = args.wait_ms / 1000
    tables = [
        (
            "CONN_MAX_AGE = None (connections kept)",
            queries.time_modes(queries.cases(), queries.reference(), **timing),
        ),
        (
            f"CONN_MAX_AGE = None, and each shard's query waits {args.wait_ms:g} ms in its "
            "server (pg_sleep, once per query): shards farther away",
            queries.time_modes(queries.cases(wait=wait), queries.reference(wait=wait), **timing),
        ),
    ]
    with queries.conn_max_age(0):
        tables.append(
            (
                "CONN_MAX_AGE = 0 (Django's default): every query opens its shards' "
                "connections and closes them after, as a request making one such query",
                queries.time_modes(
                    queries.cases(), queries.reference(), **timing, per_query_connections=True
                ),
            )
        )
    print(
        f"\nWall time of one query, warm: median and p95 of {args.rounds} rounds, "
        "parallel and serial alternating; each shard's own ms (ShardReport.milliseconds, "
        "median) as shard_0 / shard_1"
    )
    for title, results in tables:
        print(f"\n{title}\n")
        print(queries.modes_table(results))

    decisions = routing_decisions()
    print("\nShardRouter().db_for_read(Event, shard_key=42) on this topology, median of 7 runs\n")
    print(
        format_table(
            ["decision", "us per call", "vs cached"],
            [
                [name, f"{us:,.2f}", ratio(us, decisions["map cached"])]
                for name, us in decisions.items()
            ],
            align="lrr",
        )
    )
    print(f"\nDone in {time.perf_counter() - started:.0f} s.")
    return 0


def load(*, users: int, events: int, seed: int) -> str:
    """Create the users and events; return a line saying where they went and how long it took."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from apps.activity.models import Event
    from routers.shard_map import current_map, shard_aliases

    User = get_user_model()
    if User.objects.exists():
        raise SystemExit("bench/sharding.py wants an empty default database: use a fresh topology.")
    started = time.perf_counter()
    made = User.objects.bulk_create(User(username=f"shard-bench-{n}") for n in range(users))
    ids = [user.pk for user in made]
    rng = random.Random(seed)
    kinds = list(Event.Kind.values)
    now = datetime.now(UTC)
    span = timedelta(days=90).total_seconds()
    chunk = 10_000  # rows built per bulk_create call, to bound the memory
    for first in range(0, events, chunk):
        Event.objects.bulk_create(
            [
                Event(
                    user_id=rng.choice(ids),
                    kind=rng.choice(kinds),
                    summary=f"bench event {n}",
                    created_at=now - timedelta(seconds=rng.uniform(0, span)),
                )
                for n in range(first, min(first + chunk, events))
            ],
            batch_size=5_000,
        )
    loaded = time.perf_counter() - started
    shard_map, counts = current_map(), []
    for alias in shard_aliases():
        with connections[alias].cursor() as cursor:
            cursor.execute("VACUUM ANALYZE activity_event")
            cursor.execute("SELECT COUNT(*) FROM activity_event")
            (count,) = cursor.fetchone()
        counts.append(f"{alias} {count:,} (logical shards {shard_map.describe(alias)})")
    return (
        f"{users:,} users in default, {events:,} events over 90 days by bulk_create in "
        f"{loaded:.1f} s: {', '.join(counts)}; then VACUUM ANALYZE on each shard"
    )


def routing_decisions() -> dict[str, float]:
    """Microseconds per shard routing decision, cached and re-checking the map; and a round trip."""
    from django.conf import settings
    from django.db import connections
    from django.test import override_settings

    from apps.activity.models import Event
    from routers.sharding import ShardRouter

    router = ShardRouter()
    every_time = {**settings.DATABASE_SHARDING, "MAP_REFRESH_SECONDS": 0}
    cursor = connections["default"].cursor()

    def decide():
        return router.db_for_read(Event, shard_key=42)

    def round_trip():
        cursor.execute("SELECT 1")
        return cursor.fetchone()

    def per_call(function, calls):
        function()
        return timeit.Timer(function).timeit(number=calls) / calls * 1e6

    runs = {"map cached": [], "MAP_REFRESH_SECONDS = 0": [], "SELECT 1 on default": []}
    for _ in range(7):
        runs["map cached"].append(per_call(decide, 10_000))
        with override_settings(DATABASE_SHARDING=every_time):
            runs["MAP_REFRESH_SECONDS = 0"].append(per_call(decide, 500))
        runs["SELECT 1 on default"].append(per_call(round_trip, 500))
    cursor.close()
    return {name: statistics.median(values) for name, values in runs.items()}


if __name__ == "__main__":
    sys.exit(main())
