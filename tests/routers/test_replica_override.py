"""override_replica_databases(): other replica sets for one block, in this context only.

The setting here is ``{"default": ["replica"]}``; a block routes by the sets
it names, with their own turns, while other threads, the code after the
block and the fast lanes (``test_fast_lane.py``) keep the setting.
"""

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from apps.blog.models import Post
from routers import override_replica_databases, reason_for, recording, use_primary_db
from routers.replica import _lanes
from routers.replica_sets import primary_of, replica_sets

User = get_user_model()
ROUND_ROBIN = {"default": ["replica", "default"]}
WEIGHTED = {"default": {"replica": 80, "default": 20}}
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica", "blog_db"])


def reads(count: int) -> list[tuple[str, str]]:
    """Where *count* reads of users go, and the reason recorded for each."""
    decisions = []
    for _ in range(count):
        with recording():
            alias = router.db_for_read(User)
            decisions.append((alias, reason_for(alias)))
    return decisions


def test_a_round_robin_block_alternates_between_replica_and_default():
    with override_replica_databases(ROUND_ROBIN):
        decisions = reads(10)
    aliases = [alias for alias, _ in decisions]
    assert Counter(aliases) == {"replica": 5, "default": 5}
    assert all(a != b for a, b in zip(aliases, aliases[1:], strict=False))
    assert {reason for _, reason in decisions} == {"round-robin"}


def test_a_weighted_block_gives_exactly_80_in_100_reads_to_the_replica():
    with override_replica_databases(WEIGHTED):
        decisions = reads(100)
    assert Counter(alias for alias, _ in decisions) == {"replica": 80, "default": 20}
    assert ("replica", "weighted 80/100") in decisions
    assert ("default", "weighted 20/100") in decisions


def test_the_reads_run_on_the_chosen_connections():
    table = User._meta.db_table
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_default,
        override_replica_databases(ROUND_ROBIN),
    ):
        for _ in range(4):
            User.objects.count()
    for captured in (on_replica, on_default):
        assert len([query for query in captured if table in query["sql"]]) == 2


def test_another_thread_keeps_the_setting_during_the_block():
    seen = []

    def read():
        try:
            seen.extend(alias for alias, _ in reads(4))
        finally:
            connections.close_all()

    with override_replica_databases(ROUND_ROBIN):
        thread = threading.Thread(target=read)
        thread.start()
        thread.join(timeout=10)
        assert "default" in {alias for alias, _ in reads(2)}
    assert seen == ["replica"] * 4


def test_nested_blocks_restore_the_outer_sets_and_the_end_restores_the_setting():
    with override_replica_databases(ROUND_ROBIN):
        with override_replica_databases(WEIGHTED):
            assert replica_sets() == {"default": (("replica", 80), ("default", 20))}
        assert replica_sets() == {"default": (("replica", 1), ("default", 1))}
    assert replica_sets() == {"default": (("replica", 1),)}
    assert primary_of("replica") == "default"


def test_the_fast_lane_steps_aside_in_a_block_and_keeps_the_setting_s_turns():
    router.db_for_read(User), router.db_for_read(User)  # the lane is open
    with override_replica_databases(ROUND_ROBIN):
        assert "default" in {router.db_for_read(User) for _ in range(4)}
    assert {router.db_for_read(User) for _ in range(4)} == {"replica"}
    assert _lanes[User].turns is not None


def test_no_lane_is_opened_with_a_block_s_turns():
    _lanes.clear()
    with override_replica_databases(ROUND_ROBIN):
        reads(2)
    assert User not in _lanes
    assert {router.db_for_read(User) for _ in range(4)} == {"replica"}


def test_a_block_keeps_pins_and_other_primaries():
    with override_replica_databases(ROUND_ROBIN):
        with use_primary_db, recording():
            assert router.db_for_read(User) == "default"
            assert reason_for("default") == "pinned: use_primary_db"
        assert router.db_for_read(Post) == "blog_db"


@pytest.mark.parametrize(
    "raw",
    [{"default": ["nowhere"]}, {"nowhere": ["replica"]}, {"default": {"replica": 0}}, 42, "x"],
    ids=["unknown-replica", "unknown-primary", "zero-weight", "a-number", "a-string"],
)
def test_an_override_the_system_check_would_refuse_raises_value_error(raw):
    with pytest.raises(ValueError), override_replica_databases(raw):
        pass  # pragma: no cover - never entered
    assert replica_sets() == {"default": (("replica", 1),)}
