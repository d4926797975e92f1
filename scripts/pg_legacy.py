"""The legacy stock system of scripts/pg_topology.py: its roles, its database and its rows.

A database another system owns (apps/legacy): ``legacy_owner`` owns the
database ``stock`` and its tables, and ``legacy_reader``, the ``legacy``
alias's role, may only read them. None of the site's roles
(docker/postgres/roles.sql) exist on its server, and the analytics warehouse
doesn't subscribe to it.

    create(context)     the roles and the database, then the tables and rows if missing
    describe(context)   one phrase on the rows, for ``pg_topology.py status``

``up`` runs ``create`` every time. docker/legacy/roles.sql is safe to repeat;
schema.sql, data.sql and grants.sql are not (CREATE TABLE, INSERT), so they run
only while table "ITEM" is missing, and in one transaction: a failure leaves no
half-built schema for the next ``up`` to take as done. They are the files
docker compose runs (docker/legacy/initdb/10-legacy.sh), the same way.

This module imports nothing of pg_topology.py: each function takes a
:class:`Context`. Standard library only.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LEGACY_SQL = Path(__file__).resolve().parent.parent / "docker" / "legacy"
ROLES_SQL = LEGACY_SQL / "roles.sql"
# In order, as the owner: the tables, their rows, then the reader's SELECT on them.
TABLES_SQL = [LEGACY_SQL / "schema.sql", LEGACY_SQL / "data.sql", LEGACY_SQL / "grants.sql"]
DB_NAME = "stock"
OWNER = "legacy_owner"
READER = "legacy_reader"
OWNER_VARIABLE = "DATABASE_URL_LEGACY_OWNER"


@dataclass(frozen=True)
class Context:
    """What the legacy server's functions work with, from scripts/pg_topology.py.

    ``psql`` runs psql with the given arguments in the given database of the
    legacy server, as the superuser, stopping at the first error; it returns
    the output, or raises *error* when psql fails.
    """

    passwords: dict[str, str]
    psql: Callable[[list, str], str]  # (arguments, database) -> output
    error: type[Exception]


def create(context: Context) -> None:
    """Create the roles and the database (roles.sql), then the tables and rows once."""
    variables = {
        "db_name": DB_NAME,
        "owner_password": context.passwords[OWNER],
        "reader_password": context.passwords[READER],
    }
    flags = [part for name, value in variables.items() for part in ("-v", f"{name}={value}")]
    context.psql(["-q", *flags, "-f", ROLES_SQL], "postgres")
    # The local topology also runs the test suite, which creates its legacy test
    # database as the owner (DATABASE_URL_LEGACY_OWNER), as app does the others.
    query(context, f"ALTER ROLE {OWNER} CREATEDB", "postgres")
    if not has_tables(context):
        load_tables(context)


def has_tables(context: Context) -> bool:
    """Whether schema.sql has run: its tables are made together, so "ITEM" stands for all."""
    return query(context, """SELECT to_regclass('public."ITEM"') IS NOT NULL""", DB_NAME) == "t"


def load_tables(context: Context) -> None:
    """Run schema.sql, data.sql and grants.sql in one transaction, as the tables' owner.

    ``SET ROLE`` inside the superuser's session, rather than a login as the
    owner: the objects are the owner's and its privileges are the ones checked,
    whatever pg_hba.conf says of the owner's logins.
    """
    files = [part for path in TABLES_SQL for part in ("-f", path)]
    context.psql(["-q", "--single-transaction", "-c", f"SET ROLE {OWNER}", *files], DB_NAME)


def describe(context: Context) -> str:
    """``3 suppliers, 6 items, 7 stock rows``, or why there are none."""
    try:
        if not has_tables(context):
            return "no tables yet: run `up`"
        counts = query(
            context,
            'SELECT (SELECT count(*) FROM "SUPPLIER"), (SELECT count(*) FROM "ITEM"), '
            '(SELECT count(*) FROM "STOCK")',
            DB_NAME,
        )
    except context.error:
        return f"no database {DB_NAME} yet: run `up`"
    suppliers, items, stock = counts.split("|")
    return f"{suppliers} suppliers, {items} items, {stock} stock rows; {READER} reads them"


def query(context: Context, sql: str, database: str) -> str:
    """Run one statement as the superuser; return its unaligned, tuples-only output."""
    return context.psql(["-Atq", "-c", sql], database)
