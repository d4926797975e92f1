"""A project on django-multidb-router's documented settings switches by its imports alone.

The blank project has that library's README settings (two aliases, the list
form ``REPLICA_DATABASES = ["replica"]``, no ``TEST`` key), with ``multidb``
replaced by ``routers`` in its import paths, and that library's own test suite
as its tests. ``manage.py check`` passes with ``routers.W014`` at most, and
``manage.py test`` runs the suite and passes.
"""

import pytest

from tests.blank_project import BlankProject, describe
from tests.multidb_suite import translated_suite

pytestmark = pytest.mark.sqlite_only  # a blank project of its own, on SQLite files

MULTIDB_SETTINGS = {
    "REPLICA_DATABASES": ["replica"],
    "DATABASE_ROUTERS": ["routers.replica.PinningReplicaRouter"],
    "MIDDLEWARE": ["routers.middleware.PinningRouterMiddleware"],
    # The one default that differs on purpose: this project's pin cookie is
    # HttpOnly; the suite's test_defaults expects that library's False.
    "MULTIDB_PINNING_COOKIE_HTTPONLY": False,
}


@pytest.fixture
def project(tmp_path):
    project = BlankProject(tmp_path / "site", package="routers")
    project.copy("middleware")  # with replica, pinning, health, replica_sets, explain, apps
    project.database("default")
    project.database("replica")
    project.write(**MULTIDB_SETTINGS)
    (project.root / "things" / "tests.py").write_text(translated_suite())
    return project


def test_check_passes_with_a_warning_about_the_missing_test_mirror(project):
    finished = project.manage("check")
    assert finished.returncode == 0, describe(finished)
    assert "routers.W014" in finished.stderr
    assert "ERRORS" not in finished.stderr


def test_the_libraries_own_tests_run_and_pass(project):
    finished = project.manage("test", "things", "--noinput")
    assert finished.returncode == 0, describe(finished)
    assert "Ran 25 tests" in finished.stderr and "\nOK" in finished.stderr, describe(finished)
