"""Each module of routers/, copied with exactly what its docstring names, works in a blank project.

The copy goes into a package called ``dbkit``, not ``routers``, in a project
with its own settings and SQLite files (``tests/blank_project.py``). For each
module: ``manage.py check`` passes (and reports the module's own checks, so
``apps.py`` registered them), and the module does its job there. Writes and
reads are asserted on the SQLite files themselves: a replica here is a
snapshot copy of the primary's file that never receives writes, so a read
that returns a row only the snapshot (or only the primary) has says which
file served it.

These tests don't use the suite's databases; they run in the SQLite pass.
"""

import shutil

import pytest

from tests.blank_project import checked, describe

pytestmark = pytest.mark.sqlite_only  # blank projects on SQLite files: vendor-independent

ROUTING = {
    "DATABASE_ROUTERS": ["dbkit.app_label.AppLabelRouter"],
    "DATABASE_ROUTING_RULES": {"things": "other"},
    "DATABASE_RELATIONS": [("other", "default")],
}
REPLICAS = {
    "DATABASE_ROUTERS": ["dbkit.replica.PinningReplicaRouter"],
    "REPLICA_DATABASES": ["replica"],
    "MULTIDB_REPLICA_LAG_INTERVAL": 0,
}


def with_replica_snapshot(project):
    """A primary with its tables, and ``replica``: a read-only copy of its file at this moment."""
    default = project.database("default")
    replica = project.database("replica", read_only=True)
    return default, replica


def snapshot(project, default, replica):
    project.run("", migrate=("default",))
    shutil.copy(default, replica)


def test_app_label_routes_writes_reads_and_tables_to_the_apps_database(project):
    assert project.copy("app_label") == ["app_label", "apps", "explain", "replica_sets"]
    default, other = project.database("default"), project.database("other")
    project.write(**ROUTING)
    checked(project)

    project.run(
        """
        from people.models import Person
        from things.models import Thing

        Thing.objects.create(name="lamp", owner=Person.objects.create(name="ann"))
        """,
        migrate=("default", "other"),
    )
    assert project.rows(other, "SELECT name, owner_id FROM things_thing") == [("lamp", 1)]
    assert project.rows(default, "SELECT name FROM people_person") == [("ann",)]
    assert "things_thing" not in project.tables(default)
    assert "people_person" not in project.tables(other)

    project.rows(other, "INSERT INTO things_thing (name) VALUES ('only in other.sqlite3')")
    result = project.run(
        """
        from things.models import Thing

        result["names"] = sorted(Thing.objects.values_list("name", flat=True))
        """
    )
    assert result["names"] == ["lamp", "only in other.sqlite3"]


def test_app_label_checks_run_in_the_copy(project):
    """apps.py registers the copied module's checks: a rule naming no database is an error."""
    project.copy("app_label")
    project.database("default")
    project.write(**{**ROUTING, "DATABASE_ROUTING_RULES": {"things": "nowhere"}})
    finished = project.manage("check")
    assert finished.returncode == 1 and "routers.E002" in finished.stderr, describe(finished)


# The site's own router in the blank project: app "things" in "other", the rest in "default".
THINGS_ROUTER = (
    "class ThingsRouter:\n"
    "    def db_for_read(self, model, **hints):\n"
    "        return 'other' if model._meta.app_label == 'things' else 'default'\n"
    "    db_for_write = db_for_read\n"
    "    def allow_relation(self, *objs, **hints):\n"
    "        return True\n"
    "    def allow_migrate(self, db, app_label, **hints):\n"
    "        return db == ('other' if app_label == 'things' else 'default')\n"
)


def test_cross_database_queryset_refuses_the_join_and_allows_two_queries(project):
    assert project.copy("cross_database") == ["apps", "cross_database"]
    project.database("default")
    other = project.database("other")
    (project.root / "site_router.py").write_text(THINGS_ROUTER)
    project.write(
        things_manager="dbkit.cross_database.CrossDatabaseQuerySet",
        DATABASE_ROUTERS=["site_router.ThingsRouter"],
    )
    checked(project)
    result = project.run(
        """
        from dbkit.cross_database import CrossDatabaseJoinError
        from people.models import Person
        from things.models import Thing

        Thing.objects.create(name="lamp", owner=Person.objects.create(name="ann"))
        try:
            list(Thing.objects.filter(owner__name="ann"))
        except CrossDatabaseJoinError as error:
            result["error"] = str(error)
        ids = list(Person.objects.filter(name="ann").values_list("pk", flat=True))
        result["names"] = [thing.name for thing in Thing.objects.filter(owner_id__in=ids)]
        """,
        migrate=("default", "other"),
    )
    assert "'other'" in result["error"] and "'default'" in result["error"]
    assert result["names"] == ["lamp"]
    assert project.rows(other, "SELECT name FROM things_thing") == [("lamp",)]


