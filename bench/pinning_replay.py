"""Control the standby of the benchmark's topology: pause replay, resume it, wait for it.

Plain psycopg, no Django: ``bench/pinning.py`` drives the standby while its
workers run the clients. Pausing replay needs a superuser on the standby,
which ``scripts/pg_topology.py`` provides as ``DATABASE_URL_REPLICA_SUPERUSER``.
"""

import time

import psycopg


class Standby:
    """The primary of ``default`` and its standby, as seen from the benchmark's driver."""

    def __init__(self, *, primary_url: str, standby_superuser_url: str):
        self.primary = psycopg.connect(primary_url, autocommit=True)
        self.standby = psycopg.connect(standby_superuser_url, autocommit=True)

    def close(self) -> None:
        """Resume replay if it is paused, then disconnect."""
        try:
            self.resume()
        finally:
            self.primary.close()
            self.standby.close()

    def pause(self, *, timeout: float = 10.0) -> None:
        """Stop replay; return once the standby says it is paused."""
        self.standby.execute("SELECT pg_wal_replay_pause()")
        self._wait_until(lambda: self._pause_state() == "paused", timeout, "replay to pause")

    def resume(self) -> None:
        self.standby.execute("SELECT pg_wal_replay_resume()")

    def wait_for_replay(self, *, timeout: float = 30.0) -> None:
        """Return once the standby has replayed everything the primary has committed so far."""
        (target,) = self.primary.execute("SELECT pg_current_wal_lsn()").fetchone()
        self._wait_until(
            lambda: self.standby.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
            ).fetchone()[0],
            timeout,
            f"the standby to replay up to {target}",
        )

    def count(self, sql: str) -> int:
        """Run a ``SELECT count(*)`` on the primary."""
        return self.primary.execute(sql).fetchone()[0]

    def _pause_state(self) -> str:
        return self.standby.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0]

    @staticmethod
    def _wait_until(condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"Timed out after {timeout} s waiting for {what}.")
            time.sleep(0.005)
