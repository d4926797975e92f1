"""Failover settings that aren't a number of seconds, 0 or more, fail ``manage.py check``.

``routers.E040``: not a number (a string set in Python, ``True``, NaN);
``routers.E041``: negative; ``routers.E042``: a ``MULTIDB_MAX_REPLICA_LAG``
mapping with a key that isn't read. ``call_command("check")`` runs them as
``manage.py check`` does, so these tests also prove ``routers/apps.py``
registered the check; the last one sets the value in the environment.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from routers.health import check_health_settings
from tests.subprocess_env import database_env, manage

SECONDS = [
    "MULTIDB_REPLICA_COOLDOWN_SECONDS",
    "MULTIDB_MAX_REPLICA_LAG",
    "MULTIDB_REPLICA_LAG_INTERVAL",
    "MULTIDB_REPLICA_CONNECT_WAIT_SECONDS",
]


def ids(messages):
    return [message.id for message in messages]


def test_the_projects_own_values_pass():
    assert check_health_settings() == []


@pytest.mark.parametrize("name", SECONDS)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-1, "routers.E041"),
        (-0.5, "routers.E041"),
        ("abc", "routers.E040"),
        ("30", "routers.E040"),
        (True, "routers.E040"),
        (float("nan"), "routers.E040"),
        (float("inf"), "routers.E040"),
        ([5], "routers.E040"),
    ],
)
def test_a_bad_number_of_seconds_is_named_with_an_id_and_a_hint(name, value, expected):
    with override_settings(**{name: value}):
        [error] = check_health_settings()
    assert error.id == expected
    assert error.msg.startswith(f"{name} is {value!r}, ")
    assert f"for example {name} = " in error.hint


@pytest.mark.parametrize("name", SECONDS)
@pytest.mark.parametrize("value", [0, 0.25, 30])
def test_zero_or_more_seconds_pass(name, value):
    with override_settings(**{name: value}):
        assert check_health_settings() == []


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (None, []),
        ({"seconds": 5, "bytes": 16 * 2**20}, []),
        ({"seconds": None, "bytes": 0}, []),
        ({"seconds": -1}, ["routers.E041"]),
        ({"bytes": -1}, ["routers.E041"]),
        ({"seconds": "5"}, ["routers.E040"]),
        ({"bytes": 1.5}, ["routers.E040"]),
        ({"secs": 5}, ["routers.E042"]),
        ({"secs": 5, "seconds": -2}, ["routers.E042", "routers.E041"]),
    ],
)
def test_max_replica_lag_may_be_none_a_number_or_seconds_and_bytes(limit, expected):
    with override_settings(MULTIDB_MAX_REPLICA_LAG=limit):
        messages = check_health_settings()
    assert ids(messages) == expected
    assert all(message.hint for message in messages)


def test_the_check_is_registered_with_manage_py_check():
    with (
        override_settings(MULTIDB_REPLICA_COOLDOWN_SECONDS=-30),
        pytest.raises(
            SystemCheckError, match=r"routers\.E041.*MULTIDB_REPLICA_COOLDOWN_SECONDS is -30"
        ),
    ):
        call_command("check", tags=["routers"])


def test_a_negative_value_in_the_environment_fails_manage_py_check(tmp_path):
    env = database_env(tmp_path) | {"MULTIDB_REPLICA_LAG_INTERVAL": "-1"}
    result = manage("check", env=env)
    assert result.returncode == 1
    assert "(routers.E041) MULTIDB_REPLICA_LAG_INTERVAL is -1.0, a negative number." in (
        result.stderr
    )
