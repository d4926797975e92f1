"""The analytics warehouse on the real topology: logical replication, reports, roles.

The warehouse's test database subscribes to the sources' test databases for
this module (``tests/warehouse.py``). Every wait is on a log position: the
warehouse's slot on a source has confirmed the source's current LSN.
"""

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connections, models, transaction
from django.test import override_settings

from apps.accounts.factories import UserFactory
from apps.analytics import replication
from apps.blog.factories import CommentFactory, PostFactory
from apps.shop.factories import OrderFactory, OrderItemFactory, ProductFactory
from apps.shop.models import Order
from tests.postgres import servers
from tests.warehouse import subscribed, wait_for_warehouse

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(
        # Every alias migrate_all migrates, the shards included.
        databases=[
            *("default", "replica", "blog_db", "shop_db", "analytics", "analytics_owner"),
            *("shard_0", "shard_1"),
        ],
        transaction=True,
    ),
]

# The query the warehouse is for, as its users write it: run verbatim.
SEED_QUERY = """
        SELECT date_trunc('month', created_at) as month,
               COUNT(*) as total_users,
               SUM(revenue) as total_revenue
        FROM analytics.user_metrics
        GROUP BY month
        ORDER BY month DESC
    """
UTC = dt.UTC


@pytest.fixture(scope="module", autouse=True)
def warehouse(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), subscribed() as database:
        yield database


