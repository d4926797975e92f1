"""Stop, start, hang and resume the servers of the local PostgreSQL topology.

The servers are the ones ``scripts/pg_topology.py`` started (``primary``,
``standby``, ``blog``, ``shop``, ``analytics``, ``legacy``, ``shard0``, ``shard1``),
found through the same
``$PG_TOPOLOGY_DIR`` and ``$PG_TOPOLOGY_PORT``. The failover tests and the reliability drill
(``bench/drill.py``) both use this module, so it depends on the standard
library only: no Django, no pytest.

- ``stop(name)`` is ``pg_ctl stop -m immediate``: the server dies at once, as
  on a crash, and every open connection breaks.
- ``hang(name)`` sends SIGSTOP to the postmaster. The kernel still completes
  TCP handshakes on its socket, but nothing answers them, so a new connection
  waits for the client's ``connect_timeout``. Backends already running carry
  on: only new connections hang.
- ``restore()`` undoes all of it, whatever a failed test left behind: every
  postmaster continued, every stopped server started, replay resumed, and the
  standby streaming and caught up with its primary.
- ``subscribe(database)`` and ``unsubscribe(database)`` create (or refresh) and
  drop the analytics warehouse's subscriptions in *database*, e.g. the tests'
  ``test_multidb``: after Django creates the test databases, and before it
  drops them. ``subscription_lag(database)`` says how long since each
  subscription last heard from its source.

The servers run as the ``postgres`` OS user; run as root, this module may
signal them.
"""

import contextlib
import importlib.util
import os
import signal
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg_topology.py"


def _load_topology():
    """Import ``scripts/pg_topology.py`` from its path (``scripts/`` is no package)."""
    spec = importlib.util.spec_from_file_location("pg_topology", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


topology = _load_topology()
STANDBY = next(server.name for server in topology.SERVERS if server.standby_of)


class ServerControlError(Exception):
    """A server didn't do what it was told within its time limit."""


def bindir() -> Path:
    found = topology.find_bindir()
    if found is None:
        raise ServerControlError("PostgreSQL binaries not found (initdb, pg_ctl): set PG_BINDIR")
    return found


def server(name: str):
    """The topology's server called *name* (``primary``, ``standby``, ``analytics``, ...)."""
    return topology.BY_NAME[name]


def port_of(name: str) -> int:
    return server(name).port


def pid(name: str) -> int | None:
    """The postmaster's process id (first line of ``postmaster.pid``), or None when stopped."""
    try:
        return int((server(name).data_dir / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def is_running(name: str) -> bool:
    return topology.is_running(bindir(), server(name))


def stop(name: str, mode: str = "immediate") -> None:
    """``pg_ctl stop -m <mode>``; returns once the server is gone."""
    resume(name)  # a stopped postmaster can't act on pg_ctl's signal
    topology.run(
        [
            *topology.as_server_user(),
            bindir() / "pg_ctl",
            "-D",
            server(name).data_dir,
            "-m",
            mode,
            "-w",
            "-t",
            "60",
            "stop",
        ]
    )


def start(name: str) -> None:
    """``pg_ctl start``; returns once the server accepts connections."""
    topology.start(bindir(), server(name))


def hang(name: str) -> None:
    """SIGSTOP the postmaster: new connections hang until ``resume(name)``."""
    process = pid(name)
    if process is None:
        raise ServerControlError(f"{name} is not running: nothing to hang")
    os.kill(process, signal.SIGSTOP)


def resume(name: str) -> None:
    """SIGCONT the postmaster (harmless when it isn't stopped, or not running)."""
    process = pid(name)
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process, signal.SIGCONT)


def psql(name: str, sql: str) -> str:
    """Run *sql* as the superuser on *name*, over its Unix socket; return the output."""
    return topology.psql(bindir(), server(name), sql)


def replay_resume() -> None:
    psql(STANDBY, "SELECT pg_wal_replay_resume()")


def streaming(primary: str = "primary") -> bool:
    """Whether a standby streams from *primary* now (its walsender says so)."""
    count = psql(primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
    return int(count) > 0


def caught_up() -> bool:
    """Whether the standby has replayed everything its primary has written so far."""
    target = psql(server(STANDBY).standby_of, "SELECT pg_current_wal_lsn()")
    return psql(STANDBY, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t"


def wait_until(condition, *, timeout: float, what: str) -> None:
    """Poll *condition* until it holds; a condition that raises counts as not yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except topology.TopologyError:
            pass  # e.g. a server still starting up
        if time.monotonic() > deadline:
            raise ServerControlError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def wait_for_standby(*, timeout: float = 60.0) -> None:
    """Return once the standby streams from its primary and has replayed all it wrote.

    After either server restarts, the standby's WAL receiver reconnects on its
    own, within ``wal_retrieve_retry_interval`` (5 s by default).
    """
    primary = server(STANDBY).standby_of
    wait_until(lambda: streaming(primary), timeout=timeout, what=f"{STANDBY} to stream")
    wait_until(caught_up, timeout=timeout, what=f"{STANDBY} to catch up with {primary}")


def subscribe(database: str) -> None:
    """Subscribe the warehouse's *database* to each source's; return once every table is copied.

    Each source's *database* must have its ``analytics`` publication (migrations
    create it), and the warehouse's *database* the tables it lists.
    """
    topology.subscribe(bindir(), database)


def unsubscribe(database: str) -> None:
    """Drop the warehouse's subscriptions in *database*, and their slots on the sources.

    Needed before Django drops the test databases: PostgreSQL refuses to drop a
    database that a subscription, or a replication slot, still uses.
    """
    topology.unsubscribe(bindir(), database)


def subscription_lag(database: str) -> dict[str, float | None]:
    """Seconds since each subscription in *database* last heard from its source.

    Keyed by subscription (``analytics_default``, ...); None when there is no
    such subscription, or no worker applies it.
    """
    return topology.subscription_lag(bindir(), database)


def restore() -> None:
    """Bring every server back and the standby in step, whatever state they are in.

    The warehouse included: its subscriptions' workers reconnect to a source
    that is back on their own, within the warehouse's wal_retrieve_retry_interval.
    """
    problems = []
    for each in topology.SERVERS:
        resume(each.name)
        try:
            if not is_running(each.name):
                start(each.name)
        except topology.TopologyError as error:
            problems.append(f"{each.name}: {error}")
    if problems:
        raise ServerControlError("could not restart: " + "; ".join(problems))
    replay_resume()
    wait_for_standby()
