"""Waiting for a replica, written once for every test that reads through one."""

import time

from django.db import connections

from routers.replica_sets import primary_of


def wait_for_replay(replica: str = "replica", *, timeout: float = 10.0) -> None:
    """Return once *replica* has replayed everything its primary has committed so far.

    On SQLite the replica is the primary's own file, so there is nothing to
    wait for. On PostgreSQL this compares the primary's ``pg_current_wal_lsn()``
    with the standby's ``pg_last_wal_replay_lsn()``.
    """
    standby = connections[replica]
    if standby.vendor != "postgresql":
        return
    with connections[primary_of(replica)].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while True:
        with standby.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"{replica} did not replay up to {target} within {timeout} s")
        time.sleep(0.005)
