"""The routers' version matrix: their own tests on each supported Python and Django.

``make matrix`` runs every pair below (``nox -l`` lists them; ``make matrix
NOX_ARGS="-s 'routers(py3.13-django6.0)'"`` runs one). Each session installs
the routers distribution (``pip install .``, so pip refuses a pair that
``pyproject.toml``'s ``requires-python`` or Django range excludes), one Django
release and the test tools pinned in ``requirements-dev.txt``, into its own
virtualenv under ``.nox/``, and runs the tests below on
``tests/routers_only/settings.py``: nothing from the demo site, whose settings
stay on Django 5.2 LTS.

Without ``CI=true`` a Python that isn't installed skips its sessions (nox says
so); in CI it fails them. The Makefile puts pyenv's Pythons on ``PATH``.
"""

import re
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"  # a second run reinstalls only what changed

HERE = Path(__file__).parent

# Django 4.2 LTS supports Python 3.8 to 3.12; 5.2 LTS 3.10 to 3.14; 6.0 3.12 and
# newer (Django's FAQ, "What Python version can I use with Django?"). Pairs of
# those, within the Pythons this project supports (3.10 to 3.13).
DJANGO = {"4.2": "4.2.30", "5.2": "5.2.19", "6.0": "6.0.10"}
PAIRS = [
    ("3.10", "4.2"),
    ("3.11", "4.2"),
    ("3.12", "4.2"),
    ("3.10", "5.2"),
    ("3.11", "5.2"),
    ("3.12", "5.2"),
    ("3.13", "5.2"),
    ("3.12", "6.0"),
    ("3.13", "6.0"),
]

# The test tools, at the versions requirements-dev.txt pins for the main suite.
TOOLS = ["pytest", "pytest-django", "iniconfig", "pluggy", "django-multidb-router"]

# Each runs a copied module in a blank project of its own, in a child process of
# the session's Python and Django (tests/blank_project.py): every module's job.
BLANK_PROJECTS = [
    "tests/routers/test_copying.py",
    "tests/routers/test_copying_sharding.py",
    "tests/routers/test_copying_special.py",
    "tests/routers/test_multidb_settings.py",
    "tests/routers/test_docstrings.py",
]
# These run in the session's process on the minimal settings: where Django
# releases differ, the Django internals routers/ relies on, pinning, the shard
# IDs and django-multidb-router's own suite.
IN_PROCESS = [
    "tests/routers/test_compat.py",
    "tests/routers/test_django_internals.py",
    "tests/routers/test_pinning.py",
    "tests/routers/test_sharding.py",
    "tests/routers/test_multidb_suite.py",
]
# It needs the demo's blog and shard aliases; test_copying_sharding proves
# row_copy and shard_freeze in a blank project instead.
DEMO_ONLY = ["tests/routers/test_django_internals.py::RawInserts"]


def pinned(names: list[str]) -> list[str]:
    """``name==version`` for each of *names*, as requirements-dev.txt pins it."""
    pins = {}
    for path in ("requirements.txt", "requirements-dev.txt"):
        for line in (HERE / path).read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
            if match:
                pins[match.group(1).lower()] = match.group(0)
    return [pins[name.lower()] for name in names]


def run_routers_tests(session: nox.Session, django: str) -> None:
    session.install(".", f"Django=={DJANGO[django]}", *pinned(TOOLS))
    session.run(
        "python",
        "-m",
        "pytest",
        # The demo site's conftest.py (its apps, its topology) sits above tests/.
        "--confcutdir=tests",
        "-p",
        "tests.routers_only.plugin",
        "--ds=tests.routers_only.settings",
        "-p",
        "no:cacheprovider",
        *[f"--deselect={test}" for test in DEMO_ONLY],
        *BLANK_PROJECTS,
        *IN_PROCESS,
        *session.posargs,
    )


@nox.session
@nox.parametrize(("python", "django"), PAIRS, ids=[f"py{p}-django{d}" for p, d in PAIRS])
def routers(session: nox.Session, django: str) -> None:
    """The routers' own tests on one Python and one Django."""
    run_routers_tests(session, django)
