"""Run the pinning benchmark's clients in one routing mode: a worker of ``bench/pinning.py``.

Run as ``python -m bench.pinning_worker --mode lsn`` (or ``time``,
``primary``, ``unpinned``) with ``DJANGO_SETTINGS_MODULE=bench.settings_pinning``
and the ``DATABASE_URL*`` variables of a migrated topology. The worker creates
its clients, prints ``{"ready": ...}`` and then reads commands on stdin, one a
line, answering each with one JSON line:

``round N replaying`` or ``round N paused``
    Every client takes its step N, in client order: a read (``GET``), or a
    write (``POST``) and then a read straight away. The phase says whether the
    driver has paused replay on the standby for this round.
``report``
    The totals: reads by where they were served, stale reads, queries per
    alias.

Each client is a ``django.test.Client`` with its own cookies, logged in or
anonymous. Every worker builds the same clients and steps from ``--seed``, so
each mode runs the same load. Stdout carries only the JSON lines.
"""

import argparse
import json
import random
import sys
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass

import django
from django.db import connections
from django.test import Client, override_settings

from routers.pinning import is_write, pinning_cookie

MODES = ("lsn", "time", "primary", "unpinned")
PINNING_MIDDLEWARE = "routers.middleware.PinningRouterMiddleware"
# (profile, chance of a write at each step, clients out of 10)
PROFILES = [("reader", 0.0, 5), ("occasional", 0.03, 3), ("active", 0.2, 2)]
URL = "/bench/value/"
PASSWORD = "bench-pinning-only"
PROBES = ("pg_current_wal_lsn", "pg_last_wal_replay_lsn")  # the routers' own position queries
PIN_SECONDS = 15  # MULTIDB_PINNING_SECONDS: the project's default, as in django-multidb-router


@dataclass
class SimulatedClient:
    """One browser: its cookies, who it is, and the last value the site acknowledged."""

    client: Client
    username: str | None  # None: anonymous, its value lives in its session
    write_chance: float
    acknowledged: int = 0
    written: int = 0


def plan(*, clients: int, rounds: int, seed: int) -> tuple[list[tuple], list[list[bool]]]:
    """Return each client's ``(profile, write chance, logged in)`` and, per round, who writes."""
    rng = random.Random(seed)
    profiles = [
        (name, chance)
        for name, chance, share in PROFILES
        for _ in range(round(clients * share / 10))
    ]
    profiles = (profiles + [PROFILES[0][:2]] * clients)[:clients]  # rounding: fill with readers
    rng.shuffle(profiles)
    people = [(name, chance, index % 2 == 0) for index, (name, chance) in enumerate(profiles)]
    steps = [[rng.random() < chance for _, chance, _ in people] for _ in range(rounds)]
    return people, steps


class QueryCounter:
    """Count the queries each alias runs, by kind, for the whole run and for the last request."""

    def __init__(self):
        self.total: Counter = Counter()
        self.request: Counter = Counter()

    def wrapper_for(self, alias: str):
        def count(execute, sql, params, many, context):
            if any(probe in sql for probe in PROBES):
                kind = "probe"
            elif is_write(sql):
                kind = "write"
            elif sql.lstrip()[:6].upper() == "SELECT":
                kind = "select"
            else:
                kind = "other"  # savepoints
            self.request[alias, kind] += 1
            self.total[f"{alias} {kind}"] += 1
            return execute(sql, params, many, context)

        return count

    def served_by(self) -> str:
        """The alias that ran the last request's reads, or ``both`` or ``none``."""
        aliases = [alias for (alias, kind), n in self.request.items() if kind == "select" and n]
        return aliases[0] if len(aliases) == 1 else ("both" if aliases else "none")


