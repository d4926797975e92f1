"""Activity reads: one user's events from their shard, everyone's from every shard.

A read that names the user goes to their shard alone (``for_key``); a read of
everyone asks every shard at once and merges the answers
(``across_shards``). Each returns a *problem*, a sentence that says why there
are no rows, when a shard can't answer, so the pages still render.
"""

import logging
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db import DatabaseError
from django.db.models import Count, F, prefetch_related_objects

from apps.activity.models import Event
from routers.health import DatabaseUnavailable, connection_failure, health
from routers.shard_ids import SEQUENCE_BITS
from routers.shard_map import map_database
from routers.shard_move import STEPS, Move, moves
from routers.shard_queryset import ShardReport
from routers.sharding import current_map, logical_shard_for, logical_shard_of, shard_aliases

logger = logging.getLogger(__name__)

UNAVAILABLE = "can't be reached just now"


@dataclass(frozen=True)
class Placement:
    """Where one key's rows live: its logical shard, the physical shard, the map's version."""

    key: object
    logical_shard: int
    logical_shards: int
    alias: str
    map_version: int

    def __str__(self) -> str:  # the words of ShardRouter's reason in the routing trace
        return (
            f"user {self.key} → logical shard {self.logical_shard}/{self.logical_shards} "
            f"→ {self.alias}, map v{self.map_version}"
        )


def shard_placement(*, user: AbstractBaseUser) -> Placement:
    """Where *user*'s events live, by the shard map this process holds now."""
    shard_map = current_map()
    logical = logical_shard_for(user.pk)
    alias = shard_map.alias_for(logical)
    return Placement(user.pk, logical, len(shard_map.aliases), alias, shard_map.version)


def events_for_user(
    *, user: AbstractBaseUser, limit: int, page: str | None = None
) -> tuple[Page, str]:
    """Page *page* of *user*'s events, *limit* a page, newest first: their shard only.

    Returns ``(page, problem)``: an empty page and the reason when the shard
    can't answer. A page number that isn't one gives the first page, one past
    the end the last (``Paginator.get_page``).
    """
    events = Event.objects.for_key(user.pk)  # scoped: COUNT and SELECT on one shard
    try:
        found = Paginator(events, limit).get_page(page)
        found.object_list = list(found.object_list)  # here, not while the template renders
        return found, ""
    except DatabaseError as error:
        return Paginator([], limit).get_page(1), _problem(error)


@dataclass(frozen=True)
class EventRow:
    """An event read from every shard: where it came from, by its id and by its connection."""

    event: Event
    logical_shard: int  # carried in the id
    alias: str  # the physical shard that answered


@dataclass(frozen=True)
class Everywhere:
    """The newest events of every shard, merged, and what each shard did for them."""

    rows: list[EventRow]
    reports: list[ShardReport]
    problem: str


def events_everywhere(*, limit: int) -> Everywhere:
    """The *limit* newest events of all users: each shard asked at once, then merged.

    Each shard returns at most *limit* rows, newest first; the merge keeps the
    newest *limit* of them. Their users live in ``default``: no join can reach
    them from a shard, so they come in one extra ``IN (...)`` query.
    """
    query = Event.objects.across_shards().order_by("-created_at", "-id")[:limit]
    try:
        events = list(query)
    except DatabaseError as error:
        # Every shard must answer, or the merge would silently leave rows out.
        return Everywhere([], [], f"Every shard must answer, and {_problem(error)}")
    prefetch_related_objects(events, "user")
    rows = [EventRow(event, logical_shard_of(event.pk), event._state.db) for event in events]
    return Everywhere(rows, query.reports, "")


@dataclass(frozen=True)
class ShardOverview:
    """One physical shard on the home page."""

    alias: str
    logical_shards: str  # "0-31"
    map_version: int | None
    events: int | None  # None: not counted, and why_not says why
    why_not: str


