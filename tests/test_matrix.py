"""The version matrix (noxfile.py) and the package metadata (pyproject.toml) say the same.

Each Python and each Django the matrix runs has its classifier and no other;
``requires-python`` and the Django range admit every pair the matrix runs and
exclude the releases just outside it. The README's routers section names them.
"""

import tomllib

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import noxfile
from tests.blank_project import REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
PYTHONS = sorted({python for python, _ in noxfile.PAIRS}, key=Version)
DJANGOS = sorted({django for _, django in noxfile.PAIRS})


def classified(prefix: str) -> list[str]:
    versions = [c.removeprefix(prefix) for c in PROJECT["classifiers"] if c.startswith(prefix)]
    return sorted((v for v in versions if "." in v), key=Version)  # not "3" nor "3 :: Only"


def django_range() -> SpecifierSet:
    (django,) = [Requirement(d) for d in PROJECT["dependencies"] if d.lower().startswith("django")]
    return django.specifier


def test_each_python_of_the_matrix_is_classified_and_required():
    assert classified("Programming Language :: Python :: ") == PYTHONS
    requires = SpecifierSet(PROJECT["requires-python"])
    assert all(f"{python}.0" in requires for python in PYTHONS)
    assert "3.9.0" not in requires


def test_each_django_of_the_matrix_is_classified_and_in_the_range():
    assert classified("Framework :: Django :: ") == DJANGOS
    assert all(noxfile.DJANGO[django] in django_range() for django in DJANGOS)
    assert "4.1.13" not in django_range()


def test_the_readme_states_the_range():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## The routers (`routers/`)")[1].split("\n## ")[0]
    stated = f"Python {PYTHONS[0]} to {PYTHONS[-1]}, Django 4.2 LTS, 5.2 LTS and 6.0"
    assert stated in section and DJANGOS == ["4.2", "5.2", "6.0"]
