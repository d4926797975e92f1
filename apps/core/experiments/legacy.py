"""Stock read from a database another system owns; an ORM write refused before any SQL ran."""

from contextlib import ExitStack

from django.db import DatabaseError, connections, router, transaction

from apps.legacy.models import Item, Stock
from apps.legacy.selectors import UNAVAILABLE
from routers import recording
from routers.health import health
from routers.read_only import ReadOnlyDatabaseError, write_aliases

SKU_LENGTH = Item._meta.get_field("sku").max_length
WRITE = "Stock.objects.filter(item={sku!r}).update(on_hand=0)"


class _Undo(Exception):
    """Rolls back a write that, against every guard, went through."""


def run(request) -> dict:
    sku = request.POST.get("sku", "").strip()
    if request.method != "POST" or not request.POST.get("run"):
        return {"sku": "MDB-0001", "ran": False}
    shown = {"sku": sku[:SKU_LENGTH], "ran": True}
    if not sku or len(sku) > SKU_LENGTH:
        return {**shown, "message": f"An item number has 1 to {SKU_LENGTH} characters."}
    alias = router.db_for_read(Item)
    usable, why = health.usable(alias)
    if not usable:
        return {**shown, "message": f"{UNAVAILABLE} ({why})."}
    try:
        with recording() as decided:
            items = Item.objects.select_related("supplier").filter(sku=sku)
            item_from = items.db
            item = items.using(item_from).first()
            levels = Stock.objects.filter(item=sku).order_by("warehouse")
            stock_from = levels.db
            stock = list(levels.using(stock_from))
            migrated = "django_migrations" in connections[item_from].introspection.table_names()
    except DatabaseError as error:
        return {**shown, "message": f"{UNAVAILABLE} ({type(error).__name__})."}
    if item is None:
        return {**shown, "message": f"The stock system has no item {sku!r}: try MDB-0001."}
    return {
        **shown,
        "item": item,
        "item_from": (item_from, decided[item_from]),
        "stock": stock,
        "stock_from": (stock_from, decided[stock_from]),
        **_refused_write(sku),
        "migrations": _migrations(),
        "migrated": migrated,
    }


def _refused_write(sku: str) -> dict:
    """Try the write; say what refused it and how many statements each alias ran meanwhile."""
    watched = sorted({*write_aliases(), *write_aliases().values()})
    ran = {alias: [] for alias in watched}
    try:
        with transaction.atomic(using="legacy"), ExitStack() as stack:
            for alias in watched:  # a wrapper sees each statement; it opens no connection
                stack.enter_context(connections[alias].execute_wrapper(_noting(ran[alias])))
            Stock.objects.filter(item=sku).update(on_hand=0)
            raise _Undo
    except ReadOnlyDatabaseError as error:
        refused = ("ReadOnlyDatabaseError", str(error))
    except DatabaseError as error:
        refused = (f"{type(error).__name__}, from the database", str(error))
    except _Undo:
        refused = ("", "Nothing refused it: every guard is off. The write was rolled back.")
    return {
        "write": WRITE.format(sku=sku),
        "refused": refused,
        "statements": [(alias, len(ran[alias])) for alias in watched],
    }


def _noting(statements: list):
    def wrapper(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    return wrapper


def _migrations() -> list[tuple[str, bool | None, str]]:
    """``(alias, allow_migrate for the legacy app, the router that answered)`` per alias."""
    answers = []
    for alias in (*sorted(write_aliases()), "default"):
        answer, by = None, "no router: Django's default, True"
        for each in router.routers:
            method = getattr(each, "allow_migrate", None)
            found = method(alias, "legacy", model_name="stock") if method else None
            if found is not None:
                answer, by = found, type(each).__name__
                break
        answers.append((alias, answer, by))
    return answers
