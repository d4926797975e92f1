"""The pre-commit hooks: a valid config, the same tool versions as ``make lint``, and a clean tree.

pre-commit fetches each hook's repository at its pinned rev on first use, which
needs the network; these checks don't. They read the config with pre-commit's
own validator, compare each rev with the version installed from the lock
(``requirements-dev.txt``), and run the installed django-upgrade over a copy of
every Python file, so a commit's hooks would find nothing to rewrite.
"""

import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import django
from ruamel.yaml import YAML

from tests.subprocess_env import REPO

CONFIG = REPO / ".pre-commit-config.yaml"


def hooks() -> dict[str, dict]:
    """Each hook repository's config, by the repository's name."""
    config = YAML(typ="safe").load(CONFIG.read_text())
    return {repo["repo"].rsplit("/", 1)[-1]: repo for repo in config["repos"]}


def python_files() -> list[Path]:
    """The files pre-commit would check: git's, not virtualenvs or caches (.nox, .venv)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.py"], cwd=REPO, capture_output=True, check=True
    )
    return [REPO / name for name in listed.stdout.decode().split("\0") if name]


def test_pre_commit_accepts_the_config():
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(CONFIG)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_hooks_run_the_versions_make_lint_runs():
    repos = hooks()
    assert repos["ruff-pre-commit"]["rev"] == f"v{version('ruff')}"
    assert [hook["id"] for hook in repos["ruff-pre-commit"]["hooks"]] == [
        "ruff-check",
        "ruff-format",
    ]
    assert repos["django-upgrade"]["rev"] == version("django-upgrade")


def test_django_upgrade_targets_each_part_s_django_and_finds_nothing_to_rewrite(tmp_path):
    """routers/ targets the oldest Django it supports, the demo the Django it runs."""
    oldest = re.search(r"Django>=(\d+\.\d+)", (REPO / "pyproject.toml").read_text()).group(1)
    demo = f"{django.VERSION[0]}.{django.VERSION[1]}"
    files = python_files()
    for hook in hooks()["django-upgrade"]["hooks"]:
        target = hook["args"][hook["args"].index("--target-version") + 1]
        if "files" in hook:
            assert target == oldest, hook["name"]
            chosen = [path for path in files if re.search(hook["files"], rel(path))]
        else:
            assert target == demo, hook["name"]
            chosen = [path for path in files if not re.search(hook["exclude"], rel(path))]
        assert chosen, hook["name"]
        assert_nothing_to_rewrite(chosen, target, tmp_path / target)


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def assert_nothing_to_rewrite(paths: list[Path], target: str, folder: Path) -> None:
    """django-upgrade on copies of *paths*: a rewrite (exit 1) names the file."""
    copies = []
    for path in paths:
        copy = folder / rel(path)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        copies.append(str(copy))
    result = subprocess.run(
        [sys.executable, "-m", "django_upgrade", "--target-version", target, *copies],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr  # 1: it rewrote a file
