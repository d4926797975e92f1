"""A hundred reads of the user count, and where the replica router sent each one.

The project's setting has one replica (``{"default": ["replica"]}``), so the
other two configurations are applied to this block alone with
``override_replica_databases()``: a context-local override, where
``override_settings`` would change routing for every thread of the server.
Each read's alias is the connection that ran it, and its reason the one the
router recorded (``apps.notes.served``).
"""

from collections import Counter
from contextlib import nullcontext

from django.contrib.auth import get_user_model
from django.db import DatabaseError

from apps.notes.served import served_by
from routers import override_replica_databases

READS = 100
# choice -> (label, REPLICA_DATABASES for the block; None keeps the setting)
CONFIGURATIONS = {
    "configured": ("As configured", None),
    "round-robin": ("Round-robin over replica and default", {"default": ["replica", "default"]}),
    "weighted": ("Weighted: replica 80, default 20", {"default": {"replica": 80, "default": 20}}),
}


def run(request) -> dict:
    choice = request.GET.get("sets", "configured")
    shown = {"configurations": [(key, label) for key, (label, _) in CONFIGURATIONS.items()]}
    if choice not in CONFIGURATIONS:
        return {**shown, "sets": "configured", "ran": False, "error": "Pick one of the three."}
    shown["sets"], (label, raw) = choice, CONFIGURATIONS[choice]
    shown["setting"] = repr(raw) if raw else "the setting: {'default': ['replica']}"
    if not request.GET.get("run"):
        return {**shown, "ran": False}
    try:
        reads, users = hundred_reads(raw)
    except DatabaseError as error:  # a database down mid-run: say so, don't fail the page
        return {**shown, "ran": False, "error": f"A read failed: {error}"}
    per_alias = Counter(alias for alias, _ in reads)
    reasons = Counter(reads)
    return {
        **shown,
        "ran": True,
        "label": label,
        "users": users,
        "reads": [(number, alias, reason) for number, (alias, reason) in enumerate(reads, 1)],
        "per_alias": [
            (alias, count, [(reason, n) for (a, reason), n in reasons.items() if a == alias])
            for alias, count in per_alias.most_common()
        ],
    }


def hundred_reads(raw) -> tuple[list[tuple[str, str]], int]:
    """Count the users READS times; (alias, reason) per read, as served, and the count."""
    user_model = get_user_model()
    reads, users = [], 0
    # One block for all the reads, so they take turns in one rotation.
    sets = nullcontext() if raw is None else override_replica_databases(raw)
    with sets, served_by(user_model) as served:
        for _ in range(READS):
            users = user_model.objects.count()
            reads.append((served.alias, served.reason or "no reason recorded"))
    return reads, users
