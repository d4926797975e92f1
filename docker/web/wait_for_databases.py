"""Wait until every configured database alias accepts a connection.

The migrate service runs this before ``manage.py migrate_all``. Compose's
``service_healthy`` already waits for each server's healthcheck; this covers
what a healthcheck can't see (a wrong password, a missing database, a network
alias that doesn't resolve) and names the alias and its variable when one
never answers::

    python docker/web/wait_for_databases.py            # up to 60 s per alias
    WAIT_FOR_DATABASES_TIMEOUT=5 python docker/web/wait_for_databases.py

Exit status 0 when all are reachable, 1 otherwise.
"""

import os
import sys
import time
from pathlib import Path

# Run as a script from anywhere: the project root is two levels up.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")


def variable_for(alias: str) -> str:
    """Return the environment variable that configures *alias*."""
    from project.databases import (
        PRIMARY_VARIABLES,
        READ_ONLY_VARIABLES,
        READER_VARIABLES,
        REPLICA_VARIABLES,
    )

    owners = {owner: owner_variable for _, owner, owner_variable in READ_ONLY_VARIABLES.values()}
    if alias in PRIMARY_VARIABLES:
        return PRIMARY_VARIABLES[alias]
    if alias in READ_ONLY_VARIABLES:
        return READ_ONLY_VARIABLES[alias][0]
    if alias in owners:
        return owners[alias]
    if alias in REPLICA_VARIABLES:
        return REPLICA_VARIABLES[alias][0]
    if alias in READER_VARIABLES:
        return READER_VARIABLES[alias][0]
    return "DATABASES"


def wait_for(alias: str, *, timeout: float, interval: float = 1.0) -> str | None:
    """Try *alias* until it answers ``SELECT 1`` or *timeout* passes; return the last error."""
    from django.db import connections

    connection = connections[alias]
    deadline = time.monotonic() + timeout
    while True:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return None
        except Exception as error:  # any driver error means "not yet"
            connection.close()
            last_error = " ".join(str(error).split())
        if time.monotonic() + interval > deadline:
            return last_error
        time.sleep(interval)


def unbuilt_read_only_file(settings_dict: dict) -> str | None:
    """The path of a SQLite file opened read-only (``mode=ro``) that doesn't exist yet, or None.

    Waiting for it would be waiting for nothing: no connection of the site's
    may create it (project/databases.py, the embedded legacy database).
    """
    name = str(settings_dict.get("NAME", ""))
    if not settings_dict.get("ENGINE", "").endswith("sqlite3") or "mode=ro" not in name:
        return None
    path = Path(name.removeprefix("file:").split("?", 1)[0])
    return None if path.exists() else str(path)


def main() -> int:
    import django
    from django.db import connections

    django.setup()
    timeout = float(os.environ.get("WAIT_FOR_DATABASES_TIMEOUT", "60"))
    failed = []
    for alias in connections:
        settings_dict = connections[alias].settings_dict
        where = settings_dict.get("HOST") or settings_dict.get("NAME") or "?"
        if missing := unbuilt_read_only_file(settings_dict):
            print(
                f"{alias:<10} not built yet ({missing}): read-only, so only its owner "
                "makes it; on the embedded default, manage.py load_demo",
                flush=True,
            )
            continue
        error = wait_for(alias, timeout=timeout)
        if error is None:
            print(f"{alias:<10} ready ({connections[alias].vendor} at {where})", flush=True)
        else:
            failed.append(alias)
            print(
                f"{alias:<10} NOT reachable after {timeout:g}s ({where}), check "
                f"{variable_for(alias)}: {error}",
                file=sys.stderr,
                flush=True,
            )
    if failed:
        print(f"Databases not reachable: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
