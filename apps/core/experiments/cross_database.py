"""The join Django can't do across databases, and what does work: two queries, the
foreign key followed either way, and ``prefetch_related`` with one query per database.

Each step after the refused join runs inside ``served()``, so the page shows
the databases whose connections ran it, how many queries each, and the
router's recorded reason.
"""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch

from apps.blog.models import Post
from routers import CrossDatabaseJoinError, recording

from .watch import served

PAGE = 10  # posts (and users) a step reads at most


def run(request) -> dict:
    username = request.GET.get("username", "").strip()[:150]
    if not request.GET.get("run") or not username:
        return {"username": username or "alice", "ran": False}
    try:
        Post.objects.filter(author__username=username)
        refused = ""
    except CrossDatabaseJoinError as error:  # raised as the queryset is built: no SQL ran
        refused = str(error)
    User = get_user_model()
    with recording() as decided:  # which database each step read, and why
        users = User.objects.filter(username=username)
        ids_from = users.db  # the router's choice, made once and kept for the query
        ids = list(users.using(ids_from).values_list("pk", flat=True))
        posts = Post.objects.filter(author_id__in=ids).order_by("-created_at")
        posts_from = posts.db
        posts = list(posts.using(posts_from)[:PAGE])
    return {
        "username": username,
        "ran": True,
        "refused": refused,
        "ids": ids,
        "ids_from": ids_from,
        "ids_reason": decided[ids_from],
        "posts": posts,
        "posts_from": posts_from,
        "posts_reason": decided[posts_from],
        "forward": _forward(posts),
        "reverse": _reverse(User, username),
        "prefetch": _prefetch(User, ids),
    }


def _forward(posts: list) -> dict:
    """``post.author``: a post from blog_db, its author from where users are read."""
    if not posts:
        return {"served": [], "post": None, "author": None}
    post = posts[0]
    with served(get_user_model()) as found:
        author = post.author
    return {"served": list(found.values()), "post": post, "author": author}


def _reverse(User, username: str) -> dict:
    """``user.blog_posts.all()``: a user, then the posts that point at them, from blog_db."""
    with served(User, Post) as found:
        user = User.objects.filter(username=username).first()
        posts = list(user.blog_posts.order_by("-created_at")[:PAGE]) if user else []
    return {"served": list(found.values()), "user": user, "posts": posts}


def _prefetch(User, ids: list) -> dict:
    """``prefetch_related`` both ways: one query per database, the second an ``IN (...)``."""
    with served(User, Post) as authors_found:
        posts = list(Post.objects.order_by("-created_at").prefetch_related("author")[:PAGE])
    with served(User, Post) as posts_found:
        # At most PAGE per user, still in one query; a sliced Prefetch needs to_attr.
        latest = Prefetch("blog_posts", Post.objects.order_by("-created_at")[:PAGE], "latest")
        users = list(User.objects.filter(pk__in=ids).prefetch_related(latest))
    return {
        "posts": posts,
        "authors_served": list(authors_found.values()),
        "users": users,
        "posts_served": list(posts_found.values()),
    }
