"""Suite-wide policy and fixtures.

- In CI (CI=true) any skipped test fails the run.
- Tests marked ``postgres`` need the real topology and skip loudly on SQLite;
  tests marked ``sqlite_only`` describe the embedded default and skip on
  PostgreSQL. ``make test`` deselects each in the other pass, so CI skips none.
"""

import time

import pytest

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests import legacy

# The CI no-skip policy and the fixtures the routers' own tests share with the
# version matrix, which runs them without this file (noxfile.py).
pytest_plugins = ["tests.routers_only.plugin"]

PG_HOW = (
    "run `make test` (its second pass starts the topology), or "
    "`.venv/bin/python scripts/pg_topology.py run -- .venv/bin/python -m pytest -m postgres`"
)


def pytest_report_header(config):
    from django.db import connections

    described = []
    for alias in connections:
        settings = connections[alias].settings_dict
        where = f"{settings.get('HOST')}:{settings.get('PORT')}" if settings.get("HOST") else ""
        described.append(f"{alias}={connections[alias].vendor}{'@' + where if where else ''}")
    return "databases: " + ", ".join(described)


def pytest_collection_modifyitems(config, items):
    from django.db import connections

    legacy.check_aliases(items)
    vendor = connections["default"].vendor
    for item in items:
        if "postgres" in item.keywords and vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason=f"needs the PostgreSQL topology: {PG_HOW}"))
        if "sqlite_only" in item.keywords and vendor != "sqlite":
            item.add_marker(pytest.mark.skip(reason="describes the embedded SQLite default"))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test databases, and the legacy one built from its owner's SQL (tests/legacy.py)."""
    with django_db_blocker.unblock():
        legacy.load_once()
    yield
    # The mirror's session would keep PostgreSQL from dropping the owner's test database.
    legacy.close_mirror()
    with django_db_blocker.unblock():
        end_other_sessions()


def end_other_sessions():
    """End the sessions other threads keep open on the PostgreSQL test databases.

    With ``DATABASE_CONN_MAX_AGE`` a thread keeps its connections, and threads
    outlive the tests that started them (the shards' workers,
    routers/shard_queryset.py), so without this PostgreSQL would refuse to drop
    the test databases ("being accessed by other users"). Each alias ends its
    own role's other sessions, mirrors included (a mirror's role, such as the
    warehouse's reader, is another user on its owner's database), and a
    mirror's own session is closed.
    """
    from django.db import DatabaseError, connections

    for connection in connections.all():
        if connection.vendor != "postgresql":
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND usename = current_user"
                )
                ended = [pid for pid, _ in cursor.fetchall()]
                # pg_terminate_backend() only signals: wait for the backends to exit,
                # or the DROP DATABASE right after may still find one of them.
                deadline = time.monotonic() + 5
                while ended and time.monotonic() < deadline:
                    cursor.execute("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [ended])
                    ended = [pid for (pid,) in cursor.fetchall()]
                    time.sleep(0.02)
        except DatabaseError:
            pass  # down, or a role that may not: Django's teardown will say so
        if connection.settings_dict["TEST"].get("MIRROR"):
            # A mirror's role (the warehouse's reader) is another user on its owner's
            # test database: its own session has to go too.
            connection.close()


@pytest.fixture
def staff_client(client):
    """A client logged in as ``boss``, who is staff (the labs are for staff)."""
    UserFactory(username="boss", is_staff=True)
    assert client.login(username="boss", password=DEFAULT_PASSWORD)
    return client


@pytest.fixture
def user(db):
    return UserFactory(username="john")


@pytest.fixture
def logged_in_client(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Hash test passwords with MD5: PBKDF2's million rounds would dominate the suite."""
    from django.test import override_settings

    hashers = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # the demo fixtures' hashes
    ]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture
def fresh_shard_map():
    """No process copy of the shard map outlives a test whose map changes roll back with it."""
    from routers import shard_map

    shard_map._MAP_CACHE.clear()
    yield
    shard_map._MAP_CACHE.clear()
