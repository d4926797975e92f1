"""What the warehouse copies from the source databases, and keeping the copies in step.

On PostgreSQL the rows arrive by logical replication: each source database
has a publication ``analytics`` listing its replicated tables with a column
list (so passwords and e-mail addresses never leave ``default``), and the
warehouse subscribes to each (``scripts/pg_topology.py subscribe``, compose's
``subscribe`` step). The warehouse keeps a copy of each table, under the same
name in ``public``: only its columns and its primary key, every column
nullable, no other constraint (the source enforces them).

Logical replication carries rows, not DDL. A published column that the copy
lacks stops the subscription until the copy has it; a column dropped on the
source while published takes its whole table out of the publication. So
schema changes go in this order, which ``migrate_all`` follows and the
``pre_migrate`` hooks in ``apps.py`` enforce for a bare ``migrate`` too:

1. the copy gains new tables and columns (``ensure_copies``), before any source;
2. each publication drops the columns that are about to go (``narrow_publication``);
3. the sources migrate;
4. each publication lists every replicated column again (``publish``);
5. the copy drops the columns no source publishes any more (``prune_copies``).

Adding a column, adding a table, and dropping a column are each safe at every
step. A column's type may only widen (the copy keeps its old type; rows
arrive as text and must still parse). A rename is an add and a drop.

On SQLite there is no replication: ``manage.py sync_warehouse`` copies the
same columns (``copy_rows``).
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.db import connections, router

from routers.warehouse import warehouse

PUBLICATION = "analytics"


@dataclass(frozen=True)
class Replicated:
    """One replicated model, minus the columns that must not leave its database."""

    model_label: str
    exclude: frozenset[str] = field(default_factory=frozenset)

    @property
    def model(self):
        return apps.get_model(self.model_label)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def source(self) -> str:
        """The alias the model is written to (the routers say)."""
        return router.db_for_write(self.model)

    @property
    def pk(self) -> str:
        return self.model._meta.pk.column

    def columns(self) -> list[str]:
        """The replicated columns, as the current models define them."""
        return [field.column for field in self.fields()]

    def fields(self) -> list:
        return [f for f in self.model._meta.local_concrete_fields if f.column not in self.exclude]


REPLICATED = [
    # Who joined when, never their credentials or contact details.
    Replicated(
        "accounts.User",
        exclude=frozenset({"password", "email", "first_name", "last_name", "last_login"}),
    ),
    Replicated("blog.Post", exclude=frozenset({"content"})),
    Replicated("blog.Comment", exclude=frozenset({"body"})),
    Replicated("shop.Product", exclude=frozenset({"description"})),
    Replicated("shop.Order"),
    Replicated("shop.OrderItem"),
]


def owner_alias() -> str:
    return warehouse()["WRITE"]


def reader_alias() -> str:
    return warehouse()["READ"]


def replicated_from(alias: str) -> list[Replicated]:
    return [item for item in REPLICATED if item.source == alias]


def source_aliases() -> list[str]:
    return list(dict.fromkeys(item.source for item in REPLICATED))


# ------------------------------------------------------------------------------
# The warehouse's copies
# ------------------------------------------------------------------------------
def ensure_copies(using: str | None = None) -> list[str]:
    """Create missing copy tables and add missing columns; return what changed."""
    connection = connections[using or owner_alias()]
    changes = []
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        quote = connection.ops.quote_name
        for item in REPLICATED:
            if item.table not in existing:
                columns = ", ".join(
                    f"{quote(f.column)} {f.db_type(connection)}"
                    + (" PRIMARY KEY" if f.primary_key else "")
                    for f in item.fields()
                )
                cursor.execute(f"CREATE TABLE {quote(item.table)} ({columns})")
                changes.append(f"created {item.table}")
                continue
            have = _columns(connection, cursor, item.table)
            for f in item.fields():
                if f.column not in have:
                    cursor.execute(
                        f"ALTER TABLE {quote(item.table)} "
                        f"ADD COLUMN {quote(f.column)} {f.db_type(connection)}"
                    )
                    changes.append(f"added {item.table}.{f.column}")
    return changes


def prune_copies(using: str | None = None) -> tuple[list[str], list[str]]:
    """Drop copy columns no model replicates any more; return (dropped, kept with the reason)."""
    connection = connections[using or owner_alias()]
    dropped, kept = [], []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for item in REPLICATED:
            if item.table not in existing:
                continue
            for column in sorted(_columns(connection, cursor, item.table) - set(item.columns())):
                try:
                    with _atomic(connection):
                        cursor.execute(
                            f"ALTER TABLE {quote(item.table)} DROP COLUMN {quote(column)}"
                        )
                except Exception as error:  # a report view still reads it
                    kept.append(f"{item.table}.{column}: {error}".splitlines()[0])
                else:
                    dropped.append(f"{item.table}.{column}")
    return dropped, kept


def _columns(connection, cursor, table: str) -> set[str]:
    return {column.name for column in connection.introspection.get_table_description(cursor, table)}


def _atomic(connection):
    from django.db import transaction

    return transaction.atomic(using=connection.alias)


# ------------------------------------------------------------------------------
# The sources' publications (PostgreSQL)
# ------------------------------------------------------------------------------
def published(alias: str) -> dict[str, list[str]] | None:
    """Table -> published columns of *alias*'s publication, or None when there is none."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", [PUBLICATION])
        if cursor.fetchone() is None:
            return None
        cursor.execute(
            "SELECT tablename, attnames FROM pg_publication_tables WHERE pubname = %s",
            [PUBLICATION],
        )
        return {table: list(columns) for table, columns in cursor.fetchall()}


