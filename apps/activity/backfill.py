"""Events for the posts, orders and notes written before the log began, or while a shard was down.

An event is the record that its row exists: ``(user, kind, summary)``
names the row (a post's title, ``order #12``, ``note #3``), as the live
ones written by ``services.py`` do. So a row whose event is already on its
shard gets no second one, and running this again adds nothing: ``manage.py
load_demo`` and ``demo_history`` call it after loading their rows.

It reads every post, order and note with an author, and every event's key
from every shard, so it is for the demo's few thousand rows, not a
production table: there, a backfill would walk the rows in batches.
"""

from collections import Counter

from apps.activity.models import Event
from apps.blog.models import Post
from apps.notes.models import Note
from apps.shop.models import Order
from routers.sharding import shard_for


def events_backfill() -> Counter:
    """Record the missing events with ``bulk_create``, each on its user's shard; count them."""
    wanted = {}
    for user_id, title, created_at in Post.objects.values_list("author_id", "title", "created_at"):
        wanted[(user_id, Event.Kind.POST_WRITTEN.value, title[:200])] = created_at
    orders = Order.objects.filter(customer__isnull=False)  # an order outlives its customer
    for pk, user_id, created_at in orders.values_list("pk", "customer_id", "created_at"):
        wanted[(user_id, Event.Kind.ORDER_PLACED.value, f"order #{pk}")] = created_at
    notes = Note.objects.filter(author__isnull=False)
    for pk, user_id, created_at in notes.values_list("pk", "author_id", "created_at"):
        wanted[(user_id, Event.Kind.NOTE_SAVED.value, f"note #{pk}")] = created_at
    # No order_by: the keys are compared as a set, so no shard sorts them.
    recorded = Event.objects.across_shards().order_by().values("user_id", "kind", "summary")
    for row in recorded:
        wanted.pop((row["user_id"], row["kind"], row["summary"]), None)
    events = [
        Event(user_id=user_id, kind=kind, summary=summary, created_at=created_at)
        for (user_id, kind, summary), created_at in wanted.items()
    ]
    Event.objects.bulk_create(events)  # one INSERT per shard, ids made there
    return Counter(shard_for(event.user_id) for event in events)
