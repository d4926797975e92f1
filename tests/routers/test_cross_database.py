"""CrossDatabaseQuerySet: lookups that would join across databases fail early and clearly."""

import pytest
from django.db.models import Count, F, Q

from apps.accounts.factories import UserFactory
from apps.accounts.models import User
from apps.blog.models import Comment, Post
from apps.shop.models import Order
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


@pytest.fixture
def rows(user):
    """John's post with a comment and an order, and another author's later post."""
    other = UserFactory(username="other")
    mine = Post.objects.create(title="Mine", content="c", author=user)
    theirs = Post.objects.create(title="Theirs", content="c", author=other)
    comment = Comment.objects.create(post=mine, author=other, body="b")
    order = Order.objects.create(customer=user)
    return dict(john=user, other=other, mine=mine, theirs=theirs, comment=comment, order=order)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda r: Post.objects.filter(author=r["john"]), lambda r: [r["mine"]]),
        (lambda r: Post.objects.filter(author_id=r["john"].pk), lambda r: [r["mine"]]),
        (lambda r: Post.objects.filter(author__in=[r["john"]]), lambda r: [r["mine"]]),
        (lambda r: Post.objects.filter(author_id__in=[r["john"].pk]), lambda r: [r["mine"]]),
        (lambda r: Post.objects.filter(author__pk=r["john"].pk), lambda r: [r["mine"]]),
        (lambda r: Post.objects.filter(author__id__in=[r["john"].pk]), lambda r: [r["mine"]]),
        # Newest first (Post.Meta.ordering): Theirs was written after Mine.
        (lambda r: Post.objects.filter(author__isnull=False), lambda r: [r["theirs"], r["mine"]]),
        (
            lambda r: Post.objects.values("author"),
            lambda r: [{"author": r["other"].pk}, {"author": r["john"].pk}],
        ),
        (lambda r: Post.objects.order_by("author_id"), lambda r: [r["mine"], r["theirs"]]),
        (
            lambda r: [post.author for post in Post.objects.prefetch_related("author")],
            lambda r: [r["other"], r["john"]],
        ),
        (
            lambda r: [
                (comment, comment.post.title)
                for comment in Comment.objects.filter(post__title="Mine").select_related("post")
            ],
            lambda r: [(r["comment"], "Mine")],
        ),
        (  # Meta.ordering doesn't apply to a GROUP BY query: order explicitly
            lambda r: (
                Post.objects.annotate(n=Count("comments"))
                .order_by("title")
                .values_list("title", "n")
            ),
            lambda r: [("Mine", 1), ("Theirs", 0)],
        ),
        (lambda r: r["john"].blog_posts.all(), lambda r: [r["mine"]]),
        (lambda r: r["john"].orders.all(), lambda r: [r["order"]]),
    ],
)
def test_lookups_answered_by_the_key_column_run_and_find_the_rows(build, expected, rows):
    """Filtering on the key itself, and prefetching, need no join: they run and find the rows."""
    assert list(build(rows)) == expected(rows)


def test_find_crossing_reports_path_and_models():
    assert find_crossing(Comment, "post__author__username") == ("post__author", Post, User)
    assert find_crossing(Comment, "post__title") is None
