"""The server processes of scripts/pg_topology.py: binaries, commands, pg_ctl and psql.

    find_bindir()                     where initdb, pg_ctl and psql are, or None
    missing_binaries()                say so loudly; the exit code fails only in CI
    run(cmd)                          run a command, raise TopologyError if it fails
    pg_ctl(bindir, server, *args)     pg_ctl on the server's data directory
    start(bindir, server)             start a server, retrying a port briefly taken
    is_running(bindir, server)        whether its postmaster answers pg_ctl status
    stop_leftover(server)             kill a postmaster pg_ctl couldn't stop
    psql(bindir, server, sql)         run SQL as the superuser over the Unix socket
    psql_file(bindir, server, path, variables)   run an SQL file the same way
    initdb(bindir, server)                       a data directory with SERVER_CONF, once
    configure_and_start(bindir, server, hba)     write pg_hba.conf, start or reload
    ensure_logical_wal(bindir, server)           restart with SERVER_CONF's wal_level
    clone_standby(bindir, server, primary, ...)  pg_basebackup a standby through a slot
    wait_for_streaming(bindir, primary, server)  until the primary streams to it

Everything lives in ``$PG_TOPOLOGY_DIR`` (default ``/tmp/multidb-pg``, made by
``prepare_dir``): the data directories, the logs and the Unix sockets, which is
why it is kept short (socket paths are limited to about 107 bytes). Run as root,
the server binaries run as the ``postgres`` OS user, since PostgreSQL refuses root.

pg_topology.py loads this module by path and re-exports its names. It imports
nothing of pg_topology.py: a server is anything shaped like :class:`ServerLike`
(pg_topology.Server is). Standard library only.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Protocol

TOPOLOGY_DIR = Path(os.environ.get("PG_TOPOLOGY_DIR", "/tmp/multidb-pg"))
INSTALL_HINT = "install PostgreSQL's server package (Debian: apt-get install -y postgresql)"

# Throwaway data: durability settings off, except synchronous_commit, which
# keeps commit-to-standby delivery in milliseconds instead of WAL-writer delay.
# wal_level = logical: the sources publish to the warehouse (the standby, a
# physical copy, streams the same either way).
SERVER_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
port = {port}
fsync = off
full_page_writes = off
synchronous_commit = on
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
hot_standby_feedback = on
max_connections = 100
"""


class TopologyError(Exception):
    """A step failed; the message says which and why."""


class ServerLike(Protocol):
    """What these helpers need of a server: its name, port, data directory and log."""

    name: str
    port: int

    @property
    def data_dir(self) -> Path: ...

    @property
    def log_file(self) -> Path: ...


def find_bindir() -> Path | None:
    """Return the directory of pg_ctl, initdb and friends, or None."""
    if os.environ.get("PG_BINDIR"):  # explicit: the only place to look
        candidate = Path(os.environ["PG_BINDIR"])
        return candidate if (candidate / "initdb").exists() else None
    candidates = []
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(Path(result.stdout.strip()))
    versions = (
        sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name),
            reverse=True,
        )
        if Path("/usr/lib/postgresql").is_dir()
        else []
    )
    candidates.extend(versions)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


def missing_binaries() -> int:
    """Say loudly that the binaries are missing; the exit code fails only in CI."""
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    banner = "!" * 78
    print(
        f"{banner}\nPostgreSQL server binaries not found (initdb, pg_ctl): the real Postgres "
        f"topology can't run, so the Postgres test run is SKIPPED.\nTo enable it: {INSTALL_HINT}"
        f", or set PG_BINDIR.\n{banner}",
        file=sys.stderr,
    )
    return 1 if ci else 0


def prepare_dir() -> None:
    """Create the topology directory, owned by the servers' OS user."""
    TOPOLOGY_DIR.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(TOPOLOGY_DIR, "postgres", "postgres")
    TOPOLOGY_DIR.chmod(0o755)


def as_server_user() -> list[str]:
    """Command prefix that runs a server binary as a non-root user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def run(cmd: list, *, env: dict | None = None, check=True) -> subprocess.CompletedProcess:
    """Run *cmd* with stdin closed and output captured (no inherited pipes kept open)."""
    result = subprocess.run(
        [str(part) for part in cmd],
        cwd=TOPOLOGY_DIR if TOPOLOGY_DIR.exists() else "/",
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        close_fds=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise TopologyError(f"{' '.join(map(str, cmd))} failed:\n{result.stderr or result.stdout}")
    return result


def pg_ctl(bindir: Path, server: ServerLike, *args, check=True) -> subprocess.CompletedProcess:
    """Run ``pg_ctl -D <data dir> *args`` as the server's OS user."""
    return run([*as_server_user(), bindir / "pg_ctl", "-D", server.data_dir, *args], check=check)


def start(bindir: Path, server: ServerLike, *, attempts: int = 5) -> None:
    """Start *server*, retrying while its port is briefly taken.

    The ports sit in Linux's ephemeral range (32768-60999), so a client
    connection elsewhere can hold one for a moment: then the postmaster logs
    "Address already in use" and a retry a moment later succeeds.
    """
    for attempt in range(attempts):
        # The log file takes the server's output; with stdout/stderr captured
        # and fds closed, a caller piping this script still sees EOF when it exits.
        result = pg_ctl(
            bindir, server, "-l", server.log_file, "-w", "-t", "60", "start", check=False
        )
        if result.returncode == 0:
            return
        log = server.log_file.read_text() if server.log_file.exists() else ""
        if "Address already in use" not in log or attempt == attempts - 1:
            raise TopologyError(
                f"{server.name} did not start; see {server.log_file}:\n{log[-800:]}"
            )
        time.sleep(0.5)


