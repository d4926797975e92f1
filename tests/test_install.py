"""The routers install on their own: the wheel holds routers/ only, and imports from a new venv.

No network: the wheel is built with this environment's setuptools (no build isolation) and
installed with ``--no-index``; Django reaches the new virtualenv through a ``.pth`` file.
"""

import json
import os
import shutil
import site
import subprocess
import sysconfig
import zipfile
from pathlib import Path

import django
import pytest

from tests.subprocess_env import REPO, run_python

# The build runs in a copy of the repository: an in-tree build leaves build/ and *.egg-info
# behind, and a stale build/lib could smuggle a deleted module into the wheel.
LOCAL_STATE = {".git", ".venv", "venv", "var", "build", "dist", "staticfiles", "node_modules"}

# routers.generic defines a field on ContentType, so, like Django's own
# contenttypes.fields, it imports once an app registry holds contenttypes;
# routers.contrib.debug_toolbar extends the toolbar's SQL panel, which imports
# once the registry holds debug_toolbar (here with none of its panels, which
# would need the settings of a site).
IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil
import routers
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "debug_toolbar"], DEBUG_TOOLBAR_PANELS=[]
)
django.setup()
modules = [m.name for m in pkgutil.walk_packages(routers.__path__, "routers.")]
for name in modules:
    importlib.import_module(name)
print(json.dumps({"routers": routers.__file__, "modules": modules}))
"""


def clean_env() -> dict[str, str]:
    """This run's environment without PYTHONPATH or Django settings (pytest-django sets them)."""
    return {
        k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("DJANGO_")
    }


def output(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def without_local_state(directory: str, names: list[str]) -> set[str]:
    ignored = {n for n in names if n == "__pycache__" or n.endswith((".egg-info", "_cache"))}
    return ignored | (LOCAL_STATE & set(names) if Path(directory) == REPO else set())


def source_modules(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in (root / "routers").rglob("*.py")
        if "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source") / "repository"
    shutil.copytree(REPO, source, symlinks=True, ignore=without_local_state)
    wheels = tmp_path_factory.mktemp("wheels")
    result = run_python(
        *("-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index"),
        *("--disable-pip-version-check", "-w", wheels, source),
        env=clean_env(),
        timeout=60,
    )
    assert result.returncode == 0, output(result)
    [built] = wheels.glob("django_multidb_reference-*.whl")
    return built


def test_the_wheel_holds_the_routers_package_and_nothing_else(wheel):
    dist_info = "-".join(wheel.name.split("-")[:2]) + ".dist-info/"
    files = [n for n in zipfile.ZipFile(wheel).namelist() if not n.startswith(dist_info)]
    assert [n for n in files if not n.startswith("routers/")] == []
    assert "routers/py.typed" in files
    assert {n for n in files if n.endswith(".py")} == source_modules(REPO)


def test_routers_install_into_a_fresh_virtualenv_and_import(wheel, tmp_path):
    venv = tmp_path / "venv"
    result = run_python("-m", "venv", "--without-pip", venv, env=clean_env(), timeout=60)
    assert result.returncode == 0, output(result)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert purelib.returncode == 0, output(purelib)
    # Django (and its dependencies) from this environment, without downloading them.
    ours = [Path(django.__file__).parent.parent, *map(Path, site.getsitepackages())]
    ours += [Path(sysconfig.get_path(key)) for key in ("purelib", "platlib")]
    lines = "\n".join(dict.fromkeys(str(path) for path in ours if path.is_dir()))
    (Path(purelib.stdout.strip()) / "this_environment.pth").write_text(lines + "\n")

    result = run_python(
        *("-m", "pip", "--python", python, "install", "--no-deps", "--no-index"),
        *("--disable-pip-version-check", wheel),
        env=clean_env(),
        timeout=60,
    )
    assert result.returncode == 0, output(result)

    result = subprocess.run(
        [python, "-c", IMPORT_EVERY_MODULE],
        cwd=tmp_path,
        env=clean_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, output(result)
    imported = json.loads(result.stdout.splitlines()[-1])
    installed = Path(imported["routers"]).resolve()
    assert installed.is_relative_to(venv.resolve()), output(result)
    assert not installed.is_relative_to(REPO), output(result)
    assert (installed.parent / "py.typed").is_file()
    in_wheel = {
        n.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for n in zipfile.ZipFile(wheel).namelist()
        if n.startswith("routers/") and n.endswith(".py")
    }
    assert {"routers", *imported["modules"]} == in_wheel
