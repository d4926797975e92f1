"""The legacy database in tests: built from its owner's SQL once per session.

Django makes ``legacy_owner``'s test database without migrations and with no
table (``TEST["MIGRATE"]`` is False and routers/read_only.py allows none), and
``legacy`` reads it (``TEST["MIRROR"]``). Then ``load_once()``, from the
session's ``django_db_setup`` (conftest.py), runs docker/legacy/schema.sql and
data.sql there, plus grants.sql on PostgreSQL: the schema production has, not
one Django derived from the models by flipping ``managed``. Once per session:
each test's changes roll back with ``legacy_owner``'s test transaction, and a
``TransactionTestCase`` must leave the rows as it found them, since its flush
empties managed tables only.

A test that reads ``legacy`` lists both aliases (``LEGACY``): a mirror alone
would read whatever database ``legacy_owner`` names outside the tests.
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connections

from apps.legacy import schema
from routers.thread_connections import reread_opened

LEGACY = ["legacy", "legacy_owner"]
# The owner's database before any test database exists (conftest.py imports
# this module first): if the name is still this after set-up, no test asked for one.
NAME_OUTSIDE_TESTS = connections["legacy_owner"].settings_dict["NAME"]
READ_ONLY_OPTION = "-c default_transaction_read_only"


def load_once() -> bool:
    """Build the legacy test database, if this session made one; return whether it did."""
    owner = connections["legacy_owner"]
    if owner.settings_dict["NAME"] == NAME_OUTSIDE_TESTS:
        return False  # no test in this session uses it: leave the real one alone
    schema.load(owner)
    return True


def close_mirror() -> None:
    """Close this thread's ``legacy`` session, before Django drops the database it reads."""
    connections["legacy"].close()


def check_aliases(items) -> None:
    """Stop the run when a test reads ``legacy`` without its test database (``LEGACY``)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        databases = marker.kwargs.get("databases") if marker else None
        listed = isinstance(databases, list | tuple) and "legacy" in databases
        if listed and "legacy_owner" not in databases:
            raise pytest.UsageError(
                f"{item.nodeid} uses 'legacy' without 'legacy_owner': list both "
                "(tests.legacy.LEGACY), so it reads the test database."
            )


@contextmanager
def legacy_connection(*, role: str = "reader", read_only: bool = True) -> Iterator[None]:
    """``connections["legacy"]`` with a guard turned off, inside the block, in this thread.

    *role* ``"owner"`` logs in as the tables' owner instead of the role with
    ``SELECT`` only (guard 1, PostgreSQL); *read_only* False opens the
    connection without ``default_transaction_read_only``, or on SQLite without
    ``PRAGMA query_only`` (guard 2; the test database is in memory, so
    ``mode=ro`` is the embedded file's, tested on a file). The real connection
    is set aside, not closed (closing would drop SQLite's in-memory database).
    """
    original = connections["legacy"]
    settings_dict = copy.deepcopy(original.settings_dict)
    if role == "owner":
        owner = connections["legacy_owner"].settings_dict
        settings_dict.update(USER=owner["USER"], PASSWORD=owner["PASSWORD"])
    options = settings_dict["OPTIONS"]
    if not read_only and original.vendor == "postgresql":
        # A client's startup option overrides the role's ALTER ROLE ... SET.
        options["options"] = f"{READ_ONLY_OPTION}=off"
    elif not read_only:
        options.pop("init_command", None)
    swapped = type(original)(settings_dict, "legacy")
    connections["legacy"] = swapped
    try:
        yield
    finally:
        swapped.close()
        connections["legacy"] = original
        reread_opened("legacy")
