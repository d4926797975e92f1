"""The join Django can't do across databases, and the two queries that replace it."""

from django.contrib.auth import get_user_model

from apps.blog.models import Post
from routers import CrossDatabaseJoinError, recording


def run(request) -> dict:
    username = request.GET.get("username", "").strip()[:150]
    if not request.GET.get("run") or not username:
        return {"username": username or "alice", "ran": False}
    try:
        Post.objects.filter(author__username=username)
        refused = ""
    except CrossDatabaseJoinError as error:  # raised as the queryset is built: no SQL ran
        refused = str(error)
    with recording() as decided:  # which database each step read, and why
        users = get_user_model().objects.filter(username=username)
        ids_from = users.db  # the router's choice, made once and kept for the query
        ids = list(users.using(ids_from).values_list("pk", flat=True))
        posts = Post.objects.filter(author_id__in=ids).order_by("-created_at")
        posts_from = posts.db
        posts = list(posts.using(posts_from)[:10])
    ids_from, posts_from = (f"{alias} ({decided[alias]})" for alias in (ids_from, posts_from))
    return {
        "username": username,
        "ran": True,
        "refused": refused,
        "ids": ids,
        "ids_from": ids_from,
        "posts": posts,
        "posts_from": posts_from,
    }
