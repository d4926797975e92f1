"""routers/contrib/, copied with exactly what its docstring names, works in a blank project.

As tests/routers/test_copying.py does for the package's own modules: the
copy goes into ``dbkit`` (``dbkit/contrib/`` for these), in a project with
settings and SQLite files of its own. A primary "can't be reached" here
when its file is in a directory that doesn't exist.
"""

import pytest

from tests.blank_project import checked, describe

pytestmark = pytest.mark.sqlite_only  # blank projects on SQLite files: vendor-independent

NOWHERE = "/nonexistent-directory/{}.sqlite3"
READY_URLS = (
    "from django.urls import path\n"
    "from dbkit.contrib.health_check import ReadinessView\n"
    'urlpatterns = [path("ready/", ReadinessView.as_view(), name="ready")]\n'
)


def health_project(project, *, unreachable=()):
    """default, other and default's replica; the *unreachable* ones point nowhere."""
    for alias in ("default", "other", "replica"):
        project.database(alias, read_only=alias == "replica")
        if alias in unreachable:
            project.databases[alias]["NAME"] = NOWHERE.format(alias)
    project.write(
        urls=READY_URLS,
        INSTALLED_APPS=["people", "things", "dbkit", "health_check"],
        REPLICA_DATABASES=["replica"],
        MULTIDB_REPLICA_LAG_INTERVAL=0,
        # django-health-check's page for a browser (Accept: text/html).
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
    )


def test_health_check_backend_passes_while_every_database_answers(project):
    copied = project.copy("contrib/health_check")
    siblings = ["health", "replica_sets", "thread_connections"]
    assert copied == ["apps", "contrib/health_check", *siblings]
    health_project(project)
    checked(project, "routers.W014")  # no test mirror: nothing here runs tests
    finished = project.manage("health_check", "ready", "--no-http")
    assert finished.returncode == 0, describe(finished)
    for alias in ("default", "other", "replica"):
        assert f"RoutedDatabase(alias='{alias}'): OK" in finished.stdout


def test_health_check_backend_fails_while_a_primary_cannot_be_reached(project):
    project.copy("contrib/health_check")
    health_project(project, unreachable=["other"])
    finished = project.manage("health_check", "ready", "--no-http")
    assert finished.returncode == 1, describe(finished)
    assert "RoutedDatabase(alias='other'): Unavailable: other down" in finished.stdout
    assert "RoutedDatabase(alias='default'): OK" in finished.stdout


def test_readiness_view_answers_503_for_a_primary_and_200_for_a_replica(project):
    """A replica's trouble is a warning, listed in the body, and the answer stays 200."""
    project.copy("contrib/health_check")
    health_project(project, unreachable=["replica"])
    replica_down = project.run(
        """
        from django.test import Client

        response = Client().get("/ready/", HTTP_ACCEPT="application/json")
        result["status"], result["body"] = response.status_code, response.json()
        """
    )
    assert replica_down["status"] == 200
    assert replica_down["body"]["RoutedDatabase(alias='replica')"].startswith(
        "Warning: replica down"
    )

    health_project(project, unreachable=["default"])
    default_down = project.run(
        """
        from django.test import Client

        result["status"] = Client().get("/ready/").status_code
        """
    )
    assert default_down["status"] == 503
