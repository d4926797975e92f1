"""Likes: rows in default pointing at posts in blog_db and products in shop_db."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connections, router
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.factories import UserFactory
from apps.blog.factories import PostFactory
from apps.blog.models import Post
from apps.likes import selectors, services
from apps.likes.models import Like
from apps.shop.factories import ProductFactory

ALL = ["default", "replica", "blog_db", "shop_db"]
pytestmark = pytest.mark.django_db(databases=ALL)


def rows_in_default(**filters) -> int:
    return Like.objects.using("default").filter(**filters).count()


def like_url(target) -> str:
    return reverse("likes:like", args=[target._meta.label_lower, target.pk])


def test_likes_live_in_default_beside_users_and_content_types():
    assert router.db_for_write(Like) == "default"
    assert router.db_for_write(ContentType) == "default"
    for alias in ("blog_db", "shop_db"):
        assert not router.allow_migrate_model(alias, Like)
        assert "likes_like" not in connections[alias].introspection.table_names()
    assert "likes_like" in connections["default"].introspection.table_names()


def test_liking_writes_one_row_in_default_and_liking_again_changes_nothing():
    user, post = UserFactory(), PostFactory()
    first = services.like_create(user=user, target=post)
    again = services.like_create(user=user, target=post)
    assert first.pk == again.pk and first._state.db == "default"
    assert rows_in_default(user=user, object_id=post.pk) == 1
    assert services.like_delete(user=user, target=post) == 1
    assert services.like_delete(user=user, target=post) == 0
    assert rows_in_default(user=user) == 0


def test_a_post_and_a_product_with_the_same_id_are_liked_apart():
    user = UserFactory()
    post = PostFactory()
    product = ProductFactory(id=post.pk)  # the same id, in another database's table
    services.like_create(user=user, target=post)
    assert selectors.like_summary(target=post, user=user).liked
    assert selectors.like_summary(target=product, user=user).liked is False


def test_posts_liked_by_a_user_come_in_two_queries_one_per_database():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    posts = PostFactory.create_batch(3)
    for post in posts[:2]:
        services.like_create(user=alice, target=post)
    services.like_create(user=bob, target=posts[2])
    services.like_create(user=alice, target=ProductFactory())
    with (
        CaptureQueriesContext(connections["default"]) as default,
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["blog_db"]) as blog,
    ):
        liked = selectors.liked_list(user=alice, model=Post)
    assert liked == [posts[1], posts[0]]  # newest like first
    assert {post._state.db for post in liked} == {"blog_db"}
    assert len(blog) == 1
    likes_queries = [q for q in [*default, *replica] if "likes_like" in q["sql"]]
    assert len(likes_queries) == 1


def test_a_like_whose_target_was_deleted_is_skipped_and_counted():
    """No cascade reaches across databases: readers skip such likes and say how many."""
    user = UserFactory()
    kept, gone = PostFactory(title="Kept"), PostFactory(title="Gone")
    services.like_create(user=user, target=kept)
    services.like_create(user=user, target=gone)
    services.like_create(user=user, target=ProductFactory(name="Mug"))
    gone.delete()
    listed = selectors.like_list(user=user)
    assert sorted(str(like.target) for like in listed.likes) == ["Kept", "Mug"]
    assert listed.orphans == 1
    assert selectors.liked_list(user=user, model=Post) == [kept]
    assert rows_in_default(user=user) == 3  # the orphan is still there, skipped


def test_a_signed_in_visitor_sees_the_count_and_likes_then_unlikes(logged_in_client, user):
    post = PostFactory(title="Worth liking")
    services.like_create(user=UserFactory(), target=post)
    page = logged_in_client.get(post.get_absolute_url())
    assert '<span data-testid="like-count">1 like</span>' in page.text
    assert 'value="like"' in page.text

    liked = logged_in_client.post(like_url(post), {"next": post.get_absolute_url()})
    assert liked.status_code == 302 and liked["Location"] == post.get_absolute_url()
    assert rows_in_default(user=user, object_id=post.pk) == 1
    page = logged_in_client.get(post.get_absolute_url())
    assert '<span data-testid="like-count">2 likes</span>' in page.text
    assert 'value="unlike"' in page.text

    unliked = logged_in_client.post(
        like_url(post), {"next": post.get_absolute_url(), "action": "unlike"}
    )
    assert unliked.status_code == 302
    assert rows_in_default(user=user) == 0


def test_the_product_page_has_the_like_button_too(logged_in_client, user):
    product = ProductFactory(name="Mug")
    page_url = reverse("shop:product_detail", args=[product.slug])
    assert 'data-testid="like-count">0 likes<' in logged_in_client.get(page_url).text
    logged_in_client.post(like_url(product), {"next": page_url})
    assert rows_in_default(user=user, object_id=product.pk) == 1
    assert 'data-testid="like-count">1 like<' in logged_in_client.get(page_url).text


def test_an_anonymous_visitor_is_sent_to_log_in_and_the_page_asks_nothing_of_default(client):
    post, product = PostFactory(), ProductFactory()
    assert "to like this" in client.get(post.get_absolute_url()).text
    page = client.get(reverse("shop:product_detail", args=[product.slug]))
    assert "to like this" in page.text
    assert page["X-DB-Queries"] == "shop_db=1"
    response = client.post(like_url(post), {"next": post.get_absolute_url()})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]
    assert rows_in_default() == 0


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        ("/likes/blog.post/{post}/", {"next": "https://evil.example/"}, 302),
        ("/likes/blog.post/{post}/", {"action": "x" * 10_000, "next": "\\\\evil"}, 302),
        ("/likes/accounts.user/1/", {}, 404),
        ("/likes/no.such/1/", {}, 404),
        ("/likes/blog.post/999999999/", {}, 404),
        ("/likes/blog.post/99999999999999999999999999/", {}, 404),
        ("/likes/shop.product/-1/", {}, 404),
        ("/likes/blog.post/abc/", {}, 404),
    ],
)
def test_junk_like_requests_are_answered_without_a_server_error(
    logged_in_client, user, path, data, status
):
    post = PostFactory()
    response = logged_in_client.post(path.format(post=post.pk), data)
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == "/"  # never to another site
        assert rows_in_default(user=user, object_id=post.pk) == 1


def test_a_get_of_the_like_address_is_405_not_a_like(logged_in_client, user):
    post = PostFactory()
    assert logged_in_client.get(like_url(post)).status_code == 405
    assert rows_in_default() == 0


def test_the_demo_fixture_loads_its_likes_with_content_types_by_natural_key():
    call_command("loaddata", "fixtures/default.json", database="default", verbosity=0)
    alice_likes = Like.objects.using("default").filter(user__username="alice")
    assert alice_likes.count() == 3
    assert {like.content_type.model for like in alice_likes} == {"post", "product"}


def test_the_admin_lists_likes_with_their_targets_in_one_query_per_database(admin_client):
    user = UserFactory()
    for post in PostFactory.create_batch(3):
        services.like_create(user=user, target=post)
    services.like_create(user=user, target=ProductFactory(name="Admin mug"))
    gone = PostFactory()
    services.like_create(user=user, target=gone)
    gone.delete()
    with (
        CaptureQueriesContext(connections["blog_db"]) as blog,
        CaptureQueriesContext(connections["shop_db"]) as shop,
    ):
        response = admin_client.get("/admin/likes/like/")
    assert response.status_code == 200
    assert "Admin mug" in response.text and "(deleted)" in response.text
    assert len(blog) == 1 and len(shop) == 1
