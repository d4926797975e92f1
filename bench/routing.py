"""Time routing decisions like for like: pinning router against pinning router.

Run by ``bench/run.py`` as ``python -m bench.routing`` with
``DJANGO_SETTINGS_MODULE=bench.settings_multi_db``, so every stack reads the
same ``DATABASES`` and ``REPLICA_DATABASES = ["replica"]`` (the list form both
libraries read alike). Prints one JSON list: per stack of routers and per
call, the ns it takes and the alias it chose.

Each call goes through ``django.db.router``, the ``ConnectionRouter`` Django
asks for every query, with its ``routers`` set to the stack under test, since
this project's routers ask that same list where a model lives. Rounds of the
stacks alternate, so a slow moment of the machine hits them all.
"""

import argparse
import json
import statistics
import timeit

import django

CALLS = ("db_for_read", "db_for_write")


def stacks() -> dict[str, list]:
    """Name -> the router instances of that ``DATABASE_ROUTERS``."""
    import multidb
    from django.conf import settings
    from django.utils.module_loading import import_string

    from routers import AppLabelRouter, PinningReplicaRouter, ReplicaRouter

    return {
        "theirs: multidb.PinningReplicaRouter": [multidb.PinningReplicaRouter()],
        "ours: PinningReplicaRouter": [PinningReplicaRouter()],
        "ours: PinningReplicaRouter + AppLabelRouter": [PinningReplicaRouter(), AppLabelRouter()],
        "ours: the demo's 5 DATABASE_ROUTERS": [
            import_string(path)() for path in settings.DATABASE_ROUTERS
        ],
        "theirs: multidb.ReplicaRouter": [multidb.ReplicaRouter()],
        "ours: ReplicaRouter + AppLabelRouter": [ReplicaRouter(), AppLabelRouter()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="Calls per timed run.")
    parser.add_argument("--repeats", type=int, default=11, help="Timed rounds; the median counts.")
    args = parser.parse_args()

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections, router

    from apps.blog.models import Post

    for connection in connections.all():
        if not str(connection.settings_dict["NAME"]).startswith("file:"):
            connection.ensure_connection()  # creates the file the read-only replica opens
    models = {"User": get_user_model(), "Post": Post}
    named = stacks()
    runs = {(stack, call, model): [] for stack in named for call in CALLS for model in models}
    for _ in range(args.repeats):
        for stack, routers in named.items():
            router.routers = routers  # what django.db.router asks, and what ours ask
            for call in CALLS:
                function = getattr(router, call)
                for model in models.values():
                    function(model)  # warm: connects, opens the fast lane
                for name, model in models.items():
                    seconds = timeit.Timer(
                        "function(model)", globals={"function": function, "model": model}
                    ).timeit(number=args.calls)
                    runs[stack, call, name].append(seconds / args.calls)
    results = []
    for stack, routers in named.items():
        router.routers = routers
        for call in CALLS:
            for name, model in models.items():
                results.append(
                    {
                        "stack": stack,
                        "call": f"django.db.router.{call}({name})",
                        "ns": statistics.median(runs[stack, call, name]) * 1e9,
                        "alias": getattr(router, call)(model),
                    }
                )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
