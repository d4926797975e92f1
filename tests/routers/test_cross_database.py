"""CrossDatabaseQuerySet: lookups that would join across databases fail early and clearly."""

import pytest
from django.db.models import Count, F, Q

from apps.accounts.models import User
from apps.blog.models import Comment, Post
from routers import CrossDatabaseJoinError
from routers.cross_database import find_crossing

# Asking where a model lives goes through db_for_write, which connects the
# primary it names (routers.health), so these tests may use every database.
pytestmark = pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])


def test_join_through_cross_database_key_names_lookup_and_both_databases():
    """The issue's example: author__username needs default's table from blog_db."""
    with pytest.raises(CrossDatabaseJoinError) as error:
        Post.objects.filter(author__username="john")
    message = str(error.value)
    assert "author__username" in message
    assert "'blog_db'" in message and "'default'" in message
    assert "prefetch_related('author')" in message


@pytest.mark.parametrize(
    "build",
    [
        lambda: Post.objects.exclude(author__email__endswith="@example.com"),
        lambda: Post.objects.filter(Q(title="x") | Q(author__is_staff=True)),
        lambda: Post.objects.get(author__username="john"),
        lambda: Post.objects.order_by("-author__date_joined"),
        lambda: Post.objects.values("author__username"),
        lambda: Post.objects.values_list("title", "author__email"),
        lambda: Post.objects.select_related("author"),
        lambda: Post.objects.select_related(),
        lambda: Comment.objects.select_related("post__author"),
        lambda: Comment.objects.filter(post__author__username="john"),
        lambda: Post.objects.annotate(n=Count("author__groups")),
        lambda: Post.objects.annotate(joined=F("author__date_joined")),
        lambda: Post.objects.aggregate(n=Count("author__username")),
        lambda: Post.objects.filter(author__in=User.objects.filter(is_staff=True)),
        lambda: User.objects.filter(blog_posts__title="Hello"),
        lambda: User.objects.annotate(n=Count("orders")),
    ],
)
def test_lookups_that_need_the_other_databases_table_are_refused(build):
    with pytest.raises(CrossDatabaseJoinError):
        build()


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])
@pytest.mark.parametrize(
    "build",
    [
        lambda user: Post.objects.filter(author=user),
        lambda user: Post.objects.filter(author_id=user.pk),
        lambda user: Post.objects.filter(author__in=[user]),
        lambda user: Post.objects.filter(author_id__in=[user.pk]),
        lambda user: Post.objects.filter(author__pk=user.pk),
        lambda user: Post.objects.filter(author__id__in=[user.pk]),
        lambda user: Post.objects.filter(author__isnull=False),
        lambda user: Post.objects.values("author"),
        lambda user: Post.objects.order_by("author_id"),
        lambda user: Post.objects.prefetch_related("author"),
        lambda user: Comment.objects.filter(post__title="x").select_related("post"),
        lambda user: Post.objects.annotate(n=Count("comments")),
        lambda user: user.blog_posts.all(),
        lambda user: user.orders.all(),
    ],
)
def test_lookups_answered_by_the_key_column_run(build, user):
    """Filtering on the key itself, and prefetching, need no join and run."""
    assert list(build(user)) == list(build(user))  # evaluates without error


def test_find_crossing_reports_path_and_models():
    assert find_crossing(Comment, "post__author__username") == ("post__author", Post, User)
    assert find_crossing(Comment, "post__title") is None
