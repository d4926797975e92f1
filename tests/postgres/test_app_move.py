"""move_app from the embedded demo's SQLite files into the PostgreSQL topology, as a user would.

``make demo`` data is built in a temporary directory (``migrate_all`` and
``load_demo`` on SQLite files); then ``manage.py move_app APP --from
sqlite:////…/file.sqlite3 --to ALIAS`` runs in a child process against the
topology's test databases, once per app. Every row arrives, the command's own
checksums agree, and the sequences are past the copied keys.
"""

import sqlite3

import pytest
from django.apps import apps
from django.db import connections

from apps.blog.models import Comment, Post, Tag
from tests.subprocess_env import database_env, env_for_test_databases, manage

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica", "blog_db", "shop_db"]),
]

# app -> (the embedded file that holds it, the alias it goes to)
MOVES = {
    "accounts": ("default.sqlite3", "default"),
    "notes": ("default.sqlite3", "default"),
    "blog": ("blog.sqlite3", "blog_db"),
    "shop": ("shop.sqlite3", "shop_db"),
}


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    """The demo's data in SQLite files, as ``make demo`` leaves them."""
    directory = tmp_path_factory.mktemp("demo")
    env = database_env(directory)
    for command in (["migrate_all"], ["load_demo"]):
        result = manage(*command, env=env)
        assert result.returncode == 0, result.stderr
    return directory


def sqlite_rows(path, table: str, columns: list[str]) -> list[tuple]:
    with sqlite3.connect(path) as database:
        return database.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1").fetchall()


def postgres_rows(alias: str, table: str, columns: list[str]) -> list[tuple]:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1")
        return cursor.fetchall()


def test_the_demo_data_moves_from_sqlite_into_postgresql_and_verifies(demo_files):
    env = env_for_test_databases(["default", "blog_db", "shop_db"])
    for app_label, (file_name, alias) in MOVES.items():
        source = f"sqlite:///{demo_files / file_name}"
        result = manage("move_app", app_label, "--from", source, "--to", alias, env=env)
        assert result.returncode == 0, result.stderr
        assert f"Copied {app_label} to {alias}; {source} is untouched." in result.stdout
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True):
            table = model._meta.db_table
            columns = [field.column for field in model._meta.concrete_fields]
            ours = sqlite_rows(demo_files / file_name, table, [columns[0]])
            assert [row[0] for row in postgres_rows(alias, table, [columns[0]])] == [
                row[0] for row in ours
            ], table
            if ours:
                assert f"{model._meta.label} " in result.stdout and "on both" in result.stdout

    assert Post.objects.count() > 0 and Tag.objects.count() > 0
    highest = max(Post.objects.values_list("pk", flat=True))
    author = Post.objects.first().author
    new = Post.objects.create(author=author, title="After the move", content="…")
    assert new.pk > highest  # the sequence was reset past the copied keys


def test_a_second_copy_is_refused_without_replace_and_writes_nothing(demo_files):
    env = env_for_test_databases(["default", "blog_db", "shop_db"])
    source = f"sqlite:///{demo_files / 'blog.sqlite3'}"
    first = manage("move_app", "blog", "--from", source, "--to", "blog_db", env=env)
    assert first.returncode == 0, first.stderr
    count = Post.objects.count()
    again = manage("move_app", "blog", "--from", source, "--to", "blog_db", env=env)
    assert again.returncode == 1
    assert "blog_db already holds blog.Tag" in again.stderr and "--replace" in again.stderr
    assert "Traceback" not in again.stderr
    assert Post.objects.count() == count
    replaced = manage("move_app", "blog", "--from", source, "--to", "blog_db", "--replace", env=env)
    assert replaced.returncode == 0, replaced.stderr
    assert "0 written, 0 deleted" in replaced.stdout


@pytest.fixture
def blog_tables_removed_from_default():
    """The blog's tables and migration records that a test makes in default, gone after it."""
    yield
    with connections["default"].schema_editor() as editor:
        for model in (Comment, Post, Tag):  # the many-to-many table goes with Post
            if model._meta.db_table in connections["default"].introspection.table_names():
                editor.delete_model(model)
    with connections["default"].cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'blog'")


def test_create_tables_builds_a_database_the_router_does_not_yet_send_the_app_to(
    demo_files, blog_tables_removed_from_default
):
    """The blog into default, which its rule doesn't name yet: tables, rows, migration records."""
    source = f"sqlite:///{demo_files / 'blog.sqlite3'}"
    env = env_for_test_databases(["default", "blog_db", "shop_db"])
    refused = manage("move_app", "blog", "--from", source, "--to", "default", env=env)
    assert refused.returncode == 1 and "--create-tables" in refused.stderr
    result = manage(
        "move_app", "blog", "--from", source, "--to", "default", "--create-tables", env=env
    )
    assert result.returncode == 0, result.stderr
    assert "Route it there:\n    DATABASE_ROUTING_RULES = {'shop': 'shop_db'" in result.stdout
    assert Post.objects.using("default").count() == 12
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT name FROM django_migrations WHERE app = 'blog' ORDER BY name")
        recorded = [name for (name,) in cursor.fetchall()]
    assert recorded and recorded[0] == "0001_initial"


def test_a_constraint_to_a_table_the_target_lacks_is_refused_naming_the_field(demo_files):
    source = f"sqlite:///{demo_files / 'default.sqlite3'}"
    env = env_for_test_databases(["default", "blog_db", "shop_db"])
    result = manage(
        "move_app", "notes", "--from", source, "--to", "blog_db", "--create-tables", env=env
    )
    assert result.returncode == 1
    assert "notes.Note.author (to accounts_user) would get a database constraint" in result.stderr
    assert "db_constraint=False" in result.stderr and "Traceback" not in result.stderr
    assert "notes_note" not in connections["blog_db"].introspection.table_names()
