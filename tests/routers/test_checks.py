"""Misconfigured routers and middleware are named by ``manage.py check``, with an id and a hint.

Each case changes the project's own settings and runs the registered checks
the way ``manage.py check`` does (``call_command("check")``), so the test
also proves that ``routers/apps.py`` registered the check.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from tests.blank_project import describe
from tests.subprocess_env import database_env, manage

PINNING = "routers.middleware.PinningRouterMiddleware"
SESSION = "django.contrib.sessions.middleware.SessionMiddleware"
DEGRADED = "routers.degraded.DegradedModeMiddleware"


def check_output(capsys, **overrides) -> str:
    """What ``manage.py check`` prints with *overrides*; errors raise SystemCheckError."""
    with override_settings(**overrides):
        try:
            call_command("check", tags=["routers"])
        except SystemCheckError as error:
            return str(error)
    captured = capsys.readouterr()
    return captured.out + captured.err


def manage_check(tmp_path, **overrides):
    """Run ``manage.py check`` in a child process with the project's settings and *overrides*."""
    lines = [f"{name} = {value!r}" for name, value in overrides.items()]
    (tmp_path / "overridden_settings.py").write_text(
        "from project.settings import *  # noqa: F403\n" + "\n".join(lines) + "\n"
    )
    env = database_env(tmp_path) | {
        "DJANGO_SETTINGS_MODULE": "overridden_settings",
        "PYTHONPATH": str(tmp_path),
    }
    return manage("check", env=env)


def test_the_projects_own_settings_pass(capsys):
    assert "no issues" in check_output(capsys)


def test_a_router_that_cant_be_imported_is_named(tmp_path):
    """In a child process: override_settings itself imports DATABASE_ROUTERS at once."""
    finished = manage_check(
        tmp_path,
        DATABASE_ROUTERS=["routers.replica.PinnningReplicaRouter", "routers.AppLabelRouter"],
    )
    assert finished.returncode == 1, describe(finished)
    assert "routers.E020" in finished.stderr
    assert "'routers.replica.PinnningReplicaRouter' can't be imported" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_app_label_router_before_the_replica_router_is_an_error(capsys):
    """Reversed order: AppLabelRouter answers every read, so none would reach a replica."""
    output = check_output(
        capsys,
        DATABASE_ROUTERS=[
            "routers.app_label.AppLabelRouter",
            "routers.replica.PinningReplicaRouter",
        ],
    )
    assert "routers.E021" in output
    assert "routers.app_label.AppLabelRouter before routers.replica.PinningReplicaRouter" in output


def test_a_router_before_the_replica_router_that_takes_some_reads_only_is_fine(capsys):
    """A special-case router (one app's reads) may go first: most reads still reach replicas."""
    output = check_output(
        capsys,
        DATABASE_ROUTERS=[
            "tests.routers.test_checks.NotesOnThePrimary",
            "routers.replica.PinningReplicaRouter",
            "routers.app_label.AppLabelRouter",
        ],
    )
    assert "routers.E021" not in output


def test_replicas_without_a_replica_router_are_a_warning(capsys):
    output = check_output(capsys, DATABASE_ROUTERS=["routers.app_label.AppLabelRouter"])
    assert "routers.W022" in output and "every read goes to a primary" in output


def test_a_pinning_window_shorter_than_the_allowed_lag_is_an_error(capsys):
    """A replica 60 s behind still takes reads: a 3 s pin would end before it has the write."""
    lag = {"MULTIDB_MAX_REPLICA_LAG": 60, "MULTIDB_REPLICA_LAG_INTERVAL": 1}
    output = check_output(capsys, MULTIDB_PINNING_SECONDS=3, **lag)
    assert "routers.E023" in output and "Raise MULTIDB_PINNING_SECONDS above 61" in output
    assert "routers.E023" not in check_output(capsys, MULTIDB_PINNING_SECONDS=62, **lag)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"MULTIDB_PINNING_MODE": "lsm"}, "routers.E050"),
        ({"MULTIDB_PINNING_SECONDS": -1}, "routers.E051"),
        ({"MULTIDB_PINNING_SECONDS": 1.5}, "routers.E051"),
        ({"MULTIDB_PINNING_SECONDS": "15"}, "routers.E051"),
    ],
)
def test_pinning_settings_that_cant_work_are_named(capsys, overrides, expected):
    output = check_output(capsys, **overrides)
    assert expected in output and next(iter(overrides)) in output


class NotesOnThePrimary:
    """Reads of notes always go to default; everything else is left to the others."""

    def db_for_read(self, model, **hints):
        return "default" if model._meta.app_label == "notes" else None


@pytest.mark.parametrize(
    "middleware",
    [[SESSION, PINNING, DEGRADED], [SESSION, DEGRADED, PINNING]],
    ids=["pinning below session", "pinning lowest"],
)
def test_pinning_middleware_below_session_middleware_is_an_error(capsys, middleware):
    output = check_output(capsys, MIDDLEWARE=middleware)
    assert "routers.E030" in output and f"Move '{PINNING}' above '{SESSION}'" in output


def test_an_exception_handler_below_degraded_mode_is_a_warning(capsys):
    output = check_output(
        capsys, MIDDLEWARE=[PINNING, SESSION, DEGRADED, "tests.routers.test_checks.Answers500"]
    )
    assert "routers.W031" in output and "Answers500" in output


class Answers500:
    """A middleware that answers every view exception itself (as error reporters may)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return None


def test_project_url_check_runs_without_the_demo_apps(tmp_path):
    """project.E001 is registered by the settings, not by an app that might be left out."""
    from django.conf import settings

    without_core = [app for app in settings.INSTALLED_APPS if app != "apps.core"]
    (tmp_path / "overridden_settings.py").write_text(
        "import os\n"
        "os.environ['DATABASE_URL_BLOG'] = 'mysqlx://nobody@nowhere/blog'\n"
        "from project.settings import *  # noqa: F403\n"
        f"INSTALLED_APPS = {without_core!r}\n"
    )
    env = database_env(tmp_path) | {
        "DJANGO_SETTINGS_MODULE": "overridden_settings",
        "PYTHONPATH": str(tmp_path),
    }
    finished = manage("check", env=env)
    assert finished.returncode == 1, describe(finished)
    assert "project.E001" in finished.stderr and "DATABASE_URL_BLOG" in finished.stderr
