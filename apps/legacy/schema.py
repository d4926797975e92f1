"""The legacy schema and data, from the SQL files its owner ships (docker/legacy/).

The same files make production's database (compose's init step,
scripts/pg_topology.py), the embedded demo's ``var/legacy.sqlite3``
(``manage.py load_demo``) and the tests' legacy database (tests/legacy.py):
Django never creates these tables, so nothing can drift between the three.
"""

import os
import sqlite3
import tempfile
from pathlib import Path

from django.conf import settings

SQL_DIR = Path(settings.BASE_DIR) / "docker" / "legacy"
SCHEMA = SQL_DIR / "schema.sql"
DATA = SQL_DIR / "data.sql"
GRANTS = SQL_DIR / "grants.sql"  # PostgreSQL only: what the reader role may do


def scripts(vendor: str) -> list[Path]:
    """The files that make the legacy database on *vendor*, in order."""
    return [SCHEMA, DATA, GRANTS] if vendor == "postgresql" else [SCHEMA, DATA]


def load(connection) -> None:
    """Run the owner's files on *connection*, a connection as the owner, in one transaction."""
    text = "\n".join(path.read_text() for path in scripts(connection.vendor))
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        # executescript runs several statements; the explicit transaction
        # makes the whole file all or nothing.
        connection.connection.executescript(f"BEGIN;\n{text}\nCOMMIT;")
        return
    from django.db import transaction

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(text)  # no parameters: one simple query, several statements


def build_sqlite(path: Path) -> None:
    """Write the embedded legacy database to *path*, whole or not at all.

    Built in a file beside it and renamed into place, so an interrupted build
    never leaves a half-filled database the site would then read.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, building = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    os.chmod(building, 0o644)  # mkstemp's 0600 would hide it from a server running as another user
    try:
        with sqlite3.connect(building) as database:
            for script in scripts("sqlite"):
                database.executescript(script.read_text())
        database.close()
        os.replace(building, path)
    finally:
        Path(building).unlink(missing_ok=True)
