"""A blank Django project in a temporary directory, for proving that copied code works there.

It holds two tiny apps (``people``: ``Person``; ``things``: ``Thing``, whose
``owner`` points at a ``Person`` across databases), settings of its own and
SQLite files, and nothing from this repository except the files a test copies
into its package (``dbkit`` by default, so an absolute ``import routers``
would fail). Commands run in child processes whose ``sys.path`` holds the
project directory and the virtualenv, not this repository.
"""

import ast
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COPY_WITH = re.compile(r"^Copy with:(.*?)(?:\n\n|\Z)", re.MULTILINE | re.DOTALL)


def copy_with(module: str) -> set[str]:
    """The siblings named in ``routers/<module>.py``'s ``Copy with:`` line.

    *module* may be in a subpackage (``contrib/health_check``); the siblings
    it names are modules of ``routers/`` itself.
    """
    source = (REPO / "routers" / f"{module}.py").read_text()
    match = COPY_WITH.search(ast.get_docstring(ast.parse(source)) or "")
    assert match, f"routers/{module}.py has no 'Copy with:' line in its docstring"
    return set(re.findall(r"``(\w+)\.py``", match.group(1)))


MANAGE = """\
import os
import sys

from django.core.management import execute_from_command_line

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")
execute_from_command_line(sys.argv)
"""

PEOPLE_MODELS = """\
from django.db import models


class Person(models.Model):
    name = models.CharField(max_length=50)
"""

THINGS_MODELS = """\
from django.db import models
{manager_import}

class Thing(models.Model):
{id_field}    name = models.CharField(max_length=50)
    owner = models.ForeignKey(
        "people.Person", null=True, on_delete=models.DO_NOTHING, db_constraint=False
    )
{manager}
"""

SCRIPT = """\
import json
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "site_settings"
import django

django.setup()
from django.core.management import call_command

for alias in {migrate!r}:
    call_command("migrate", run_syncdb=True, database=alias, verbosity=0)
result = {{}}
{body}
print("RESULT " + json.dumps(result))
"""


@dataclass
class BlankProject:
    """A project of its own under *root*; ``package`` is where copied modules go."""

    root: Path
    package: str = "dbkit"
    databases: dict[str, dict] = field(default_factory=dict)

    def copy(self, module: str) -> list[str]:
        """Copy *module*, what its ``Copy with:`` line names, and ``apps.py`` into the package."""
        target = self.root / self.package
        target.mkdir(parents=True, exist_ok=True)
        (target / "__init__.py").write_text("")
        copied = sorted({module, *copy_with(module), "apps"})
        for module in copied:
            destination = target / f"{module}.py"
            destination.parent.mkdir(exist_ok=True)  # contrib/, for a module in it
            (destination.parent / "__init__.py").touch()
            shutil.copy(REPO / "routers" / f"{module}.py", destination)
        return copied

    def copy_commands(self) -> list[str]:
        """Copy the package's ``management/`` directory (its commands) as it is."""
        shutil.copytree(
            REPO / "routers" / "management",
            self.root / self.package / "management",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        return sorted(p.stem for p in (REPO / "routers/management/commands").glob("[!_]*.py"))

    def database(self, alias: str, *, name: str | None = None, read_only: bool = False) -> Path:
        """Add *alias* as a SQLite file (``<alias>.sqlite3``, or *name*) and return its path."""
        path = self.root / (name or f"{alias}.sqlite3")
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
        if read_only:
            # SQLite's URI form (Django opens every SQLite name with uri=True): works
            # on each Django the version matrix runs; OPTIONS["init_command"] needs 5.1.
            config["NAME"] = f"file:{path}?mode=ro"
            # mode=ro can't create the file: an empty database until its owner
            # writes one (a read-only alias may be asked before anyone has).
            if not path.exists():
                sqlite3.connect(path).close()
        self.databases[alias] = config
        return path

    def write(
        self, *, things_manager: str = "", things_id: str = "", urls: str = "", **settings
    ) -> None:
        """Write manage.py, the apps and ``site_settings.py`` with *settings* on top of a base.

        *things_manager* and *things_id* are dotted paths: ``Thing``'s manager's
        queryset class and its primary key's field class.
        """
        (self.root / "manage.py").write_text(MANAGE)
        for app in ("people", "things"):
            (self.root / app).mkdir(parents=True, exist_ok=True)
            (self.root / app / "__init__.py").write_text("")
        (self.root / "people" / "models.py").write_text(PEOPLE_MODELS)
        manager_import, manager, id_field = "", "", ""
        if things_manager:
            module, _, name = things_manager.rpartition(".")
            manager_import = f"from {module} import {name}\n"
            manager = f"    objects = {name}.as_manager()\n"
        if things_id:
            module, _, name = things_id.rpartition(".")
            manager_import += f"from {module} import {name}\n"
            id_field = f"    id = {name}()\n"
        (self.root / "things" / "models.py").write_text(
            THINGS_MODELS.format(manager_import=manager_import, manager=manager, id_field=id_field)
        )
        (self.root / "urls.py").write_text(urls or "urlpatterns = []\n")
        base = {
            "SECRET_KEY": "blank-project",
            "DEBUG": False,
            "ALLOWED_HOSTS": ["testserver"],
            "INSTALLED_APPS": ["people", "things", self.package],
            "DATABASES": self.databases,
            "ROOT_URLCONF": "urls",
            "MIDDLEWARE": [],
            "USE_TZ": True,
            "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        }
        lines = [f"{name} = {value!r}" for name, value in {**base, **settings}.items()]
        (self.root / "site_settings.py").write_text("\n".join(lines) + "\n")

    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
        keep.pop("PYTHONPATH", None)
        return keep

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """Run ``manage.py *args`` in the project (output captured)."""
        return self._python("manage.py", *args)

    def run(self, body: str, *, migrate: tuple[str, ...] = ()) -> dict:
        """Set Django up, migrate *migrate* (``--run-syncdb``), run *body*; return ``result``."""
        script = self.root / "scenario.py"
        script.write_text(SCRIPT.format(migrate=list(migrate), body=textwrap.dedent(body)))
        finished = self._python(script.name)
        lines = [line for line in finished.stdout.splitlines() if line.startswith("RESULT ")]
        assert finished.returncode == 0 and lines, describe(finished)
        return json.loads(lines[-1].removeprefix("RESULT "))

    def rows(self, path: Path, sql: str) -> list[tuple]:
        """Run *sql* on the SQLite file at *path* directly, bypassing Django."""
        with sqlite3.connect(path) as connection:
            return connection.execute(sql).fetchall()

    def tables(self, path: Path) -> set[str]:
        return {name for (name,) in self.rows(path, "SELECT name FROM sqlite_master")}

    def _python(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def describe(finished: subprocess.CompletedProcess) -> str:
    return (
        f"exit {finished.returncode}\n--- stdout\n{finished.stdout}\n--- stderr\n{finished.stderr}"
    )


def checked(project, *expected_ids):
    """``manage.py check`` passes; its output names exactly *expected_ids* (warnings)."""
    finished = project.manage("check")
    assert finished.returncode == 0, describe(finished)
    output = finished.stdout + finished.stderr
    for message_id in expected_ids:
        assert message_id in output, describe(finished)
    if not expected_ids:
        assert "no issues" in output, describe(finished)
