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

from tests.blank_project import BlankProject, describe

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


@pytest.fixture
def project(tmp_path):
    return BlankProject(tmp_path / "site")


def checked(project, *expected_ids):
    """``manage.py check`` passes; its output names exactly *expected_ids* (warnings)."""
    finished = project.manage("check")
    assert finished.returncode == 0, describe(finished)
    output = finished.stdout + finished.stderr
    for message_id in expected_ids:
        assert message_id in output, describe(finished)
    if not expected_ids:
        assert "no issues" in output, describe(finished)


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


def test_cross_database_queryset_refuses_the_join_and_allows_two_queries(project):
    assert project.copy("cross_database") == ["apps", "cross_database"]
    project.database("default")
    other = project.database("other")
    (project.root / "site_router.py").write_text(
        "class ThingsRouter:\n"
        "    def db_for_read(self, model, **hints):\n"
        "        return 'other' if model._meta.app_label == 'things' else 'default'\n"
        "    db_for_write = db_for_read\n"
        "    def allow_relation(self, *objs, **hints):\n"
        "        return True\n"
        "    def allow_migrate(self, db, app_label, **hints):\n"
        "        return db == ('other' if app_label == 'things' else 'default')\n"
    )
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
    assert project.copy("health") == ["apps", "health"]
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
        "apps", "explain", "health", "pinning", "replica", "replica_sets",
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
        "apps", "explain", "health", "middleware", "pinning", "replica", "replica_sets",
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
    assert project.copy("degraded") == ["apps", "degraded", "health"]
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


def test_warehouse_reads_through_the_reader_and_writes_through_the_owner(project):
    assert project.copy("warehouse") == ["apps", "explain", "warehouse"]
    default = project.database("default")
    owner = project.database("owner", name="warehouse.sqlite3")
    project.database("reader", name="warehouse.sqlite3", read_only=True)
    project.databases["reader"]["TEST"] = {"MIRROR": "owner"}
    project.write(
        DATABASE_ROUTERS=["dbkit.warehouse.WarehouseRouter"],
        DATABASE_WAREHOUSE={"APPS": ["things"], "READ": "reader", "WRITE": "owner"},
    )
    checked(project)

    result = project.run(
        """
        from django.db import DatabaseError, connections
        from things.models import Thing

        Thing.objects.create(name="report")
        thing = Thing.objects.get()
        result["read_from"] = thing._state.db
        try:
            with connections["reader"].cursor() as cursor:
                cursor.execute("DELETE FROM things_thing")
        except DatabaseError as error:
            result["refused"] = str(error)
        """,
        migrate=("default", "owner"),
    )
    assert result["read_from"] == "reader"
    assert "readonly" in result["refused"].replace(" ", "")
    assert project.rows(owner, "SELECT name FROM things_thing") == [("report",)]
    assert "things_thing" not in project.tables(default)
    assert "people_person" not in project.tables(owner)


def test_warehouse_checks_run_in_the_copy(project):
    """A reader that isn't the owner's test mirror warns; an alias not in DATABASES is an error."""
    project.copy("warehouse")
    project.database("default")
    project.database("owner")
    project.write(
        DATABASE_ROUTERS=["dbkit.warehouse.WarehouseRouter"],
        DATABASE_WAREHOUSE={"APPS": ["things"], "READ": "default", "WRITE": "owner"},
    )
    finished = project.manage("check")
    assert "routers.W063" in finished.stderr, describe(finished)
    project.write(
        DATABASE_ROUTERS=["dbkit.warehouse.WarehouseRouter"],
        DATABASE_WAREHOUSE={"APPS": ["things"], "READ": "nowhere", "WRITE": "owner"},
    )
    finished = project.manage("check")
    assert finished.returncode == 1 and "routers.E061" in finished.stderr, describe(finished)


READ_ONLY = {
    "DATABASE_ROUTERS": ["dbkit.read_only.ReadOnlyRouter", "dbkit.app_label.AppLabelRouter"],
    "DATABASE_ROUTING_RULES": {"things": "other"},
    "DATABASE_RELATIONS": [("other", "default")],
    "DATABASE_READ_ONLY": ["other"],
}


def test_read_only_refuses_orm_writes_until_allowed_and_reads_pass(project):
    assert project.copy("read_only") == ["apps", "explain", "read_only"]
    project.copy("app_label")
    project.database("default")
    other = project.database("other")
    project.write(**READ_ONLY)
    project.rows(
        other, "CREATE TABLE things_thing (id integer PRIMARY KEY, name text, owner_id int)"
    )
    project.rows(other, "INSERT INTO things_thing (name) VALUES ('from the owner')")

    result = project.run(
        """
        from dbkit.read_only import ReadOnlyDatabaseError, allow_writes
        from things.models import Thing

        try:
            Thing.objects.create(name="refused")
        except ReadOnlyDatabaseError as error:
            result["refused"] = str(error)
        thing = Thing.objects.get()
        try:
            thing.delete()
        except ReadOnlyDatabaseError:
            result["delete_refused"] = True
        result["read"] = [thing.name, thing._state.db]

        @allow_writes("other")
        def build():
            Thing.objects.create(name="test data")

        build()
        try:
            Thing.objects.create(name="after the block")
        except ReadOnlyDatabaseError:
            result["refused_again"] = True
        """,
        migrate=("default",),
    )
    assert "things.Thing is in 'other', a read-only database" in result["refused"]
    assert result["delete_refused"] and result["refused_again"]
    assert result["read"] == ["from the owner", "other"]
    assert project.rows(other, "SELECT name FROM things_thing ORDER BY id") == [
        ("from the owner",),
        ("test data",),
    ]


def test_read_only_checks_run_in_the_copy(project):
    """A managed model routed to a read-only alias is E071; an unknown alias is E070."""
    project.copy("read_only")
    project.copy("app_label")
    project.database("default")
    project.database("other")
    project.write(**READ_ONLY)
    finished = project.manage("check")
    assert finished.returncode == 1 and "routers.E071" in finished.stderr, describe(finished)
    assert "things.Thing" in finished.stderr
    project.write(**{**READ_ONLY, "DATABASE_READ_ONLY": ["nowhere"]})
    finished = project.manage("check")
    assert finished.returncode == 1 and "routers.E070" in finished.stderr, describe(finished)
