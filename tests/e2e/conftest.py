"""Fixtures for the browser tests: the real demo server and Debian's Chromium.

The server is ``manage.py runserver`` in a subprocess, on its own SQLite files in
a temporary directory, migrated with ``migrate_all``, seeded with
``load_demo`` (the same steps as ``make demo``), and copied into the analytics
warehouse with ``sync_warehouse``. The tests reach it over HTTP
only, so they never touch the ORM of the pytest process.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support import unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
SERVER_START_TIMEOUT_S = 30
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def server_env(data_dir: Path) -> dict[str, str]:
    """Return the demo server's environment: the caller's, with every setting pinned.

    Variables the settings read are set explicitly rather than inherited, so a
    developer's shell or ``.env`` (read with ``setdefault``) can't point the
    server at the repository's ``var/`` databases or turn on ``DEBUG``.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_URL", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="project.settings",
        DATABASE_URL=f"sqlite:///{data_dir / 'default.sqlite3'}",
        DATABASE_URL_BLOG=f"sqlite:///{data_dir / 'blog_db.sqlite3'}",
        DATABASE_URL_SHOP=f"sqlite:///{data_dir / 'shop_db.sqlite3'}",
        DATABASE_URL_ANALYTICS_OWNER=f"sqlite:///{data_dir / 'analytics.sqlite3'}",
        DATABASE_URL_SHARD_0=f"sqlite:///{data_dir / 'shard_0.sqlite3'}",
        DATABASE_URL_SHARD_1=f"sqlite:///{data_dir / 'shard_1.sqlite3'}",
        # One file, read-only as legacy; load_demo builds it as its owner.
        DATABASE_URL_LEGACY=f"sqlite:///{data_dir / 'legacy.sqlite3'}",
        DATABASE_URL_LEGACY_OWNER=f"sqlite:///{data_dir / 'legacy.sqlite3'}",
        # Empty, not unset: the replica is then derived from default's file,
        # and the warehouse's reader from its owner's.
        DATABASE_URL_REPLICA="",
        DATABASE_URL_ANALYTICS="",
        DJANGO_SECRET_KEY="e2e-tests-not-a-secret",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        ROUTING_TRACE="true",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(*args: str, env: dict[str, str]) -> None:
    """Run one ``manage.py`` command to completion, failing with its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    """Poll *url* until it answers, the server exits, or the time runs out."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"The demo server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # any HTTP status means it is serving
        except OSError:
            time.sleep(0.2)
    pytest.fail(
        f"The demo server didn't answer within {SERVER_START_TIMEOUT_S} s:\n{log.read_text()}"
    )


@pytest.fixture(scope="session")
def demo_server():
    """Base URL (``http://127.0.0.1:PORT``) of the demo, migrated and seeded."""
    yield from serve_demo()


@pytest.fixture(scope="module")
def debug_demo_server():
    """Like ``demo_server``, with ``DJANGO_DEBUG=true``: Django's debug pages and the toolbar."""
    yield from serve_demo(DJANGO_DEBUG="true")


def serve_demo(**overrides: str):
    """Yield the base URL of a demo server on its own files, *overrides* in its environment."""
    data_dir = Path(tempfile.mkdtemp(prefix="multidb-e2e-"))
    env = server_env(data_dir) | overrides
    log = data_dir / "server.log"
    server = None
    try:
        manage("migrate_all", env=env)
        manage("load_demo", env=env)
        manage("sync_warehouse", env=env)  # the SQLite warehouse copies the demo rows
        address = f"127.0.0.1:{free_port()}"
        with log.open("wb") as output:
            # The child keeps its own copy of the log's fd; close_fds (the
            # default) and a new session keep it from holding anything else of
            # pytest's or receiving its terminal's signals.
            server = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", address],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                close_fds=True,
                start_new_session=True,
            )
        base_url = f"http://{address}"
        wait_until_serving(f"{base_url}/", server, log)
        yield base_url
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def chromium_path() -> str | None:
    """``$CHROMIUM_PATH`` if set (even to a missing file), else Debian's Chromium."""
    if "CHROMIUM_PATH" in os.environ:
        path = os.environ["CHROMIUM_PATH"]
    else:
        path = DEFAULT_CHROMIUM if os.path.exists(DEFAULT_CHROMIUM) else shutil.which("chromium")
    if path and os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    return None


# Module scope, not session: Playwright's sync API keeps an asyncio loop running
# in the main thread until it exits, and while it does Django's ORM refuses to
# run (SynchronousOnlyOperation) and asgiref's async_to_sync refuses to start.
# Closing it with the module keeps it from leaking into tests collected after.
@pytest.fixture(scope="module")
def browser():
    """Headless Chromium from the Debian package, driven by Playwright's sync API."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable(
            "Playwright (Python package `playwright`)",
            "run `make test`, which installs requirements-dev.txt",
        )
    executable = chromium_path()
    if executable is None:
        unavailable(
            "Chromium (Debian package `chromium`)",
            "run `sudo apt-get install -y --no-install-recommends chromium`, then `make test`",
        )
    with tempfile.TemporaryDirectory(prefix="multidb-e2e-chromium-") as home:
        # Chromium writes its config and caches under XDG dirs; keep them out of $HOME.
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "XDG_CACHE_HOME": os.path.join(home, "cache"),
        }
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS, env=env
            )
            yield chromium
            chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page in its own context: no cookies shared between tests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