def test_generic_key_reads_each_target_from_its_own_database(project):
    """A mark in default points at a thing in other: read there, alone and prefetched."""
    assert project.copy("generic") == ["apps", "generic"]
    default, other = project.database("default"), project.database("other")
    (project.root / "site_router.py").write_text(THINGS_ROUTER)
    (project.root / "marks").mkdir()
    (project.root / "marks" / "__init__.py").write_text("")
    (project.root / "marks" / "models.py").write_text(
        "from django.contrib.contenttypes.models import ContentType\n"
        "from django.db import models\n\n"
        f"from {project.package}.generic import CrossDatabaseGenericForeignKey\n\n\n"
        "class Mark(models.Model):\n"
        "    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)\n"
        "    object_id = models.PositiveBigIntegerField()\n"
        "    target = CrossDatabaseGenericForeignKey()\n"
    )
    project.write(
        DATABASE_ROUTERS=["site_router.ThingsRouter"],
        INSTALLED_APPS=["django.contrib.contenttypes", "people", "things", "marks", "dbkit"],
    )
    checked(project)
    result = project.run(
        """
        from marks.models import Mark
        from things.models import Thing

        lamp, desk = Thing.objects.create(name="lamp"), Thing.objects.create(name="desk")
        Mark.objects.create(target=lamp)
        Mark.objects.create(target=desk)
        result["one"] = Mark.objects.order_by("pk").first().target.name
        marks = Mark.objects.order_by("pk").prefetch_related("target")
        result["all"] = [(mark.target.name, mark.target._state.db) for mark in marks]
        """,
        migrate=("default", "other"),
    )
    assert result == {"one": "lamp", "all": [["lamp", "other"], ["desk", "other"]]}
    assert project.rows(default, "SELECT object_id FROM marks_mark ORDER BY id") == [(1,), (2,)]
    assert "django_content_type" not in project.tables(other)


def test_explain_records_why_inside_recording_only(project):
    assert project.copy("explain") == ["apps", "explain"]
    project.database("default")
    project.write()
    checked(project)
    result = project.run(
        """
        from dbkit.explain import explain, reason_for, recording

        outside = explain("default", "not recorded")
        with recording() as decisions:
            explain("default", "rule %s", 7)
        result.update(outside=outside, decisions=decisions, after=reason_for("default"))
        """
    )
    assert result == {"outside": "default", "decisions": {"default": "rule 7"}, "after": None}


def test_replica_sets_know_each_replicas_primary_and_warn_about_a_missing_mirror(project):
    """django-multidb-router's list form; no TEST MIRROR: a warning, never an error."""
    assert project.copy("replica_sets") == ["apps", "replica_sets"]
    project.database("default")
    project.database("replica")
    project.write(REPLICA_DATABASES=["replica"])
    checked(project, "routers.W014")
    result = project.run(
        """
        from dbkit.replica_sets import get_replica, primary_of, replica_aliases

        result.update(primary=primary_of("replica"), replicas=sorted(replica_aliases()),
                      next=get_replica())
        """
    )
    assert result == {"primary": "default", "replicas": ["replica"], "next": "replica"}


def test_pinning_detects_the_writes_of_a_scope_on_the_connection(project):
    assert project.copy("pinning") == ["apps", "pinning"]
    default = project.database("default")
    project.write()
    checked(project)
    result = project.run(
        """
        from dbkit.pinning import pinning_scope, this_thread_is_pinned, use_primary_db
        from people.models import Person

        with pinning_scope() as reading:
            list(Person.objects.all())
        with pinning_scope() as writing:
            Person.objects.create(name="ann")
        with use_primary_db:
            result["pinned_inside"] = this_thread_is_pinned()
        result.update(read=sorted(reading.written), wrote=sorted(writing.written),
                      pinned_after=this_thread_is_pinned())
        """,
        migrate=("default",),
    )
    assert result == {
        "read": [],
        "wrote": ["default"],
        "pinned_inside": True,
        "pinned_after": False,
    }
    assert project.rows(default, "SELECT name FROM people_person") == [("ann",)]


def test_health_marks_a_database_that_cant_be_opened_down(project):
    assert project.copy("health") == ["apps", "health", "thread_connections"]
    project.database("default")
    project.database("broken", name="no-such-directory/broken.sqlite3")
    project.write()
    checked(project)
    result = project.run(
        """
        from dbkit.health import health

        result.update(default=health.usable("default"), broken=health.usable("broken"),
                      down=health.is_down("broken"), error=health.error("broken"))
        """
    )
    assert result["default"] == [True, ""]
    assert result["broken"][0] is False and result["down"] is True
    assert "unable to open database file" in result["error"]


