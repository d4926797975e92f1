"""Likes writes: one row in ``default`` per user and target; both are idempotent."""

from django.db.models import Model

from apps.likes.models import Like
from routers.generic import content_types


def like_create(*, user, target: Model) -> Like:
    """*user* likes *target*; liking it again changes nothing."""
    like, _ = Like.objects.get_or_create(
        user_id=user.pk,
        content_type=content_types().get_for_model(target),
        object_id=target.pk,
    )
    return like


def like_delete(*, user, target: Model) -> int:
    """*user* no longer likes *target*; return how many likes were deleted (0 or 1)."""
    likes = Like.objects.filter(
        user_id=user.pk, content_type=content_types().get_for_model(target), object_id=target.pk
    )
    deleted, _ = likes.delete()
    return deleted
