"""Reliability drill: each database fails under live traffic, the replica and those without one.

Run on a throwaway copy of the real PostgreSQL topology::

    make bench-drill
    PG_TOPOLOGY_DIR=/tmp/multidb-pg-drill PG_TOPOLOGY_PORT=22442 \\
      .venv/bin/python scripts/pg_topology.py run -- .venv/bin/python bench/drill.py

The drill migrates and seeds the topology, starts gunicorn on 127.0.0.1
(``docker/gunicorn.conf.py``, 2 workers of 4 threads, ``bench.settings_drill``:
3 s cooldown, lag measured every 0.5 s), and keeps client threads reading
pages, posting notes and placing orders (``bench.drill_load``) while it does
to the servers, one phase after another, what happens in production:

- to the replica's: stop it (``pg_ctl stop -m immediate``), start it, hang it
  (SIGSTOP on the postmaster), resume it (SIGCONT), pause WAL replay, resume
  replay;
- to ``blog_db``'s, then ``shop_db``'s: hang, resume, stop, start;
- the cross-database writes: stop ``shop_db`` and start it, then stop
  ``default``'s primary and start it, while members order; then run
  ``manage.py outbox_relay`` and compare each customer's orders in
  ``shop_db`` with their ``orders_placed`` in ``default``.

It prints, per phase, the requests sent, the failures, the worst added wait
and the share of the routed default-or-replica queries that the replica
served; for ``blog_db`` and ``shop_db``, the p50 and p99 of the pages that
don't need them against the phase before, and the answers of those that do;
then the orders' answers and the counters against the orders. The figures are
printed, never asserted. Gunicorn is stopped and every server restored at the
end, also after an error.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from bench import drill_outages
from bench.drill_load import READ_PATHS, Load
from bench.drill_report import Phase, by_page, report
from bench.drill_users import PASSWORD
from bench.processes import gunicorn_machine, run_module, topology_missing
from tests.postgres import servers

ROOT = Path(__file__).resolve().parent.parent
STANDBY = servers.STANDBY
STOCK = 100_000  # per product, so that no order of the drill runs short
GOAL = 1.2  # pages that don't need a database in trouble: at most 1.2 times as slow


def outage(number: int, alias: str, server: str) -> list[Phase]:
    """Hang, resume, stop and start the server of *alias*, a database without a replica."""
    return [
        Phase(f"{number} {alias} hung (SIGSTOP)", lambda: servers.hang(server)),
        Phase(f"{number + 1} {alias} resumed (SIGCONT)", lambda: servers.resume(server)),
        Phase(f"{number + 2} {alias} stopped (-m immediate)", lambda: servers.stop(server)),
        Phase(f"{number + 3} {alias} started again", lambda: servers.start(server)),
    ]


def pending_events() -> int:
    """The order events not yet applied to default, counted in shop_db (psql, Unix socket)."""
    sql = "SELECT count(*) FROM shop_orderevent WHERE applied_at IS NULL"
    shop, database = servers.server("shop"), servers.topology.DB_NAME
    return int(servers.topology.psql(servers.bindir(), shop, sql, database=database))


def default_back() -> int:
    """Count the events left pending while default was down, then start it; return the count."""
    pending = pending_events()
    servers.start("primary")
    return pending


BASELINE = Phase("baseline", None)
REPLICA_PHASES = [
    Phase("1 replica stopped (-m immediate)", lambda: servers.stop(STANDBY)),
    Phase("2 replica started again", lambda: servers.start(STANDBY)),
    Phase("3 replica hung (SIGSTOP)", lambda: servers.hang(STANDBY)),
    Phase("4 replica resumed (SIGCONT)", lambda: servers.resume(STANDBY)),
    Phase("5 replay paused", lambda: servers.psql(STANDBY, "SELECT pg_wal_replay_pause()")),
    Phase("6 replay resumed", servers.replay_resume),
]
BLOG_PHASES = outage(7, "blog_db", "blog")
SHOP_PHASES = outage(11, "shop_db", "shop")
ORDER_PHASES = [  # the cross-database writes: the order's database, then the counter's
    Phase("15 orders: shop_db stopped", lambda: servers.stop("shop")),
    Phase("16 orders: shop_db started", lambda: servers.start("shop")),
    Phase("17 orders: default stopped (primary)", lambda: servers.stop("primary")),
    Phase("18 orders: default started", default_back),
]
PHASES = [BASELINE, *REPLICA_PHASES, *BLOG_PHASES, *SHOP_PHASES, *ORDER_PHASES]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10, help="Client threads.")
    parser.add_argument("--members", type=int, default=5, help="Clients that log in.")
    parser.add_argument(
        "--write-share", type=float, default=0.1, help="Share of requests that post."
    )
    parser.add_argument(
        "--order-share",
        type=float,
        default=0.1,
        help="Share of a member's requests that POST an order.",
    )
    parser.add_argument(
        "--think", type=float, default=0.25, help="Seconds between a client's requests."
    )
    parser.add_argument("--phase-seconds", type=float, default=12, help="Length of each phase.")
    parser.add_argument(
        "--pages", default=",".join(READ_PATHS), help="Comma-separated pages the clients read."
    )
    parser.add_argument("--seed", type=int, default=1, help="Random seed of the load.")
    args = parser.parse_args()
    if topology_missing("bench/drill.py", "bench-drill"):
        return 2

    started = time.monotonic()
    print(gunicorn_machine(), flush=True)
    port = free_port()
    env = drill_env(port)
    shop_before = prepare_databases(env, members=args.members)
    log = Path(tempfile.mkdtemp(prefix="multidb-drill-")) / "gunicorn.log"
    gunicorn = start_gunicorn(env, port, log)
    load = None
    try:
        wait_until_serving(port, gunicorn)
        load = Load(
            port=port,
            clients=args.clients,
            members=args.members,
            password=PASSWORD,
            pages=args.pages.split(","),
            write_share=args.write_share,
            order_share=args.order_share,
            think=args.think,
            seed=args.seed,
            timeout=30,
        )
        load.prepare()
        servers.wait_for_standby()
        load.start()
        run_phases(seconds=args.phase_seconds)
    finally:
        if load is not None:
            load.stop(timeout=40)
        stop_gunicorn(gunicorn)
        servers.restore()
    ended = time.monotonic()

    print(
        f"\n{args.clients} clients ({args.members} logged in); at each step a member orders at "
        f"{args.order_share:.0%}, otherwise a client POSTs a note at {args.write_share:.0%}, "
        f"otherwise reads one of {', '.join(args.pages.split(','))}; "
        f"{args.think * 1000:.0f} ms between a client's requests; "
        f"gunicorn 2 workers x 4 threads; phases of {args.phase_seconds:g} s\n"
    )
    print(report(PHASES, load.results, ended))
    print("\nLatency by page, median / slowest\n")
    print(by_page(PHASES, load.results, ended))
    ratios = print_outages(load.results, ended)
    print_orders(env, load.results, ended, shop_before)
    print_goal(ratios)
    errors = log.read_text(errors="replace").count("Traceback")
    details = log.with_name("requests.json")
    phases = [{"name": p.name, "began": p.began, "acted": p.acted} for p in PHASES]
    details.write_text(
        json.dumps({"phases": phases, "requests": [asdict(r) for r in load.results]})
    )
    print(f"\nTracebacks in the gunicorn log: {errors} ({log}; every request in {details.name})")
    print(f"Done in {time.monotonic() - started:.0f} s; gunicorn stopped, servers restored.")
    return 0


def print_outages(results, ended) -> dict[str, list]:
    """The blog_db and shop_db tables; return each alias's ratios against the phase before."""
    spans = drill_outages.windows(PHASES, ended)
    touched = drill_outages.pages_touching(results, spans[BASELINE.name])
    print("\nDatabases each page touched in the baseline (X-DB-Queries):\n")
    print(drill_outages.describe_touching(touched))
    ratios = {}
    for alias, group in (("blog_db", BLOG_PHASES), ("shop_db", SHOP_PHASES)):
        before = PHASES[PHASES.index(group[0]) - 1]
        table, ratios[alias] = drill_outages.outage_table(
            results,
            spans,
            rows=[phase.name for phase in [before, *group]],
            alias=alias,
            touched=touched,
        )
        print(f"\n{alias} hung and stopped: p50 / p99 against the phase before\n")
        print(table)
    return ratios


