"""scripts/pg_topology.py without PostgreSQL: a loud skip locally, a failure in CI."""

import os
import subprocess

from tests.subprocess_env import run_python


def run_without_binaries(ci: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PG_BINDIR": "/nonexistent", "CI": ci}
    return run_python("scripts/pg_topology.py", "run", "--", "true", env=env, timeout=30)


def test_missing_binaries_skip_the_postgres_pass_loudly_outside_ci():
    result = run_without_binaries(ci="")
    assert result.returncode == 0
    assert "Postgres test run is SKIPPED" in result.stderr
    assert "apt-get install -y postgresql" in result.stderr


def test_missing_binaries_fail_the_run_in_ci():
    assert run_without_binaries(ci="true").returncode == 1
