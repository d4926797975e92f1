"""The warehouse experiment: a report through the read-only alias, and the writes it refuses."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connections

from apps.accounts.factories import UserFactory
from apps.analytics.tests.conftest import DATABASES, at
from apps.shop.factories import OrderFactory
from tests.warehouse import clear_warehouse, subscribed, wait_for_warehouse

pytestmark = pytest.mark.django_db(databases=DATABASES)
PAGE = "/patterns/analytics-warehouse/"


@pytest.fixture(autouse=True)
def empty_warehouse():
    """No rows left by another test: a test's flush doesn't reach the warehouse's copies."""
    clear_warehouse()
    yield
    # The reader's session, as another role, would keep PostgreSQL from dropping the database.
    connections["analytics"].close()


def result_of(response) -> str:
    assert response.status_code == 200
    return response.text.split('data-testid="result"', 1)[1].split("<h2>Settings</h2>", 1)[0]


def test_the_report_is_raw_sql_on_the_read_only_alias_and_the_orm_read_is_routed_there(client):
    result = result_of(client.get(PAGE, {"granularity": "month", "run": "1"}))
    assert re.search(
        r'data-db="analytics">analytics</span> <span class="muted">'
        r"\(report users and revenue: raw SQL on the warehouse\)",
        result,
    )
    assert re.search(
        r'data-db="analytics">analytics</span> <span class="muted">\(warehouse: read-only role\)',
        result,
    )
    assert "No rows: the warehouse holds no users yet." in result


# Transactional: in a test's transaction the reader's would be a savepoint, where PostgreSQL
# refuses SET TRANSACTION READ WRITE for that reason alone.
@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_an_orm_write_is_routed_to_the_owner_and_a_write_through_the_reader_is_refused(client):
    result = result_of(client.get(PAGE, {"run": "1"}))
    assert re.search(
        r'data-db="analytics_owner">analytics_owner</span> <span class="muted">'
        r"\(warehouse: owner role\)",
        result,
    )
    refusals = result.split('data-testid="refusals"', 1)[1].split("</ol>", 1)[0]
    assert "not refused" not in refusals
    if connections["analytics"].vendor == "postgresql":
        assert "cannot execute DELETE in a read-only transaction" in refusals
        assert "After SET TRANSACTION READ WRITE" in refusals
        assert "permission denied for table refresh_log" in refusals
    else:
        assert "attempt to write a readonly database" in refusals
        assert 'data-testid="sqlite-note"' in result


def test_the_freshness_says_how_the_warehouse_is_fed(client):
    freshness = result_of(client.get(PAGE, {"run": "1"})).split('data-testid="freshness"', 1)[1]
    if connections["analytics"].vendor == "postgresql":
        assert "Fed by logical replication" in freshness
    else:
        assert "No logical replication on SQLite" in freshness
        assert "Never copied yet." in freshness
    assert "<code>daily_product_revenue</code>: never refreshed" in freshness


@pytest.mark.sqlite_only
def test_the_report_shows_what_sync_warehouse_copied(client):
    """SQLite only: its reader sees the owner's test transaction; PostgreSQL replicates commits."""
    alice = UserFactory(username="alice", date_joined=at("2025-01-15"))
    OrderFactory(customer=alice, total=Decimal("130.00"), created_at=at("2025-01-20"))
    call_command("sync_warehouse", stdout=io.StringIO())

    result = result_of(client.get(PAGE, {"granularity": "month", "run": "1"}))
    assert "<td>2025-01-01</td><td>1</td><td>130.00</td>" in result
    assert "alice (130.00)" in result
    assert "Last copied" in result


@pytest.mark.parametrize("granularity", ["decade", "", "x" * 10_240, "month'; DROP TABLE x;--"])
def test_a_junk_period_is_a_message_and_nothing_runs(client, granularity):
    result = result_of(client.get(PAGE, {"granularity": granularity, "run": "1"}))
    assert 'data-testid="message"' in result
    assert "Choose a period: day, week, month, quarter, year." in result
    assert "data-db=" not in result


def test_the_experiment_waits_for_its_button(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    assert 'data-testid="experiment"' in response.text
    assert 'data-testid="result"' not in response.text


@pytest.mark.postgres
@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_on_postgresql_the_report_follows_replication_and_names_each_subscription(client):
    """The warehouse's test database subscribed to the sources' (tests/warehouse.py)."""

    with subscribed():
        alice = UserFactory(username="alice", date_joined=at("2031-04-15"))
        OrderFactory(customer=alice, total=Decimal("130.00"), created_at=at("2031-04-20"))
        wait_for_warehouse()
        result = result_of(client.get(PAGE, {"granularity": "year", "run": "1"}))

    assert "<td>2031-01-01</td><td>1</td><td>130.00</td>" in result
    assert "alice (130.00)" in result
    freshness = result.split('data-testid="freshness"', 1)[1]
    for source in ("default", "blog_db", "shop_db"):
        assert re.search(
            rf'data-db="{source}">{source}</span> <code>analytics_{source}</code>: streaming',
            freshness,
        )
