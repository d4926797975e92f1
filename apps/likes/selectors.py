"""Likes reads: counts from ``default``, targets from their own databases.

A like whose target was deleted stays in ``default`` (no cascade reaches
across databases): readers skip it and say how many they skipped
(``LikeList.orphans``). The count on a page counts likes, not live targets;
the page exists, so its target does.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Count, Model, Q

from apps.likes.models import Like
from routers.generic import content_types

# What may be liked, as "app_label.model_name" (the like button's URL names it).
LIKEABLE = ("blog.post", "shop.product")


@dataclass(frozen=True)
class LikeSummary:
    label: str  # the target's "app_label.model_name"
    object_id: int
    count: int | None  # None for an anonymous visitor: not counted
    liked: bool  # by the user asking
    read_from: str  # the alias that counted them, "" when not counted


@dataclass(frozen=True)
class LikeList:
    likes: list[Like]  # each with its target loaded
    orphans: int  # likes skipped: their target no longer exists


def likeable_model(*, label: str) -> type[Model] | None:
    """The model called *label* ("blog.post") if it may be liked, else None."""
    if label not in LIKEABLE:
        return None
    return apps.get_model(label)


def likeable_get(*, model: type[Model], object_id: int) -> Model | None:
    """The *model* row with *object_id*, read from its own database, or None."""
    return model._default_manager.filter(pk=object_id).first()


def like_summary(*, target: Model, user) -> LikeSummary:
    """How many like *target*, and whether *user* does: one query on the likes' database.

    Not counted for an anonymous visitor, whose page then asks nothing of
    ``default``: the blog and shop pages people arrive at stay on their own
    databases.
    """
    label = target._meta.label_lower
    if not user.is_authenticated:
        return LikeSummary(label=label, object_id=target.pk, count=None, liked=False, read_from="")
    likes = Like.objects.filter(
        content_type=content_types().get_for_model(target), object_id=target.pk
    )
    read_from = likes.db
    counted = likes.using(read_from).aggregate(
        count=Count("pk"), mine=Count("pk", filter=Q(user_id=user.pk))
    )
    return LikeSummary(
        label=label,
        object_id=target.pk,
        count=counted["count"],
        liked=counted["mine"] > 0,
        read_from=read_from,
    )


def liked_id_list(*, user, model: type[Model]) -> list[int]:
    """The ids of the *model* rows *user* likes: the first of two queries, on ``default``."""
    likes = Like.objects.filter(user_id=user.pk, content_type=content_types().get_for_model(model))
    return list(likes.order_by("-created_at", "-id").values_list("object_id", flat=True))


def liked_list(*, user, model: type[Model]) -> list[Model]:
    """The *model* rows *user* likes, newest like first: a many-to-many in two queries.

    A ``ManyToManyField`` from users to posts would need its through table in
    one database joined to the other's; instead the ids come from ``default``,
    then the rows from *model*'s own database by ``pk__in``.
    """
    ids = liked_id_list(user=user, model=model)
    found = model._default_manager.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]  # a deleted target is skipped


def like_list(*, user=None, limit: int = 20) -> LikeList:
    """The newest likes (of *user*, or everyone's) with their targets, orphans skipped.

    ``prefetch_related("target")`` runs one query per content type, each in
    the target model's database (``routers.generic``).
    """
    likes = Like.objects.select_related("user", "content_type").prefetch_related("target")
    if user is not None:
        likes = likes.filter(user_id=user.pk)
    likes = list(likes[:limit])
    kept = [like for like in likes if like.target is not None]
    return LikeList(likes=kept, orphans=len(likes) - len(kept))
