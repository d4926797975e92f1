"""Likes live in ``default``, beside users and content types; their targets don't.

A like points at a post in ``blog_db`` or a product in ``shop_db`` by content
type and id. ``target`` reads it from the database its model lives in
(``routers.generic``); Django's ``GenericForeignKey`` would read it from
``default``, where neither table exists.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from routers.generic import CrossDatabaseGenericForeignKey


class Like(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes"
    )
    # Same database as the like (content types have one home: default), so a
    # real foreign key with its constraint.
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    # The target's id in its own database: no constraint can reach it there.
    object_id = models.PositiveBigIntegerField()
    target = CrossDatabaseGenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "content_type", "object_id"], name="likes_one_per_user"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="likes_target")]

    def __str__(self):
        return f"{self.user_id} likes {self.content_type_id}:{self.object_id}"
