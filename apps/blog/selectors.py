"""Blog reads. Each list does a fixed number of queries per database."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, QuerySet

from apps.blog.models import Comment, Post


def post_list(*, tag_slug: str | None = None, author_username: str | None = None) -> QuerySet:
    """Posts with comment counts; authors (in ``default``) come in one extra query.

    ``prefetch_related("author")`` is the cross-database stand-in for
    ``select_related``: one ``IN (...)`` query on ``default`` for the whole page.
    """
    posts = Post.objects.annotate(comment_count=Count("comments", distinct=True))
    if tag_slug:
        posts = posts.filter(tags__slug=tag_slug)
    if author_username:
        posts = posts.filter(author_id__in=user_id_list(usernames=[author_username]))
    # An aggregate drops Meta.ordering (GROUP BY), so order explicitly for paging.
    return posts.order_by("-created_at", "-id").prefetch_related("author", "tags")


def user_id_list(*, usernames: list[str]) -> list[int]:
    """Return the ids of the users with these usernames: the first of two queries.

    ``Post.objects.filter(author__username=...)`` would need a join from
    ``blog_db`` into ``default``; asking ``default`` for the ids and filtering
    on ``author_id`` does the same in two queries.
    """
    users = get_user_model().objects.filter(username__in=usernames)
    return list(users.values_list("pk", flat=True))


def post_detail(*, pk: int) -> Post:
    """One post with its tags, author, and comments with their authors."""
    comments = Comment.objects.prefetch_related("author")
    return Post.objects.prefetch_related(
        "author", "tags", Prefetch("comments", queryset=comments)
    ).get(pk=pk)
