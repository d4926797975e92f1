"""Misconfiguration stops check and start-up, naming the setting or variable at fault."""

import os

import environ
import pytest
from django.core import checks
from django.test import override_settings

from project.databases import (
    SQLITE_PATH_HINT,
    database_from_url,
    database_settings,
    reuse_connections,
)
from project.variables import Variables
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


def test_embedded_warehouse_is_one_file_read_through_a_read_only_alias(tmp_path):
    databases, _ = database_settings(environ.Env(), var_dir=tmp_path)
    assert databases["analytics_owner"]["NAME"] == str(tmp_path / "analytics.sqlite3")
    reader = databases["analytics"]
    assert reader["NAME"] == f"file:{tmp_path / 'analytics.sqlite3'}?mode=ro"
    assert "PRAGMA query_only = ON" in reader["OPTIONS"]["init_command"]
    assert reader["TEST"] == {"MIRROR": "analytics_owner"}


def test_postgres_warehouse_reader_is_read_only_and_sees_the_reporting_schema(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL_ANALYTICS_OWNER", "postgres://app:s@wh:5432/dw")
    monkeypatch.setenv("DATABASE_URL_ANALYTICS", "postgres://analytics_reader:r@wh:5432/dw")
    databases, problems = database_settings(environ.Env(), var_dir=tmp_path)
    assert problems == []
    reader, owner = databases["analytics"], databases["analytics_owner"]
    assert (reader["USER"], owner["USER"]) == ("analytics_reader", "app")
    assert "default_transaction_read_only=on" in reader["OPTIONS"]["options"]
    assert "search_path=analytics" in reader["OPTIONS"]["options"]
    assert "options" not in owner["OPTIONS"], "the owner's session is left as it is"


def test_a_warehouse_reader_without_its_owner_is_reported_naming_both(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL_ANALYTICS", "postgres://analytics_reader:r@wh:5432/dw")
    databases, [problem] = database_settings(environ.Env(), var_dir=tmp_path)
    assert problem.variable == "DATABASE_URL_ANALYTICS"
    assert "DATABASE_URL_ANALYTICS_OWNER" in problem.message
    assert databases["analytics"]["ENGINE"] == "django.db.backends.dummy"


def test_embedded_legacy_is_one_file_read_only_and_its_owner_the_file_itself(tmp_path):
    databases, _ = database_settings(environ.Env(), var_dir=tmp_path)
    legacy, owner = databases["legacy"], databases["legacy_owner"]
    assert legacy["NAME"] == f"file:{tmp_path / 'legacy.sqlite3'}?mode=ro"
    assert "PRAGMA query_only = ON" in legacy["OPTIONS"]["init_command"]
    assert legacy["TEST"] == {"MIRROR": "legacy_owner"}
    assert owner["NAME"] == str(tmp_path / "legacy.sqlite3")
    assert owner["TEST"] == {"MIGRATE": False, "DEPENDENCIES": []}


def test_postgres_legacy_is_read_only_and_its_owner_only_when_given(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL_LEGACY", "postgres://legacy_reader:r@old:5432/stock")
    databases, problems = database_settings(environ.Env(), var_dir=tmp_path)
    assert problems == []
    legacy, owner = databases["legacy"], databases["legacy_owner"]
    assert legacy["USER"] == "legacy_reader"
    assert "default_transaction_read_only=on" in legacy["OPTIONS"]["options"]
    assert owner["USER"] == "legacy_reader", "no owner's URL: the reader again, read-only"
    assert "default_transaction_read_only=on" in owner["OPTIONS"]["options"]

    monkeypatch.setenv("DATABASE_URL_LEGACY_OWNER", "postgres://legacy_owner:o@old:5432/stock")
    databases, problems = database_settings(environ.Env(), var_dir=tmp_path)
    assert problems == []
    owner = databases["legacy_owner"]
    assert owner["USER"] == "legacy_owner"
    assert "options" not in owner["OPTIONS"]


def test_a_legacy_owner_without_the_reader_is_reported_naming_both(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL_LEGACY_OWNER", "postgres://legacy_owner:o@old:5432/stock")
    databases, [problem] = database_settings(environ.Env(), var_dir=tmp_path)
    assert problem.variable == "DATABASE_URL_LEGACY_OWNER"
    assert "DATABASE_URL_LEGACY is not" in problem.message
    assert databases["legacy"]["ENGINE"] == "django.db.backends.dummy"


@pytest.mark.parametrize(
    "url", ["mysqlx://u@h/db", "postgres://u:p@h:notaport/db", "not a url", "postgres://h"]
)
def test_malformed_url_is_reported_with_its_variable(tmp_path, monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL_SHOP", url)
    databases, problems = database_settings(environ.Env(), var_dir=tmp_path)
    assert [p.variable for p in problems] == ["DATABASE_URL_SHOP"]
    assert databases["shop_db"]["ENGINE"] == "django.db.backends.dummy"


@pytest.mark.parametrize(
    ("url", "opens"),
    [
        ("sqlite://relative.db", "an empty in-memory database"),
        ("sqlite://", "an empty in-memory database"),
        ("sqlite://:memory:", "an empty in-memory database"),
        ("sqlite:///relative.db", "'relative.db' relative to the directory"),
        ("sqlite:///var/../blog.sqlite3", "'var/../blog.sqlite3' relative to the directory"),
    ],
)
def test_a_sqlite_url_without_an_absolute_path_is_reported_with_its_variable(
    tmp_path, monkeypatch, url, opens
):
    """django-environ reads sqlite://relative.db as host "relative.db" and opens ":memory:"."""
    monkeypatch.setenv("DATABASE_URL_BLOG", url)
    databases, [problem] = database_settings(environ.Env(), var_dir=tmp_path)
    assert problem.variable == "DATABASE_URL_BLOG"
    assert problem.message.startswith(f"DATABASE_URL_BLOG is {url!r}, which gives no absolute")
    assert opens in problem.message
    assert problem.hint == SQLITE_PATH_HINT
    assert databases["blog_db"]["ENGINE"] == "django.db.backends.dummy"


def test_a_sqlite_url_with_an_absolute_path_is_used_as_it_is(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL_BLOG", f"sqlite:///{tmp_path}/blog.sqlite3")
    databases, problems = database_settings(environ.Env(), var_dir=tmp_path)
    assert problems == []
    assert databases["blog_db"]["NAME"] == f"{tmp_path}/blog.sqlite3"


@pytest.mark.parametrize("timeout", ["abc", "-1", "1.5", "5s"])
def test_a_connect_timeout_that_isnt_whole_seconds_is_reported_with_its_variable(
    tmp_path, monkeypatch, timeout
):
    monkeypatch.setenv(
        "DATABASE_URL_SHOP", f"postgres://u:secret@db:5432/shop?connect_timeout={timeout}"
    )
    databases, [problem] = database_settings(environ.Env(), var_dir=tmp_path)
    assert problem.variable == "DATABASE_URL_SHOP"
    assert problem.message == (
        f"DATABASE_URL_SHOP sets connect_timeout={timeout!r}: it must be a whole number of "
        "seconds, 0 or more."
    )
    assert "secret" not in problem.message  # the URL, with its password, is not repeated
    assert databases["shop_db"]["ENGINE"] == "django.db.backends.dummy"


@pytest.mark.parametrize(("timeout", "seconds"), [("5", 5), ("0", 0), (None, 2)])
def test_a_whole_connect_timeout_is_used_and_none_defaults_to_2_s(
    tmp_path, monkeypatch, timeout, seconds
):
    query = "" if timeout is None else f"?connect_timeout={timeout}"
    monkeypatch.setenv("DATABASE_URL_SHOP", f"postgres://u:p@db:5432/shop{query}")
    databases, problems = database_settings(environ.Env(), var_dir=tmp_path)
    assert problems == []
    assert databases["shop_db"]["OPTIONS"]["connect_timeout"] == seconds


@pytest.mark.parametrize(
    ("variable", "value", "read", "message"),
    [
        ("MULTIDB_REPLICA_COOLDOWN_SECONDS", "abc", "seconds", "is not a number of seconds"),
        ("MULTIDB_MAX_REPLICA_LAG", "5s", "seconds", "is not a number of seconds"),
        ("MULTIDB_REPLICA_LAG_INTERVAL", "one", "seconds", "is not a number of seconds"),
        ("MULTIDB_PINNING_SECONDS", "1.5", "whole_seconds", "is not a whole number of seconds"),
        ("DJANGO_LOG_LEVEL", "LOUD", "log_level", "is not a logging level"),
    ],
)
def test_a_variable_that_cant_be_used_is_a_problem_naming_it_and_the_default_stands(
    monkeypatch, variable, value, read, message
):
    monkeypatch.setenv(variable, value)
    variables = Variables(environ.Env())
    default = {"seconds": 30.0, "whole_seconds": 15, "log_level": "INFO"}[read]
    assert getattr(variables, read)(variable, default=default) == default
    [problem] = variables.problems
    assert problem.variable == variable
    assert problem.message == f"{variable}={value!r} {message}."
    assert problem.hint.startswith(f"Set it like {variable}=")


@pytest.mark.parametrize(
    ("read", "value", "expected"),
    [
        ("seconds", "0.5", 0.5),
        ("seconds", "-3", -3.0),  # a range is for the settings' checks: routers.E041
        ("seconds", " 30 ", 30.0),
        ("seconds", "", 7.0),
        ("whole_seconds", "15", 15),
        ("log_level", "debug", "DEBUG"),
    ],
)
def test_a_variable_that_can_be_used_is_read_without_a_problem(monkeypatch, read, value, expected):
    monkeypatch.setenv("SOME_VARIABLE", value)
    variables = Variables(environ.Env())
    assert getattr(variables, read)("SOME_VARIABLE", default=7.0) == expected
    assert variables.problems == []


def test_a_whole_number_below_its_minimum_is_a_problem(monkeypatch):
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "-1")
    variables = Variables(environ.Env())
    assert variables.whole_seconds("DATABASE_CONN_MAX_AGE", default=300, minimum=0) == 300
    [problem] = variables.problems
    assert problem.message == "DATABASE_CONN_MAX_AGE='-1' is less than 0."


def test_postgres_aliases_reuse_their_connections_and_sqlite_ones_are_left_alone():
    databases = {
        "pg": database_from_url("postgres://app:pw@db:5432/multidb", option="x"),
        "lite": database_from_url("sqlite:////tmp/x.sqlite3", option="x"),
    }
    reuse_connections(databases, max_age=300)
    assert databases["pg"]["CONN_MAX_AGE"] == 300
    assert databases["pg"]["CONN_HEALTH_CHECKS"] is True
    assert "CONN_HEALTH_CHECKS" not in databases["lite"]


def test_manage_py_check_names_every_bad_variable_at_once(tmp_path):
    """Not a bare ValueError from settings: one project.E002 per variable, with a hint."""
    bad = {
        "MULTIDB_REPLICA_COOLDOWN_SECONDS": "abc",
        "MULTIDB_PINNING_SECONDS": "1.5",
        "DJANGO_LOG_LEVEL": "LOUD",
        "DATABASE_CONN_MAX_AGE": "five minutes",
    }
    result = manage("check", env=database_env(tmp_path) | bad)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("project.E002") == 4
    for variable, value in bad.items():
        assert f"{variable}: (project.E002) {variable}={value!r}" in result.stderr


def test_manage_py_check_names_a_relative_sqlite_path(tmp_path):
    env = database_env(tmp_path) | {"DATABASE_URL_BLOG": "sqlite://relative.db"}
    result = manage("check", env=env)
    assert result.returncode == 1
    assert "DATABASE_URL_BLOG: (project.E001) DATABASE_URL_BLOG is 'sqlite://relative.db'" in (
        result.stderr
    )


def test_manage_py_check_fails_with_the_variable_name_and_an_id(tmp_path):
    env = database_env(tmp_path) | {"DATABASE_URL_BLOG": "mysqlx://nobody@nowhere/blog"}
    result = manage("check", env=env)
    assert result.returncode == 1
    assert "project.E001" in result.stderr
    assert "DATABASE_URL_BLOG has an unsupported scheme 'mysqlx'" in result.stderr
    assert "Traceback" not in result.stderr


def test_wsgi_start_up_refuses_a_number_that_isnt_one(tmp_path):
    env = database_env(tmp_path) | {"MULTIDB_REPLICA_LAG_INTERVAL": "abc"}
    result = manage("shell", "-c", "import project.wsgi", env=env)
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert "project.E002: MULTIDB_REPLICA_LAG_INTERVAL='abc' is not a number" in result.stderr


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
        ({"DATABASE_ROUTING_RULES": {"blog": "replica", "shop": "shop_db"}}, ["routers.E007"]),
        ({}, []),
    ],
)
def test_routing_settings_are_checked(overrides, expected):
    with override_settings(**overrides):
        messages = check_app_label_routing()
    assert ids(messages) == expected
    assert all(message.hint for message in messages)


def test_a_rule_that_sends_an_app_to_a_replica_names_both_and_its_primary():
    """The replica's writes would fail (read-only), and its reads already come from it."""
    with override_settings(DATABASE_ROUTING_RULES={"notes": "replica"}):
        [error] = check_app_label_routing()
    assert error.msg == (
        "DATABASE_ROUTING_RULES sends 'notes' to 'replica', a replica of 'default' "
        "(REPLICA_DATABASES): its writes would fail there."
    )
    assert error.hint == (
        "Send 'notes' to 'default'; the replica router sends its reads to 'replica'."
    )


def test_a_rule_for_an_alias_that_is_no_replica_is_not_e007():
    with override_settings(
        DATABASE_ROUTING_RULES={"notes": "replica"}, REPLICA_DATABASES={"blog_db": []}
    ):
        assert "routers.E007" not in ids(check_app_label_routing())


def test_routing_errors_reach_manage_py_check():
    """The check is registered, so `manage.py check` runs it."""
    with override_settings(DATABASE_ROUTING_RULES={"blog": "nowhere"}):
        messages = checks.run_checks()
    assert "routers.E002" in ids(messages)
    assert "'nowhere'" in next(m.msg for m in messages if m.id == "routers.E002")
