"""The reports: raw SQL on the warehouse, through the site's read-only alias.

Every query runs on ``connections["analytics"]``; every value a user chose
reaches it as a cursor parameter. The SQL differs by vendor only where it
must (PostgreSQL's ``date_trunc`` and schema ``analytics``, SQLite's
``strftime`` and no schemas), and the two variants sit side by side here.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import DatabaseError, ProgrammingError, connections
from django.utils.dateparse import parse_datetime

from routers.explain import explain

from . import services
from .replication import reader_alias

GRANULARITIES = [
    ("day", "Day"),
    ("week", "Week"),
    ("month", "Month"),
    ("quarter", "Quarter"),
    ("year", "Year"),
]

# The query the warehouse exists for, exactly as a team would write it on
# PostgreSQL; the embedded SQLite warehouse runs the same report its own way.
SEED_QUERY = {
    "postgresql": """
        SELECT date_trunc('month', created_at) as month,
               COUNT(*) as total_users,
               SUM(revenue) as total_revenue
        FROM analytics.user_metrics
        GROUP BY month
        ORDER BY month DESC
    """,
    "sqlite": """
        SELECT strftime('%Y-%m-01', created_at) as month,
               COUNT(*) as total_users,
               SUM(revenue) as total_revenue
        FROM user_metrics
        GROUP BY month
        ORDER BY month DESC
    """,
}

# The start of the period a timestamp falls in. PostgreSQL takes the unit as a
# parameter; SQLite has no date_trunc, so each unit is a fixed expression
# picked from this table by a validated key, never text from the request.
SQLITE_PERIOD = {  # % doubled: the query has parameters
    "day": "date({column})",
    "week": "date({column}, '-6 days', 'weekday 1')",
    "month": "strftime('%%Y-%%m-01', {column})",
    "quarter": (
        "printf('%%s-%%02d-01', strftime('%%Y', {column}), "
        "((CAST(strftime('%%m', {column}) AS INTEGER) - 1) / 3) * 3 + 1)"
    ),
    "year": "strftime('%%Y-01-01', {column})",
}


class WarehouseNotReady(Exception):
    """The warehouse has no reporting objects yet; the message says what to run."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # date, text, int or money


@dataclass(frozen=True)
class Result:
    title: str
    columns: list[Column]
    rows: list[tuple]
    sql: str
    source: str


@dataclass(frozen=True)
class SubscriptionLag:
    name: str
    source: str
    state: str
    lag_seconds: float | None
    last_message_at: datetime | None


@dataclass(frozen=True)
class Freshness:
    vendor: str
    subscriptions: list[SubscriptionLag]
    synced_at: datetime | None
    refreshed: dict[str, datetime | None]


def seed_query() -> list[tuple]:
    """Monthly sign-ups and their revenue: the seed query, verbatim on PostgreSQL."""
    return _fetch("monthly users and revenue", SEED_QUERY[_vendor()])


def users_and_revenue(
    *, start: date | None, end: date | None, granularity: str = "month"
) -> Result:
    """Users who joined in each period, and the revenue of their orders, newest first."""
    if granularity not in dict(GRANULARITIES):
        raise ValueError(f"granularity must be one of {', '.join(dict(GRANULARITIES))}")
    where, params = _range("created_at", start, end)
    if _vendor() == "postgresql":
        period, params = "date_trunc(%s, created_at)::date", [granularity, *params]
    else:
        period = SQLITE_PERIOD[granularity].format(column="created_at")
    sql = f"""
        SELECT {period} AS period, COUNT(*) AS total_users, SUM(revenue) AS total_revenue
        FROM {_name("user_metrics")}
        {where}
        GROUP BY period
        ORDER BY period DESC
    """
    rows = _fetch("users and revenue", sql, params)
    return Result(
        title="Users and revenue",
        columns=[
            Column("period", granularity.capitalize(), "date"),
            Column("total_users", "New users", "int"),
            Column("total_revenue", "Their revenue", "money"),
        ],
        rows=[(_date(p), users, _money(revenue)) for p, users, revenue in rows],
        sql=sql.replace("%%", "%"),  # as the database receives it
        source=f"{_name('user_metrics')} (view)",
    )


def top_products(
    *, start: date | None, end: date | None, product_id: int | None = None, limit: int = 10
) -> Result:
    """Products by revenue over the range, from the materialized view."""
    where, params = _range("day", start, end, dates=True)
    if product_id is not None:
        where = f"{where} {'AND' if where else 'WHERE'} product_id = %s"
        params.append(product_id)
    sql = f"""
        SELECT max(product_name) AS product, SUM(units) AS units, SUM(orders) AS orders,
               SUM(revenue) AS revenue
        FROM {_name("daily_product_revenue")}
        {where}
        GROUP BY product_id
        ORDER BY revenue DESC, product
        LIMIT %s
    """
    rows = _fetch("top products", sql, [*params, limit])
    return Result(
        title="Top products by revenue",
        columns=[
            Column("product", "Product", "text"),
            Column("units", "Units", "int"),
            Column("orders", "Orders", "int"),
            Column("revenue", "Revenue", "money"),
        ],
        rows=[(name, int(units), int(orders), _money(rev)) for name, units, orders, rev in rows],
        sql=sql,
        source=f"{_name('daily_product_revenue')} (materialized view)",
    )


