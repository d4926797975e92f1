"""What a lag-aware routing decision costs: lag from memory against lag measured per read.

Run on the real topology (``make bench-lag``). In one process, with the same
settings, it times ``db_for_read(User)`` for:

- ``routers.PinningReplicaRouter`` as shipped: the lag comes from the figure
  the background monitor last measured (``routers.health``), a dict lookup;
- the same router measuring lag on every read, as a router that checks lag on
  the request path would (two queries: the primary's WAL position, the
  standby's replay position);
- django-multidb-router's ``PinningReplicaRouter``, which doesn't look at lag.

Prints microseconds per decision and the ratios. Nothing here is a test.
"""

import os
import statistics
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")


def per_call(decide, model, *, calls: int) -> float:
    """Seconds per ``decide(model)``, over *calls* calls."""
    started = time.perf_counter()
    for _ in range(calls):
        decide(model)
    return (time.perf_counter() - started) / calls


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench/lag_check.py needs the PostgreSQL topology: run `make bench-lag`.")
        return 2
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from multidb import PinningReplicaRouter as TheirPinningRouter

    from routers.health import health
    from routers.replica import PinningReplicaRouter

    settings.MULTIDB_REPLICA_LAG_INTERVAL = 0  # measured once below, as the monitor would
    settings.REPLICA_DATABASES = ["replica"]  # the list form: both routers read it
    with open(os.devnull, "w") as quiet:
        call_command("migrate_all", verbosity=0, stdout=quiet)
    User = get_user_model()
    ours = PinningReplicaRouter()
    health.measure("replica", "default")

    class MeasuringOnEveryRead(PinningReplicaRouter):
        def db_for_read(self, model, **hints):
            health.measure("replica", "default")
            return super().db_for_read(model, **hints)

    variants = {
        "lag from memory (routers)": (ours.db_for_read, 20_000),
        "lag measured per read": (MeasuringOnEveryRead().db_for_read, 500),
        "no lag check (multidb)": (TheirPinningRouter().db_for_read, 20_000),
    }
    for decide, _ in variants.values():
        decide(User)  # connect, warm up
    runs = {name: [] for name in variants}
    for _ in range(7):
        for name, (decide, calls) in variants.items():
            runs[name].append(per_call(decide, User, calls=calls))
    medians = {name: statistics.median(values) * 1e6 for name, values in runs.items()}
    chose = {name: decide(User) for name, (decide, _) in variants.items()}

    print("db_for_read(User) on the real topology: microseconds per decision, median of 7 runs")
    print(f"{'variant':<28} {'us/call':>9}  chose")
    for name, value in medians.items():
        print(f"{name:<28} {value:>9.2f}  {chose[name]}")
    memory, measured = medians["lag from memory (routers)"], medians["lag measured per read"]
    print(f"\nper-read measurement / lag from memory: {measured / memory:.0f}x")
    print(f"lag from memory / no lag check: {memory / medians['no lag check (multidb)']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
