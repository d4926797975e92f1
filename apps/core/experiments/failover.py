"""Failover, staff only: one database made unreachable, and what reads and writes get meanwhile.

Simulated, on every backend: this request's own connection to the chosen
database points where nothing answers (``outage.unreachable_here``), so the
routers meet a real connection failure, and ``routers.health`` its real mark,
lifted again when the run ends. A real outage of a shared server is not made
from a web page: roles and databases are cluster-wide (and a role replicates
to the standby), so ``ALTER ROLE ... CONNECTION LIMIT 0`` would refuse every
process of the site, each would mark the server down for its cooldown, and
terminating the role's sessions would cut other visitors' queries mid-flight.
tests/postgres/test_failover.py stops and hangs the real servers instead.
"""

import copy
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError, connections, router
from django.db.models import F

from apps.core.experiments.outage import one_at_a_time, unreachable_here
from routers import recording
from routers.degraded import unavailable_response
from routers.health import DatabaseUnavailable, cooldown_seconds, health
from routers.pinning import pin_state_preserved, pinning_scope, unpin_this_thread
from routers.replica_sets import primary_of, replica_aliases, replica_sets


@dataclass(frozen=True)
class Step:
    """One read or write while the database is away: who served it and why, or the refusal."""

    action: str  # "read" or "write"
    model: str
    alias: str = ""  # the database that served it; "" when refused
    reason: str = ""  # the router's recorded reason, or the error
    status: int = 200  # what the page would answer: 200, or the 503 of degraded.py
    answer: dict | None = None  # the 503's JSON: error, database, detail, retry_after


def models_by_alias() -> dict:
    """Each database the lab can take away, with a model read and written through it."""
    from apps.blog.models import Post
    from apps.notes.models import Note
    from apps.shop.models import Product

    choices = {"default": Note, "blog_db": Post, "shop_db": Product}
    choices.update({alias: Note for alias in replica_aliases() if primary_of(alias) == "default"})
    return {alias: model for alias, model in choices.items() if alias in settings.DATABASES}


def run(request) -> dict:
    choices = models_by_alias()
    alias = request.POST.get("alias", "") if request.method == "POST" else ""
    context = {"choices": list(choices), "alias": alias or "replica", "ran": False}
    context["cooldown"] = cooldown_seconds()
    if request.method != "POST" or not request.POST.get("run"):
        return context
    if not request.user.is_staff:
        return {**context, "status": 403, "forbidden": True}
    if alias not in choices:
        return {**context, "alias": "replica", "error": "Choose one of the databases listed."}
    with one_at_a_time() as mine:
        if not mine:
            return {**context, "error": "Another run is under way: try again in a moment."}
        if health.is_down(alias):
            error = f"{alias} is already marked down in this process ({health.error(alias)})."
            return {**context, "error": error + " Nothing was simulated."}
        steps, where = _run_outage(request, alias, choices)
    return {
        **context,
        "ran": True,
        "where": where,
        "vendor": connections[alias].vendor,
        "steps": steps,
        "restored": not health.is_down(alias),
    }


def _run_outage(request, alias: str, choices: dict) -> tuple[list[Step], str]:
    model = choices[alias]
    # A read kept in another primary: the databases that stay up stay usable.
    others = [m for a, m in choices.items() if primary_of(a) != primary_of(alias)]
    other = next((m for m in others if m is not model), model)
    # The lab's POST pins every read of the request to the primaries: set that
    # aside, and give each step a pinning scope of its own, so each is routed
    # as an ordinary request's would be (a write doesn't pin the next read).
    with pin_state_preserved(), unreachable_here(alias) as where:
        unpin_this_thread()
        if alias in replica_sets():  # writes notice first; reads then fail over
            order = [(_write, model), (_read, model)]
        else:
            order = [(_read, model), (_write, model)]
        steps = []
        for step, which in [*order, (_read, other)]:
            with pinning_scope():
                steps.append(step(request, which))
    return steps, where


def _read(request, model) -> Step:
    name = model.__name__
    with recording() as decided:
        try:
            queryset = model.objects.all()
            alias = queryset.db  # the router's choice, kept for the query
            queryset.using(alias).exists()
        except DatabaseUnavailable as error:
            return _refused("read", name, request, error)
        except OperationalError as error:
            return Step("read", name, reason=str(error), status=503)
    return Step("read", name, alias=alias, reason=decided.get(alias, "no router call"))


def _write(request, model) -> Step:
    """An UPDATE that matches no row: a real write routed to the primary, changing nothing."""
    name = model.__name__
    with recording() as decided:
        try:
            alias = router.db_for_write(model)
            key = model._meta.pk.attname
            model.objects.using(alias).filter(pk__lt=0).update(**{key: F(key)})
        except DatabaseUnavailable as error:
            return _refused("write", name, request, error)
        except OperationalError as error:
            return Step("write", name, reason=str(error), status=503)
    return Step("write", name, alias=alias, reason=decided.get(alias, "the primary"))


def _refused(action: str, name: str, request, error: DatabaseUnavailable) -> Step:
    """The step refused before any SQL, with the 503 ``DegradedModeMiddleware`` would answer."""
    asked = copy.copy(request)  # the same request, asking for JSON, as a read or a write
    asked.method = "GET" if action == "read" else "POST"
    asked.META = {**request.META, "HTTP_ACCEPT": "application/json"}
    asked.__dict__.pop("headers", None)
    response = unavailable_response(asked, error.alias, error.retry_after)
    answer = json.loads(response.content)
    return Step(action, name, reason=str(error), status=response.status_code, answer=answer)
