"""Notes live in ``default``, the database with a streaming replica.

The app has no entry in ``DATABASE_ROUTING_RULES``, so its writes go to
``default`` and its reads to ``replica`` unless the client is pinned: the
read-your-writes demo.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

TEXT_MAX_LENGTH = 280


class Note(models.Model):
    text = models.CharField(max_length=TEXT_MAX_LENGTH)
    # Same database as the users, so a real foreign key with a constraint.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notes",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return Truncator(self.text).chars(50)

    def get_absolute_url(self):
        return reverse("notes:note_detail", kwargs={"pk": self.pk})
