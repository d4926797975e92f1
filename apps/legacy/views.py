"""The /legacy/ page: the read-only pattern, its guards' live state, and a write that fails."""

from django.db import DatabaseError, connections, transaction
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from apps.legacy import selectors
from apps.legacy.models import Supplier
from routers.read_only import ReadOnlyDatabaseError

ATTEMPTS = {
    "orm": "Supplier.objects.create(...) through the ORM",
    "raw": 'INSERT INTO "SUPPLIER" ... through connections["legacy"]',
}
RAW_INSERT = (
    'INSERT INTO "SUPPLIER" ("SUPP_NO", "SUPP_NAME", "COUNTRY") '
    "VALUES ('S09999', 'Written from the site', 'XX')"
)


@require_http_methods(["GET", "POST"])
def overview(request):
    """GET shows the pattern; POST tries the chosen write and shows what stopped it."""
    attempt, kind = None, "orm"
    if request.method == "POST":
        kind = request.POST.get("attempt", "")
        attempt = try_write(kind) if kind in ATTEMPTS else ("", "Choose one of the two writes.")
    items, problem = selectors.items_with_stock()
    context = {
        "guards": selectors.guards(),
        "items": items,
        "problem": problem,
        "attempts": ATTEMPTS,
        "attempt": attempt,
        "chosen": kind,
    }
    return render(request, "legacy/overview.html", context)


class _Undo(Exception):
    """Raised to roll back a write that, against every guard, went through."""


def try_write(kind: str) -> tuple[str, str]:
    """Try one write to the legacy database; return ``(what, what stopped it)``.

    In a transaction that always rolls back: should all three guards be off,
    the demo still leaves the owner's data as it was.
    """
    what = ATTEMPTS[kind]
    try:
        with transaction.atomic(using="legacy"):
            if kind == "orm":
                Supplier.objects.create(number="S09999", name="Written from the site", country="XX")
            else:
                with connections["legacy"].cursor() as cursor:
                    cursor.execute(RAW_INSERT)
            raise _Undo
    except ReadOnlyDatabaseError as error:
        return what, f"ReadOnlyDatabaseError, before any SQL ran: {error}"
    except DatabaseError as error:
        return what, f"the database refused it ({type(error).__name__}): {error}"
    except _Undo:
        return what, "nothing stopped it: every guard is off. The write was rolled back."
