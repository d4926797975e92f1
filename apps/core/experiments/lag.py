"""Replica lag, staff only: each replica's lag measured now, and whether it takes reads, and why.

The measurement is ``routers.health``'s own (the one its background thread
makes each interval), and the answer is the router's: ``pick_replica`` asked
about that replica alone, with the reason it recorded. Pausing replay, to see
the pin and the lag limit at work, is the lag lab's job (``/lag-lab/``).
"""

from django.apps import apps
from django.db import DatabaseError, connections, router

from apps.notes.lag_readers import meaning_of, measure_lag
from routers import recording
from routers.replica import ReplicaRouter
from routers.replica_sets import replica_sets


def run(request) -> dict:
    if not request.GET.get("run"):
        return {"ran": False}
    if not request.user.is_staff:
        return {"ran": False, "status": 403, "forbidden": True}
    replicas = [
        _replica_now(replica, primary)
        for primary, members in replica_sets().items()
        for replica, _ in members
        if replica != primary
    ]
    return {"ran": True, "replicas": replicas}


def _replica_now(replica: str, primary: str) -> dict:
    lag = measure_lag(replica)
    with recording() as decided:
        # The router's pick among this replica alone: it, or the primary and why not.
        alias = ReplicaRouter().pick_replica(primary, {replica})
    reason = decided.get(alias, "")
    mechanism, explanation = meaning_of(reason)
    return {
        "replica": replica,
        "primary": primary,
        "vendor": connections[replica].vendor,
        "lag": lag,
        "alias": alias,
        "reason": reason,
        "takes_reads": alias == replica,
        "mechanism": mechanism,
        "explanation": explanation,
        "answered": _answers(alias, primary),
    }


def _answers(alias: str, primary: str) -> str:
    """A real read on *alias* of a model kept in *primary*: its name, or why it failed."""
    for model in apps.get_models():
        try:
            if router.db_for_write(model) != primary:
                continue
        except Exception:  # noqa: S112 - a router that needs a key (sharding) names no primary
            continue
        try:
            model.objects.using(alias).exists()
        except DatabaseError as error:
            return f"failed: {error}"
        return model._meta.label
    return ""
