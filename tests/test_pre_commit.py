"""The pre-commit hooks: a valid config, the same tool versions as ``make lint``, and a clean tree.

pre-commit fetches each hook's repository at its pinned rev on first use, which
needs the network; these checks don't. They read the config with pre-commit's
own validator, compare each rev with the version installed from the lock
(``requirements-dev.txt``), and run the installed django-upgrade over a copy of
every Python file, so a commit's hooks would find nothing to rewrite.
"""

import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import django
from ruamel.yaml import YAML

from tests.subprocess_env import REPO

CONFIG = REPO / ".pre-commit-config.yaml"
LOCAL_STATE = {".git", ".venv", "venv", "var", "build", "dist", "staticfiles", "node_modules"}


def hooks() -> dict[str, dict]:
    """Each hook repository's config, by the repository's name."""
    config = YAML(typ="safe").load(CONFIG.read_text())
    return {repo["repo"].rsplit("/", 1)[-1]: repo for repo in config["repos"]}


def python_files() -> list[Path]:
    return [
        path
        for path in REPO.rglob("*.py")
        if not LOCAL_STATE & set(path.relative_to(REPO).parts[:-1])
    ]


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


def test_django_upgrade_targets_the_demos_django_and_finds_nothing_to_rewrite(tmp_path):
    [hook] = hooks()["django-upgrade"]["hooks"]
    target = hook["args"][hook["args"].index("--target-version") + 1]
    assert target == f"{django.VERSION[0]}.{django.VERSION[1]}"
    copies = []
    for path in python_files():
        copy = tmp_path / path.relative_to(REPO)
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
