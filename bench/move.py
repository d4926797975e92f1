"""``move_shard`` on the real PostgreSQL topology: copy rate, and what writers feel during a move.

Run on a throwaway copy of the topology::

    make bench-move
    PG_TOPOLOGY_DIR=/tmp/multidb-pg-move PG_TOPOLOGY_PORT=23462 \\
      .venv/bin/python scripts/pg_topology.py run -- .venv/bin/python bench/move.py

1. ``manage.py migrate_all``; 640 users in ``default``; 100,000 events spread
   over them, and 50,000 more for the users of logical shard 5 (on
   ``shard_0``), the one that moves: about 51,500 rows to copy.
2. Two writer threads in this process write events through the ORM and the
   routers, as the site does, each paced at ``--rate`` writes a second, and
   time each write: one for users of logical shard 5 (the moving one, with
   ``retry_while_frozen``, so a write refused by the freeze waits and goes
   where the map then says), one for users of logical shard 6 (another
   logical shard on the same physical database, the source).
3. For each ``--pause`` (0, and 0.05 s between batches), ``--moves`` times,
   alternating: ``--before`` seconds of writes alone, then ``manage.py
   move_shard 5 --to …`` in a child process (the other shard each time:
   there and back), with the writers going on.
4. For each writer, p50, p99 and the highest write latency before and during
   the moves, and the ratios; the rows copied a second (the copy step's
   rows over its time); how long writes to the moving logical shard were
   frozen. Then every write is looked for where the map says: none lost.

The figures are printed, never asserted.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_sharding"
os.environ.setdefault("MULTIDB_REPLICA_LAG_INTERVAL", "0")
os.environ.setdefault("DJANGO_DEBUG", "false")

REQUIRED = ("DATABASE_URL", "DATABASE_URL_SHARD_0", "DATABASE_URL_SHARD_1")
MOVING, OTHER = 5, 6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="Events over every user.")
    parser.add_argument("--moving-events", type=int, default=50_000, help="More in shard 5.")
    parser.add_argument("--rate", type=float, default=100, help="Writes a second per writer.")
    parser.add_argument("--before", type=float, default=10, help="Seconds of writes per baseline.")
    parser.add_argument("--moves", type=int, default=2, help="Moves per pause, there and back.")
    parser.add_argument(
        "--pauses", default="0,0.05", help="move_shard --pause values, compared (0,0.05)."
    )
    parser.add_argument("--batch-size", type=int, default=1000, help="move_shard --batch-size.")
    args = parser.parse_args()
    from bench.processes import postgres_machine, topology_missing

    if topology_missing("bench/move.py", "bench-move", REQUIRED):
        return 2

    django.setup()
    from django.core.management import call_command

    from bench.table import format_table, ratio
    from routers.shard_move import moves

    started = time.perf_counter()
    print(postgres_machine("shard_0"))
    with open(os.devnull, "w") as quiet:
        call_command("migrate_all", verbosity=0, stdout=quiet)
    users = load(events=args.events, moving_events=args.moving_events)

    writers = [Writer("logical shard 5 (moving)", users[MOVING], args.rate)]
    writers.append(Writer("logical shard 6 (stays)", users[OTHER], args.rate))
    for writer in writers:
        writer.start()
    pauses = [float(value) for value in args.pauses.split(",")]
    windows: dict = {"before": [], **{pause: [] for pause in pauses}}
    n = 0
    for _ in range(args.moves):
        for pause in pauses:
            began = time.perf_counter()
            time.sleep(args.before)
            windows["before"].append((began, time.perf_counter()))
            target = "shard_1" if n % 2 == 0 else "shard_0"
            began = time.perf_counter()
            move_in_child(target, batch_size=args.batch_size, pause=pause)
            windows[pause].append((began, time.perf_counter()))
            n += 1
    for writer in writers:
        writer.stopping.set()
        writer.join()

    print(
        f"\nWrite latency, ms: {args.rate:g} writes/s per writer, each an Event.objects.create "
        f"through the routers; before = {args.before:g} s of writes alone before each move, "
        f"during = while move_shard ran ({args.moves} moves with each --pause, alternating)\n"
    )
    rows = []
    for writer in writers:
        before = writer.latencies(windows["before"])
        for pause in pauses:
            during = writer.latencies(windows[pause])
            rows.append(
                [
                    writer.name,
                    f"{pause:g} s",
                    f"{len(before):,} / {len(during):,}",
                    f"{pct(before, 50):.2f} / {pct(during, 50):.2f}",
                    ratio(pct(during, 50), pct(before, 50)),
                    f"{pct(before, 99):.2f} / {pct(during, 99):.2f}",
                    ratio(pct(during, 99), pct(before, 99)),
                    f"{max(before):.1f} / {max(during):.1f}",
                ]
            )
    print(
        format_table(
            [
                "writer",
                "--pause",
                "writes before / during",
                "p50 before / during",
                "ratio",
                "p99 before / during",
                "ratio",
                "max",
            ],
            rows,
            align="llrrrrrr",
        )
    )
    print(
        "\nWrites refused by the freeze, then retried on the new database: "
        + ", ".join(f"{writer.name} {writer.refused:,}" for writer in writers)
    )

    done = [move for move in moves(limit=n) if move.status == "done"][::-1]
    print("\nEach move: rows of logical shard 5, the copy step's rate, each step, the freeze\n")
    table = []
    for move in done:
        timings = move.detail["timings"]
        copy = timings["copy"][1] - timings["copy"][0]
        rows_moved = sum(source for source, _ in move.detail["plan"].values())
        table.append(
            [
                f"{move.source} → {move.target}",
                f"{move.detail.get('pause', 0):g} s",
                f"{rows_moved:,}",
                f"{rows_moved / copy:,.0f}",
                ", ".join(f"{s} {timings[s][1] - timings[s][0]:.2f}" for s in timings),
                f"{move.detail['frozen_seconds'] * 1000:.0f} ms",
            ]
        )
    print(
        format_table(
            ["move", "--pause", "rows", "rows/s copied", "steps, s", "writes frozen"],
            table,
            align="llrrll",
        )
    )
    print("\nWrite p99 by step, ms, over every move (the same writes as above, split by when)\n")
    steps = list(done[0].detail["timings"]) if done else []
    print(
        format_table(
            ["writer", *steps],
            [
                [
                    writer.name,
                    *(f"{pct(writer.during_step(done, step) or [0.0], 99):.2f}" for step in steps),
                ]
                for writer in writers
            ],
            align="l" + "r" * len(steps),
        )
    )
    print(f"\n{account(writers)}")
    print(f"\nDone in {time.perf_counter() - started:.0f} s.")
    return 0


def pct(values: list[float], n: int) -> float:
    return statistics.quantiles(values, n=100)[n - 1] if len(values) > 1 else values[0]


def load(*, events: int, moving_events: int) -> dict[int, list]:
    """640 users (10 per logical shard) and their events; the users by logical shard."""
    from django.contrib.auth import get_user_model

    from apps.activity.models import Event

    User = get_user_model()
    if User.objects.exists():
        raise SystemExit("bench/move.py wants an empty default database: use a fresh topology.")
    made = User.objects.bulk_create(User(username=f"move-bench-{n}") for n in range(640))
    by_shard: dict[int, list] = {}
    for user in made:
        by_shard.setdefault(user.pk % 64, []).append(user)
    rng = random.Random(1)
    started = time.perf_counter()
    for owners, count in ((made, events), (by_shard[MOVING], moving_events)):
        for first in range(0, count, 10_000):
            Event.objects.bulk_create(
                (
                    Event(user=rng.choice(owners), kind=Event.Kind.PAGE_VIEWED, summary=f"e{n}")
                    for n in range(first, min(first + 10_000, count))
                ),
                batch_size=5_000,
            )
    print(
        f"640 users; {events:,} events over all of them and {moving_events:,} more in "
        f"logical shard {MOVING}, by bulk_create in {time.perf_counter() - started:.1f} s"
    )
    return by_shard


class Writer(threading.Thread):
    """Writes events for *users* at *rate* a second and times each, until stopped."""

    def __init__(self, name: str, users: list, rate: float):
        super().__init__(name=name, daemon=True)
        self.users, self.interval = users, 1 / rate
        self.timed: list[tuple[float, float]] = []  # (start, ms)
        self.walls: list[float] = []  # each write's start, wall clock (the moves' timings)
        self.ids: list[int] = []
        self.refused = 0
        self.stopping = threading.Event()

    def run(self):
        from django.db import connections

        from routers.shard_freeze import retry_while_frozen

        next_at, n = time.perf_counter(), 0
        while not self.stopping.is_set():
            began = time.perf_counter()
            self.walls.append(time.time())
            event = retry_while_frozen(self.write, self.users[n % len(self.users)], timeout=30)
            self.timed.append((began, (time.perf_counter() - began) * 1000))
            self.ids.append(event.pk)
            n += 1
            next_at += self.interval
            time.sleep(max(0.0, next_at - time.perf_counter()))
        connections.close_all()

    def write(self, user):
        from apps.activity.models import Event
        from routers.shard_freeze import ShardFrozen

        try:
            return Event.objects.create(user=user, kind=Event.Kind.NOTE_SAVED, summary="bench")
        except ShardFrozen:
            self.refused += 1
            raise

    def during_step(self, done, step: str) -> list[float]:
        spans = [move.detail["timings"][step] for move in done]
        return [
            ms
            for wall, (_, ms) in zip(self.walls, self.timed, strict=False)
            if any(a <= wall < b for a, b in spans)
        ]

    def latencies(self, windows: list[tuple[float, float]]) -> list[float]:
        return [ms for at, ms in self.timed if any(a <= at < b for a, b in windows)]


def move_in_child(target: str, *, batch_size: int, pause: float) -> None:
    """``manage.py move_shard`` in its own process, as an operator would run it."""
    result = subprocess.run(
        [sys.executable, "manage.py", "move_shard", str(MOVING), "--to", target]
        + [f"--batch-size={batch_size}", f"--pause={pause}", "--verbosity=0"],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"move_shard failed:\n{result.stderr}")


def account(writers) -> str:
    """Every write each writer was told was saved, looked for where the map says now."""
    from apps.activity.models import Event
    from routers import shard_map

    shard_map._MAP_CACHE.clear()
    parts, lost = [], False
    for writer in writers:
        found = 0
        for user in writer.users:
            ids = set(Event.objects.for_key(user.pk).values_list("pk", flat=True))
            found += len(ids & set(writer.ids))
        parts.append(f"{writer.name}: {found:,} of {len(writer.ids):,} writes found")
        lost = lost or found != len(writer.ids)
    return ("WRITES LOST: " if lost else "Nothing lost: ") + "; ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
