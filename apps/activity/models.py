"""An event log per user, sharded by ``user_id`` (``DATABASE_SHARDING``, routers/sharding.py).

Each event lives on the physical shard that holds its user's logical shard;
its id carries that logical shard, so ``Event.objects.get(pk=...)`` finds it
without the user. The user lives in ``default``, as a post's author does.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from routers.shard_ids import ShardedIdField
from routers.shard_queryset import ShardedQuerySet


class Event(models.Model):
    class Kind(models.TextChoices):
        POST_WRITTEN = "post_written", "wrote a post"
        ORDER_PLACED = "order_placed", "placed an order"
        NOTE_SAVED = "note_saved", "saved a note"
        PAGE_VIEWED = "page_viewed", "viewed their activity"

    id = ShardedIdField()
    # A key into default: no constraint can span two servers, and DO_NOTHING
    # keeps Django's delete collector from looking for events in default.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="events",
        db_constraint=False,
        on_delete=models.DO_NOTHING,
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ShardedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="activity_user_recent")]

    def __str__(self):
        return f"{self.user_id} {self.get_kind_display()}"