class Run:
    def __init__(self, mode: str, *, clients: int, rounds: int, seed: int):
        self.mode = mode
        self.people, self.steps = plan(clients=clients, rounds=rounds, seed=seed)
        self.queries = QueryCounter()
        self.reads: Counter = Counter()  # "phase situation served" -> reads
        self.stale: Counter = Counter()  # "phase situation served" -> stale reads
        self.errors: list[str] = []
        self.clients: list[SimulatedClient] = []

    def set_up(self) -> None:
        """Create the clients: log the named ones in, give the anonymous ones a session."""
        from django.contrib.auth import get_user_model

        for index, (_, chance, logged_in) in enumerate(self.people):
            client = SimulatedClient(Client(raise_request_exception=False), None, chance)
            if logged_in:
                client.username = f"bench-{self.mode}-{index}"
                get_user_model().objects.create_user(username=client.username, password=PASSWORD)
                login = {"username": client.username, "password": PASSWORD}
                self.send(client, "post", "/accounts/login/", login, expect=302)
            else:
                self.send(client, "post", URL, {"value": 0})
            # Start as a client whose last write is long past: no pin cookie.
            client.client.cookies.pop(pinning_cookie(), None)
            self.clients.append(client)

    def step(self, number: int, phase: str) -> None:
        for client, writes in zip(self.clients, self.steps[number], strict=True):
            if writes:
                client.written += 1
                if self.send(client, "post", URL, {"value": client.written}) is not None:
                    client.acknowledged = client.written
                self.read(client, phase, "after-write")
            else:
                self.read(client, phase, "other")

    def read(self, client: SimulatedClient, phase: str, situation: str) -> None:
        answer = self.send(client, "get", URL)
        served = self.queries.served_by()
        self.reads[f"{phase} {situation} {served}"] += 1
        if answer is None:
            return
        if answer["value"] < client.acknowledged or answer["user"] != client.username:
            self.stale[f"{phase} {situation} {served}"] += 1

    def send(self, client: SimulatedClient, method: str, url: str, data=None, expect=200):
        """Make one request; return its JSON, or None after recording an unexpected status."""
        self.queries.request.clear()
        response = getattr(client.client, method)(url, data)
        for name, morsel in response.cookies.items():
            if morsel["max-age"] in (0, "0"):  # a browser drops a deleted cookie
                client.client.cookies.pop(name, None)
        if response.status_code != expect:
            self.errors.append(f"{method.upper()} {url} returned {response.status_code}")
            return None
        return response.json() if expect == 200 else {}

    def report(self) -> dict:
        return {
            "mode": self.mode,
            "reads": dict(self.reads),
            "stale": dict(self.stale),
            "queries": dict(self.queries.total),
            "writes": sum(client.written for client in self.clients),
            "errors": self.errors,
        }


def mode_settings(mode: str) -> dict:
    """The settings that turn the project's routing into *mode*."""
    from django.conf import settings

    if mode == "primary":  # PinningReplicaRouter abstains, AppLabelRouter says default
        return {"REPLICA_DATABASES": {}}
    if mode == "unpinned":  # read/write splitting without read-your-writes
        return {
            "DATABASE_ROUTERS": [
                "routers.replica.ReplicaRouter",
                "routers.app_label.AppLabelRouter",
            ],
            "MIDDLEWARE": [name for name in settings.MIDDLEWARE if name != PINNING_MIDDLEWARE],
        }
    return {"MULTIDB_PINNING_MODE": mode, "MULTIDB_PINNING_SECONDS": PIN_SECONDS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    django.setup()
    run = Run(args.mode, clients=args.clients, rounds=args.rounds, seed=args.seed)
    with ExitStack() as stack:
        stack.enter_context(override_settings(**mode_settings(args.mode)))
        for alias in ("default", "replica"):
            stack.enter_context(connections[alias].execute_wrapper(run.queries.wrapper_for(alias)))
        run.set_up()
        run.queries.total.clear()  # count the load only, not the set-up
        reply(ready=args.mode, clients=len(run.clients))
        for line in sys.stdin:
            command, *rest = line.split()
            if command == "round":
                run.step(int(rest[0]), rest[1])
                reply(round=int(rest[0]))
            elif command == "report":
                reply(**run.report())


def reply(**fields) -> None:
    """Print one JSON line for ``bench/pinning.py``."""
    print(json.dumps(fields), flush=True)


if __name__ == "__main__":
    main()