def is_running(bindir: Path, server: ServerLike) -> bool:
    """Whether *server* has a data directory and pg_ctl finds its postmaster running."""
    if not server.data_dir.exists():
        return False
    return pg_ctl(bindir, server, "status", check=False).returncode == 0


def stop_leftover(server: ServerLike) -> None:
    """Kill a postmaster that pg_ctl couldn't stop (e.g. one left SIGSTOPped by a test)."""
    pid_file = server.data_dir / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, signal.SIGCONT)
        os.kill(pid, signal.SIGKILL)
    except (ValueError, IndexError, ProcessLookupError, PermissionError):
        pass


def psql_command(bindir: Path, server: ServerLike, *args, database="postgres") -> list:
    """``psql`` as the superuser over the Unix socket, stopping at the first error."""
    connect = ["-h", TOPOLOGY_DIR, "-p", server.port, "-U", "postgres", "-d", database]
    return [bindir / "psql", *connect, "-X", "-v", "ON_ERROR_STOP=1", *args]


def psql(bindir: Path, server: ServerLike, sql: str, *, database="postgres") -> str:
    """Run *sql* as the superuser over the Unix socket and return the output."""
    return run(psql_command(bindir, server, "-Atq", "-c", sql, database=database)).stdout.strip()


def psql_file(
    bindir: Path, server: ServerLike, path: Path, variables: dict, *, database="postgres"
):
    """Run the SQL file *path* as the superuser, with *variables* as psql variables."""
    flags = [part for name, value in variables.items() for part in ("-v", f"{name}={value}")]
    run(psql_command(bindir, server, "-q", *flags, "-f", path, database=database))


def initdb(bindir: Path, server: ServerLike, *, extra_conf: str = "") -> None:
    """initdb *server*'s data directory unless it has one; SERVER_CONF, then *extra_conf*."""
    if (server.data_dir / "PG_VERSION").exists():
        return
    auth = ["-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256"]
    command = [bindir / "initdb", "-D", server.data_dir, *auth, "-E", "UTF8", "--no-sync"]
    run([*as_server_user(), *command])
    with open(server.data_dir / "postgresql.conf", "a") as conf:
        conf.write(SERVER_CONF.format(socket_dir=TOPOLOGY_DIR, port=server.port) + extra_conf)


def configure_and_start(bindir: Path, server: ServerLike, hba: str) -> None:
    """Write *hba* as *server*'s pg_hba.conf, then start it, or have it reread the file.

    Written at every ``up``, as roles.sql runs at every ``up``: a topology
    started before a rule changed gets the new one. The standby needs it most,
    since its data directory, pg_hba.conf included, is a copy of the primary's.
    """
    (server.data_dir / "pg_hba.conf").write_text(hba)
    if is_running(bindir, server):
        psql(bindir, server, "SELECT pg_reload_conf()")
    else:
        start(bindir, server)
    ensure_logical_wal(bindir, server)


def ensure_logical_wal(bindir: Path, server: ServerLike) -> None:
    """Restart *server* with ``wal_level = logical`` if it runs with less.

    A data directory made before the warehouse existed says ``replica``; the
    setting takes a restart, after which a standby reconnects on its own.
    """
    if psql(bindir, server, "SHOW wal_level") == "logical":
        return
    psql(bindir, server, "ALTER SYSTEM SET wal_level = logical")
    pg_ctl(bindir, server, "-m", "fast", "-w", "-t", "60", "stop")
    start(bindir, server)


def clone_standby(bindir: Path, server: ServerLike, primary: ServerLike, *, slot, password) -> None:
    """Fill *server*'s empty data directory with a base backup of *primary*, a standby to be.

    The replication slot *slot* is made anew, so a backup taken before
    (and its slot) never holds the primary's WAL for a standby that is gone.
    """
    psql(
        bindir,
        primary,
        f"SELECT pg_drop_replication_slot(slot_name) FROM "
        f"pg_replication_slots WHERE slot_name = '{slot}'",
    )
    source = ["-h", "127.0.0.1", "-p", primary.port, "-U", "replicator"]
    # -R writes the standby's connection settings, -X stream copies the WAL
    # the backup needs, -C -S creates the slot that keeps the primary's WAL.
    backup = ["-D", server.data_dir, "-R", "-X", "stream", "-C", "-S", slot]
    run(
        [
            *as_server_user(),
            bindir / "pg_basebackup",
            *source,
            *backup,
            "--checkpoint=fast",
            "--no-sync",
        ],
        env={"PGPASSWORD": password},
    )
    # The copied postgresql.conf still says the primary's port; later lines win.
    with open(server.data_dir / "postgresql.conf", "a") as conf:
        conf.write(f"\nport = {server.port}\n")


def wait_for_streaming(bindir: Path, primary: ServerLike, server: ServerLike, timeout=30.0) -> None:
    """Return once *primary* streams WAL to a standby; raise after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    streaming = "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
    while psql(bindir, primary, streaming) == "0":
        if time.monotonic() > deadline:
            raise TopologyError(f"{server.name} did not start streaming; see {server.log_file}")
        time.sleep(0.1)
