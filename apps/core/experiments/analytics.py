"""A report from the warehouse through its read-only alias, and the writes that alias can't make."""

from django.db import DatabaseError, connections, router, transaction

from apps.analytics import reports
from apps.analytics.models import UserMetric
from apps.analytics.replication import reader_alias
from routers import recording

# A write that matches no row: were it let through, it would still change nothing.
# The databases refuse it all the same, since they refuse the statement, not its rows.
WRITE = "DELETE FROM {table} WHERE 1 = 0"
GRANULARITIES = dict(reports.GRANULARITIES)
SHOWN_ROWS = 12


class _Undo(Exception):
    """Rolls back a write that, against every guard, went through."""


def run(request) -> dict:
    granularity = request.GET.get("granularity", "month")
    if not request.GET.get("run"):
        return {"granularities": GRANULARITIES, "granularity": "month", "ran": False}
    shown = {"granularities": GRANULARITIES, "granularity": "month", "ran": True}
    if granularity not in GRANULARITIES:
        return {**shown, "message": f"Choose a period: {', '.join(GRANULARITIES)}."}
    shown["granularity"] = granularity
    try:
        freshness = reports.freshness()  # the subscriptions (PostgreSQL) or the last copy
        return {**shown, **_report(granularity), **_writes(), "freshness": freshness}
    except reports.WarehouseNotReady as error:
        return {**shown, "message": str(error)}
    except DatabaseError as error:  # no host or role names for anyone: the type says enough
        return {**shown, "message": f"The warehouse couldn't answer ({type(error).__name__})."}


def _report(granularity: str) -> dict:
    with recording() as decided:  # the report's raw SQL names its alias and reason itself
        result = reports.users_and_revenue(start=None, end=None, granularity=granularity)
        alias = reader_alias()
        report_from = (alias, decided[alias])
    with recording() as decided:  # the same view through the ORM: the router decides
        metrics = UserMetric.objects.all()
        alias = metrics.db
        top = list(metrics.using(alias)[:5])
        orm_from = (alias, decided[alias])
    return {
        "vendor": connections[alias].vendor,
        "rows": result.rows[:SHOWN_ROWS],
        "report_from": report_from,
        "top": top,
        "orm_from": orm_from,
    }


def _writes() -> dict:
    """Where an ORM write would go (the router), and what the reader's database says to one."""
    with recording() as decided:
        owner = router.db_for_write(UserMetric)
        orm_write_to = (owner, decided.get(owner, "no reason recorded"))
    reader = reader_alias()
    connection = connections[reader]
    table = "analytics.refresh_log" if connection.vendor == "postgresql" else "refresh_log"
    sql = WRITE.format(table=table)
    attempts = [("As the session starts", _refusal(reader, sql))]
    if connection.vendor == "postgresql":  # any session may lift read-only; privileges remain
        attempts.append(
            ("After SET TRANSACTION READ WRITE", _refusal(reader, sql, read_write=True))
        )
    return {"orm_write_to": orm_write_to, "reader": reader, "sql": sql, "attempts": attempts}


def _refusal(alias: str, sql: str, *, read_write: bool = False) -> str:
    """The database's error for *sql* on *alias*, in a transaction that always rolls back."""
    try:
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            if read_write:
                cursor.execute("SET TRANSACTION READ WRITE")
            cursor.execute(sql)
            raise _Undo
    except _Undo:
        return ""
    except DatabaseError as error:
        return f"{type(error).__name__}: {str(error).strip()}"