def shard_overview() -> list[ShardOverview]:
    """Each physical shard: the logical shards the map gives it, and the events it holds.

    As ``apps.core.selectors.row_counts`` does, each shard is checked with
    ``health.usable()`` first, so a shard known to be down costs no
    connection attempt, and one that can't be reached is counted as None
    with the reason; the page still renders.
    """
    aliases = shard_aliases()
    # current_map() asks the map's database for the version past the routers and
    # routers.health, so a map database known to be down is not asked here.
    usable, why = health.usable(map_database())
    if not usable:
        return [ShardOverview(alias, "unknown", None, None, why) for alias in aliases]
    try:
        shard_map = current_map()
    except DatabaseError as error:
        why = _problem(error, alias=f"the shard map's database, {map_database()},")
        return [ShardOverview(alias, "unknown", None, None, why) for alias in aliases]
    rows = []
    for alias in aliases:
        described = shard_map.describe(alias)
        usable, why = health.usable(alias)
        if not usable:
            rows.append(ShardOverview(alias, described, shard_map.version, None, why))
            continue
        try:
            count = Event.objects.on_shard(alias).count()
        except DatabaseError as error:
            why = _problem(error, alias=alias)
            rows.append(ShardOverview(alias, described, shard_map.version, None, why))
        else:
            rows.append(ShardOverview(alias, described, shard_map.version, count, ""))
    return rows


def problem_of(error: DatabaseError) -> str:
    """Why a database gave no answer, in words fit for the page (``_problem``)."""
    return _problem(error)


def _problem(error: DatabaseError, *, alias: str = "a shard") -> str:
    """Why a shard gave no rows, in words fit for anyone: no host, port or user names.

    The driver's message names them, so it goes to the log, as the health
    page shows it to staff only.
    """
    alias = getattr(error, "alias", alias)  # DatabaseUnavailable names it
    logger.warning("activity: %s gave no rows: %s", alias, error)
    if isinstance(error, DatabaseUnavailable):
        return str(error)  # "shard_1 is unavailable (...); retry in 30 s"
    if connection_failure(error):
        return f"{alias} {UNAVAILABLE}"
    return f"{alias} answered {type(error).__name__} (not migrated? run manage.py migrate_all)"


# --- The shard map and its moves (the staff page) --------------------------------


@dataclass(frozen=True)
class LogicalShardRow:
    """One logical shard: where the map puts it, its rows there, and a move under way."""

    logical_shard: int
    alias: str
    rows: int | None  # None: its database couldn't be asked
    moving_to: str | None


@dataclass(frozen=True)
class StepRow:
    name: str
    state: str  # done, running or waiting
    seconds: float | None


@dataclass(frozen=True)
class MoveRow:
    move: Move
    steps: list[StepRow]

    @property
    def rows(self) -> int:
        return sum(source for source, _ in self.move.detail.get("plan", {}).values())


def logical_shard_grid() -> tuple[int | None, list[LogicalShardRow], str]:
    """``(map version, each logical shard's row, problem)``: one grouped count per shard.

    Rows are counted where the map puts each logical shard; a target's copy
    during a move isn't counted until the switch.
    """
    try:
        shard_map = current_map()
    except DatabaseError as error:
        return None, [], _problem(error, alias=f"the shard map's database, {map_database()},")
    counts: dict[tuple[str, int], int] = {}
    problems, failed = [], set()
    for alias in shard_aliases():
        usable, why = health.usable(alias)
        if not usable:
            problems.append(why)
            failed.add(alias)
            continue
        try:
            counts.update(
                ((alias, row["logical"]), row["rows"])
                for row in Event.objects.on_shard(alias)
                .annotate(logical=F("pk").bitrightshift(SEQUENCE_BITS).bitand(4095))
                .values("logical")
                .annotate(rows=Count("pk"))
                .order_by()
            )
        except DatabaseError as error:
            problems.append(_problem(error, alias=alias))
            failed.add(alias)
    grid = [
        LogicalShardRow(
            n,
            alias,
            None if alias in failed else counts.get((alias, n), 0),
            shard_map.moving_to(n),
        )
        for n, alias in enumerate(shard_map.aliases)
    ]
    return shard_map.version, grid, "; ".join(problems)


def moves_recent(*, limit: int = 10) -> tuple[list[MoveRow], str]:
    """The newest moves with each step's state and time, or a problem when none can be read."""
    try:
        found = moves(limit=limit)
    except DatabaseError as error:
        return [], _problem(error, alias=f"the shard map's database, {map_database()},")
    return [MoveRow(move, _steps(move)) for move in found], ""


def _steps(move: Move) -> list[StepRow]:
    timings = move.detail.get("timings", {})
    rows = []
    for name in STEPS:
        began_ended = timings.get(name)
        if began_ended:
            rows.append(StepRow(name, "done", began_ended[1] - began_ended[0]))
        elif name == move.step and move.status == "running":
            rows.append(StepRow(name, "running", None))
        else:
            rows.append(StepRow(name, "waiting", None))
    return rows
