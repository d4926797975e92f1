"""A user's events from the one shard that holds them, and a query without the key that asks all."""

from contextlib import ExitStack

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections

from apps.activity.models import Event
from apps.activity.selectors import problem_of, shard_placement
from routers import recording
from routers.sharding import ShardKeyRequired, shard_aliases

USERNAME_LENGTH = get_user_model()._meta.get_field("username").max_length
NEWEST = 5


def run(request) -> dict:
    username = request.GET.get("username", "").strip()
    if not request.GET.get("run"):
        return {"username": username[:USERNAME_LENGTH] or "alice", "ran": False}
    shown = {"username": username[:USERNAME_LENGTH], "ran": True}
    if not username or len(username) > USERNAME_LENGTH:
        return {**shown, "message": f"A username has 1 to {USERNAME_LENGTH} characters."}
    try:
        with recording() as decided:  # the user, from default's side of the routers
            users = get_user_model().objects.filter(username=username)
            user_from = users.db
            user = users.using(user_from).first()
        if user is None:
            return {**shown, "message": f"No user is called {username!r}: try alice or bob."}
        return {
            **shown,
            "user": user,
            "user_from": (user_from, decided[user_from]),
            "placement": shard_placement(user=user),
            **_with_key(user),
            **_without_key(),
        }
    except DatabaseError as error:
        return {**shown, "message": problem_of(error)}


def _with_key(user) -> dict:
    """The user's events by their key: one shard answers, and the others run nothing."""
    ran = {alias: 0 for alias in shard_aliases()}
    with recording() as decided, ExitStack() as stack:
        for alias in ran:  # a wrapper counts this thread's statements; it opens no connection
            stack.enter_context(connections[alias].execute_wrapper(_counting(ran, alias)))
        events = Event.objects.for_key(user.pk)
        alias = events.db
        count = events.count()
        newest = list(events[:NEWEST])
    return {
        "keyed_from": (alias, decided[alias]),
        "keyed_count": count,
        "newest": newest,
        "statements": list(ran.items()),
    }


def _without_key() -> dict:
    """No key: refused by the router, then asked of every shard at once with ``across_shards``."""
    try:
        Event.objects.count()
        refused = ""
    except ShardKeyRequired as error:  # raised while routing: no shard was asked
        refused = str(error)
    with recording() as decided:
        everywhere = Event.objects.across_shards()
        total = everywhere.count()
    reports = [(report, decided.get(report.alias, "")) for report in everywhere.reports]
    return {"refused": refused, "total": total, "reports": reports}


def _counting(ran: dict, alias: str):
    def wrapper(execute, sql, params, many, context):
        ran[alias] += 1
        return execute(sql, params, many, context)

    return wrapper
