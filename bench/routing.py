"""Time routing decisions: ``AppLabelRouter`` against django-multidb-router's ``ReplicaRouter``.

Run by ``bench/run.py`` as ``python -m bench.routing`` with
``DJANGO_SETTINGS_MODULE=bench.settings_multi_db``, so both routers read the
same ``DATABASES``. Prints one JSON list: per call, the ns each router takes
and the alias it chose.

Each decision is timed two ways: on the router instance, and through
``ConnectionRouter([router])``, the class behind ``django.db.router``, as it
runs when the router is the only entry in ``DATABASE_ROUTERS``. Runs of the
two routers alternate, so a slow moment of the machine hits both.
"""

import argparse
import json
import statistics
import timeit

import django
from django.db.utils import ConnectionRouter

CALLS = (
    "router.db_for_read",
    "router.db_for_write",
    "django.db.router.db_for_read",
    "django.db.router.db_for_write",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="Calls per timed run.")
    parser.add_argument("--repeats", type=int, default=7, help="Timed runs; the median counts.")
    args = parser.parse_args()

    django.setup()
    from multidb import ReplicaRouter

    from apps.blog.models import Post
    from routers import AppLabelRouter

    routers = {"ours": decisions(AppLabelRouter()), "theirs": decisions(ReplicaRouter())}
    runs = {(side, call): [] for side in routers for call in CALLS}
    for _ in range(args.repeats):
        for call in CALLS:
            for side, functions in routers.items():
                runs[side, call].append(seconds_per_call(functions[call], Post, calls=args.calls))

    results = []
    for call in CALLS:
        row = {"call": f"{call}(Post)"}
        for side, functions in routers.items():
            row[f"{side}_ns"] = statistics.median(runs[side, call]) * 1e9
            row[f"{side}_alias"] = functions[call](Post)
        results.append(row)
    print(json.dumps(results))


def decisions(router) -> dict:
    """Return the function behind each of ``CALLS``, asking *router*."""
    # django.db.router is a ConnectionRouter built from DATABASE_ROUTERS.
    through_django = ConnectionRouter([router])
    return {
        "router.db_for_read": router.db_for_read,
        "router.db_for_write": router.db_for_write,
        "django.db.router.db_for_read": through_django.db_for_read,
        "django.db.router.db_for_write": through_django.db_for_write,
    }


def seconds_per_call(function, model, *, calls: int) -> float:
    """Return the seconds one ``function(model)`` takes, averaged over *calls* calls."""
    timer = timeit.Timer("function(model)", globals={"function": function, "model": model})
    return timer.timeit(number=calls) / calls


if __name__ == "__main__":
    main()
