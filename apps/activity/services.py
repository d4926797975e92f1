"""Activity writes: each event goes to the physical shard that holds its user's logical shard.

An event describes something that already happened in another database (a
post in ``blog_db``, an order in ``shop_db``, a note in ``default``). No
transaction spans two databases, so the event is written after that
database commits (``event_record_on_commit``), never inside its transaction:

- a post whose transaction rolls back records no event;
- a shard that is down loses the event, logged at error level, and never
  undoes or breaks the post it describes (the post is already committed).

That trades a lost line of history for the post's safety. A log that must
never lose an event would use an outbox instead, as the shop's order count
does (``apps/shop/services.py``).
"""

import logging
import threading

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, connections, transaction
from django.utils.text import Truncator

from apps.activity.models import Event
from routers.shard_freeze import retry_while_frozen
from routers.shard_move import Move, ShardMover, abort_move
from routers.sharding import shard_for

logger = logging.getLogger(__name__)

SUMMARY_MAX_LENGTH = Event._meta.get_field("summary").max_length


def event_record(*, user: AbstractBaseUser, kind: str, summary: str = "") -> Event:
    """Write one event for *user* to the shard that holds them (``user`` names the key).

    A shard that ``routers.health`` knows is down is refused at once with
    ``DatabaseUnavailable`` (the replica router's guard), like any other
    database without a replica. A logical shard frozen by a move makes it
    wait, up to five seconds, for the switch.
    """
    if kind not in Event.Kind.values:
        raise ValueError(f"{kind!r} is not one of {Event.Kind.values}")
    summary = Truncator(summary).chars(SUMMARY_MAX_LENGTH)
    # While a move freezes the user's logical shard (routers/shard_move.py), wait for
    # the switch and write to where the map then says, rather than lose the event.
    return retry_while_frozen(Event.objects.create, user=user, kind=kind, summary=summary)


def event_record_or_log(*, user: AbstractBaseUser, kind: str, summary: str = "") -> Event | None:
    """``event_record``, or None with an error in the log when the shard can't take it."""
    try:
        return event_record(user=user, kind=kind, summary=summary)
    except DatabaseError as error:
        # Expected while a shard is down: one line, no traceback. Anything else
        # (a bug) propagates, and on_commit(robust=True) logs it with its traceback.
        logger.error(
            "activity: %s event of user %s not recorded on %s: %s",
            kind,
            user.pk,
            _shard_name(user.pk),
            error,
        )
        return None


def event_record_on_commit(
    *, user: AbstractBaseUser, kind: str, summary: str = "", using: str
) -> None:
    """Record the event once *using*'s transaction commits; at once outside a transaction.

    ``robust=True``: an exception from the callback is logged and goes no
    further, so it can't turn a committed write into an error page, nor stop
    the callbacks registered after it on the same commit.
    """

    # A function, not functools.partial: Django logs a robust callback's failure
    # by its __qualname__, which a partial lacks (an AttributeError instead).
    def record_event() -> None:
        event_record_or_log(user=user, kind=kind, summary=summary)

    transaction.on_commit(record_event, using=using, robust=True)


def _shard_name(key) -> str:
    """The shard *key* belongs on, for a log line; never raises (the map may be the problem)."""
    try:
        return shard_for(key)
    except DatabaseError:
        return "its shard (the shard map can't be read)"


# --- Moving a logical shard from the staff page ---------------------------------


def shard_move_start(*, logical_shard: int, target: str) -> Move:
    """Record a move of *logical_shard* to *target* and run its steps in a background thread.

    ``MoveError`` (a mistake: the shard is already there, or already moving)
    is raised here, in the request. The steps then run in this process; if it
    stops, the move waits, recorded, for ``--resume`` or ``--abort``.
    """
    mover = ShardMover.start(logical_shard, target)
    _launch(mover)
    return mover.move


def shard_move_resume(*, logical_shard: int) -> Move:
    """Go on with an interrupted move of *logical_shard*, in a background thread."""
    mover = ShardMover.resume(logical_shard)
    _launch(mover)
    return mover.move


def shard_move_abort(*, logical_shard: int) -> Move:
    """Undo a move of *logical_shard* that hasn't switched (``abort_move``)."""
    return abort_move(logical_shard)


def _launch(mover: ShardMover) -> threading.Thread:
    def run():
        try:
            mover.run()
        except Exception:  # recorded on the move by run(); the thread has no one to tell
            logger.exception("activity: move of logical shard %d failed", mover.move.logical_shard)
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(
        target=run, name=f"move-logical-shard-{mover.move.logical_shard}", daemon=True
    )
    thread.start()
    return thread
