"""Schema drift: the legacy models against the live schema, as ``inspectdb`` sees it.

The owner of the legacy database changes it on their own schedule; Django
migrates nothing there, so nothing tells the site when a column it maps has
gone, changed type or become nullable. ``manage.py legacy_drift`` (and
tests/postgres/test_legacy_drift.py, against the topology's real database)
runs ``inspectdb --database legacy --include-views``, reads its output with
``ast``, and compares every table, column, type, nullability and key with
apps/legacy/models.py, as one line per column on each side::

    ITEM.SUPP_NO  ForeignKey -> SUPPLIER  NOT NULL

and a unified diff of the two when they differ. What inspectdb can't see is
not held against the models: a view has no keys and every column of it
reads as nullable; SQLite reports no ``CHAR`` length, and guesses the type
of a computed column (inspectdb says so in a comment).
"""

import ast
import difflib
import io
from dataclasses import dataclass, field, replace

from django.apps import apps
from django.core.management import call_command
from django.db import models

LIVE = "inspectdb --database legacy --include-views"
MODELS = "apps/legacy/models.py"


@dataclass(frozen=True)
class Column:
    table: str
    column: str
    type: str
    null: bool = False
    primary_key: bool = False
    references: str | None = None  # the table a key points to
    max_length: int | None = None

    def line(self) -> str:
        kind = f"{self.type}(max_length={self.max_length})" if self.max_length else self.type
        if self.references:
            kind += f" -> {self.references}"
        flags = " PRIMARY KEY" if self.primary_key else ""
        return f"{self.table}.{self.column}  {kind}  {'NULL' if self.null else 'NOT NULL'}{flags}"


@dataclass
class Table:
    name: str
    view: bool = False
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()  # composite keys; single ones are on the column
    guessed: frozenset[str] = frozenset()  # columns whose type inspectdb guessed

    def lines(self) -> list[str]:
        lines = [f"{self.name}  {'VIEW' if self.view else 'TABLE'}"]
        if self.primary_key:
            lines.append(f"{self.name}  PRIMARY KEY ({', '.join(self.primary_key)})")
        return lines + [column.line() for column in sorted(self.columns.values(), key=_order)]


def _order(column: Column) -> str:
    return column.column


def inspect(database: str = "legacy") -> str:
    """``inspectdb``'s models for *database*, views included."""
    out = io.StringIO()
    call_command("inspectdb", database=database, include_views=True, stdout=out)
    return out.getvalue()


def parse(source: str) -> dict[str, Table]:
    """The tables inspectdb describes in *source*, by ``db_table``."""
    lines = source.splitlines()
    classes = [node for node in ast.parse(source).body if isinstance(node, ast.ClassDef)]
    table_of = {node.name: _db_table(node) for node in classes}
    tables = {}
    for node in classes:
        # inspectdb marks a view's model with "# Created from a view. Don't
        # remove." on its managed line; ast keeps no comments, so read the text.
        text = "\n".join(lines[node.lineno - 1 : node.end_lineno])
        table = Table(table_of[node.name], view="Created from a view" in text, columns={})
        guessed = set()
        for statement in node.body:
            if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)):
                continue
            name = statement.targets[0].id
            call = statement.value
            kind = call.func.attr
            if kind == "CompositePrimaryKey":
                table.primary_key = tuple(arg.value for arg in call.args)
                continue
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
            column = kwargs.get("db_column", name)
            references = None
            if kind in {"ForeignKey", "OneToOneField"}:
                target = call.args[0].value if isinstance(call.args[0], ast.Constant) else None
                target = target or call.args[0].id
                references = table_of.get(target, target)
            if "type is a guess" in lines[statement.lineno - 1]:
                guessed.add(column)
            table.columns[column] = Column(
                table.name,
                column,
                kind,
                null=kwargs.get("null", False),
                primary_key=kwargs.get("primary_key", False),
                references=references,
                max_length=kwargs.get("max_length"),
            )
        table.guessed = frozenset(guessed)
        tables[table.name] = table
    return tables


def _db_table(node: ast.ClassDef) -> str:
    """The ``db_table`` in the ``Meta`` of an inspectdb model."""
    meta = next(item for item in node.body if isinstance(item, ast.ClassDef))
    return next(
        ast.literal_eval(statement.value)
        for statement in meta.body
        if isinstance(statement, ast.Assign) and statement.targets[0].id == "db_table"
    )


def describe_models(app_label: str = "legacy") -> dict[str, Table]:
    """The tables the models of *app_label* map, described as inspectdb would."""
    tables = {}
    for model in apps.get_app_config(app_label).get_models():
        opts = model._meta
        table = Table(opts.db_table, columns={})
        if isinstance(opts.pk, models.CompositePrimaryKey):
            table.primary_key = tuple(field.column for field in opts.pk.fields)
        for model_field in opts.concrete_fields:
            references = None
            kind = model_field.get_internal_type()
            max_length = model_field.max_length
            if model_field.is_relation:
                kind = "OneToOneField" if model_field.one_to_one else "ForeignKey"
                references = model_field.related_model._meta.db_table
                max_length = None
            table.columns[model_field.column] = Column(
                table.name,
                model_field.column,
                kind,
                null=model_field.null,
                primary_key=model_field.primary_key,
                references=references,
                max_length=max_length,
            )
        tables[table.name] = table
    return tables


def as_seen(model: Table, live: Table | None) -> Table:
    """*model* without what inspectdb can't see of *live*, so only real drift differs."""
    if live is None:
        return model
    columns = {}
    for name, column in model.columns.items():
        seen = live.columns.get(name)
        if live.view:  # no keys, every column nullable, relations are plain columns
            target = column
            if column.references:
                kind, max_length = _target_type(column)
                target = replace(column, type=kind, max_length=max_length, references=None)
            column = replace(target, primary_key=False, null=True)
        if seen and seen.max_length is None:
            column = replace(column, max_length=None)
        if seen and name in live.guessed:
            column = replace(column, type=seen.type)
        columns[name] = column
    return replace(model, view=live.view, columns=columns)


def _target_type(column: Column) -> tuple[str, int | None]:
    """The type and length of the field a key column points to: what a view shows of it."""
    model = next(
        model
        for model in apps.get_app_config("legacy").get_models()
        if model._meta.db_table == column.table
    )
    field = next(field for field in model._meta.concrete_fields if field.column == column.column)
    return field.target_field.get_internal_type(), field.target_field.max_length


def differences(live: dict[str, Table], mapped: dict[str, Table]) -> list[str]:
    """A unified diff from the live schema to the models; empty when they agree."""
    left = [line for name in sorted(live) for line in live[name].lines()]
    right = [
        line for name in sorted(mapped) for line in as_seen(mapped[name], live.get(name)).lines()
    ]
    return list(difflib.unified_diff(left, right, LIVE, MODELS, lineterm=""))


def check(database: str = "legacy") -> list[str]:
    """Compare the models with *database*'s live schema; return the diff, if any."""
    return differences(parse(inspect(database)), describe_models())
