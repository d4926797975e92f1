"""Reliability drill: the replica dies, comes back, hangs, resumes and lags under live traffic.

Run on a throwaway copy of the real PostgreSQL topology::

    make bench-drill
    PG_TOPOLOGY_DIR=/tmp/multidb-pg-drill PG_TOPOLOGY_PORT=55492 \\
      .venv/bin/python scripts/pg_topology.py run -- .venv/bin/python bench/drill.py

The drill migrates and seeds the topology, starts gunicorn on 127.0.0.1
(``docker/gunicorn.conf.py``, 2 workers of 4 threads, ``bench.settings_drill``:
3 s cooldown, lag measured every 0.5 s), and keeps client threads reading
pages and posting notes (``bench.drill_load``) while it does to the replica's
server, one phase after another, what happens in production: stop it
(``pg_ctl stop -m immediate``), start it, hang it (SIGSTOP on the postmaster),
resume it (SIGCONT), pause WAL replay, resume replay. It prints, per phase,
the requests sent, the failures, the worst added wait and the share of the
routed default-or-replica queries that the replica served. The figures are
printed, never asserted. Gunicorn is stopped and every server restored at the
end, also after an error.
"""

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root

from bench.drill_load import READ_PATHS, Load
from bench.drill_report import Phase, by_page, report
from bench.drill_users import PASSWORD
from bench.processes import topology_missing
from tests.postgres import servers

ROOT = Path(__file__).resolve().parent.parent
STANDBY = servers.STANDBY


PHASES = [
    Phase("baseline", None),
    Phase("1 replica stopped (-m immediate)", lambda: servers.stop(STANDBY)),
    Phase("2 replica started again", lambda: servers.start(STANDBY)),
    Phase("3 replica hung (SIGSTOP)", lambda: servers.hang(STANDBY)),
    Phase("4 replica resumed (SIGCONT)", lambda: servers.resume(STANDBY)),
    Phase("5 replay paused", lambda: servers.psql(STANDBY, "SELECT pg_wal_replay_pause()")),
    Phase("6 replay resumed", servers.replay_resume),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10, help="Client threads.")
    parser.add_argument("--members", type=int, default=5, help="Clients that log in.")
    parser.add_argument(
        "--write-share", type=float, default=0.1, help="Share of requests that post."
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
    print(
        f"Python {platform.python_version()}, Django {version('django')}, "
        f"gunicorn {version('gunicorn')}, psycopg {version('psycopg')}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        flush=True,
    )
    port = free_port()
    env = drill_env(port)
    prepare_databases(env, members=args.members)
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
        f"\n{args.clients} clients ({args.members} logged in), {args.write_share:.0%} of requests "
        f"POST a note, {args.think * 1000:.0f} ms between a client's requests; "
        f"gunicorn 2 workers x 4 threads; phases of {args.phase_seconds:g} s\n"
    )
    print(report(PHASES, load.results, ended))
    print("\nLatency by page, median / slowest\n")
    print(by_page(PHASES, load.results, ended))
    errors = log.read_text(errors="replace").count("Traceback")
    details = log.with_name("requests.json")
    details.write_text(json.dumps([asdict(r) for r in load.results]))
    print(f"\nTracebacks in the gunicorn log: {errors} ({log}; every request in {details.name})")
    print(f"Done in {time.monotonic() - started:.0f} s; gunicorn stopped, servers restored.")
    return 0


def prepare_databases(env: dict[str, str], *, members: int) -> None:
    """Migrate every database, load the demo data, create the members' accounts."""
    for command in (
        ["manage.py", "migrate_all"],
        ["manage.py", "load_demo"],
        ["-m", "bench.drill_users", str(members)],
    ):
        subprocess.run([sys.executable, *command], cwd=ROOT, env=env, check=True, stdout=sys.stderr)


def run_phases(*, seconds: float) -> None:
    """Act on the replica at the start of each phase, then let the load run for *seconds*."""
    for phase in PHASES:
        phase.began = time.monotonic()
        if phase.action:
            phase.action()
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
