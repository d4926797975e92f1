"""Users live in default; other databases only hold their ids."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.urls import reverse

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from apps.blog.factories import PostFactory
from apps.blog.models import Post
from apps.shop.factories import OrderFactory
from apps.shop.models import Order, Product

User = get_user_model()
DATABASES = ["default", "replica", "blog_db", "shop_db"]


@pytest.mark.django_db(databases=DATABASES)
def test_create_user_writes_to_default_only():
    user = User.objects.create_user(username="zoe", email="zoe@example.com", password="pw-123456")
    assert user.check_password("pw-123456")
    assert user._state.db == "default"
    assert "accounts_user" not in connections["blog_db"].introspection.table_names()


@pytest.mark.django_db(databases=DATABASES)
def test_deleting_a_user_keeps_their_posts_and_orders_and_pages_still_render(client):
    """DO_NOTHING keys: no collector query crosses databases, and pages cope."""
    user = UserFactory(username="leaver")
    post = PostFactory(author=user, title="Still here")
    order = OrderFactory(customer=user)
    user.delete()
    assert Post.objects.filter(pk=post.pk).exists() and Order.objects.filter(pk=order.pk).exists()
    listing = client.get(reverse("blog:post_list"))
    assert listing.status_code == 200 and b"Still here" in listing.content
    detail = client.get(post.get_absolute_url())
    assert detail.status_code == 200 and b"a deleted user" in detail.content


@pytest.fixture
def admin_client(client, db):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.login(username="boss", password=DEFAULT_PASSWORD)
    return client


@pytest.mark.django_db(databases=DATABASES)
def test_admin_writes_each_model_to_its_own_database(admin_client):
    author = UserFactory(username="author")
    response = admin_client.post(
        reverse("admin:blog_post_add"),
        {
            "title": "Via admin",
            "slug": "",
            "content": "Body",
            "author": author.pk,
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors
    response = admin_client.post(
        reverse("admin:shop_product_add"),
        {
            "name": "Admin mug",
            "slug": "",
            "description": "",
            "price": "9.50",
            "stock": "4",
            "is_active": "on",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].errors
    with connections["blog_db"].cursor() as cursor:
        cursor.execute("SELECT author_id FROM blog_post WHERE title = 'Via admin'")
        assert cursor.fetchone() == (author.pk,)
    assert Product.objects.get(name="Admin mug").stock == 4
    changelist = admin_client.get(reverse("admin:blog_post_changelist"))
    assert changelist.status_code == 200 and b"Via admin" in changelist.content