def reader_rows(sql: str, params=None) -> list[tuple]:
    with connections["analytics"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def owner_rows(sql: str, params=None) -> list[tuple]:
    with connections["analytics_owner"].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def joined(year: int, month: int):
    return UserFactory(date_joined=dt.datetime(year, month, 3, 12, tzinfo=UTC))


def order_for(customer, total: str, **fields):
    return OrderFactory(customer=customer, total=Decimal(total), **fields)


def test_a_write_to_each_source_shows_up_in_the_warehouse():
    author = UserFactory(username="wh-author")
    post = PostFactory(author=author, title="Warehoused")
    CommentFactory(post=post, author=author)
    product = ProductFactory(name="Warehouse mug")
    order = order_for(author, "9.50")
    OrderItemFactory(order=order, product=product, quantity=2, unit_price=Decimal("4.75"))
    wait_for_warehouse()

    assert owner_rows("SELECT username FROM accounts_user WHERE id = %s", [author.pk]) == [
        ("wh-author",)
    ]
    assert owner_rows("SELECT title FROM blog_post WHERE id = %s", [post.pk]) == [("Warehoused",)]
    assert owner_rows("SELECT total FROM shop_order WHERE id = %s", [order.pk]) == [
        (Decimal("9.50"),)
    ]
    assert reader_rows(
        "SELECT orders, revenue, posts, comments FROM user_metrics WHERE user_id = %s",
        [author.pk],
    ) == [(1, Decimal("9.50"), 1, 1)]


def test_passwords_and_email_addresses_never_reach_the_warehouse():
    UserFactory(username="private")
    wait_for_warehouse("default")
    columns = {c.name for c in _describe("analytics_owner", "accounts_user")}
    assert {"password", "email", "first_name", "last_name"}.isdisjoint(columns)
    assert {"id", "username", "date_joined"} <= columns


def test_the_seed_query_runs_verbatim_and_follows_new_orders_without_a_command():
    january, february = joined(2031, 1), joined(2031, 2)
    order_for(january, "30.00")
    order_for(february, "12.50")
    order_for(february, "7.50", status=Order.Status.CANCELLED)  # not revenue
    wait_for_warehouse()

    def totals():
        with connections["analytics"].cursor() as cursor:
            cursor.execute(SEED_QUERY)
            results = cursor.fetchall()
        return [row for row in results if row[0].year == 2031]

    assert totals() == [
        (dt.datetime(2031, 2, 1, tzinfo=UTC), 1, Decimal("12.50")),
        (dt.datetime(2031, 1, 1, tzinfo=UTC), 1, Decimal("30.00")),
    ]
    order_for(january, "5.00")
    joined(2031, 2)
    wait_for_warehouse()
    assert totals() == [
        (dt.datetime(2031, 2, 1, tzinfo=UTC), 2, Decimal("12.50")),
        (dt.datetime(2031, 1, 1, tzinfo=UTC), 1, Decimal("35.00")),
    ]


def test_refresh_reports_changes_the_materialized_view_only_when_run():
    product = ProductFactory(name="Refreshed lamp")
    call_command("refresh_reports")
    sql = "SELECT units, revenue FROM daily_product_revenue WHERE product_id = %s"
    assert reader_rows(sql, [product.pk]) == []

    order = order_for(UserFactory(), "20.00")
    OrderItemFactory(order=order, product=product, quantity=4, unit_price=Decimal("5.00"))
    wait_for_warehouse()
    assert reader_rows(sql, [product.pk]) == [], "a materialized view changes only on refresh"
    assert reader_rows(
        "SELECT sum(revenue) FROM order_lines WHERE product_id = %s", [product.pk]
    ) == [(Decimal("20.00"),)], "the live view already has it"

    before = reader_rows(
        "SELECT refreshed_at FROM refresh_log WHERE name = %s", ["daily_product_revenue"]
    )
    call_command("refresh_reports")
    assert reader_rows(sql, [product.pk]) == [(4, Decimal("20.00"))]
    after = reader_rows(
        "SELECT refreshed_at FROM refresh_log WHERE name = %s", ["daily_product_revenue"]
    )
    assert after[0][0] > before[0][0]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO refresh_log VALUES ('x', now(), 0, 0)",
        "UPDATE refresh_log SET row_count = 0",
        "DELETE FROM refresh_log",
        "TRUNCATE refresh_log",
        "REFRESH MATERIALIZED VIEW daily_product_revenue",
        "CREATE TABLE analytics.planted (id int)",
        "CREATE TABLE public.planted (id int)",
        "CREATE VIEW analytics.planted AS SELECT 1",
        "CREATE TEMPORARY TABLE planted (id int)",
        "SELECT lo_create(0)",
        "SELECT lo_from_bytea(0, 'x')",
        "INSERT INTO public.accounts_user (id, username) VALUES (-1, 'planted')",
    ],
)
def test_the_sites_analytics_connection_can_write_nothing(statement):
    """Refused twice: in the read-only transaction the role starts in, and by privilege."""
    for read_write in (False, True):
        with (
            pytest.raises(DatabaseError) as refused,
            transaction.atomic(using="analytics"),
            connections["analytics"].cursor() as cursor,
        ):
            if read_write:  # any session may turn read-only off; privileges remain
                cursor.execute("SET TRANSACTION READ WRITE")
            cursor.execute(statement)
        message = str(refused.value)
        if read_write:
            assert "permission denied" in message or "must be owner" in message, message
        else:
            assert "read-only transaction" in message or "permission denied" in message, message


def test_the_reader_reads_the_analytics_schema_and_nothing_else():
    assert reader_rows("SELECT count(*) >= 0 FROM analytics.user_metrics") == [(True,)]
    with pytest.raises(DatabaseError, match="permission denied"):
        reader_rows("SELECT * FROM public.accounts_user")


def test_a_stopped_subscription_catches_up_when_restarted(warehouse):
    topology, bindir = servers.topology, servers.bindir()
    analytics = topology.BY_NAME["analytics"]

    def subscription(state: str):
        topology.psql(
            bindir, analytics, f"ALTER SUBSCRIPTION analytics_shop_db {state}", database=warehouse
        )

    subscription("DISABLE")
    try:
        order = order_for(UserFactory(), "3.00")
        assert owner_rows("SELECT id FROM shop_order WHERE id = %s", [order.pk]) == []
    finally:
        subscription("ENABLE")
    wait_for_warehouse("shop_db")
    assert owner_rows("SELECT id FROM shop_order WHERE id = %s", [order.pk]) == [(order.pk,)]


