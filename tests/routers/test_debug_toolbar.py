"""``routers/contrib/debug_toolbar.py``: the toolbar's SQL panel with the router's reasons.

Proved in a blank project (``tests/blank_project.py``) with the module copied
as its ``Copy with:`` line says, django-debug-toolbar installed as its docs
say, ``AppLabelRouter`` sending the app ``things`` to ``other`` and the rest to
``default``, and a trace of the site's own around the whole request, as the
demo's routing trace is. Each request goes through the real toolbar: the
reasons are read back from what the toolbar stored, and from the page it
serves for the SQL panel, the one the browser loads.
"""

from importlib.util import find_spec

import pytest

from tests.blank_project import checked, describe

pytestmark = pytest.mark.sqlite_only  # blank projects on SQLite files: vendor-independent

PANEL = "dbkit.contrib.debug_toolbar.RoutedSQLPanel"
TOOLBAR = {
    "DEBUG": True,
    "INSTALLED_APPS": ["people", "things", "dbkit", "django.contrib.staticfiles", "debug_toolbar"],
    "MIDDLEWARE": ["site_trace.SiteTrace", "debug_toolbar.middleware.DebugToolbarMiddleware"],
    "DEBUG_TOOLBAR_PANELS": ["debug_toolbar.panels.timer.TimerPanel", PANEL],
    "INTERNAL_IPS": ["127.0.0.1"],
    "STATIC_URL": "/static/",
    "TEMPLATES": [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    "DATABASE_ROUTERS": ["dbkit.app_label.AppLabelRouter"],
    "DATABASE_ROUTING_RULES": {"things": "other"},
    "DATABASE_RELATIONS": [("other", "default")],
}

# The site's own trace, outside the toolbar: it records too, and reports what it saw.
SITE_TRACE = """\
import json

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from dbkit.explain import recording


class SiteTrace:
    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self.get_response):
            return self.acall(request)
        with recording() as decisions:
            response = self.get_response(request)
        response["X-Site-Trace"] = json.dumps(decisions)
        return response

    async def acall(self, request):
        with recording() as decisions:
            response = await self.get_response(request)
        response["X-Site-Trace"] = json.dumps(decisions)
        return response
"""

URLS = """\
from django.db import connections
from django.http import HttpResponse
from django.urls import path
from debug_toolbar.toolbar import debug_toolbar_urls

from dbkit.explain import recording
from people.models import Person
from things.models import Thing


def page(request):
    with connections["default"].cursor() as cursor:  # before any router call for default
        cursor.execute("SELECT 1 AS raw_query")
    names = [thing.name for thing in Thing.objects.all()]
    names += [person.name for person in Person.objects.all()]
    with recording() as inner:  # a block of the view's own, inside the panel's
        Thing.objects.count()
    body = f"<html><body><p>{', '.join(names)}</p><p id=inner>{sorted(inner)}</p></body></html>"
    return HttpResponse(body)


urlpatterns = [path("page/", page), *debug_toolbar_urls()]
"""

SCENARIO = """
import asyncio
import json
import re

from django.test import AsyncClient, Client

from debug_toolbar.toolbar import DebugToolbar
from people.models import Person
from things.models import Thing

Thing.objects.create(name="lamp", owner=Person.objects.create(name="ann"))


def report(response):
    assert response.status_code == 200, response.content
    request_id = re.search(rb'data-request-id="([0-9a-f]+)"', response.content).group(1).decode()
    panel = DebugToolbar.fetch(request_id, "SQLPanel").get_panel_by_id("SQLPanel")
    queries = panel.get_stats()["queries"]
    rendered = Client().get(
        "/__debug__/render_panel/", {"request_id": request_id, "panel_id": "SQLPanel"}
    ).json()["content"]
    return {
        "panel": type(panel).__name__,
        "queries": [[q["alias"], q["raw_sql"], q["router_reason"]] for q in queries],
        "per_alias": {alias: info["num_queries"] for alias, info in panel.get_stats()["databases"]},
        "shown": re.findall(r'class="djdt-router-reason">(.*?)</p>', rendered),
        "site_trace": json.loads(response.get("X-Site-Trace", "null")),
        "inner": re.search(rb"<p id=inner>(.*?)</p>", response.content).group(1).decode(),
    }


result["wsgi"] = report(Client().get("/page/"))
result["asgi"] = report(asyncio.run(AsyncClient().get("/page/")))
"""


@pytest.fixture
def toolbar_project(project):
    if find_spec("debug_toolbar") is None:
        from tests.support import unavailable

        unavailable("django-debug-toolbar", "pip install -r requirements-dev.txt")
    assert project.copy("contrib/debug_toolbar") == ["apps", "contrib/debug_toolbar", "explain"]
    project.copy("app_label")
    project.database("default")
    project.database("other")
    (project.root / "site_trace.py").write_text(SITE_TRACE)
    return project


@pytest.mark.parametrize("site_trace", [True, False], ids=["inside-a-site-trace", "alone"])
def test_each_query_of_the_sql_panel_carries_its_routers_reason(toolbar_project, site_trace):
    """Per alias: things from other by the app-label rule, people from default, the raw
    query with no router call; stored with the toolbar's data and shown beside the SQL,
    under WSGI and ASGI alike, while a trace outside and a block inside record too."""
    middleware = TOOLBAR["MIDDLEWARE"] if site_trace else TOOLBAR["MIDDLEWARE"][1:]
    toolbar_project.write(urls=URLS, **{**TOOLBAR, "MIDDLEWARE": middleware})
    checked(toolbar_project)
    result = toolbar_project.run(SCENARIO, migrate=("default", "other"))
    things = "app-label rule: things → other"
    people = "no rule for people: default"
    raw = "no router call: .using() or a raw cursor"
    for served in ("wsgi", "asgi"):
        report = result[served]
        assert report["panel"] == "RoutedSQLPanel"
        reasons = {(alias, reason) for alias, _sql, reason in report["queries"]}
        assert reasons == {("other", things), ("default", people), ("default", raw)}, report
        by_sql = {sql: (alias, reason) for alias, sql, reason in report["queries"]}
        assert by_sql["SELECT 1 AS raw_query"] == ("default", raw)
        assert report["per_alias"] == {"other": 2, "default": 2}
        assert report["shown"] == [
            f"&rarr; <strong>{alias}</strong>: {reason}"
            for alias, _sql, reason in report["queries"]
        ]
        # Neither the site's trace outside nor the view's block inside lost a reason.
        if site_trace:
            assert report["site_trace"] == {"other": things, "default": people}
        assert report["inner"] == "['other']"


def test_the_toolbars_own_sql_panel_listed_as_well_is_an_error(toolbar_project):
    toolbar_project.write(
        **{
            **TOOLBAR,
            "DEBUG_TOOLBAR_PANELS": ["debug_toolbar.panels.sql.SQLPanel", PANEL],
        }
    )
    finished = toolbar_project.manage("check")
    assert finished.returncode == 1 and "routers.E090" in finished.stderr, describe(finished)
    assert "DEBUG_TOOLBAR_PANELS" in finished.stderr, describe(finished)
