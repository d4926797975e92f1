"""The legacy database's three write guards, each shown stopping a write on its own.

1. a role with ``SELECT`` only (PostgreSQL);
2. a read-only connection (``default_transaction_read_only``; on SQLite
   ``mode=ro`` and ``PRAGMA query_only``);
3. routers/read_only.py, which refuses an ORM write before any SQL.

Each test turns guards off (tests.legacy.legacy_connection, a router list
without ReadOnlyRouter) and shows the error the remaining ones give. Every
write runs in a transaction that rolls back, so none outlives its test.
"""

import pytest
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.db.utils import ConnectionHandler
from django.test import override_settings

from apps.legacy import schema
from apps.legacy.models import Item, Supplier
from project.databases import database_settings
from routers.read_only import ReadOnlyDatabaseError
from tests.legacy import LEGACY, legacy_connection

pytestmark = pytest.mark.django_db(databases=LEGACY)

NEW = {"number": "S00777", "name": "Guard test", "country": "SE"}
RAW_INSERT = (
    'INSERT INTO "SUPPLIER" ("SUPP_NO", "SUPP_NAME", "COUNTRY") '
    "VALUES ('S00777', 'Guard test', 'SE')"
)
WITHOUT_ROUTER = override_settings(
    DATABASE_ROUTERS=[
        entry for entry in settings.DATABASE_ROUTERS if entry != "routers.read_only.ReadOnlyRouter"
    ]
)
# What each database guard says, on each engine.
READ_ONLY_CONNECTION = {
    "postgresql": "cannot execute INSERT in a read-only transaction",
    "sqlite": "attempt to write a readonly database",
}
SELECT_ONLY_ROLE = 'permission denied for table "?SUPPLIER"?'


class RolledBack(Exception):
    """Raised inside a write's transaction once the write went through."""


def orm_insert() -> None:
    """Add a supplier through the ORM, in a transaction that never commits."""
    with pytest.raises(RolledBack), transaction.atomic(using="legacy"):
        Supplier.objects.create(**NEW)
        raise RolledBack


def raw_insert() -> None:
    """Add a supplier with SQL through ``connections["legacy"]``, never committed."""
    with pytest.raises(RolledBack), transaction.atomic(using="legacy"):
        with connections["legacy"].cursor() as cursor:
            cursor.execute(RAW_INSERT)
        raise RolledBack


def vendor() -> str:
    return connections["legacy"].vendor


# -- All three on: the acceptance -----------------------------------------------


def test_orm_writes_raise_before_any_sql_and_leave_the_database_unchanged(
    django_assert_num_queries,
):
    writes = [
        lambda: Supplier.objects.create(**NEW),
        lambda: Supplier.objects.filter(number="S00010").update(name="Renamed"),
        lambda: Supplier.objects.filter(number="S00010").delete(),
        lambda: Item.objects.get(sku="MDB-0001").save(),
    ]
    for write in writes:
        with (
            pytest.raises(ReadOnlyDatabaseError) as error,
            django_assert_num_queries(0, using="legacy"),
            django_assert_num_queries(0, using="legacy_owner"),
        ):
            write()
        assert error.value.alias == "legacy"
        assert f"{error.value.model._meta.label} is in 'legacy'" in str(error.value)
    assert Supplier.objects.get(number="S00010").name == "Quorum Press"
    assert Supplier.objects.count() == 3


def test_a_raw_insert_through_the_connection_fails_in_the_database():
    with pytest.raises(DatabaseError, match=READ_ONLY_CONNECTION[vendor()]):
        raw_insert()
    assert not Supplier.objects.filter(number="S00777").exists()


# -- One guard off at a time ----------------------------------------------------


@pytest.mark.postgres
def test_without_the_select_only_role_the_read_only_connection_and_the_router_stop_it():
    with legacy_connection(role="owner"):
        with pytest.raises(DatabaseError, match=READ_ONLY_CONNECTION["postgresql"]):
            raw_insert()
        with pytest.raises(ReadOnlyDatabaseError):
            orm_insert()


@pytest.mark.postgres
def test_without_the_read_only_connection_the_role_and_the_router_stop_it():
    with legacy_connection(read_only=False):
        with pytest.raises(DatabaseError, match=SELECT_ONLY_ROLE):
            raw_insert()
        with pytest.raises(ReadOnlyDatabaseError):
            orm_insert()


@WITHOUT_ROUTER
def test_without_the_router_the_database_stops_an_orm_write():
    with pytest.raises(DatabaseError, match=READ_ONLY_CONNECTION[vendor()]):
        orm_insert()
    assert not Supplier.objects.filter(number="S00777").exists()


@pytest.mark.postgres
@WITHOUT_ROUTER
def test_without_the_router_nor_the_read_only_connection_the_role_stops_it():
    with (
        legacy_connection(read_only=False),
        pytest.raises(DatabaseError, match=SELECT_ONLY_ROLE),
    ):
        orm_insert()


# -- All off: the harness really turns them off ----------------------------------


@pytest.mark.postgres
@WITHOUT_ROUTER
def test_with_every_guard_off_the_write_goes_through():
    """So each test above shows a guard at work, not a write that fails for another reason.

    (On SQLite a second connection can't write the in-memory test database
    while the test's transaction holds it; the embedded file's tests below
    show the same there.)
    """
    with legacy_connection(role="owner", read_only=False):
        orm_insert()
        raw_insert()
    assert not Supplier.objects.filter(number="S00777").exists()  # both rolled back


# -- The embedded file: mode=ro and query_only, each alone -------------------------


@pytest.fixture
def legacy_file(tmp_path, monkeypatch):
    """The embedded legacy database in *tmp_path*, and the settings the site opens it with."""
    path = tmp_path / "legacy.sqlite3"
    schema.build_sqlite(path)
    monkeypatch.setenv("DATABASE_URL_LEGACY", f"sqlite:///{path}")
    import environ

    databases, problems = database_settings(environ.Env(), var_dir=tmp_path)
    assert not problems
    return path, databases["legacy"]


def raw_insert_into(config: dict) -> None:
    """Insert through a Django connection opened with *config*, as the site opens the file."""
    filled = ConnectionHandler({"default": {}, "file": config}).settings["file"]
    connection = SQLiteWrapper(filled, "file")
    try:
        with connection.cursor() as cursor:
            cursor.execute(RAW_INSERT)
    finally:
        connection.close()


@pytest.mark.django_db(databases=[])
@pytest.mark.parametrize(
    "turned_off", ["nothing", "query_only", "mode=ro"], ids=lambda off: f"without {off}"
)
def test_the_embedded_file_refuses_a_write_with_either_setting_alone(legacy_file, turned_off):
    path, config = legacy_file
    assert config["NAME"] == f"file:{path}?mode=ro"
    assert "query_only = ON" in config["OPTIONS"]["init_command"]
    if turned_off == "query_only":
        config = {**config, "OPTIONS": {}}
    elif turned_off == "mode=ro":
        config = {**config, "NAME": str(path)}
    with pytest.raises(DatabaseError, match=READ_ONLY_CONNECTION["sqlite"]):
        raw_insert_into(config)


@pytest.mark.django_db(databases=[])
def test_the_embedded_file_takes_the_write_with_both_off(legacy_file):
    path, config = legacy_file
    raw_insert_into({**config, "NAME": str(path), "OPTIONS": {}})
