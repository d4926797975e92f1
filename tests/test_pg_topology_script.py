"""scripts/pg_topology.py without PostgreSQL: a loud skip locally, a failure in CI; its URLs."""

import os
import subprocess
from urllib.parse import urlsplit

from tests.postgres.servers import topology
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


def test_each_url_names_its_role_password_and_database():
    """The legacy server's URLs name its own roles and database; the others, the site's,
    the shards' included, each on a port of its own."""
    passwords = {name: f"{name}-pw" for name in topology.SECRET_NAMES}
    urls = {name: urlsplit(url) for name, url in topology.database_urls(passwords).items()}
    expected = {
        "DATABASE_URL": ("app", "app-pw", "multidb"),
        "DATABASE_URL_REPLICA": ("app_readonly", "readonly-pw", "multidb"),
        "DATABASE_URL_ANALYTICS": ("analytics_reader", "analytics_reader-pw", "multidb"),
        "DATABASE_URL_LEGACY": ("legacy_reader", "legacy_reader-pw", "stock"),
        "DATABASE_URL_LEGACY_OWNER": ("legacy_owner", "legacy_owner-pw", "stock"),
        "DATABASE_URL_SHARD_0": ("app", "app-pw", "multidb"),
        "DATABASE_URL_SHARD_1": ("app", "app-pw", "multidb"),
    }
    for variable, (role, password, database) in expected.items():
        url = urls[variable]
        assert (url.username, url.password, url.path) == (role, password, f"/{database}")
    assert urls["DATABASE_URL_LEGACY"].port == urls["DATABASE_URL_LEGACY_OWNER"].port
    ports = {urls[server.variable].port for server in topology.SERVERS}
    assert len(ports) == len(topology.SERVERS) == 8
