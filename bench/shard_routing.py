"""Time ``ShardRouter``'s decisions for ``Event`` against ``AppLabelRouter``'s for ``Post``.

Run by ``bench/run.py`` as ``python -m bench.shard_routing`` with
``DJANGO_SETTINGS_MODULE=bench.settings_multi_db``: the project's settings,
so ``DATABASE_SHARDING`` spreads ``activity.Event`` over ``shard_0`` and
``shard_1`` (64 logical shards, the map in ``default``, trusted for
``MAP_REFRESH_SECONDS = 1``), on temporary SQLite files. Prints one JSON
object: per call, the ns each side takes and the alias it chose; then what a
decision costs when it must ask ``default`` for the map's version.

Each pair is a sharded decision and the app-label router's decision for a
plain model (``blog.Post``), made the same way, in the same process, their
runs alternating:

- on the router instance;
- through ``ConnectionRouter([router])``, the class behind
  ``django.db.router``, as when that router is alone in ``DATABASE_ROUTERS``;
- through ``django.db.router`` itself: the project's five routers, in order.

The map is loaded before the first timed run, so these decisions read the
process's copy (one version check a second, amortised over the run). The last
row sets ``MAP_REFRESH_SECONDS`` to 0, so every decision checks the version.
"""

import argparse
import json
import statistics
import timeit

import django
from django.db.utils import ConnectionRouter

KEY = 42  # user 42: logical shard 42 of 64, on shard_1
STRING_KEY = "user-42"  # a key hashed with BLAKE2b (shard_map.logical_shard_for)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000, help="Calls per timed run.")
    parser.add_argument("--repeats", type=int, default=15, help="Timed runs; the median counts.")
    parser.add_argument(
        "--chain-calls", type=int, default=1_000, help="Calls per run through django.db.router."
    )
    parser.add_argument(
        "--refresh-calls", type=int, default=500, help="Calls per run with the map re-checked."
    )
    args = parser.parse_args()

    django.setup()
    from django.conf import settings
    from django.db import connections
    from django.db import router as django_router
    from django.test import override_settings

    from apps.activity.models import Event
    from apps.blog.models import Post
    from routers import AppLabelRouter
    from routers.shard_map import current_map, install_map
    from routers.sharding import ShardRouter

    install_map()  # the map table in default, as migrate's post_migrate makes it
    current_map()  # this process's copy: the timed decisions find it cached

    event, post = Event(user_id=KEY, kind=Event.Kind.NOTE_SAVED), Post(title="bench")
    shards, app_label = ShardRouter(), AppLabelRouter()
    alone = {"shards": ConnectionRouter([shards]), "app_label": ConnectionRouter([app_label])}
    # (label, sharded call, app-label call): each a (function, model, hints).
    pairs = [
        (
            "router.db_for_read(shard_key=42)",
            (shards.db_for_read, Event, {"shard_key": KEY}),
            (app_label.db_for_read, Post, {}),
        ),
        (
            'router.db_for_read(shard_key="user-42")',
            (shards.db_for_read, Event, {"shard_key": STRING_KEY}),
            (app_label.db_for_read, Post, {}),
        ),
        (
            "router.db_for_write(instance=...)",
            (shards.db_for_write, Event, {"instance": event}),
            (app_label.db_for_write, Post, {"instance": post}),
        ),
        (
            "ConnectionRouter([router]).db_for_read",
            (alone["shards"].db_for_read, Event, {"shard_key": KEY}),
            (alone["app_label"].db_for_read, Post, {}),
        ),
        (
            "ConnectionRouter([router]).db_for_write",
            (alone["shards"].db_for_write, Event, {"instance": event}),
            (alone["app_label"].db_for_write, Post, {"instance": post}),
        ),
        (
            "django.db.router.db_for_read",
            (django_router.db_for_read, Event, {"shard_key": KEY}),
            (django_router.db_for_read, Post, {}),
        ),
        (
            "django.db.router.db_for_write",
            (django_router.db_for_write, Event, {"instance": event}),
            (django_router.db_for_write, Post, {"instance": post}),
        ),
    ]
    for _, *calls in pairs:
        for function, model, hints in calls:
            function(model, **hints)  # connect (the project's routers ask routers.health)

    # The project's chain is about 50 times slower: fewer calls keep its runs as long.
    calls = {label: args.chain_calls if "django.db" in label else args.calls for label, *_ in pairs}
    runs = {(label, side): [] for label, *_ in pairs for side in ("sharded", "app_label")}
    for _ in range(args.repeats):
        for label, sharded, plain in pairs:
            runs[label, "sharded"].append(seconds_per_call(*sharded, calls=calls[label]))
            runs[label, "app_label"].append(seconds_per_call(*plain, calls=calls[label]))
    rows = []
    for label, sharded, plain in pairs:
        rows.append(
            {
                "call": label,
                "calls": calls[label],
                "sharded_ns": statistics.median(runs[label, "sharded"]) * 1e9,
                "app_label_ns": statistics.median(runs[label, "app_label"]) * 1e9,
                "sharded_alias": sharded[0](sharded[1], **sharded[2]),
                "app_label_alias": plain[0](plain[1], **plain[2]),
            }
        )

    # Every decision asks default for MAX(version): the cost of a stale copy.
    cached, checking = [], []
    every_time = {**settings.DATABASE_SHARDING, "MAP_REFRESH_SECONDS": 0}
    read = (shards.db_for_read, Event, {"shard_key": KEY})
    for _ in range(args.repeats):
        cached.append(seconds_per_call(*read, calls=args.calls))
        with override_settings(DATABASE_SHARDING=every_time):
            checking.append(seconds_per_call(*read, calls=args.refresh_calls))
    refresh = {
        "call": rows[0]["call"],
        "calls": args.refresh_calls,
        "cached_ns": statistics.median(cached) * 1e9,
        "checking_ns": statistics.median(checking) * 1e9,
        "map_database": settings.DATABASE_SHARDING.get("MAP_DATABASE", "default"),
        "vendor": connections["default"].vendor,
    }
    print(json.dumps({"rows": rows, "refresh": refresh}))


def seconds_per_call(function, model, hints, *, calls: int) -> float:
    """Return the seconds one ``function(model, **hints)`` takes, averaged over *calls* calls."""
    names = {"function": function, "model": model, "hints": hints}
    return timeit.Timer("function(model, **hints)", globals=names).timeit(number=calls) / calls


if __name__ == "__main__":
    main()
