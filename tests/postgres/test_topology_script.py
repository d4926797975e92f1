"""scripts/pg_topology.py brings the four servers up and takes every one of them down."""

import os
import subprocess
from pathlib import Path

import pytest

from tests.subprocess_env import run_python

pytestmark = pytest.mark.postgres


def server_processes(directory: Path) -> list[str]:
    """Live (non-zombie) processes whose command line mentions *directory*."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if str(directory) in cmdline and state != "Z" and "pytest" not in cmdline:
            found.append(cmdline)
    return found


# Beside the run's own topology, never on top of it (nor of another run's).
OUTER_PORT = int(os.environ.get("PG_TOPOLOGY_PORT", "55432"))
DIRECTORY = Path(f"/tmp/multidb-pg-script-test-{OUTER_PORT}")


def topology(command: str, directory: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PG_TOPOLOGY_DIR": str(directory),
        "PG_TOPOLOGY_PORT": str(OUTER_PORT + 10),
    }
    return run_python("scripts/pg_topology.py", command, env=env)


def test_up_starts_primary_standby_blog_and_shop_and_down_leaves_no_process():
    directory = DIRECTORY
    try:
        up = topology("up", directory)
        assert up.returncode == 0, up.stderr
        lines = up.stdout.splitlines()[1:]
        assert [line.split()[:2] for line in lines] == [
            ["primary", "default"],
            ["standby", "replica"],
            ["blog", "blog_db"],
            ["shop", "shop_db"],
        ]
        assert "running (standby, replaying" in lines[1]
        assert len([p for p in server_processes(directory) if " -D " in p]) == 4
        env = topology("env", directory).stdout
        assert "DATABASE_URL_REPLICA=postgres://app_readonly:" in env
    finally:
        down = topology("down", directory)
    assert down.returncode == 0, down.stderr
    assert server_processes(directory) == []
    assert not directory.exists()