def most_commented_authors(
    *, start: date | None, end: date | None, author_id: int | None = None, limit: int = 10
) -> Result:
    """Authors by the comments their posts received in the range."""
    where, params = _range("c.created_at", start, end)
    if author_id is not None:
        where = f"{where} {'AND' if where else 'WHERE'} c.author_id = %s"
        params.append(author_id)
    sql = f"""
        SELECT max(c.author) AS author,
               (SELECT COUNT(*) FROM {_name("posts")} p WHERE p.author_id = c.author_id) AS posts,
               COUNT(*) AS comments
        FROM {_name("post_comments")} c
        {where}
        GROUP BY c.author_id
        ORDER BY comments DESC, author
        LIMIT %s
    """
    rows = _fetch("most-commented authors", sql, [*params, limit])
    return Result(
        title="Most-commented authors",
        columns=[
            Column("author", "Author", "text"),
            Column("posts", "Posts (all time)", "int"),
            Column("comments", "Comments", "int"),
        ],
        rows=[(author or "(deleted user)", int(posts), int(n)) for author, posts, n in rows],
        sql=sql,
        source=f"{_name('post_comments')} (view)",
    )


def product_choices() -> list[tuple[int, str]]:
    sql = (
        f"SELECT product_id, max(product_name) FROM {_name('daily_product_revenue')} "
        "GROUP BY product_id ORDER BY 2"
    )
    return [(pk, name or f"#{pk}") for pk, name in _fetch("product choices", sql)]


def author_choices() -> list[tuple[int, str]]:
    sql = (
        f"SELECT author_id, max(author) FROM {_name('posts')} "
        "WHERE author_id IS NOT NULL GROUP BY author_id ORDER BY 2"
    )
    return [(pk, name or f"#{pk}") for pk, name in _fetch("author choices", sql)]


def freshness() -> Freshness:
    """How far behind the warehouse is: each subscription, each refresh."""
    vendor = _vendor()
    logged = dict(_fetch("refresh times", f"SELECT name, refreshed_at FROM {_name('refresh_log')}"))
    refreshed = {name: _when(logged.get(name)) for name in services.MATERIALIZED_VIEWS}
    if vendor != "postgresql":
        return Freshness(vendor, [], _when(logged.get(services.SYNC_LOG_NAME)), refreshed)
    rows = _fetch(
        "subscription lag",
        "SELECT subname, pid IS NOT NULL, last_msg_receipt_time,"
        " EXTRACT(EPOCH FROM now() - last_msg_receipt_time)"
        " FROM pg_stat_subscription WHERE relid IS NULL ORDER BY subname",
    )
    subscriptions = [
        SubscriptionLag(
            name=name,
            source=name.removeprefix("analytics_"),
            state="streaming" if running else "stopped",
            lag_seconds=float(lag) if lag is not None else None,
            last_message_at=received,
        )
        for name, running, received, lag in rows
    ]
    return Freshness(vendor, subscriptions, None, refreshed)


def rebuild() -> str:
    """The staff button: refresh the reports (and, on SQLite, copy new rows first)."""
    if _vendor() == "postgresql":
        done = services.reports_refresh()
        return "Refreshed " + ", ".join(f"{r.name} ({r.rows} rows)" for r in done) + "."
    synced = services.warehouse_sync()
    services.reports_refresh()
    changes = sum(s.inserted + s.updated + s.deleted for s in synced)
    return f"Copied {changes} changed rows from the source databases and refreshed the reports."


# ------------------------------------------------------------------------------
def _vendor() -> str:
    return connections[reader_alias()].vendor


def _name(name: str) -> str:
    """*name* in the reporting schema (PostgreSQL), or as it is (SQLite has no schemas)."""
    return f"analytics.{name}" if _vendor() == "postgresql" else name


def _range(column: str, start, end, *, dates: bool = False) -> tuple[str, list]:
    """``WHERE`` for an inclusive date range on *column*, with its parameters."""
    conditions, params = [], []
    if start is not None:
        conditions.append(f"{column} >= %s")
        params.append(_param(start))
    if end is not None:
        conditions.append(f"{column} {'<=' if dates else '<'} %s")
        params.append(_param(end if dates else end + timedelta(days=1)))
    return ("WHERE " + " AND ".join(conditions) if conditions else ""), params


def _param(day: date):
    """A date as each backend compares it: a date, or ISO text for SQLite's text timestamps."""
    return day if _vendor() == "postgresql" else day.isoformat()


def _fetch(report: str, sql: str, params=None) -> list[tuple]:
    alias = explain(reader_alias(), "report %s: raw SQL on the warehouse", report)
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    except DatabaseError as error:
        if _missing_objects(error):
            raise WarehouseNotReady(
                "The warehouse has no reporting objects yet: run `manage.py migrate_all`"
                + ("" if _vendor() == "postgresql" else ", then `manage.py sync_warehouse`")
                + "."
            ) from error
        raise


def _missing_objects(error: DatabaseError) -> bool:
    """A reporting object that doesn't exist yet; not a server that can't be reached.

    The second is the degraded-mode page's (503), and on PostgreSQL a missing
    database is a connection failure (OperationalError), not this.
    """
    text = str(error).lower()
    return "no such table" in text or (
        isinstance(error, ProgrammingError) and "does not exist" in text
    )


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _when(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_datetime(str(value))


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))
