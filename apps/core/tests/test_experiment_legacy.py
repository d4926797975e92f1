"""The legacy experiment: stock read from ``legacy``, an ORM write refused before any SQL."""

import re

import pytest
from django.db import connections

from apps.legacy.models import Stock
from tests.legacy import LEGACY

pytestmark = pytest.mark.django_db(databases=["default", "replica", *LEGACY])
PAGE = "/patterns/read-only-legacy/"


def result_of(response) -> str:
    assert response.status_code == 200
    return response.text.split('data-testid="result"', 1)[1].split("<h2>Settings</h2>", 1)[0]


def test_the_stock_is_read_from_legacy_for_the_read_only_routers_reason(client):
    result = result_of(client.post(PAGE, {"sku": "MDB-0001", "run": "1"}))
    assert "MDB-0001, FIELD GUIDE, MULTI-DB, PB, from Quorum Press" in result
    assert "AMS: 35 on hand, counted 2026-10-30" in result
    assert "LON: 120 on hand" in result
    reason = r'data-db="legacy">legacy</span> <span class="muted">\(read-only database\)'
    assert len(re.findall(reason, result)) == 2  # the item, then its stock


def test_the_orm_write_is_refused_by_the_router_before_any_sql_ran(client):
    result = result_of(client.post(PAGE, {"sku": "MDB-0001", "run": "1"}))
    assert "Refused with <code>ReadOnlyDatabaseError</code>" in result
    assert "legacy.Stock is in &#x27;legacy&#x27;, a read-only database" in result
    assert "the write was refused before any SQL ran." in result
    assert re.search(r'data-db="legacy">legacy</span> 0, <span [^>]*>legacy_owner</span> 0', result)
    assert Stock.objects.get(item="MDB-0001", warehouse="LON").on_hand == 120


def test_neither_legacy_alias_is_migrated(client):
    result = result_of(client.post(PAGE, {"sku": "MDB-0003", "run": "1"}))
    answers = result.split('data-testid="allow-migrate"', 1)[1].split("</ul>", 1)[0]
    assert ">legacy</span>: <code>False</code>, from <code>ReadOnlyRouter</code>" in answers
    assert ">legacy_owner</span>: <code>False</code>, from <code>ReadOnlyRouter</code>" in answers
    assert ">default</span>: <code>False</code>, from <code>AppLabelRouter</code>" in answers
    assert "has no <code>django_migrations</code> table" in result
    assert "django_migrations" not in connections["legacy"].introspection.table_names()


@pytest.mark.parametrize("sku", ["NOPE-0001", "", " ", "x" * 10_240, '\'; DROP TABLE "ITEM";--'])
def test_a_junk_item_number_is_a_message(client, sku):
    result = result_of(client.post(PAGE, {"sku": sku, "run": "1"}))
    assert 'data-testid="message"' in result
    assert "ReadOnlyDatabaseError" not in result


def test_a_get_shows_the_form_and_tries_nothing(client):
    response = client.get(PAGE, {"sku": "MDB-0001", "run": "1"})
    assert response.status_code == 200
    assert 'method="post" data-testid="experiment"' in response.text
    assert 'data-testid="result"' not in response.text
