"""Users with known shards, and a way to read a shard's rows past the ORM and the routers.

The ids are chosen, not left to the sequence, so each test knows where its
user lives: 64 logical shards, 0-31 on ``shard_0`` and 32-63 on ``shard_1``
(the map ``migrate`` installs). They sit far above the ids the factories get.
"""

import pytest
from django.db import connections

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory

SHARDS = ["shard_0", "shard_1"]
DATABASES = ["default", "replica", *SHARDS]
ON_SHARD_0 = 64 * 1000 + 5  # logical shard 5
ON_SHARD_1 = 64 * 1000 + 40  # logical shard 40


def physical_events(alias: str) -> list[tuple]:
    """``(user_id, kind, summary)`` of every event in *alias*'s own database: raw SQL."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT user_id, kind, summary FROM activity_event ORDER BY id")
        return cursor.fetchall()


@pytest.fixture
def near(db):
    """A user whose events live on shard_0 (logical shard 5)."""
    return UserFactory(pk=ON_SHARD_0, username="near")


@pytest.fixture
def far(db):
    """A user whose events live on shard_1 (logical shard 40)."""
    return UserFactory(pk=ON_SHARD_1, username="far")


@pytest.fixture
def far_client(client, far):
    assert client.login(username=far.username, password=DEFAULT_PASSWORD)
    return client
