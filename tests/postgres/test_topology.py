"""What only a real PostgreSQL topology can answer: servers, replication, roles, lag.

These run in the second pass of ``make test``, against the servers that
``scripts/pg_topology.py`` starts: a primary, its streaming standby, one
server each for ``blog_db`` and ``shop_db`` (and the warehouse, tested in
test_warehouse.py), the legacy stock system's, and one for each shard.
"""

import os
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections

from tests.replication import wait_for_replay

pytestmark = pytest.mark.postgres
User = get_user_model()
PRIMARIES = ["default", "blog_db", "shop_db"]
ALL = [*PRIMARIES, "replica"]


def scalar(alias, sql, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def public_tables(alias) -> set[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        return {name for (name,) in cursor.fetchall()}


@contextmanager
def replica_superuser():
    """A superuser session on the standby (pausing replay needs one)."""
    url = os.environ.get("DATABASE_URL_REPLICA_SUPERUSER")
    if not url:
        pytest.fail("DATABASE_URL_REPLICA_SUPERUSER is unset: run through scripts/pg_topology.py")
    with psycopg.connect(url, autocommit=True) as connection:
        yield connection


@contextmanager
def replay_paused():
    """Pause WAL replay on the standby for the block; always resume it."""
    with replica_superuser() as admin:
        admin.execute("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while admin.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
            assert time.monotonic() < deadline, "replay did not pause within 10 s"
            time.sleep(0.01)
        try:
            yield
        finally:
            admin.execute("SELECT pg_wal_replay_resume()")


@pytest.mark.django_db(databases=ALL)
def test_each_apps_tables_exist_only_on_its_own_server():
    tables = {alias: public_tables(alias) for alias in PRIMARIES}
    assert {"blog_post", "blog_comment", "blog_tag", "blog_post_tags"} <= tables["blog_db"]
    assert {"shop_product", "shop_order", "shop_orderitem"} <= tables["shop_db"]
    assert {"accounts_user", "django_session", "django_admin_log"} <= tables["default"]
    prefixes = {
        "default": ("blog_", "shop_"),
        "blog_db": ("shop_", "accounts_", "auth_", "django_admin"),
        "shop_db": ("blog_", "accounts_", "auth_", "django_admin"),
    }
    for alias, foreign in prefixes.items():
        assert not {t for t in tables[alias] if t.startswith(foreign)}, alias


@pytest.mark.django_db(databases=ALL)
def test_servers_are_separate_and_replica_is_a_physical_standby_of_default():
    """One cluster identity for default and its standby, another for each app server."""
    identity = {
        alias: scalar(alias, "SELECT system_identifier FROM pg_control_system()") for alias in ALL
    }
    ports = {alias: connections[alias].settings_dict["PORT"] for alias in ALL}
    assert len(set(ports.values())) == 4
    assert identity["replica"] == identity["default"]
    assert len({identity["default"], identity["blog_db"], identity["shop_db"]}) == 3
    assert scalar("replica", "SELECT pg_is_in_recovery()") is True
    assert scalar("default", "SELECT pg_is_in_recovery()") is False
    with replica_superuser() as admin:  # the receiver's status is for privileged roles only
        status = admin.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
    assert status == ("streaming",)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_row_written_through_default_is_readable_through_replica_once_replayed():
    User.objects.create_user(username="streamed", password="pw-123456")
    wait_for_replay()
    replica_user = User.objects.using("replica").get(username="streamed")
    assert replica_user._state.db == "replica"


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_any_write_through_replica_fails_with_read_only_transaction():
    with pytest.raises(DatabaseError) as error:
        User.objects.db_manager("replica").create_user(username="nope", password="pw-123456")
    assert error.value.__cause__.sqlstate == "25006"  # read_only_sql_transaction
    # Asked of the primary: a read through the replica could miss a row not yet replayed.
    assert scalar("default", "SELECT count(*) FROM accounts_user WHERE username = 'nope'") == 0


def replica_role_on_primary() -> psycopg.Connection:
    """Connect to default's server with the replica alias's credentials."""
    primary, replica = connections["default"].settings_dict, connections["replica"].settings_dict
    return psycopg.connect(
        host=primary["HOST"],
        port=primary["PORT"],
        dbname=primary["NAME"],
        user=replica["USER"],
        password=replica["PASSWORD"],
        autocommit=True,
    )


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_replica_role_is_refused_a_connection_to_the_primary():
    """pg_hba.conf rejects it, password and all; test_readonly_role.py tests each layer."""
    with pytest.raises(psycopg.OperationalError, match="pg_hba.conf rejects connection"):
        replica_role_on_primary().close()


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_paused_replay_hides_new_rows_from_replica_until_resumed():
    """Real, controllable lag: the standby serves the old state while replay is paused."""
    wait_for_replay()
    with replay_paused():
        User.objects.create_user(username="lagging", password="pw-123456")
        assert User.objects.using("default").filter(username="lagging").exists()
        assert not User.objects.using("replica").filter(username="lagging").exists()
    wait_for_replay()
    assert User.objects.using("replica").filter(username="lagging").exists()


def connect(variable: str, **kwargs) -> psycopg.Connection:
    """Connect with the URL ``scripts/pg_topology.py`` put in *variable*."""
    url = os.environ.get(variable)
    if not url:
        pytest.fail(f"{variable} is unset: run through scripts/pg_topology.py")
    return psycopg.connect(url, autocommit=True, **kwargs)


def test_each_shard_is_a_primary_of_its_own_that_refuses_the_replica_role():
    """shard_0 and shard_1: two more clusters, not in recovery, app_readonly refused."""
    identity = "SELECT system_identifier FROM pg_control_system()"
    identities = set()
    replica = urlsplit(os.environ.get("DATABASE_URL_REPLICA", ""))
    for variable in ("DATABASE_URL", "DATABASE_URL_SHARD_0", "DATABASE_URL_SHARD_1"):
        with connect(variable) as connection:
            identities.add(connection.execute(identity).fetchone()[0])
            assert connection.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        with pytest.raises(psycopg.OperationalError, match="pg_hba.conf rejects connection"):
            connect(variable, user=replica.username, password=replica.password).close()
    assert len(identities) == 3


def legacy_reader() -> psycopg.Connection:
    """The ``legacy`` alias's role on the real legacy database ``up`` filled, not a test copy."""
    url = os.environ.get("DATABASE_URL_LEGACY")
    if not url:
        pytest.fail("DATABASE_URL_LEGACY is unset: run through scripts/pg_topology.py")
    return psycopg.connect(url, autocommit=True)


def test_legacy_reader_reads_the_owners_rows_and_can_write_none():
    """Both guards: read-only transactions, and SELECT only once a transaction may write."""
    insert = """INSERT INTO "SUPPLIER" VALUES ('S00099', 'Nope', 'GB', NULL)"""
    with legacy_reader() as connection:
        assert connection.execute('SELECT count(*) FROM "ITEM"').fetchone() == (6,)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            connection.execute(insert)
        connection.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(insert)
        assert connection.execute('SELECT count(*) FROM "SUPPLIER"').fetchone() == (3,)
