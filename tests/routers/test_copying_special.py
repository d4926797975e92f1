"""The copy test, continued: the routers for special databases (a warehouse, a read-only one).

Each module, copied with exactly what its docstring names into package
``dbkit`` of a blank project, passes ``manage.py check`` there (reporting its
own checks) and does its job on real SQLite files. ``test_copying.py`` says how.
"""

import pytest

from tests.blank_project import checked, describe

pytestmark = pytest.mark.sqlite_only  # blank projects on SQLite files: vendor-independent


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
    assert project.copy("read_only") == ["apps", "chain", "explain", "read_only"]
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


def test_read_only_sends_allowed_writes_to_the_owners_alias(project):
    """The mapping form: one file, read-only as ``other``, writable as ``other_owner``."""
    project.copy("read_only")
    project.copy("app_label")
    project.database("default")
    other = project.database("other", name="other.sqlite3", read_only=True)
    project.database("other_owner", name="other.sqlite3")
    project.write(**{**READ_ONLY, "DATABASE_READ_ONLY": {"other": "other_owner"}})
    project.rows(
        other, "CREATE TABLE things_thing (id integer PRIMARY KEY, name text, owner_id int)"
    )

    result = project.run(
        """
        from dbkit.read_only import ReadOnlyDatabaseError, allow_writes
        from things.models import Thing

        with allow_writes("other"):
            thing = Thing.objects.create(name="test data")
            result["written_to"] = thing._state.db
            result["read_back"] = Thing.objects.get().name
        result["read_from"] = Thing.objects.get()._state.db
        try:
            Thing.objects.using("other").create(name="through the reader")
        except Exception as error:
            result["reader_refused"] = type(error).__name__
        """,
        migrate=("default",),
    )
    assert (result["written_to"], result["read_back"]) == ("other_owner", "test data")
    assert result["read_from"] == "other"
    assert result["reader_refused"] == "OperationalError", "the file, opened read-only"
    assert project.rows(other, "SELECT name FROM things_thing") == [("test data",)]


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