def test_replica_router_reads_the_replica_and_writes_the_primary(project):
    assert project.copy("replica") == [
        "apps", "chain", "explain", "health", "pinning", "replica", "replica_sets",
        "thread_connections",
    ]  # fmt: skip
    default, replica = with_replica_snapshot(project)
    project.write(**REPLICAS)
    checked(project, "routers.W014")
    snapshot(project, default, replica)
    project.rows(replica, "INSERT INTO people_person (name) VALUES ('only on the replica')")

    result = project.run(
        """
        from dbkit.pinning import use_primary_db
        from people.models import Person

        Person.objects.create(name="ann")
        result["read"] = sorted(Person.objects.values_list("name", flat=True))
        with use_primary_db:
            result["pinned"] = sorted(Person.objects.values_list("name", flat=True))
        """
    )
    assert result == {"read": ["only on the replica"], "pinned": ["ann"]}
    assert project.rows(default, "SELECT name FROM people_person") == [("ann",)]


MIDDLEWARE_URLS = """\
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from people.models import Person


@csrf_exempt
def add(request):
    Person.objects.create(name=request.POST["name"])
    return JsonResponse({"added": request.POST["name"]})


def names(request):
    return JsonResponse({"names": sorted(Person.objects.values_list("name", flat=True))})


urlpatterns = [path("add/", add), path("names/", names)]
"""


def test_middleware_sets_the_pin_cookie_and_honours_it(project):
    """One request cycle: a POST writes and pins; the same client reads its write back."""
    assert project.copy("middleware") == [
        "apps", "chain", "explain", "health", "middleware", "pinning", "replica",
        "replica_sets", "thread_connections",
    ]  # fmt: skip
    default, replica = with_replica_snapshot(project)
    project.write(
        urls=MIDDLEWARE_URLS, MIDDLEWARE=["dbkit.middleware.PinningRouterMiddleware"], **REPLICAS
    )
    checked(project, "routers.W014")
    snapshot(project, default, replica)

    result = project.run(
        """
        from django.test import Client

        writer = Client()
        response = writer.post("/add/", {"name": "ann"})
        result["cookie"] = response.cookies["multidb_pin_writes"].value
        result["writer_reads"] = writer.get("/names/").json()["names"]
        result["stranger_reads"] = Client().get("/names/").json()["names"]
        """
    )
    assert result["cookie"].startswith("default:")
    assert result["writer_reads"] == ["ann"]  # pinned: read from default
    assert result["stranger_reads"] == []  # no cookie: read from the replica snapshot
    assert project.rows(default, "SELECT name FROM people_person") == [("ann",)]
    assert project.rows(replica, "SELECT name FROM people_person") == []


DEGRADED_URLS = """\
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from people.models import Person


@csrf_exempt
def add(request):
    Person.objects.using("broken").create(name="ann")
    return JsonResponse({"added": True})


urlpatterns = [path("add/", add)]
"""


def test_degraded_mode_answers_a_write_to_a_database_that_is_down_with_503(project):
    assert project.copy("degraded") == ["apps", "degraded", "health", "thread_connections"]
    project.database("default")
    project.database("broken", name="no-such-directory/broken.sqlite3")
    project.write(urls=DEGRADED_URLS, MIDDLEWARE=["dbkit.degraded.DegradedModeMiddleware"])
    checked(project)
    result = project.run(
        """
        from django.test import Client

        response = Client(raise_request_exception=False).post(
            "/add/", HTTP_ACCEPT="application/json"
        )
        result.update(status=response.status_code, retry_after=response["Retry-After"],
                      body=response.json())
        """,
        migrate=("default",),
    )
    assert result["status"] == 503 and int(result["retry_after"]) >= 1
    assert result["body"]["error"] == "read-only" and result["body"]["database"] == "broken"
    assert not (project.root / "no-such-directory").exists()


def test_checks_report_a_router_that_cant_be_imported(project):
    assert project.copy("checks") == ["apps", "checks"]
    project.database("default")
    project.write(DATABASE_ROUTERS=["dbkit.nowhere.Router"])
    finished = project.manage("check")
    assert finished.returncode == 1 and "routers.E020" in finished.stderr, describe(finished)


def test_apps_alone_loads_and_skips_the_modules_that_were_not_copied(project):
    assert project.copy("apps") == ["apps"]
    project.database("default")
    project.write()
    checked(project)
