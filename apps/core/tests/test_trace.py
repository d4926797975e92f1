"""The routing trace: a panel and headers on every page, with the router's reasons."""

import re

import pytest
from django.db import connections
from django.test import override_settings

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from apps.blog.factories import PostFactory
from apps.shop.factories import OrderFactory, ProductFactory
from tests.replication import wait_for_replay

# The home page counts each shard's events too.
ALL = ["default", "replica", "blog_db", "shop_db", "shard_0", "shard_1"]


@pytest.fixture
def admin_client(client, db):
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.login(username=admin.username, password=DEFAULT_PASSWORD)
    return client


@pytest.mark.django_db(databases=ALL)
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/blog/",
        "/blog/new/",
        "/blog/{post}/{slug}/",
        "/shop/",
        "/shop/orders/",
        "/shop/orders/{order}/",
        "/accounts/login/",
        "/admin/",
        "/admin/blog/post/",
        "/admin/blog/post/{post}/change/",
        "/admin/blog/comment/",
        "/admin/blog/tag/",
        "/admin/shop/product/",
        "/admin/shop/order/",
        "/admin/shop/order/{order}/change/",
        "/admin/accounts/user/",
        "/admin/blog/post/add/",
        "/no-such-page/",
    ],
)
def test_every_page_has_the_trace_panel_and_the_per_database_header(admin_client, path):
    admin = UserFactory(username="boss")
    post = PostFactory(author=admin)
    order = OrderFactory(customer=admin)
    response = admin_client.get(path.format(post=post.pk, slug=post.slug, order=order.pk))
    assert response.status_code in {200, 404}
    assert re.fullmatch(r"none|\w+=\d+(, \w+=\d+)*", response["X-DB-Queries"])
    assert b'data-testid="routing-trace"' in response.content


@pytest.mark.django_db(databases=ALL)
def test_blog_list_trace_names_each_database_and_the_rule_that_chose_it(client):
    PostFactory()
    response = client.get("/blog/")
    content = response.content.decode()
    if connections["replica"].vendor == "sqlite":  # a mirror: it sees the test's transaction
        assert response["X-DB-Queries"] == "blog_db=3, replica=1"
        assert "replica (round-robin)" in content
    else:  # a real standby can't see the test's transaction, so reads stay on default
        assert response["X-DB-Queries"] == "default=1, blog_db=3"
        assert "default (in transaction)" in content
    assert "blog_db (app-label rule: blog → blog_db)" in content
    assert content.count('data-alias="blog_db"') == 3
    assert re.search(
        r"db-blog_db;dur=[\d.]+;desc=\"blog_db: 3 queries\"", response["Server-Timing"]
    )


@pytest.mark.django_db(databases=ALL)
def test_shop_page_queries_only_shop_db_for_anonymous_visitors(client):
    ProductFactory()
    assert client.get("/shop/")["X-DB-Queries"] == "shop_db=1"


@override_settings(ROUTING_TRACE=False)
@pytest.mark.django_db(databases=ALL)
def test_trace_can_be_switched_off(client):
    response = client.get("/blog/")
    assert "X-DB-Queries" not in response
    assert b"routing-trace" not in response.content


@pytest.mark.django_db(databases=ALL)
def test_home_page_lists_each_database_with_its_role_and_apps(client):
    response = client.get("/")
    content = response.content.decode()
    for alias, role in [
        ("default", "primary"),
        ("blog_db", "app database"),
        ("shop_db", "app database"),
        ("replica", "replica of default"),
    ]:
        vendor = connections[alias].vendor
        row = rf'data-db="{alias}">{alias}</span></td><td>{vendor}</td><td>{role}</td>'
        assert re.search(row, content)
    assert re.search(r'data-db="blog_db">blog_db</span>.*?<td>blog</td>', content, re.S)


@pytest.mark.django_db(transaction=True, databases=ALL)
def test_home_page_counts_users_through_the_replica_connection(client):
    UserFactory.create_batch(3)
    PostFactory()  # its author is a fourth user
    wait_for_replay()
    response = client.get("/")
    # default answers for the shard map only when this process's copy of it is more
    # than MAP_REFRESH_SECONDS old (routers/shard_map.py): its version (1 query), and
    # when that changed or there is no copy yet, the map and its moves (2 more).
    assert re.fullmatch(
        r"(default=[123], )?blog_db=1, shop_db=1, shard_0=1, shard_1=1, replica=1",
        response["X-DB-Queries"],
    )
    content = response.content.decode()
    assert 'Users in <span class="db" data-db="replica">replica</span>: 4' in content
    assert "replica (no router call: .using() or a raw cursor)" in content


def test_a_long_query_is_shortened_with_the_whole_of_it_one_click_away():
    from django.template.loader import render_to_string

    from apps.core.middleware import QueryTrace

    trace = QueryTrace()
    long_sql = "SELECT " + ", ".join(f"column_{n}" for n in range(120)) + " FROM somewhere"
    trace.add("default", long_sql, 1.0)
    trace.add("default", "SELECT 1", 1.0)
    panel = render_to_string(
        "core/trace_panel.html",
        {"trace": trace, "summary": [], "total": 2, "truncated": False},
    )
    assert f"(all {len(long_sql)} characters)</summary><code>{long_sql}</code></details>" in panel
    assert '<td class="sql"><code>SELECT 1</code></td>' in panel
