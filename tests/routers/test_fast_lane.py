"""The routers' fast paths decide exactly what the long way decides.

``PinningReplicaRouter`` keeps a fast lane per model, ``ReadOnlyRouter`` a
memo of the models it abstains for, and both remember the other routers'
answers (``routers/chain.py``). A trace (``recording()``) always takes the
long way, so each test compares a decision made with and without one, or
checks that the lane steps aside whenever there is something to decide.
"""

import threading

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connections, router, transaction
from django.test import override_settings

from apps.blog.models import Post
from apps.legacy.models import Item as LegacyItem
from routers import reason_for, recording, use_primary_db
from routers.chain import first_answer, remembered
from routers.health import health
from routers.replica import PinningReplicaRouter, _lanes
from routers.sharding import is_sharded
from routers.thread_connections import connections_here, opened

User = get_user_model()
DATABASES = [
    "default",
    "replica",
    "blog_db",
    "shop_db",
    "legacy",
    "legacy_owner",
    "analytics",
    "analytics_owner",
]
# transaction=True: inside a TestCase transaction on default the lane steps aside (the
# long way judges whether that transaction counts), so these tests would not reach it.
pytestmark = pytest.mark.django_db(transaction=True, databases=DATABASES)


def decided(model) -> str:
    """Where a read of *model* goes, asked twice so the second may take the fast lane."""
    router.db_for_read(model)
    return router.db_for_read(model)


def the_long_way(model) -> str:
    with recording():
        return router.db_for_read(model)


def routable_models():
    return [model for model in apps.get_models() if not is_sharded(model)]


def test_every_model_is_read_where_the_long_way_sends_it():
    """Every installed model, sharded ones aside (they go by key): same alias both ways."""
    for model in routable_models():
        assert decided(model) == the_long_way(model), model._meta.label


def test_models_in_default_and_in_blog_db_get_a_lane_and_legacy_ones_do_not():
    for model in (User, Post, LegacyItem):
        decided(model)
    assert _lanes[User].primary == "default" and _lanes[User].turns is not None
    assert _lanes[Post].primary == "blog_db" and _lanes[Post].reads_from == "blog_db"
    assert LegacyItem not in _lanes  # ReadOnlyRouter answers before the replica router


def test_a_pinned_read_leaves_the_lane_for_the_primary():
    decided(User)
    with use_primary_db:
        assert router.db_for_read(User) == "default"
    assert router.db_for_read(User) == "replica"


def test_a_read_in_a_transaction_on_the_primary_leaves_the_lane_for_the_primary():
    decided(User)
    with transaction.atomic(using="default"):
        assert router.db_for_read(User) == "default"


def test_a_replica_marked_down_leaves_the_lane_and_reads_go_to_the_primary():
    decided(User)
    health.mark_down("replica", "refused")
    try:
        assert router.db_for_read(User) == "default"
    finally:
        health.reset()
    assert router.db_for_read(User) == "replica"


def test_a_replica_not_yet_connected_in_this_thread_is_connected_by_the_long_way():
    """A new thread holds no connection: its first read connects (and sees failures)."""
    decided(User)
    seen = []

    def read():
        try:
            seen.append((router.db_for_read(User), opened("replica") is not None))
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=10)
    assert seen == [("replica", True)]


def test_a_trace_reads_the_same_reasons_whether_answers_were_remembered_or_not():
    decided(User)
    with recording():
        assert router.db_for_read(Post) == "blog_db"
        assert reason_for("blog_db") == "app-label rule: blog → blog_db"
        assert router.db_for_read(User) == "replica"
        assert reason_for("replica") == "round-robin"


def test_a_changed_rule_is_obeyed_at_once():
    assert decided(Post) == "blog_db"
    with override_settings(DATABASE_ROUTING_RULES={"legacy": "legacy"}):
        assert decided(Post) == "replica"  # blog now lives in default, which has a replica
    assert decided(Post) == "blog_db"


def test_a_router_that_says_nothing_of_routes_by_model_is_asked_every_time():
    """A router whose answer changes between calls is never remembered."""

    class Alternating:
        def __init__(self):
            self.calls = 0

        def db_for_write(self, model, **hints):
            self.calls += 1
            return "default" if self.calls % 2 else "blog_db"

    asker, alternating = PinningReplicaRouter(), Alternating()
    answers = [
        first_answer(asker, "db_for_write", User, {}, routers=lambda _: [alternating])
        for _ in range(4)
    ]
    assert answers == ["default", "blog_db", "default", "blog_db"]
    assert remembered(asker, "db_for_write", User) == (False, None)


def test_replaced_routers_are_asked_again(monkeypatch):
    """The lane and the remembered answers hold for the DATABASE_ROUTERS they were found with."""
    decided(User)
    monkeypatch.setattr(router, "routers", [PinningReplicaRouter()])  # no app-label rules
    assert decided(Post) == "replica"


def test_the_fast_lane_reads_connections_of_this_thread_only():
    decided(User)
    assert connections_here()["replica"] is connections["replica"]


def test_the_lane_answers_without_asking_the_other_routers(monkeypatch):
    """Proof the fast lane is taken at all: with it open, primary_for() isn't called."""
    decided(User), decided(Post)

    def asked(*args, **kwargs):
        raise AssertionError("the long way was taken")

    monkeypatch.setattr(PinningReplicaRouter, "primary_for", asked)
    assert router.db_for_read(User) == "replica"
    assert router.db_for_read(Post) == "blog_db"
    with pytest.raises(AssertionError, match="the long way"), use_primary_db:
        router.db_for_read(User)
