"""The README walkthrough, and where each row physically lives."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections
from django.test.utils import CaptureQueriesContext

from apps.blog.models import Post
from apps.shop.models import Product
from tests.replication import wait_for_replay

User = get_user_model()


def physical_row(alias, sql, params):
    """Run raw SQL on *alias*'s own connection: the ORM and routers are not involved."""
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])
def test_walkthrough_works_as_written_and_rows_live_in_their_own_databases():
    user = User.objects.create_user(username="john", email="john@example.com", password="pw-12345")
    post = Post.objects.create(
        title="Hello World", content="Multi-database setup works!", author=user
    )
    assert post.author.username == "john"
    assert list(user.blog_posts.all()) == [post]
    assert post.slug == "hello-world"
    product = Product.objects.create(name="Django-CFG Book", price=29.99)
    assert Product.objects.get(pk=product.pk).price == Decimal("29.99")
    assert product.slug == "django-cfg-book"

    assert physical_row(
        "blog_db", "SELECT title, author_id FROM blog_post WHERE id = %s", [post.pk]
    ) == ("Hello World", user.pk)
    assert physical_row(
        "default", "SELECT username FROM accounts_user WHERE id = %s", [user.pk]
    ) == ("john",)
    assert physical_row("shop_db", "SELECT name FROM shop_product WHERE id = %s", [product.pk]) == (
        "Django-CFG Book",
    )


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])
def test_each_apps_tables_exist_only_in_its_own_database():
    tables = {
        alias: set(connections[alias].introspection.table_names())
        for alias in ("default", "blog_db", "shop_db")
    }
    assert {"blog_post", "blog_comment", "blog_tag"} <= tables["blog_db"]
    assert {"shop_product", "shop_order", "shop_orderitem"} <= tables["shop_db"]
    assert {"accounts_user", "django_session", "django_content_type"} <= tables["default"]
    assert not {t for t in tables["default"] if t.startswith(("blog_", "shop_"))}
    assert not {t for t in tables["blog_db"] if t.startswith(("shop_", "accounts_", "auth_"))}
    assert not {t for t in tables["shop_db"] if t.startswith(("blog_", "accounts_", "auth_"))}
    with pytest.raises(DatabaseError, match="blog_post"):
        physical_row("default", "SELECT 1 FROM blog_post", [])


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_read_through_replica_hits_the_replica_connection():
    User.objects.create_user(username="ann", password="pw-12345")
    wait_for_replay()  # on Postgres the standby gets the row a moment after the commit
    with (
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as default,
    ):
        assert User.objects.using("replica").get(username="ann").username == "ann"
    assert len(replica.captured_queries) == 1
    assert len(default.captured_queries) == 0


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_any_write_through_the_replica_fails_and_writes_nothing():
    with pytest.raises(DatabaseError, match=r"(?i)read-?only"):
        User.objects.db_manager("replica").create_user(username="eve", password="pw-12345")
    # On the primary itself: a read through the replica could miss a row not yet replayed.
    assert physical_row(
        "default", "SELECT count(*) FROM accounts_user WHERE username = %s", ["eve"]
    ) == (0,)


@pytest.mark.sqlite_only
@pytest.mark.django_db(databases=["default", "replica"])
def test_replica_mirrors_default_inside_a_test_transaction():
    """In a rolled-back test the mirror still sees the rows the test wrote."""
    User.objects.create_user(username="tess", password="pw-12345")
    with CaptureQueriesContext(connections["replica"]) as replica:
        assert User.objects.using("replica").filter(username="tess").exists()
    assert len(replica.captured_queries) == 1
