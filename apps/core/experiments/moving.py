"""The plan of moving one logical shard to another database: a dry run that moves nothing."""

from django.contrib.auth import get_user_model
from django.db import DatabaseError, router
from django.db.models import Count

from apps.activity.models import Event
from apps.activity.selectors import problem_of
from routers import recording
from routers.row_copy import DEFAULT_BATCH_SIZE
from routers.shard_map import logical_shard_count, map_refresh_seconds, read_map, shard_aliases
from routers.shard_move import MoveError, plan_move, running_move, shard_rows

SHOWN_USERS = 10


def run(request) -> dict:
    text, target = request.GET.get("logical_shard", "").strip(), request.GET.get("to", "")
    shown = {"logical_shard": text[:6] or "3", "to": target[:40], "shards": shard_aliases()}
    shown["staff"] = request.user.is_staff
    if not request.GET.get("run"):
        return {**shown, "ran": False}
    shown["ran"] = True
    count = logical_shard_count()
    if not (text.isdigit() and len(text) <= 6):  # digits only: no sign, no 10 kB int()
        return {**shown, "message": f"A logical shard is a whole number, 0 to {count - 1}."}
    if target not in ("", *shard_aliases()):
        shards = " or ".join(shard_aliases())
        return {**shown, "message": f"Move it to {shards}, or leave it empty."}
    logical_shard = int(text)
    try:
        shard_map = read_map()
        if not target and logical_shard < count:  # the other database, by default
            here = shard_map.alias_for(logical_shard)
            target = next((alias for alias in shard_aliases() if alias != here), here)
        plan = plan_move(logical_shard, target)
        return {
            **shown,
            "map": shard_map,
            "ranges": [(alias, shard_map.describe(alias)) for alias in shard_aliases()],
            "plan": plan,
            "routed": _routed(logical_shard),
            "users": _users(plan),
            "running": running_move(logical_shard),
            "steps": _steps(plan),
        }
    except MoveError as error:  # out of range, not a shard, already there: the plan's own words
        return {**shown, "message": str(error)}
    except DatabaseError as error:
        return {**shown, "message": problem_of(error)}


def _routed(logical_shard: int) -> tuple[str, str]:
    """Where the router sends a row of *logical_shard* today, and its reason."""
    with recording() as decided:
        alias = router.db_for_read(Event, logical_shard=logical_shard)
        return alias, decided[alias]


def _users(plan) -> dict:
    """The users whose events would move, from the rows on the source, and where they came from."""
    rows = shard_rows(Event, plan.source, plan.logical_shard)
    counts = dict(
        rows.values_list("user_id").annotate(events=Count("pk")).order_by("user_id")[:SHOWN_USERS]
    )
    with recording() as decided:
        users = get_user_model().objects.filter(pk__in=counts)
        users_from = users.db
        names = dict(users.using(users_from).values_list("pk", "username"))
    return {
        "rows": [(names.get(pk, f"#{pk}"), events) for pk, events in counts.items()],
        "served": (users_from, decided[users_from]) if counts else None,
    }


def _steps(plan) -> list[tuple[str, str]]:
    """What ``move_shard`` would do, step by step, for this plan (shard_move.py)."""
    n, grace = plan.logical_shard, 2 * map_refresh_seconds()
    return [
        (
            "copy",
            f"logical shard {n}'s rows, {DEFAULT_BATCH_SIZE} a batch, ids kept; from now on a "
            "trigger on the source logs every write to it",
        ),
        ("catch_up", "the rows the log names, carried over pass after pass"),
        ("verify", "every row compared on both sides by digest, with counts and checksums"),
        (
            "freeze",
            f"writes to logical shard {n} alone refused on the source; the rest of the log "
            "carried over and compared",
        ),
        ("switch", f"the map gives logical shard {n} to the target; its version goes up"),
        (
            "cleanup",
            f"after {grace:g} s the source's copy is deleted, and the source refuses "
            f"logical shard {n} for good",
        ),
    ]
