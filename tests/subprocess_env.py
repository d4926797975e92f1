"""Run manage.py in a child process against throwaway SQLite files."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent


def database_env(directory: Path) -> dict[str, str]:
    """Return an environment whose databases are SQLite files in *directory*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DJANGO_SECRET_KEY="test-only-secret-key",
        DATABASE_URL=f"sqlite:///{directory}/default.sqlite3",
        DATABASE_URL_BLOG=f"sqlite:///{directory}/blog.sqlite3",
        DATABASE_URL_SHOP=f"sqlite:///{directory}/shop.sqlite3",
        DATABASE_URL_ANALYTICS_OWNER=f"sqlite:///{directory}/analytics.sqlite3",
        DATABASE_URL_SHARD_0=f"sqlite:///{directory}/shard_0.sqlite3",
        DATABASE_URL_SHARD_1=f"sqlite:///{directory}/shard_1.sqlite3",
        DATABASE_URL_LEGACY=f"sqlite:///{directory}/legacy.sqlite3",
        DATABASE_URL_LEGACY_OWNER=f"sqlite:///{directory}/legacy.sqlite3",
    )
    return env


def run_python(*args, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python *args`` in the repository and return the finished process (output captured)."""
    return subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``manage.py *args`` and return the finished process (output captured)."""
    return run_python("manage.py", *args, env=env)


def env_for_test_databases(aliases) -> dict[str, str]:
    """This process's environment with each of *aliases*' URLs naming its test database.

    For a child process (``manage.py``, a script) that must see what a
    transactional test wrote: Django gave the test databases other names.
    """
    from django.db import connections

    from project.databases import PRIMARY_VARIABLES

    env = {**os.environ, "MULTIDB_REPLICA_LAG_INTERVAL": "0"}
    for alias in aliases:
        variable = PRIMARY_VARIABLES[alias]
        url = urlsplit(env[variable])
        path = "/" + connections[alias].settings_dict["NAME"]
        env[variable] = urlunsplit(url._replace(path=path))
    return env
