"""Blog pages: listing, detail, writing, and queries per database."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.urls import reverse

from apps.accounts.factories import UserFactory
from apps.blog.factories import CommentFactory, PostFactory, TagFactory
from apps.blog.models import Comment, Post

User = get_user_model()
pytestmark = pytest.mark.django_db(databases=["default", "replica", "blog_db"])


def queries_per_database(response) -> dict[str, int]:
    header = response["X-DB-Queries"]
    return (
        {}
        if header == "none"
        else {
            alias: int(count) for alias, count in (part.split("=") for part in header.split(", "))
        }
    )


def make_posts(count):
    """*count* posts by ten authors, each with two tags and a comment."""
    authors = UserFactory.create_batch(10)
    tags = TagFactory.create_batch(3)
    posts = Post.objects.bulk_create(
        Post(title=f"Post {n}", slug=f"post-{n}", content="c", author=authors[n % 10])
        for n in range(count)
    )
    Post.tags.through.objects.bulk_create(
        Post.tags.through(post=post, tag=tag) for post in posts for tag in tags[:2]
    )
    Comment.objects.bulk_create(Comment(post=p, author=authors[0], body="b") for p in posts)


def test_list_page_runs_the_same_queries_per_database_at_10_and_500_posts(client):
    """Authors come from default in one IN query, whatever the page size."""
    make_posts(500)
    small = client.get(reverse("blog:post_list"), {"per_page": 10})
    large = client.get(reverse("blog:post_list"), {"per_page": 500})
    assert small.status_code == large.status_code == 200
    assert len(small.context["page"]) == 10 and len(large.context["page"]) == 500
    assert queries_per_database(small) == queries_per_database(large)
    # Authors are read from the replica on the embedded default (a mirror that
    # sees the test's transaction), from the primary on Postgres (a real
    # standby can't see it).
    authors_from = "replica" if connections["replica"].vendor == "sqlite" else "default"
    assert queries_per_database(large) == {authors_from: 1, "blog_db": 3}


def test_list_filters_by_author_with_two_queries_instead_of_a_join(client):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    PostFactory(title="By Alice", author=alice)
    PostFactory(title="By Bob", author=bob)
    response = client.get(reverse("blog:post_list"), {"author": "alice"})
    assert [p.title for p in response.context["page"]] == ["By Alice"]


def test_list_tolerates_junk_paging_parameters(client):
    PostFactory()
    response = client.get(reverse("blog:post_list"), {"page": "last-ish", "per_page": "lots"})
    assert response.status_code == 200
    assert response.context["per_page"] == 10


def test_detail_shows_comments_and_authors_from_default(client):
    post = PostFactory(title="Read me", author=UserFactory(username="writer"))
    CommentFactory(post=post, author=UserFactory(username="reader"), body="Nice one")
    response = client.get(post.get_absolute_url())
    assert response.status_code == 200
    assert b"writer" in response.content and b"reader" in response.content
    assert b"Nice one" in response.content


def test_detail_with_stale_slug_redirects_and_unknown_post_is_404(client):
    post = PostFactory(title="Real title")
    stale = client.get(reverse("blog:post_detail", kwargs={"pk": post.pk, "slug": "old"}))
    assert stale.status_code == 301 and stale["Location"] == post.get_absolute_url()
    missing = client.get(reverse("blog:post_detail", kwargs={"pk": 999999, "slug": "x"}))
    assert missing.status_code == 404
    assert b"Not found" in missing.content


def test_writing_a_post_requires_login(client):
    response = client.get(reverse("blog:post_create"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_logged_in_user_publishes_post_to_blog_db(logged_in_client, user):
    response = logged_in_client.post(
        reverse("blog:post_create"),
        {"title": "Fresh", "content": "Body", "tags": "django, Databases"},
    )
    assert response.status_code == 302
    post = Post.objects.get(title="Fresh")
    assert post.author == user
    assert sorted(tag.slug for tag in post.tags.all()) == ["databases", "django"]
    with connections["blog_db"].cursor() as cursor:
        cursor.execute("SELECT author_id FROM blog_post WHERE title = 'Fresh'")
        assert cursor.fetchone() == (user.pk,)


def test_invalid_post_form_shows_errors_and_writes_nothing(logged_in_client):
    response = logged_in_client.post(
        reverse("blog:post_create"), {"title": "   ", "content": "", "tags": "x" * 60}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"title", "content", "tags"}
    assert not Post.objects.exists()


def test_comment_by_logged_in_user_is_saved_and_anonymous_comment_redirects_to_login(
    client, logged_in_client, user
):
    post = PostFactory()
    anonymous = client.__class__().post(post.get_absolute_url(), {"body": "hi"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    response = logged_in_client.post(post.get_absolute_url(), {"body": "First!"})
    assert response.status_code == 302
    assert list(post.comments.values_list("body", "author_id")) == [("First!", user.pk)]


def test_pagination_keeps_the_filters(client):
    """The "Older →" link on a tag's page stays on that tag, at the same page size."""
    make_posts(5)
    tag = Post.tags.through.objects.first().tag
    response = client.get(reverse("blog:post_list"), {"tag": tag.slug, "per_page": 2})
    assert f'href="?tag={tag.slug}&amp;per_page=2&amp;page=2">Older' in response.text
    page_two = client.get(reverse("blog:post_list"), {"tag": tag.slug, "per_page": 2, "page": 2})
    assert f'href="?tag={tag.slug}&amp;per_page=2&amp;page=1">← Newer' in page_two.text


def test_a_filter_that_matches_nothing_says_so_rather_than_no_posts_yet(client):
    make_posts(2)
    response = client.get(reverse("blog:post_list"), {"author": "nobody"})
    assert "No posts match these filters." in response.text
    assert "No posts yet" not in response.text
