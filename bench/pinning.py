"""Read-your-writes under load: LSN pinning, 15-second time pinning and always-primary side by side.

Run on the real PostgreSQL topology (a primary and its streaming standby)::

    make bench-pinning
    PG_TOPOLOGY_DIR=/tmp/multidb-pg-bench PG_TOPOLOGY_PORT=22462 \\
      .venv/bin/python scripts/pg_topology.py run -- .venv/bin/python bench/pinning.py

One worker process per routing mode (``bench.pinning_worker``) runs the same
simulated clients, in lockstep: this driver starts each round in every worker
at once, and pauses WAL replay on the standby during the same rounds for all
of them. Each worker counts where every read was served (by the alias that
ran its queries) and every stale read: one that returned less than the
client's own last acknowledged write. The figures are printed, never asserted.
"""

import argparse
import os
import platform
import sys
import time
from contextlib import ExitStack
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from bench.pinning_replay import Standby
from bench.processes import ROOT, Worker, topology_missing
from bench.table import format_table, ratio

MODES = {
    "lsn": "LSN pinning",
    "time": "time pinning (15 s)",
    "primary": "always primary",
    "unpinned": "replicas, no pinning (control)",
}
SETTINGS = "bench.settings_pinning"


class ModeWorker(Worker):
    def send(self, command: str) -> None:
        """Send *command* without waiting, so every worker can start on it at once."""
        self.process.stdin.write(f"{command}\n")
        self.process.stdin.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=40, help="Simulated clients per mode.")
    parser.add_argument("--rounds", type=int, default=60, help="Steps each client takes.")
    parser.add_argument("--round-seconds", type=float, default=0.5, help="Shortest round.")
    parser.add_argument("--pause-every", type=int, default=15, help="Rounds per replay cycle.")
    parser.add_argument("--pause-rounds", type=int, default=4, help="Paused rounds per cycle.")
    parser.add_argument("--seed", type=int, default=1, help="Random seed of the load.")
    args = parser.parse_args()
    if topology_missing("bench/pinning.py", "bench-pinning"):
        return 2

    started = time.perf_counter()
    print(
        f"Python {platform.python_version()}, Django {version('django')}, "
        f"psycopg {version('psycopg')}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs",
        flush=True,
    )
    env = worker_env()
    migrate = [sys.executable, "manage.py", "migrate_all"]
    subprocess_run(migrate, env=env)
    standby = Standby(
        primary_url=os.environ["DATABASE_URL"],
        standby_superuser_url=os.environ["DATABASE_URL_REPLICA_SUPERUSER"],
    )
    try:
        if standby.count("SELECT count(*) FROM accounts_user"):
            print("bench/pinning.py needs an empty topology: default has users.", file=sys.stderr)
            return 2
        reports, seconds = run_load(args, env=env, standby=standby)
    finally:
        standby.close()

    print(
        f"\n{args.clients} clients per mode, {args.rounds} rounds (at least "
        f"{args.round_seconds} s each; {seconds:.0f} s in all), replay paused in "
        f"{args.pause_rounds} of every {args.pause_every} rounds, seed {args.seed}"
    )
    print("MULTIDB_PINNING_SECONDS = 15; one worker process per mode, all in lockstep\n")
    print(summary_table(reports))
    print("\nShare of reads served by the replica (stale reads), by situation\n")
    print(situation_table(reports))
    lsn, timed = (share(reports[mode]["reads"]) for mode in ("lsn", "time"))
    print(f"\nReplica share, LSN / time: {ratio(lsn, timed) if timed else 'n/a'}")
    for mode in ("lsn", "time", "primary"):
        if stale := sum(reports[mode]["stale"].values()):
            print(f"WARNING: {MODES[mode]} served {stale} stale reads; it should serve none.")
    for mode, report in reports.items():
        reads = report["reads"]
        if mixed := sum(n for key, n in reads.items() if key.endswith((" both", " none"))):
            print(f"WARNING: {MODES[mode]}: {mixed} reads ran on both aliases or on neither.")
        if report["errors"]:
            print(
                f"WARNING: {MODES[mode]}: {len(report['errors'])} failed requests, e.g. "
                f"{report['errors'][0]}"
            )
    print(f"\nDone in {time.perf_counter() - started:.0f} s.")
    return 0


