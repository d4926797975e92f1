"""One read per app, each from the database its router chose, and where a write would go.

Each model is counted inside ``served()``, so the alias shown is the
connection that ran the count, with the reason the router recorded for it.
The write's alias is the router's answer to ``db_for_write``: asked, never
acted on, so nothing is written.
"""

from django.apps import apps
from django.db import DatabaseError, router

from routers import recording
from routers.shard_map import is_sharded

from .watch import served, shown

# One model of each app that has tables, in the order the page lists them.
MODELS = (
    "accounts.User",
    "blog.Post",
    "shop.Product",
    "notes.Note",
    "analytics.UserMetric",
    "legacy.Item",
    "activity.Event",
    "sessions.Session",
)
BIGINT_MAX = 2**63 - 1


def run(request) -> dict:
    user_text = request.GET.get("user", "").strip()[:40]
    if not request.GET.get("run"):
        return {"ran": False, "user": user_text or "1"}
    user_id, problem = _user_id(user_text or "1")
    return {
        "ran": True,
        "user": user_text,
        "problem": problem,
        "rows": [_read(apps.get_model(label), user_id) for label in MODELS],
    }


def _user_id(text: str) -> tuple[int | None, str]:
    """The shard key the sharded model's read names, or a message saying why not."""
    try:
        user_id = int(text)
    except ValueError:
        return None, f"{shown(text)} is not a user id: the sharded read is left out."
    if not 1 <= user_id <= BIGINT_MAX:
        return None, f"{shown(text)} is out of range for a user id: the sharded read is left out."
    return user_id, ""


def _read(model, user_id: int | None) -> dict:
    """Count *model*'s rows where the routers send the read; ask where a write would go."""
    row = {"model": model._meta.label, "count": None, "error": ""}
    sharded = is_sharded(model)
    with served(model) as found:
        try:
            if sharded and user_id is None:
                row["error"] = "No user id to find its shard by."
            else:
                rows = model.objects.for_key(user_id) if sharded else model._default_manager
                row["count"] = rows.count()
        except (DatabaseError, LookupError) as error:  # a database not set up, no shard key
            row["error"] = str(error)
    row["served"] = list(found.values())
    hints = {"shard_key": user_id} if sharded and user_id is not None else {}
    with recording() as decided:
        try:
            row["write"] = router.db_for_write(model, **hints)
            row["write_reason"] = decided.get(row["write"], "no reason recorded")
        except (DatabaseError, LookupError) as error:  # read-only, primary down, no shard key
            row["write"], row["write_refused"] = "", str(error)
    return row
