"""Misconfiguration stops check and start-up, naming the setting or variable at fault."""

import os

import environ
import pytest
from django.core import checks
from django.test import override_settings

from project.databases import database_settings
from routers.app_label import check_app_label_routing
from tests.subprocess_env import database_env, manage


@pytest.fixture(autouse=True)
def no_database_variables(monkeypatch):
    """Start from the embedded default, whatever the run's environment says."""
    for variable in [v for v in os.environ if v.startswith("DATABASE_URL")]:
        monkeypatch.delenv(variable)


def ids(messages):
    return [message.id for message in messages]


def test_embedded_default_gives_one_file_per_alias_and_a_read_only_replica(tmp_path):
    databases, problems = database_settings(environ.Env(), var_dir=tmp_path)
    assert problems == []
    assert databases["blog_db"]["NAME"] == str(tmp_path / "blog_db.sqlite3")
    assert databases["replica"]["NAME"] == f"file:{tmp_path / 'default.sqlite3'}?mode=ro"
    assert "PRAGMA query_only = ON" in databases["replica"]["OPTIONS"]["init_command"]
    assert databases["replica"]["TEST"] == {"MIRROR": "default"}


def test_postgres_replica_defaults_to_a_read_only_session_on_the_primary(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://app:secret@db:5432/site")
    databases, _ = database_settings(environ.Env(), var_dir=tmp_path)
    replica = databases["replica"]
    assert (replica["HOST"], replica["NAME"]) == ("db", "site")
    assert "default_transaction_read_only=on" in replica["OPTIONS"]["options"]


@pytest.mark.parametrize(
    "url", ["mysqlx://u@h/db", "postgres://u:p@h:notaport/db", "not a url", "postgres://h"]
)
def test_malformed_url_is_reported_with_its_variable(tmp_path, monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL_SHOP", url)
    databases, problems = database_settings(environ.Env(), var_dir=tmp_path)
    assert [p.variable for p in problems] == ["DATABASE_URL_SHOP"]
    assert databases["shop_db"]["ENGINE"] == "django.db.backends.dummy"


def test_manage_py_check_fails_with_the_variable_name_and_an_id(tmp_path):
    env = database_env(tmp_path) | {"DATABASE_URL_BLOG": "mysqlx://nobody@nowhere/blog"}
    result = manage("check", env=env)
    assert result.returncode == 1
    assert "project.E001" in result.stderr
    assert "DATABASE_URL_BLOG has an unsupported scheme 'mysqlx'" in result.stderr
    assert "Traceback" not in result.stderr


def test_wsgi_start_up_refuses_a_bad_url(tmp_path):
    env = database_env(tmp_path) | {"DATABASE_URL": "postgres://u:p@h:port/db"}
    result = manage("shell", "-c", "import project.wsgi", env=env)
    assert result.returncode != 0
    assert (
        "Refusing to start" in result.stderr and "DATABASE_URL is not a valid URL" in result.stderr
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DATABASE_ROUTING_RULES": ["blog"]}, ["routers.E001"]),
        ({"DATABASE_ROUTING_RULES": {"blog": "blogdb"}}, ["routers.E002"]),
        ({"DATABASE_ROUTING_RULES": {"apps.blog": "blog_db"}}, ["routers.E003"]),
        ({"DATABASE_RELATIONS": [("blog_db",)]}, ["routers.E004"]),
        ({"DATABASE_RELATIONS": [("blog_db", "warehouse")]}, ["routers.E005"]),
        ({"DATABASE_ROUTERS": []}, ["routers.E006"]),
        ({}, []),
    ],
)
def test_routing_settings_are_checked(overrides, expected):
    with override_settings(**overrides):
        messages = check_app_label_routing()
    assert ids(messages) == expected
    assert all(message.hint for message in messages)


def test_routing_errors_reach_manage_py_check():
    """The check is registered, so `manage.py check` runs it."""
    with override_settings(DATABASE_ROUTING_RULES={"blog": "nowhere"}):
        messages = checks.run_checks()
    assert "routers.E002" in ids(messages)
    assert "'nowhere'" in next(m.msg for m in messages if m.id == "routers.E002")