def narrow_publication(alias: str) -> list[str]:
    """Stop publishing the columns the current models no longer have (before a migration).

    PostgreSQL won't drop a published column without CASCADE, and CASCADE (as
    Django's ``RemoveField`` runs it) takes the whole table out of the
    publication, silently: so the column leaves the publication first.
    """
    if connections[alias].vendor != "postgresql" or (current := published(alias)) is None:
        return []
    wanted = {item.table: set(item.columns()) for item in replicated_from(alias)}
    narrowed = {
        table: [column for column in columns if column in wanted.get(table, set())]
        for table, columns in current.items()
    }
    if narrowed == current:
        return []
    _set_tables(alias, narrowed)
    return [
        f"{table}.{column}"
        for table, columns in current.items()
        for column in columns
        if column not in narrowed[table]
    ]


def publish(alias: str) -> list[str]:
    """Publish every replicated table of *alias* with all its columns; return new tables.

    A table new to the publication reaches the warehouse once its subscription
    is refreshed (``ALTER SUBSCRIPTION ... REFRESH PUBLICATION``, a superuser's
    step: ``scripts/pg_topology.py subscribe``, compose's ``subscribe`` service).
    """
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        tables = {}
        for item in replicated_from(alias):
            if item.table in existing:
                have = _columns(connection, cursor, item.table)
                tables[item.table] = [c for c in item.columns() if c in have]
    current = published(alias)
    if not tables:  # nothing migrated here yet
        return []
    if current is None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE PUBLICATION {PUBLICATION} FOR TABLE {_table_list(alias, tables)}"
            )
        return sorted(tables)
    if {t: sorted(c) for t, c in current.items()} != {t: sorted(c) for t, c in tables.items()}:
        _set_tables(alias, tables)
    return sorted(set(tables) - set(current))


def _set_tables(alias: str, tables: dict[str, list[str]]) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"ALTER PUBLICATION {PUBLICATION} SET TABLE {_table_list(alias, tables)}")


def _table_list(alias: str, tables: dict[str, list[str]]) -> str:
    quote = connections[alias].ops.quote_name
    return ", ".join(
        f"{quote(table)} ({', '.join(quote(c) for c in columns)})"
        for table, columns in sorted(tables.items())
    )
