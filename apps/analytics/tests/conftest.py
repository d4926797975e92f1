"""A small, known warehouse: rows written through the factories, then ``sync_warehouse``.

On PostgreSQL logical replication carries the rows instead, and a test's
transaction is never replicated; these tests read what the SQLite copy holds.
"""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.accounts.factories import UserFactory
from apps.blog.factories import CommentFactory, PostFactory
from apps.shop.factories import OrderFactory, OrderItemFactory, ProductFactory
from tests.warehouse import clear_warehouse

# Every alias a report page touches: the session and user (default, replica),
# the sources sync_warehouse copies, and the warehouse's two roles.
DATABASES = ["default", "replica", "blog_db", "shop_db", "analytics", "analytics_owner"]
HOSTILE_PRODUCT = '<script>alert("lamp")</script> & Co'
FORMULA_PRODUCT = '=HYPERLINK("http://evil.example")'


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=UTC)


@pytest.fixture
def empty_warehouse(transactional_db):
    """A migrated warehouse with no rows, never synced."""
    clear_warehouse()
    yield
    clear_warehouse()


@pytest.fixture
def warehouse(empty_warehouse):
    """Two customers who joined in January and March 2025, their orders, posts and comments."""
    alice = UserFactory(username="alice", date_joined=at("2025-01-15"))
    bob = UserFactory(username="bob", date_joined=at("2025-03-10"))
    lamp = ProductFactory(name=HOSTILE_PRODUCT, price=Decimal("50.00"))
    formula = ProductFactory(name=FORMULA_PRODUCT, price=Decimal("30.00"))
    january = OrderFactory(customer=alice, total=Decimal("130.00"), created_at=at("2025-01-20"))
    OrderItemFactory(order=january, product=lamp, quantity=2, unit_price=Decimal("50.00"))
    OrderItemFactory(order=january, product=formula, quantity=1, unit_price=Decimal("30.00"))
    march = OrderFactory(customer=bob, total=Decimal("30.00"), created_at=at("2025-03-12"))
    OrderItemFactory(order=march, product=formula, quantity=1, unit_price=Decimal("30.00"))
    alices_post = PostFactory(author=alice, created_at=at("2025-01-16"))
    bobs_post = PostFactory(author=bob, created_at=at("2025-03-11"))
    CommentFactory.create_batch(3, post=alices_post, author=bob, created_at=at("2025-02-01"))
    CommentFactory(post=bobs_post, author=alice, created_at=at("2025-03-20"))
    call_command("sync_warehouse", stdout=io.StringIO())
    return {"alice": alice, "bob": bob, "lamp": lamp, "formula": formula}
