"""A migration operation that runs a versioned SQL file for the connection's vendor."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent / "sql"


class VersionedSQL(migrations.RunSQL):
    """Run ``sql/<name>.<vendor>.sql`` forwards and ``sql/<name>.<vendor>.reverse.sql`` back.

    The reporting objects differ by vendor (PostgreSQL has schemas and
    materialized views, SQLite neither), so each vendor's file sits next to
    the other's under ``sql/``, and the migration names neither. The files are
    read when the migration runs, so ``sqlmigrate`` shows the SQL too.
    """

    def __init__(self, name: str):
        self.name = name
        super().__init__(sql="", reverse_sql="", hints={"versioned_sql": name})

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.name], {})

    def describe(self):
        return f"Run sql/{self.name}.<vendor>.sql"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self.allow(app_label, schema_editor):
            self._run_sql(schema_editor, self.read(schema_editor.connection.vendor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if self.allow(app_label, schema_editor):
            self._run_sql(schema_editor, self.read(schema_editor.connection.vendor, reverse=True))

    def allow(self, app_label, schema_editor) -> bool:
        from django.db import router

        return router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints)

    def read(self, vendor: str, *, reverse: bool = False) -> list[str]:
        """The statements of the file, split on lines that are just ``;``-terminated."""
        path = SQL_DIR / f"{self.name}.{vendor}{'.reverse' if reverse else ''}.sql"
        if not path.exists():
            raise NotImplementedError(f"{path.name} is missing: no reporting SQL for {vendor}.")
        return split_statements(path.read_text())


def split_statements(text: str) -> list[str]:
    """Split *text* at each ``;`` that ends a line; ``--`` comment lines are dropped."""
    statements, current = [], []
    for line in text.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current))
            current = []
    if current:
        statements.append("\n".join(current))
    return statements