def worker_env() -> dict[str, str]:
    """The workers' environment: the topology's DATABASE_URL* variables, bench settings."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_DEBUG": "false",  # DEBUG keeps every query in memory
        "DJANGO_ALLOWED_HOSTS": "testserver",  # the host of Django's test client
        "ROUTING_TRACE": "false",
    }


def subprocess_run(command: list[str], *, env: dict[str, str]) -> None:
    import subprocess

    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=sys.stderr)


def paused(number: int, args) -> bool:
    """Whether replay is paused in round *number*: the middle rounds of each cycle."""
    position = number % args.pause_every
    start = args.pause_every // 2
    return start <= position < start + args.pause_rounds


def run_load(args, *, env: dict[str, str], standby: Standby) -> tuple[dict, float]:
    """Run every round in every worker at once; return each mode's report and the seconds taken."""
    options = [f"--clients={args.clients}", f"--rounds={args.rounds}", f"--seed={args.seed}"]
    with ExitStack() as stack:
        workers = {
            mode: stack.enter_context(
                ModeWorker("bench.pinning_worker", f"--mode={mode}", *options, env=env)
            )
            for mode in MODES
        }
        for worker in workers.values():
            worker.read()  # clients created and logged in
        standby.wait_for_replay()  # every mode starts from a standby that has caught up
        load_started = time.perf_counter()
        is_paused = False
        for number in range(args.rounds):
            round_started = time.perf_counter()
            if paused(number, args) != is_paused:
                is_paused = not is_paused
                standby.pause() if is_paused else standby.resume()
            for worker in workers.values():
                worker.send(f"round {number} {'paused' if is_paused else 'replaying'}")
            for worker in workers.values():
                worker.read()
            time.sleep(max(0.0, round_started + args.round_seconds - time.perf_counter()))
        seconds = time.perf_counter() - load_started
        standby.resume()
        reports = {mode: worker.ask("report") for mode, worker in workers.items()}
    return reports, seconds


def share(reads: dict[str, int], *, where: str = "") -> float:
    """The fraction of the reads whose key contains *where* that the replica served."""
    chosen = {key: n for key, n in reads.items() if where in key}
    total = sum(chosen.values())
    on_replica = sum(n for key, n in chosen.items() if key.endswith(" replica"))
    return on_replica / total if total else 0.0


def summary_table(reports: dict[str, dict]) -> str:
    header = [
        "mode",
        "reads",
        "on replica",
        "replica share",
        "stale reads",
        "writes",
        "SELECTs default / replica",
        "position queries",
    ]
    rows = []
    for mode, report in reports.items():
        reads, queries = report["reads"], report["queries"]
        on_replica = sum(n for key, n in reads.items() if key.endswith(" replica"))
        rows.append(
            [
                MODES[mode],
                str(sum(reads.values())),
                str(on_replica),
                f"{share(reads):.1%}",
                str(sum(report["stale"].values())),
                str(report["writes"]),
                f"{queries.get('default select', 0)} / {queries.get('replica select', 0)}",
                str(queries.get("default probe", 0) + queries.get("replica probe", 0)),
            ]
        )
    return format_table(header, rows, align="lrrrrrrr")


SITUATIONS = {
    "replaying other": "replay running, other reads",
    "replaying after-write": "replay running, read right after own write",
    "paused other": "replay paused, other reads",
    "paused after-write": "replay paused, read right after own write",
}


def situation_table(reports: dict[str, dict]) -> str:
    header = ["situation", "reads", *(MODES[mode].split(" (")[0] for mode in reports)]
    rows = []
    for key, label in SITUATIONS.items():
        reads = next(iter(reports.values()))["reads"]
        row = [label, str(sum(n for k, n in reads.items() if k.startswith(key + " ")))]
        for report in reports.values():
            stale = sum(n for k, n in report["stale"].items() if k.startswith(key + " "))
            row.append(f"{share(report['reads'], where=key + ' '):.1%} ({stale})")
        rows.append(row)
    return format_table(header, rows, align="lr" + "r" * len(reports))


if __name__ == "__main__":
    sys.exit(main())
