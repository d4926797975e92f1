"""AppLabelRouter: where each app's reads, writes, relations and tables go."""

import pytest
from django.db import connections, router
from django.test import override_settings

from apps.accounts.models import User
from apps.blog.models import Comment, Post, Tag
from apps.shop.models import Order, Product
from routers import AppLabelRouter, CrossDatabaseRelationError, recording
from tests.replication import wait_for_replay

ROUTER = AppLabelRouter()
# Through django.db.router, db_for_write connects the primary it names
# (routers.health), so tests that go through it may use every database.
ALL = ["default", "replica", "blog_db", "shop_db"]


@pytest.mark.parametrize(
    ("model", "alias"),
    [
        (Post, "blog_db"),
        (Comment, "blog_db"),
        (Tag, "blog_db"),
        (Product, "shop_db"),
        (Order, "shop_db"),
        (User, "default"),
    ],
)
@pytest.mark.django_db(databases=ALL)
def test_reads_and_writes_go_to_the_apps_database(model, alias):
    """Both hooks answer with the alias from DATABASE_ROUTING_RULES, or default."""
    assert ROUTER.db_for_read(model) == alias
    assert ROUTER.db_for_write(model) == alias
    assert router.db_for_write(model) == alias  # through DATABASE_ROUTERS


@pytest.mark.parametrize(
    ("db", "app_label", "allowed"),
    [
        ("blog_db", "blog", True),
        ("default", "blog", False),
        ("shop_db", "blog", False),
        ("shop_db", "shop", True),
        ("default", "shop", False),
        ("default", "auth", True),
        ("blog_db", "auth", False),
        ("blog_db", "contenttypes", False),
        ("replica", "auth", False),
        ("replica", "blog", False),
    ],
)
def test_tables_are_created_only_in_the_apps_database(db, app_label, allowed):
    """allow_migrate is True for exactly one database per app, and never for the replica."""
    assert ROUTER.allow_migrate(db, app_label) is allowed


@pytest.mark.django_db(databases=ALL)
def test_router_records_why_it_chose_each_database():
    """Inside recording(), each decision leaves a reason the trace can show."""
    with recording() as decisions:
        router.db_for_read(Post)
        router.db_for_write(User)
    assert decisions == {
        "blog_db": "app-label rule: blog → blog_db",
        "default": "no rule for accounts: default",
    }


@pytest.mark.django_db(databases=ALL)
def test_override_settings_changes_the_cached_rules_and_leaving_it_restores_them():
    """The rules are cached on first use and the cache is cleared whenever the setting changes."""
    assert router.db_for_read(Post) == "blog_db"  # the cache now holds the project's rules
    with override_settings(DATABASE_ROUTING_RULES={"blog": "shop_db"}):
        assert router.db_for_read(Post) == "shop_db"
    assert router.db_for_read(Post) == "blog_db"


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])
def test_post_may_reference_a_user_across_declared_databases(user):
    """blog_db ↔ default is declared in DATABASE_RELATIONS, so assignment works."""
    post = Post(title="t", content="c")
    post.author = user
    assert post.author_id == user.pk


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])
def test_relation_between_undeclared_databases_names_both(user):
    """blog_db ↔ shop_db isn't declared: the error names both databases."""
    post = Post.objects.create(title="t", content="c", author=user)
    product = Product.objects.create(name="p", price=1)
    with pytest.raises(CrossDatabaseRelationError) as error:
        ROUTER.allow_relation(post, product)
    assert "'blog_db'" in str(error.value) and "'shop_db'" in str(error.value)
    assert "DATABASE_RELATIONS" in str(error.value)


def test_relations_with_another_routers_database_are_left_to_other_routers_and_django():
    """A row of "archive", a database no rule names: AppLabelRouter abstains, never raises.

    No router here answers for "archive" either, so Django's own default decides:
    rows relate only within one database.
    """
    archived_user = User(username="old")
    archived_user._state.db = "archive"
    post = Post(title="t", content="c")
    post._state.db = "blog_db"
    assert ROUTER.allow_relation(archived_user, post) is None
    assert ROUTER.allow_relation(post, archived_user) is None
    assert router.allow_relation(archived_user, post) is False
    with pytest.raises(ValueError, match="the current database router prevents this relation"):
        post.author = archived_user


@pytest.mark.django_db(transaction=True, databases=["default", "replica", "blog_db"])
def test_user_read_from_the_replica_can_author_a_post():
    """A replica counts as its primary (TEST MIRROR), so its rows relate like default's."""
    User.objects.create_user(username="mia", password="x")
    wait_for_replay()
    replica_user = User.objects.using("replica").get(username="mia")
    assert replica_user._state.db == "replica"
    post = Post.objects.create(title="From replica", content="c", author=replica_user)
    assert connections["blog_db"].cursor().execute(
        "SELECT author_id FROM blog_post WHERE id = %s", [post.pk]
    ).fetchone() == (replica_user.pk,)
