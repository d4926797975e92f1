"""migrate_all, load_demo and bulk_data, run as a user runs them."""

import sqlite3

import pytest
from django.core.management import call_command

from apps.accounts.models import User
from apps.activity.models import Event
from apps.blog.models import Comment, Post, Tag
from apps.shop.models import Order, Product
from tests.legacy import LEGACY
from tests.subprocess_env import database_env, manage

SHARDS = ["shard_0", "shard_1"]

WALKTHROUGH = """
from django.contrib.auth import get_user_model
from apps.blog.models import Post
from apps.shop.models import Product
user = get_user_model().objects.create_user(username="john", email="j@example.com", password="pw")
post = Post.objects.create(title="Hello World", content="Multi-database setup works!", author=user)
print(post.author.username)
print(list(user.blog_posts.all()))
print(Product.objects.create(name="Django-CFG Book", price=29.99).slug)
"""


def test_migrate_all_check_fails_until_every_database_is_migrated(tmp_path):
    env = database_env(tmp_path)
    before = manage("migrate_all", "--check", env=env)
    assert before.returncode == 1
    assert (
        "Unapplied migrations on: default, analytics_owner, blog_db, shard_0, shard_1, shop_db"
        in before.stderr
    )

    migrated = manage("migrate_all", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "blog_db         applied" in migrated.stdout
    assert "replica         skipped" in migrated.stdout
    assert "analytics       skipped: a read-only role" in migrated.stdout

    after = manage("migrate_all", "--check", env=env)
    assert after.returncode == 0, after.stderr
    assert after.stdout.count("up to date") == 6

    shell = manage("shell", "-c", WALKTHROUGH, env=env)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.splitlines()[-3:] == ["john", "[<Post: Hello World>]", "django-cfg-book"]


def test_migrate_all_leaves_the_legacy_database_alone_and_says_so(tmp_path):
    env = database_env(tmp_path)
    legacy_file = tmp_path / "legacy.sqlite3"
    for args in [("migrate_all", "--check"), ("migrate_all",)]:
        result = manage(*args, env=env)
        for alias in ["legacy", "legacy_owner"]:
            assert f"{alias:<15} skipped: read-only (DATABASE_READ_ONLY)" in result.stdout
    assert not legacy_file.exists(), "migrate_all made no legacy database"

    loaded = manage("load_demo", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "legacy          built legacy.sqlite3" in loaded.stdout
    assert "read-only, 6 items" in loaded.stdout
    with sqlite3.connect(legacy_file) as database:
        tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
    assert {"SUPPLIER", "ITEM", "STOCK", "ITEM_AVAIL"} <= tables
    assert "django_migrations" not in tables
    again = manage("load_demo", env=env)
    assert "legacy          read-only, 6 items" in again.stdout, "built once, then left alone"


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db", *LEGACY, *SHARDS])
def test_load_demo_twice_leaves_the_same_rows():
    counted = [User, Post, Comment, Tag, Product, Order]
    call_command("load_demo")
    first = {model: model.objects.count() for model in counted}
    events = Event.objects.across_shards().count()
    call_command("load_demo")
    assert {model: model.objects.count() for model in counted} == first
    assert first[User] == 4 and first[Post] == 12 and first[Product] == 6
    assert events == Event.objects.across_shards().count() == first[Post] + first[Order]


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])
def test_bulk_data_adds_size_rows_to_each_database():
    call_command("bulk_data", size=30)
    assert Post.objects.count() == 30 and Product.objects.count() == 30
    assert Order.objects.count() == 30
    assert User.objects.filter(username__startswith="bulk").count() == 3


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db", *LEGACY, *SHARDS])
def test_demo_history_adds_a_year_of_orders_once():
    call_command("load_demo")
    call_command("demo_history")
    orders = Order.objects.count()
    history = User.objects.filter(username__startswith="history")
    assert history.count() == 48 and orders > 50
    call_command("demo_history")
    assert Order.objects.count() == orders
    # Each post and order has its one activity event, on its user's shard.
    assert Event.objects.across_shards().count() == orders + Post.objects.count()
    for user in history:
        placed = Order.objects.filter(customer_id=user.pk)
        assert user.orders_placed == placed.count()
        assert all(order.created_at >= user.date_joined for order in placed)
