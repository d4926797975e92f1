"""The drift check against the topology's real legacy database, not the tests' copy of it.

``manage.py legacy_drift`` runs in a process of its own with the topology's
variables, so its ``inspectdb`` reads the ``stock`` database that
scripts/pg_topology.py made from docker/legacy/schema.sql, as the
``legacy_reader`` role the site uses.
"""

import os

import pytest

from tests.subprocess_env import manage

pytestmark = pytest.mark.postgres


def test_the_models_match_the_real_legacy_schema():
    assert os.environ.get("DATABASE_URL_LEGACY", "").startswith("postgres://legacy_reader:")
    result = manage("legacy_drift", env=dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "legacy: the models match the live schema" in result.stdout
