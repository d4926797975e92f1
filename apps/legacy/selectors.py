"""Reads of the legacy stock system: what the shop shows, and the /legacy/ page's live state."""

from dataclasses import dataclass

from django.db import DatabaseError, connections, router
from django.db.models import Prefetch

from apps.legacy.models import Availability, Item, Stock
from routers.health import health
from routers.read_only import ReadOnlyRouter, read_only_aliases

UNAVAILABLE = "The stock system can't be read just now"
# The /legacy/ page's guards, in the order a write meets them in the database.
ROLE, CONNECTION, ROUTER = (
    "1. a role with SELECT only",
    "2. a read-only connection",
    "3. routers/read_only.py",
)


def supply_for(skus) -> tuple[dict[str, Availability], str]:
    """Each SKU's availability, lead time and supplier: one query on ``legacy``, however many.

    Returns ``({sku: Availability}, problem)``; *problem* says why there is
    none when the legacy database can't answer, so a shop page still renders.
    """
    skus = sorted({sku for sku in skus if sku})
    if not skus:
        return {}, ""
    alias = router.db_for_read(Availability)
    usable, why = health.usable(alias)
    if not usable:
        return {}, f"{UNAVAILABLE} ({why})."
    rows = Availability.objects.select_related("item__supplier").filter(item__in=skus)
    try:
        return {row.item_id: row for row in rows}, ""
    except DatabaseError as error:
        return {}, f"{UNAVAILABLE}: {error}"


def items_with_stock() -> tuple[list[Item], str]:
    """Every item with its supplier and its stock per warehouse: two queries on ``legacy``."""
    usable, why = health.usable(router.db_for_read(Item))
    if not usable:
        return [], f"{UNAVAILABLE} ({why})."
    stock = Prefetch("stock", queryset=Stock.objects.order_by("warehouse"))
    try:
        return list(Item.objects.select_related("supplier").prefetch_related(stock)), ""
    except DatabaseError as error:
        return [], f"{UNAVAILABLE}: {error}"


@dataclass(frozen=True)
class Guard:
    name: str
    on: bool | None  # None: not this engine's to give
    detail: str


def guards(alias: str = "legacy") -> list[Guard]:
    """The three write guards of *alias*, as they stand in this process and on its server.

    The server's two are asked of the server, unless ``routers.health`` says
    it is down: then they are unknown, and the page doesn't wait for it.
    """
    usable, why = health.usable(alias)
    if usable:
        server = [_role_guard(alias), _connection_guard(alias)]
    else:
        server = [Guard(name, None, f"unknown: {why}") for name in (ROLE, CONNECTION)]
    return [*server, _router_guard(alias)]


def _router_guard(alias: str) -> Guard:
    installed = any(isinstance(each, ReadOnlyRouter) for each in router.routers)
    if not installed:
        return Guard(ROUTER, False, "ReadOnlyRouter is not in DATABASE_ROUTERS")
    if alias not in read_only_aliases():
        return Guard(ROUTER, False, f"DATABASE_READ_ONLY doesn't name {alias!r}")
    return Guard(ROUTER, True, "ReadOnlyRouter is in DATABASE_ROUTERS; DATABASE_READ_ONLY names it")


def _connection_guard(alias: str) -> Guard:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SHOW transaction_read_only")
                on = cursor.fetchone()[0] == "on"
                detail = f"transaction_read_only = {'on' if on else 'off'}"
            else:
                cursor.execute("PRAGMA query_only")
                query_only = bool(cursor.fetchone()[0])
                read_only = "mode=ro" in connection.settings_dict["NAME"]
                on = query_only or read_only  # each refuses writes alone (test_guards.py)
                detail = (
                    f"opened with mode=ro: {'yes' if read_only else 'no'}; "
                    f"PRAGMA query_only = {int(query_only)}"
                )
    except DatabaseError as error:
        return Guard(CONNECTION, None, f"unknown: {error}")
    return Guard(CONNECTION, on, detail)


def _role_guard(alias: str) -> Guard:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return Guard(ROLE, None, "SQLite has no roles; guards 2 and 3 hold")
    privileges = (
        "SELECT current_user, count(*) FILTER (WHERE has_table_privilege(c.oid, 'SELECT')), "
        "count(*) FILTER (WHERE has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v')"
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(privileges)
            role, readable, writable = cursor.fetchone()
    except DatabaseError as error:
        return Guard(ROLE, None, f"unknown: {error}")
    detail = f"{role}: SELECT on {readable} relations, a write privilege on {writable}"
    return Guard(ROLE, writable == 0, detail)
