"""The web image: Dockerfile lint and conventions, gunicorn settings, the wait script."""

import re
import runpy
import socket
import subprocess
import sys

import pytest

from tests.compose.conftest import DOCKERFILE, REPO, run, tool
from tests.subprocess_env import database_env, run_python

GUNICORN_CONF = REPO / "docker" / "gunicorn.conf.py"
WAIT_SCRIPT = REPO / "docker" / "web" / "wait_for_databases.py"


def dockerfile_problems(text: str) -> list[str]:
    """Return how *text* breaks the image's conventions, one line each."""
    instructions = [line.strip() for line in text.replace("\\\n", " ").splitlines()]
    instructions = [line for line in instructions if line and not line.startswith("#")]
    problems = []
    bases = [line.split()[1] for line in instructions if line.upper().startswith("FROM ")]
    if not all(re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base) for base in bases):
        problems.append(f"base image not a pinned python:3.11.x-slim-bookworm: {bases}")
    users = [line.split()[1] for line in instructions if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in {"root", "0"}:
        problems.append(f"runs as root (USER lines: {users})")
    if any("requirements-dev" in line for line in instructions):
        problems.append("installs the dev requirements")
    installs = [line for line in instructions if "pip install" in line]
    if not installs or not all("--require-hashes -r requirements.txt" in line for line in installs):
        problems.append(
            "pip install not from the hashed lock (--require-hashes -r requirements.txt)"
        )
    if not any("collectstatic" in line for line in instructions if line.startswith("RUN ")):
        problems.append("no collectstatic at build time")
    # The variable selects the hashed, compressed storage (project/settings.py), for
    # collectstatic and the running site alike: set before that RUN, and kept after it.
    collect = next((n for n, line in enumerate(instructions) if "collectstatic" in line), 0)
    if not any(
        "DJANGO_STATIC_ROOT=" in line for line in instructions[:collect] if line.startswith("ENV ")
    ):
        problems.append("no ENV DJANGO_STATIC_ROOT before collectstatic: files not hashed")
    if any(re.match(r"(ENV|ARG)\b.*DJANGO_SECRET_KEY", line) for line in instructions):
        problems.append("DJANGO_SECRET_KEY baked into the image with ENV or ARG")
    for needed in ("EXPOSE 8000", "HEALTHCHECK ", 'CMD ["gunicorn"'):
        if not any(line.startswith(needed) for line in instructions):
            problems.append(f"no {needed.strip()}")
    return problems


def hadolint(path, home) -> subprocess.CompletedProcess:
    return run([tool("hadolint"), "--no-color", str(path)], home=home)


def test_dockerfile_passes_hadolint(clean_home):
    """No finding at any level, info included."""
    result = hadolint(DOCKERFILE, clean_home)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_follows_the_image_conventions():
    """Pinned slim base, non-root, the runtime lock only, static files collected hashed."""
    assert dockerfile_problems(DOCKERFILE.read_text()) == []


def test_a_root_image_on_a_latest_tag_is_rejected(tmp_path, clean_home):
    """hadolint and the conventions both reject `FROM python:latest` run as root."""
    text = re.sub(r"^FROM \S+", "FROM python:latest", DOCKERFILE.read_text(), flags=re.M)
    text = re.sub(r"^USER \S+", "USER root", text, flags=re.M)
    broken = tmp_path / "Dockerfile"
    broken.write_text(text)
    result = hadolint(broken, clean_home)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # uses the latest tag
    assert "DL3002" in result.stdout  # last USER is root
    problems = dockerfile_problems(text)
    assert any(p.startswith("base image not a pinned") for p in problems)
    assert any(p.startswith("runs as root") for p in problems)


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".env", ".venv", "var", ".git", "staticfiles"} <= ignored


def test_gunicorn_listens_on_8000_with_two_workers_by_default(monkeypatch):
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(GUNICORN_CONF))
    assert settings["bind"] == "0.0.0.0:8000"
    assert settings["workers"] == 2
    assert settings["threads"] >= 1
    assert settings["accesslog"] == "-"
    assert 0 < settings["graceful_timeout"] <= settings["timeout"]


def test_gunicorn_worker_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "5")
    assert runpy.run_path(str(GUNICORN_CONF))["workers"] == 5


def test_gunicorn_loads_the_wsgi_app_with_this_config(tmp_path):
    """`gunicorn --check-config` imports project.wsgi, which runs the system checks."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--check-config",
            "-c",
            str(GUNICORN_CONF),
            "project.wsgi",
        ],
        cwd=REPO,
        env=database_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def wait_for_databases(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_python(WAIT_SCRIPT, env=env, timeout=60)


def test_wait_for_databases_reports_every_alias_ready(tmp_path):
    result = wait_for_databases(database_env(tmp_path))
    assert result.returncode == 0, result.stderr
    ready = [line.split()[0] for line in result.stdout.splitlines() if " ready " in line]
    assert sorted(ready) == [
        "analytics",
        "analytics_owner",
        "blog_db",
        "default",
        "legacy_owner",
        "replica",
        "shard_0",
        "shard_1",
        "shop_db",
    ]
    # Opened read-only, the legacy file can only be made by its owner (load_demo).
    assert "legacy     not built yet" in result.stdout


@pytest.fixture
def refusing_port():
    """A local port that is bound but not listening: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_wait_for_databases_names_the_alias_and_variable_it_cannot_reach(tmp_path, refusing_port):
    env = database_env(tmp_path)
    env["DATABASE_URL_BLOG"] = (
        f"postgres://app:never-printed@127.0.0.1:{refusing_port}/multidb_blog"
    )
    env["WAIT_FOR_DATABASES_TIMEOUT"] = "1"
    result = wait_for_databases(env)
    assert result.returncode == 1
    assert "blog_db" in result.stderr
    assert "DATABASE_URL_BLOG" in result.stderr
    assert "never-printed" not in result.stdout + result.stderr
    ready = [line.split()[0] for line in result.stdout.splitlines() if " ready " in line]
    assert sorted(ready) == [
        "analytics",
        "analytics_owner",
        "default",
        "legacy_owner",
        "replica",
        "shard_0",
        "shard_1",
        "shop_db",
    ]


def test_an_image_that_collects_without_the_static_root_is_rejected():
    text = DOCKERFILE.read_text().replace("DJANGO_STATIC_ROOT=", "UNUSED_ROOT=")
    assert "no ENV DJANGO_STATIC_ROOT before collectstatic: files not hashed" in (
        dockerfile_problems(text)
    )