def print_orders(env, results, ended, shop_before: dict) -> None:
    """The orders' answers per phase, then the outbox relay and the counters against orders."""
    spans = drill_outages.windows(PHASES, ended)
    before = PHASES[PHASES.index(ORDER_PHASES[0]) - 1]
    print("\nCross-database writes: orders while shop_db, then default, were down\n")
    rows = [phase.name for phase in [before, *ORDER_PHASES]]
    print(drill_outages.orders_table(results, spans, rows=rows))
    last = str(shop_before["last_order"])
    down, back = ORDER_PHASES[2], ORDER_PHASES[3]
    placed = [
        r for r in results if r.kind == "order" and r.status == 302 and r.started < back.began
    ]
    placed = [r for r in placed if r.started + r.seconds > down.acted]
    pending = run_module("bench.drill_orders", "count", last, env=env)["pending_events"]
    relay = subprocess.run(
        [sys.executable, "manage.py", "outbox_relay"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    output = (relay.stdout + relay.stderr).strip().replace("\n", "; ")
    print(
        f"\nOrders placed while default was down: {len(placed)}; events pending when it came "
        f"back: {back.found}; after the drill: {pending}; then "
        f"manage.py outbox_relay (exit {relay.returncode}): {output}\n"
    )
    count = run_module("bench.drill_orders", "count", last, env=env)
    table, equal = drill_outages.counters_table(count, drill_outages.placed_by_member(results))
    print(table)
    print(f"\n{drill_outages.half_written(count, shop_before, stock=STOCK)}")
    print(f"counters equal orders: {'yes' if equal else 'no'}")


def print_goal(ratios: dict[str, list]) -> None:
    """Each phase's ratios against the ``GOAL``, and the phases above it."""
    print(
        f"\nPages that don't need the database in trouble, against the phase before "
        f"(goal <= {GOAL}x):"
    )
    for alias, rows in ratios.items():
        found = [value for _, *pair in rows for value in pair if value is not None]
        above = [
            f"{name} {label} ×{value:.2f}"
            for name, *pair in rows
            for label, value in zip(("p50", "p99"), pair, strict=True)
            if value is not None and value > GOAL
        ]
        span = f"×{min(found):.2f}-×{max(found):.2f}" if found else "no figures"
        print(f"  {alias}: {span}; above {GOAL}x: {'; '.join(above) or 'none'}")


def prepare_databases(env: dict[str, str], *, members: int) -> dict:
    """Migrate every database, load the demo data, create the members' accounts, stock up.

    Returns the quantities already ordered per product (the demo's orders)
    and the last order's id: ``{"ordered": {...}, "last_order": 1}``.
    """
    for command in (
        ["manage.py", "migrate_all"],
        ["manage.py", "load_demo"],
        ["-m", "bench.drill_users", str(members)],
    ):
        subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=True, stdout=sys.stderr)
    return run_module("bench.drill_orders", "stock", str(STOCK), env=env)


def run_phases(*, seconds: float) -> None:
    """Act on a server at the start of each phase, then let the load run for *seconds*."""
    for phase in PHASES:
        phase.began = time.monotonic()
        if phase.action:
            phase.found = phase.action()
        phase.acted = time.monotonic()
        time.sleep(max(0.0, phase.began + seconds - time.monotonic()))


def drill_env(port: int) -> dict[str, str]:
    """The server's environment: the topology's DATABASE_URL* variables, the drill's settings."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings_drill",
        "DJANGO_SECRET_KEY": "drill-only-not-secret",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "ROUTING_TRACE": "true",  # the X-DB-Queries header says which database served
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        *("-c", "docker/gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "project.wsgi"),
    ]
    with open(log, "w") as output:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_serving(port: int, gunicorn: subprocess.Popen, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if gunicorn.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {gunicorn.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not listening on {port} after {timeout} s") from None
            time.sleep(0.1)


def stop_gunicorn(gunicorn: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's own process group (master and workers); SIGKILL if it lingers."""
    if gunicorn.poll() is not None:
        return
    os.killpg(gunicorn.pid, signal.SIGTERM)
    try:
        gunicorn.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(gunicorn.pid, signal.SIGKILL)
        gunicorn.wait()


if __name__ == "__main__":
    sys.exit(main())
