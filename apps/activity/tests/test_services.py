"""Recording events: each on its user's shard, after the write it describes has committed."""

import logging

import pytest
from django.db import transaction

from apps.activity.models import Event
from apps.activity.services import event_record, event_record_on_commit
from apps.activity.tests.conftest import DATABASES, physical_events
from apps.blog.models import Post
from apps.blog.services import post_create
from apps.notes.services import note_create
from apps.shop.factories import ProductFactory
from apps.shop.models import Order
from apps.shop.services import order_place
from routers.health import health
from routers.sharding import current_map, logical_shard_for

pytestmark = pytest.mark.django_db(databases=[*DATABASES, "blog_db", "shop_db"])


class Rollback(Exception):
    pass


@pytest.mark.parametrize(("user", "alias"), [("near", "shard_0"), ("far", "shard_1")])
def test_a_recorded_event_goes_to_the_physical_shard_the_map_names(request, user, alias):
    user = request.getfixturevalue(user)
    assert current_map().alias_for(logical_shard_for(user.pk)) == alias

    event = event_record(user=user, kind=Event.Kind.NOTE_SAVED, summary="hello")

    assert physical_events(alias) == [(user.pk, "note_saved", "hello")]
    other = "shard_1" if alias == "shard_0" else "shard_0"
    assert physical_events(other) == []
    assert event._state.db == alias
    assert Event.objects.get(pk=event.pk).user_id == user.pk  # found by its id alone


def test_an_unknown_kind_is_refused_and_a_long_summary_is_cut_to_fit(near):
    with pytest.raises(ValueError, match="'shouted' is not one of"):
        event_record(user=near, kind="shouted")
    event_record(user=near, kind=Event.Kind.POST_WRITTEN, summary="x" * 500)
    ((_, _, summary),) = physical_events("shard_0")
    assert len(summary) == 200 and summary.endswith("…")


def test_writing_a_post_records_an_event_on_the_authors_shard_after_blog_db_commits(
    far, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(using="blog_db", execute=False) as callbacks:
        post_create(author=far, title="Sharded", content="Body.")
    assert len(callbacks) == 1 and physical_events("shard_1") == []  # not before the commit
    callbacks[0]()
    assert physical_events("shard_1") == [(far.pk, "post_written", "Sharded")]
    assert physical_events("shard_0") == []


def test_placing_an_order_records_an_event_on_the_customers_shard(
    far, django_capture_on_commit_callbacks
):
    product = ProductFactory(stock=5)
    with django_capture_on_commit_callbacks(using="shop_db", execute=True):
        order = order_place(customer=far, quantities={product.pk: 1})
    assert physical_events("shard_1") == [(far.pk, "order_placed", f"order #{order.pk}")]
    assert physical_events("shard_0") == []


def test_saving_a_note_records_an_event_on_the_authors_shard(
    near, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(using="default", execute=True):
        note = note_create(text="Remember", author=near)
    assert physical_events("shard_0") == [(near.pk, "note_saved", f"note #{note.pk}")]
    assert physical_events("shard_1") == []


def test_an_anonymous_note_records_no_event(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(using="default", execute=True) as callbacks:
        note_create(text="Nobody's")
    assert callbacks == []
    assert physical_events("shard_0") == physical_events("shard_1") == []


def test_a_post_that_rolls_back_records_no_event(far, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(using="blog_db", execute=True) as callbacks,
        pytest.raises(Rollback),
        transaction.atomic(using="blog_db"),
    ):
        post_create(author=far, title="Never", content="Rolled back.")
        raise Rollback
    assert callbacks == []
    assert physical_events("shard_1") == []


def test_a_shard_that_is_down_loses_the_event_not_the_post_and_says_so_in_the_log(
    far, django_capture_on_commit_callbacks, caplog
):
    health.mark_down("shard_1", "connection refused")
    with django_capture_on_commit_callbacks(using="blog_db", execute=True) as callbacks:
        post = post_create(author=far, title="Still here", content="Body.")
    assert len(callbacks) == 1
    assert Post.objects.filter(pk=post.pk).exists()
    assert physical_events("shard_1") == []
    (record,) = [r for r in caplog.records if r.name == "apps.activity.services"]
    assert record.levelno == logging.ERROR
    assert f"post_written event of user {far.pk} not recorded on shard_1" in record.getMessage()
    assert "shard_1 is unavailable" in record.getMessage()


def test_an_unexpected_error_in_the_callback_is_logged_and_later_callbacks_still_run(
    far, django_capture_on_commit_callbacks, caplog
):
    """robust=True: the shop's outbox relay, registered after the event, still runs."""
    after = []
    far.pk = None  # no shard key (ShardKeyRequired): a bug in the caller, not a shard down
    with (
        django_capture_on_commit_callbacks(using="shop_db", execute=True),
        transaction.atomic(using="shop_db"),
    ):
        event_record_on_commit(user=far, kind=Event.Kind.ORDER_PLACED, using="shop_db")
        transaction.on_commit(lambda: after.append("ran"), using="shop_db")
    assert after == ["ran"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "record_event" in errors[0].getMessage()
    assert errors[0].exc_info[0].__name__ == "ShardKeyRequired"  # with its traceback
    assert not Order.objects.exists()
