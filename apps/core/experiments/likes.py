"""Likes in default, targets in blog_db and shop_db: Django's generic key, the fix, two queries.

Read only. Step 1 runs Django's own ``GenericForeignKey`` code on one of the
user's likes and shows the database error it meets; each failing query runs
in a savepoint (``transaction.atomic(using=...)``), so on PostgreSQL the
error ends the savepoint, not the request's transaction. Step 2 loads the
same likes through ``CrossDatabaseGenericForeignKey`` with
``prefetch_related("target")``; step 3 is the many-to-many "posts liked by
this user" as two queries.
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import DatabaseError, router, transaction

from apps.blog.models import Post
from apps.likes.models import Like
from routers import content_type_home, content_types, recording

SHOWN = 10


def run(request) -> dict:
    username = request.GET.get("username", "").strip()[:150]
    if not request.GET.get("run") or not username:
        return {"username": username or "alice", "ran": False}
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return {"username": username, "ran": True, "problem": f"No user is called “{username}”."}
    return {"username": username, "ran": True, **naive(user), **fixed(user), **two_queries(user)}


def naive(user) -> dict:
    """Django's ``GenericForeignKey`` on one like whose target lives in another database."""
    field = Like._meta.get_field("target")
    for like in Like.objects.filter(user=user).select_related("content_type")[:SHOWN]:
        model = like.content_type.model_class()
        target_db = model and router.db_for_read(model)
        if not target_db or target_db == like._state.db:
            continue
        target = model._base_manager.using(target_db).filter(pk=like.object_id).first()
        if target is not None:
            break
    else:
        return {"naive": None}
    # What like.target does in Django: the target read from the like's database.
    read_error = _error_of(lambda: GenericForeignKey.__get__(field, like), using=like._state.db)
    # What like.target = target does: its content type looked up in the target's database.
    assign_error = _error_of(
        lambda: GenericForeignKey.get_content_type(field, obj=target), using=target_db
    )
    return {
        "naive": {
            "like": like,
            "like_db": like._state.db,
            "target": target,
            "target_db": target_db,
            "read_error": read_error,
            "assign_error": assign_error,
        }
    }


def _error_of(attempt, *, using: str) -> str:
    """The database error *attempt* raises, in a savepoint on *using*; "" when none."""
    try:
        with transaction.atomic(using=using):
            attempt()
    except DatabaseError as error:
        return f"{type(error).__name__}: {error}"
    return ""


def fixed(user) -> dict:
    """The same likes through ``CrossDatabaseGenericForeignKey``: one query per content type."""
    content_types().get_for_model(Post)  # warm the content type cache outside the record
    with recording() as decided:
        likes = Like.objects.filter(user=user).select_related("content_type")
        likes_from = likes.db
        likes_reason = decided.get(likes_from, "")
    with recording() as decided:
        likes = list(likes.using(likes_from).prefetch_related("target")[:SHOWN])
    groups = defaultdict(lambda: {"targets": [], "orphans": 0, "read_from": "", "why": ""})
    for like in likes:
        group = groups[like.content_type]
        if like.target is None:  # deleted in its own database: skipped and counted
            group["orphans"] += 1
            continue
        alias = like.target._state.db
        group["targets"].append(like.target)
        group["read_from"] = alias
        group["why"] = decided.get(alias, "no reason recorded")
    return {
        "likes": likes,
        "likes_from": likes_from,
        "likes_why": likes_reason,
        "groups": [{"content_type": ct, **group} for ct, group in groups.items()],
        "content_types_from": content_type_home(),
    }


def two_queries(user) -> dict:
    """Posts *user* likes: like ids from the likes' database, then posts from blog_db."""
    post_type = content_types().get_for_model(Post)
    with recording() as decided:
        likes = Like.objects.filter(user=user, content_type=post_type)
        ids_from = likes.db
        ids = list(likes.using(ids_from).values_list("object_id", flat=True)[:SHOWN])
        posts = Post.objects.filter(pk__in=ids)
        posts_from = posts.db
        posts = list(posts.using(posts_from))
    return {
        "post_ids": ids,
        "post_ids_from": ids_from,
        "post_ids_why": decided.get(ids_from, ""),
        "liked_posts": posts,
        "liked_posts_from": posts_from,
        "liked_posts_why": decided.get(posts_from, ""),
    }
