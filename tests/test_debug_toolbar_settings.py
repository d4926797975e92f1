"""DJANGO_DEBUG=true turns on django-debug-toolbar, with the routers' SQL panel.

The toolbar is a development dependency: with DEBUG off (the image, the test
suite) it isn't installed, routed or shown. The browser test
(``tests/e2e/test_toolbar_in_browser.py``) shows the panel itself.
"""

import json

from django.test import override_settings

from project.checks import check_debug_toolbar
from tests.subprocess_env import database_env, manage

SHOW = """
import json
from django.conf import settings
from django.urls import NoReverseMatch, reverse
try:
    url = reverse("djdt:render_panel")
except NoReverseMatch:
    url = None
print(json.dumps({
    "apps": "debug_toolbar" in settings.INSTALLED_APPS,
    "middleware": settings.MIDDLEWARE[:2],
    "panels": getattr(settings, "DEBUG_TOOLBAR_PANELS", None),
    "internal_ips": getattr(settings, "INTERNAL_IPS", []),
    "url": url,
}))
"""


def shown(tmp_path, debug: str) -> dict:
    result = manage("shell", "-c", SHOW, env=database_env(tmp_path) | {"DJANGO_DEBUG": debug})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_debug_on_installs_the_toolbar_with_the_routed_sql_panel_inside_the_trace(tmp_path):
    settings = shown(tmp_path, "true")
    assert settings["apps"] and settings["url"] == "/__debug__/render_panel/"
    assert settings["middleware"] == [
        "apps.core.middleware.RoutingTraceMiddleware",
        "debug_toolbar.middleware.DebugToolbarMiddleware",
    ]
    assert "routers.contrib.debug_toolbar.RoutedSQLPanel" in settings["panels"]
    assert "debug_toolbar.panels.sql.SQLPanel" not in settings["panels"]
    assert settings["internal_ips"] == ["127.0.0.1", "::1"]
    check = manage("check", env=database_env(tmp_path) | {"DJANGO_DEBUG": "true"})
    assert check.returncode == 0 and "no issues" in check.stdout, check.stderr


def test_debug_off_leaves_the_toolbar_out(tmp_path):
    settings = shown(tmp_path, "false")
    assert not settings["apps"] and settings["url"] is None and settings["panels"] is None
    assert "debug_toolbar.middleware.DebugToolbarMiddleware" not in settings["middleware"]


@override_settings(DEBUG=True, DEBUG_TOOLBAR=False)
def test_debug_without_the_toolbar_installed_is_a_warning_naming_the_variable():
    [warning] = check_debug_toolbar()
    assert warning.id == "project.W010" and warning.obj == "DJANGO_DEBUG"
    assert "requirements-dev.txt" in warning.hint


@override_settings(DEBUG=False, DEBUG_TOOLBAR=False)
def test_debug_off_needs_no_toolbar():
    assert check_debug_toolbar() == []
