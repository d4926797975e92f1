"""ReplicaRouter: replica sets per primary, weights, composition with app-label routing."""

import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import router
from django.test import override_settings

from apps.blog.models import Post
from apps.shop.models import Product
from routers import ReplicaRouter, get_replica, reason_for, recording, use_primary_db
from routers.replica_sets import check_replica_databases, normalise
from tests.replication import wait_for_replay
from tests.support import unreachable

User = get_user_model()
DATABASES = ["default", "replica", "blog_db", "shop_db"]
# Read decisions connect to the replica they choose (its health check).
pytestmark = pytest.mark.django_db(transaction=True, databases=DATABASES)


def test_list_form_means_replicas_of_default():
    assert normalise(["replica"]) == {"default": (("replica", 1),)}
    assert get_replica() == "replica"
    assert get_replica("default") == "replica"


def test_a_primary_without_replicas_is_its_own_replica():
    assert get_replica("blog_db") == "blog_db"


def test_reads_of_default_models_go_to_the_replica_and_writes_to_the_primary():
    assert router.db_for_read(User) == "replica"
    assert router.db_for_write(User) == "default"


def test_reads_of_primaries_without_replicas_are_left_to_the_app_label_router():
    assert router.db_for_read(Post) == "blog_db"
    assert router.db_for_read(Product) == "shop_db"


@override_settings(
    REPLICA_DATABASES={"default": ["replica"], "blog_db": ["blog_replica_1", "blog_replica_2"]}
)
def test_mapping_form_gives_each_primary_its_own_replicas():
    """A blog read goes to a replica of blog_db, never to default's replica."""
    blog_reads = Counter(router.db_for_read(Post) for _ in range(10))
    assert blog_reads == {"blog_replica_1": 5, "blog_replica_2": 5}
    assert {router.db_for_read(User) for _ in range(5)} == {"replica"}
    assert router.db_for_write(Post) == "blog_db"
    assert get_replica("blog_db") in {"blog_replica_1", "blog_replica_2"}


@pytest.mark.parametrize(
    "setting",
    [{"replica": 80, "default": 20}, {"default": {"replica": 80, "default": 20}}],
)
def test_weights_split_reads_within_one_percent(setting):
    """80/20 over 10,000 draws lands within ±1 point (smooth weighted round-robin is exact)."""
    with override_settings(REPLICA_DATABASES=setting):
        draws = Counter(router.db_for_read(User) for _ in range(10_000))
    assert abs(draws["replica"] / 10_000 - 0.80) <= 0.01
    assert abs(draws["default"] / 10_000 - 0.20) <= 0.01


@override_settings(REPLICA_DATABASES={"replica": 3, "default": 1})
def test_weighted_picks_are_spread_out_not_bursts():
    picks = [get_replica() for _ in range(8)]
    assert picks.count("default") == 2
    assert "default, default" not in ", ".join(picks)


def test_replicas_are_never_migrated():
    replica_router = ReplicaRouter()
    assert replica_router.allow_migrate("replica", "accounts") is False
    assert replica_router.allow_migrate("default", "accounts") is None  # left to AppLabelRouter
    assert router.allow_migrate("default", "accounts") is True
    assert router.allow_migrate("replica", "accounts") is False


@override_settings(DATABASE_ROUTERS=["routers.ReplicaRouter"])
def test_alone_it_migrates_only_the_primary_like_django_multidb_router():
    assert ReplicaRouter().allow_migrate("default", "accounts") is True
    assert ReplicaRouter().allow_migrate("replica", "accounts") is False


def test_rows_read_from_a_replica_relate_to_rows_of_its_primary():
    from_replica, from_primary = User(), User()
    from_replica._state.db, from_primary._state.db = "replica", "default"
    assert ReplicaRouter().allow_relation(from_replica, from_primary) is True
    post = Post()
    post._state.db = "blog_db"
    assert ReplicaRouter().allow_relation(from_replica, post) is None  # AppLabelRouter decides


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("replica", ["routers.E011"]),
        (["nowhere"], ["routers.E012"]),
        ({"replica": 0}, ["routers.E013"]),
        ({"default": ["shop_db"]}, ["routers.W014"]),
        ({"default": {"replica": 4, "default": 1}}, []),
    ],
)
def test_replica_settings_are_checked(setting, expected):
    with override_settings(REPLICA_DATABASES=setting):
        messages = check_replica_databases()
    assert [m.id for m in messages] == expected
    assert all(m.hint for m in messages)


@override_settings(REPLICA_DATABASES={"default": ["replica_ahead", "replica_behind"]})
def test_only_replicas_that_have_replayed_the_write_may_serve():
    """One replica catching up doesn't release the client to every replica."""
    from routers.pinning import Pin, pinning_scope

    with pinning_scope({"default": Pin(time.time(), lsn=100)}) as scope:
        scope.replay_positions.update(replica_ahead=150, replica_behind=90)
        reads = {router.db_for_read(User) for _ in range(10)}
    assert reads == {"replica_ahead"}


@override_settings(REPLICA_DATABASES={"default": ["replica_a", "replica_b"]})
def test_when_no_replica_has_the_write_the_primary_serves_and_says_why():
    from routers.explain import reason_for, recording
    from routers.pinning import Pin, pinning_scope

    with pinning_scope({"default": Pin(time.time(), lsn=0x30000A8)}) as scope:
        scope.replay_positions.update(replica_a=0x3000060, replica_b=None)
        with recording():
            assert router.db_for_read(User) == "default"
            assert reason_for("default") == "replica behind your write: 0/3000060 < 0/30000A8"


def test_a_pinned_read_goes_to_a_replica_when_the_primary_refuses_connections():
    """use_primary_db sends reads to default; default unreachable, they go to its replica."""
    User.objects.create_user(username="pinned", password="pw-123456")
    wait_for_replay()
    with unreachable("default"), use_primary_db, recording():
        reader = User.objects.get(username="pinned")
        assert reader._state.db == "replica"
        assert reason_for("replica") == "primary down: reading a replica"
        assert router.db_for_read(User) == "replica"
