"""Start the benchmark's Django subprocesses, each on its own temporary SQLite files.

``DATABASES`` is built once per process from the ``DATABASE_URL*`` variables
(``project.databases``), so each build of the project runs in a process of
its own, with an environment that names every database explicitly: neither
the shell nor a ``.env`` file can point the benchmark at a real database.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from project.databases import PRIMARY_VARIABLES, REPLICA_VARIABLES

ROOT = Path(__file__).resolve().parent.parent


def django_env(*, settings: str, directory: Path) -> dict[str, str]:
    """Return the environment of a process with *settings* and its databases in *directory*."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DATABASE_URL")}
    for alias, variable in PRIMARY_VARIABLES.items():
        env[variable] = f"sqlite:///{directory / f'{alias}.sqlite3'}"
    for variable, primary in REPLICA_VARIABLES.values():
        env[variable] = env[PRIMARY_VARIABLES[primary]]  # read-only view of its primary
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DJANGO_SECRET_KEY="bench-only-not-secret",
        DJANGO_DEBUG="false",  # DEBUG records every query, which would be timed too
        DJANGO_ALLOWED_HOSTS="testserver",  # the host of Django's test client
        ROUTING_TRACE="true",  # the blog_list worker switches it per timed run
    )
    directory.mkdir(parents=True, exist_ok=True)
    return env


def run_module(module: str, *options: str, env: dict[str, str]) -> object:
    """Run ``python -m module`` to completion and return the JSON it printed."""
    command = [sys.executable, "-m", module, *options]
    result = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} exited with {result.returncode}; see above.")
    return json.loads(result.stdout)


class Worker:
    """A long-running ``python -m module`` that answers each command with one JSON line."""

    def __init__(self, module: str, *options: str, env: dict[str, str]):
        self.name = f"{module} ({env['DJANGO_SETTINGS_MODULE']})"
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *options],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def read(self) -> dict:
        """Return the worker's next JSON line."""
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} exited with {self.process.wait()}; see above.")
        return json.loads(line)

    def ask(self, command: str) -> dict:
        """Send *command* and return the answer."""
        self.process.stdin.write(f"{command}\n")
        self.process.stdin.flush()
        return self.read()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        """Let the worker finish at the end of its input; after an error, stop it at once."""
        try:
            self.process.stdin.close()
            if exc_type is None:
                self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


TOPOLOGY_VARIABLES = ("DATABASE_URL", "DATABASE_URL_REPLICA", "DATABASE_URL_REPLICA_SUPERUSER")


def topology_missing(
    script: str, make_target: str, variables: tuple[str, ...] = TOPOLOGY_VARIABLES
) -> bool:
    """Say so and return True when the PostgreSQL topology's *variables* aren't set."""
    missing = [v for v in variables if not os.environ.get(v, "").startswith("postgres")]
    if missing:
        print(
            f"{script} needs the PostgreSQL topology ({', '.join(missing)} unset): "
            f"run it with `make {make_target}`.",
            file=sys.stderr,
        )
    return bool(missing)


def postgres_machine(alias: str) -> str:
    """The line a benchmark prints first: versions, *alias*'s server and fsync, the CPUs."""
    import platform
    from importlib.metadata import version

    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server,) = cursor.fetchone()
        cursor.execute("SHOW fsync")
        (fsync,) = cursor.fetchone()
    return (
        f"Python {platform.python_version()}, Django {version('django')}, "
        f"psycopg {version('psycopg')}, PostgreSQL {server} (fsync {fsync}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )


def gunicorn_machine() -> str:
    """The first line of a benchmark that runs gunicorn: versions and the CPUs."""
    import platform
    from importlib.metadata import version

    return (
        f"Python {platform.python_version()}, Django {version('django')}, "
        f"gunicorn {version('gunicorn')}, psycopg {version('psycopg')}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
