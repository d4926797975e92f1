"""The lag lab's controls: pause, resume and describe WAL replay on the standby.

Not in ``services.py`` / ``selectors.py``: these don't go through the ORM or
the routers. They open their own short psycopg session with the superuser URL
in ``LAG_LAB_SUPERUSER_URL`` (pausing replay needs a superuser, which the
``replica`` alias's read-only role is not), and close it straight away.

Every failure (server down, wrong URL, missing privilege, not a standby) is a
``StandbyError`` whose message a page can show as it is.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import psycopg

from routers import recording
from routers.pinning import format_lsn, wal_position

CONNECT_TIMEOUT_S = 3
PAUSE_WAIT_S = 3  # "pause requested" becomes "paused" at the next WAL record


class StandbyError(Exception):
    """The standby couldn't be reached or asked; the message says why."""


@dataclass(frozen=True)
class ReplayStatus:
    pause_state: str  # "not paused", "pause requested" or "paused"
    replay_position: int | None  # pg_last_wal_replay_lsn(), in bytes from 0/0
    primary_position: int | None  # the primary's pg_current_wal_lsn(), None if unknown
    since_last_replayed: timedelta | None  # now() - pg_last_xact_replay_timestamp()

    @property
    def paused(self) -> bool:
        return self.pause_state == "paused"

    @property
    def replay_lsn(self) -> str | None:
        return None if self.replay_position is None else format_lsn(self.replay_position)

    @property
    def primary_lsn(self) -> str | None:
        return None if self.primary_position is None else format_lsn(self.primary_position)

    @property
    def lag_bytes(self) -> int | None:
        """WAL the primary has written that the standby hasn't replayed yet."""
        if self.primary_position is None or self.replay_position is None:
            return None
        return max(0, self.primary_position - self.replay_position)


@contextmanager
def superuser_session(url: str) -> Iterator[psycopg.Connection]:
    """A short autocommit session on the standby; errors become ``StandbyError``."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S) as session:
            if not session.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                raise StandbyError(
                    "The server at LAG_LAB_SUPERUSER_URL is not in recovery: it is a primary, "
                    "not a standby, so it has no replay to pause."
                )
            yield session
    except psycopg.Error as error:
        raise StandbyError(_describe(error, url=url)) from error


def replay_pause(*, url: str, after: int | None = None) -> str:
    """Pause WAL replay; return the pause state once it is "paused" (or after a short wait).

    With *after* (a WAL position), wait first, as briefly, for replay to pass
    it: the standby's lag in seconds then counts from that commit.
    """
    with superuser_session(url) as session:
        (state,) = session.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()
        deadline = time.monotonic() + PAUSE_WAIT_S
        while after is not None and state == "not paused" and time.monotonic() < deadline:
            (position,) = session.execute(
                "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn"
            ).fetchone()
            if position is not None and int(position) >= after:
                break
            time.sleep(0.02)
        session.execute("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + PAUSE_WAIT_S
        while True:
            state = session.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0]
            if state == "paused" or time.monotonic() > deadline:
                return state
            time.sleep(0.02)


def replay_resume(*, url: str) -> None:
    """Resume WAL replay; the standby then catches up with everything it skipped."""
    with superuser_session(url) as session:
        session.execute("SELECT pg_wal_replay_resume()")


def replay_status(*, url: str, primary: str = "default") -> ReplayStatus:
    """Where replay stands on the standby, and how far behind *primary* it is."""
    with superuser_session(url) as session:
        state, position, since = session.execute(
            "SELECT pg_get_wal_replay_pause_state(),"
            " pg_last_wal_replay_lsn() - '0/0'::pg_lsn,"
            " now() - pg_last_xact_replay_timestamp()"
        ).fetchone()
    return ReplayStatus(
        pause_state=state,
        replay_position=None if position is None else int(position),
        primary_position=current_wal_position(primary),
        since_last_replayed=since,
    )


def current_wal_position(alias: str) -> int | None:
    """*alias*'s ``pg_current_wal_lsn()`` through its Django connection; None off PostgreSQL."""
    # A fresh recording: the trace then shows this raw query as "no router
    # call" instead of the last routing reason recorded for the alias.
    with recording():
        return wal_position(alias)


def _describe(error: psycopg.Error, *, url: str) -> str:
    """The server's or libpq's own words, with the URL's password blanked out if quoted."""
    message = str(error).strip() or "no message"
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        message = message.replace(password, "***")
    return f"{type(error).__name__}: {message}"
