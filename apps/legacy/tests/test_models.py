"""The models over the owner's schema: the session's data reads back; a test's changes roll back."""

import datetime

import pytest
from django.db import connections

from apps.legacy.models import Availability, Item, Stock, Supplier
from routers.explain import recording
from routers.read_only import allow_writes
from tests.legacy import LEGACY

pytestmark = pytest.mark.django_db(databases=LEGACY)


def test_the_session_data_reads_through_the_read_only_alias():
    with recording() as decisions:
        item = Item.objects.select_related("supplier").get(sku="MDB-0001")
    assert decisions == {"legacy": "read-only database"}
    assert (item.description, item.supplier.name, item.lead_days) == (
        "FIELD GUIDE, MULTI-DB, PB",
        "Quorum Press",
        5,
    )
    assert Supplier.objects.count() == 3


def test_char_keys_come_back_trimmed_and_old_habits_as_python_values():
    stock = Stock.objects.get(pk=("MDB-0001", "LON"))
    assert (stock.item_id, stock.warehouse) == ("MDB-0001", "LON")
    assert stock.last_counted == datetime.date(2026, 11, 2)
    assert Item.objects.get(sku="MDB-0006").discontinued is True
    assert Item.objects.get(sku="MDB-0001").discontinued is False


def test_the_composite_key_is_the_pair():
    rows = Stock.objects.filter(item="MDB-0001").order_by("warehouse")
    assert [row.pk for row in rows] == [("MDB-0001", "AMS"), ("MDB-0001", "LON")]


def test_the_view_sums_stock_per_item():
    availability = {row.item_id: row.on_hand for row in Availability.objects.all()}
    assert availability == {
        "MDB-0001": 155,
        "MDB-0002": 4,
        "MDB-0003": 1150,
        "MDB-0004": 0,
        "MDB-0005": 60,
        "MDB-0006": 0,
    }


def test_allow_writes_reads_back_what_it_wrote_on_the_owners_connection():
    with allow_writes("legacy"), recording() as decisions:
        Supplier.objects.create(number="S00099", name="Rolled Back Ltd", country="FR")
        assert Supplier.objects.filter(number="S00099").exists()
    assert decisions["legacy_owner"] == "read-only database, writes allowed in this block"


def test_a_test_starts_from_the_session_data_again():
    """The supplier the test above added rolled back with its transaction."""
    assert not Supplier.objects.filter(number="S00099").exists()
    assert Supplier.objects.count() == 3


def test_the_legacy_database_has_no_django_migrations_table():
    for alias in LEGACY:
        assert "django_migrations" not in connections[alias].introspection.table_names()