def test_migrate_all_adds_a_new_column_to_the_warehouse_before_the_source(tmp_path):
    """A migration adds ``Order.channel``: a row written after it arrives with the column.

    Then the migration is reversed: the column leaves the publication before the
    source drops it, so ``shop_order`` stays published and later rows still arrive.
    """
    package = _migrations_with_channel(tmp_path)
    channel = models.CharField(max_length=20, null=True, blank=True)
    Order.add_to_class("channel", channel)
    try:
        with override_settings(MIGRATION_MODULES={"shop": package}):
            call_command("migrate_all", verbosity=0)
        assert "channel" in {c.name for c in _describe("analytics_owner", "shop_order")}
        order = Order.objects.create(total=Decimal("1.00"), channel="web")
        wait_for_warehouse("shop_db")
        assert owner_rows("SELECT channel FROM shop_order WHERE id = %s", [order.pk]) == [("web",)]
    finally:
        _remove_field(Order, channel)
        with override_settings(MIGRATION_MODULES={"shop": package}):
            call_command("migrate", "shop", SHOP_LEAF, database="shop_db", verbosity=0)
    assert sorted(replication.published("shop_db")["shop_order"]) == sorted(
        replication.Replicated("shop.Order").columns()
    ), "still published, without the column"
    replication.prune_copies()
    assert "channel" not in {c.name for c in _describe("analytics_owner", "shop_order")}
    later = Order.objects.create(total=Decimal("2.00"))
    wait_for_warehouse("shop_db")
    assert owner_rows("SELECT total FROM shop_order WHERE id = %s", [later.pk]) == [
        (Decimal("2.00"),)
    ]


# ------------------------------------------------------------------------------
SHOP_MIGRATIONS = Path(__file__).resolve().parents[2] / "apps" / "shop" / "migrations"
SHOP_LEAF = sorted(path.stem for path in SHOP_MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))[-1]
ADD_CHANNEL = f"""\
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "{SHOP_LEAF}")]
    operations = [
        migrations.AddField(
            "order", "channel", models.CharField(max_length=20, null=True, blank=True)
        ),
    ]
"""


def _migrations_with_channel(tmp_path: Path) -> str:
    """The shop's migrations plus ``9000_order_channel``, as a package on ``sys.path``."""
    name = f"shop_migrations_{tmp_path.name.replace('-', '_')}"
    package = tmp_path / name
    package.mkdir()
    for path in SHOP_MIGRATIONS.glob("*.py"):
        (package / path.name).write_text(path.read_text())
    (package / "9000_order_channel.py").write_text(ADD_CHANNEL)
    sys.path.insert(0, str(tmp_path))
    return name


def _remove_field(model, field) -> None:
    """Undo ``add_to_class`` for a test-only field."""
    model._meta.local_fields.remove(field)
    model._meta._expire_cache()
    delattr(model, field.attname)


def _describe(alias: str, table: str):
    connection = connections[alias]
    with connection.cursor() as cursor:
        return connection.introspection.get_table_description(cursor, table)


def test_an_order_placed_on_the_shop_page_reaches_the_warehouse(client):
    customer = UserFactory()
    product = ProductFactory(name="Shop-page lamp", price=Decimal("8.00"))
    client.force_login(customer)
    response = client.post("/shop/", {f"qty_{product.pk}": "2"})
    assert response.status_code == 302, response.content[:300]
    order = Order.objects.get(customer_id=customer.pk)
    wait_for_warehouse()
    assert reader_rows(
        "SELECT orders, revenue FROM user_metrics WHERE user_id = %s", [customer.pk]
    ) == [(1, order.total)]
    assert order.total == Decimal("16.00")
