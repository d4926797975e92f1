"""How the test suite sees each database: the live ``TEST`` settings, what they mean, and
the pytest marks that sort the tests.

Read from ``settings.DATABASES`` and ``pyproject.toml`` as the site has them
now; no database is opened. The suite's helpers (``tests/``) are imported
when they are installed; the Docker image leaves them out, and the page
says so instead.
"""

import tomllib
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from routers.replica_sets import primary_of

from .watch import shown


def run(request) -> dict:
    aliases = list(settings.DATABASES)
    chosen = request.GET.get("database", "").strip()[:100]
    page = {"aliases": aliases, "database": chosen, "ran": False}
    if not request.GET.get("run"):
        return page
    page["ran"] = True
    if chosen and chosen not in settings.DATABASES:
        page["problem"] = f"No database alias {shown(chosen)}: every alias is shown."
        chosen = page["database"] = ""
    support, page["suite_problem"] = _support()
    page["rows"] = [_describe(alias, support) for alias in ([chosen] if chosen else aliases)]
    page["markers"], page["markers_problem"] = _markers()
    return page


def _describe(alias: str, support) -> dict:
    """*alias*'s ``TEST`` settings as written, and what the test run does with them."""
    test = settings.DATABASES[alias].get("TEST", {})
    mirror = test.get("MIRROR")
    default_dependencies = [] if alias == DEFAULT_DB_ALIAS else [DEFAULT_DB_ALIAS]
    dependencies = test.get("DEPENDENCIES", default_dependencies)
    if mirror:
        why = "its primary" if primary_of(alias) == mirror else "the same database as its owner"
        database = f"none of its own: it reads {mirror}'s test database ({why})"
    elif test.get("NAME"):
        database = f"its own, named {test['NAME']}"
    else:
        database = "its own: test_ + NAME (in memory on SQLite)"
    row = {
        "alias": alias,
        "name": test.get("NAME"),
        "mirror": mirror,
        "dependencies": test.get("DEPENDENCIES"),
        "migrate": test.get("MIGRATE", True),
        "database": database,
        "after": ", ".join(dependencies) if not mirror else "",
    }
    if support is not None:  # where tests.support.unreachable(alias) points it
        vendor = connections[alias].vendor  # known from the engine; nothing is opened
        if vendor == "sqlite":
            row["unreachable"] = support.UNREACHABLE_SQLITE
        elif vendor == "postgresql":
            target = support.UNREACHABLE_POSTGRES
            row["unreachable"] = f"{target['HOST']}:{target['PORT']}"
    return row


def _support():
    """``tests.support``, or None and why not (the Docker image has no tests)."""
    try:
        return import_module("tests.support"), ""
    except ImportError as error:
        return None, (
            f"The test suite isn't installed here ({error}): the image leaves tests/ out. "
            "The settings above are this site's all the same."
        )


def _markers() -> tuple[list[tuple[str, str]], str]:
    """The marks ``pyproject.toml`` declares for pytest, as ``(name, description)``."""
    path = Path(settings.BASE_DIR) / "pyproject.toml"
    try:
        options = tomllib.loads(path.read_text())["tool"]["pytest"]["ini_options"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as error:
        return [], f"Couldn't read the marks from {path.name}: {type(error).__name__}: {error}"
    marks = []
    for line in options.get("markers", []):
        name, _, description = line.partition(":")
        marks.append((name.strip(), description.strip()))
    return marks, ""
