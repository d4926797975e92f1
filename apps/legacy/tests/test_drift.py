"""The drift check: inspectdb's view of the legacy schema against the models."""

import re

import pytest

from apps.legacy import drift
from tests.legacy import LEGACY

pytestmark = pytest.mark.django_db(databases=LEGACY)


def test_the_models_match_the_schema_the_owners_sql_builds():
    assert drift.check() == []


def test_a_drifted_schema_fails_with_a_readable_diff():
    """The owner made PHONE required, widened QTY_ON_HAND and dropped ITEM.LEAD_DAYS."""
    source = drift.inspect()
    phone = next(line for line in source.splitlines() if "db_column='PHONE'" in line)
    changes = {
        phone: phone.replace(", blank=True, null=True", ""),
        "models.IntegerField(db_column='QTY_ON_HAND')": (
            "models.BigIntegerField(db_column='QTY_ON_HAND')"
        ),
        "    lead_days = models.SmallIntegerField(db_column='LEAD_DAYS')  "
        "# Field name made lowercase.\n": "",
    }
    for old, new in changes.items():
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    diff = drift.differences(drift.parse(source), drift.describe_models())
    assert diff[:2] == [f"--- {drift.LIVE}", f"+++ {drift.MODELS}"]
    lines = [re.sub(r"\(max_length=\d+\)", "", line) for line in diff]  # SQLite reports none
    assert "-SUPPLIER.PHONE  CharField  NOT NULL" in lines
    assert "+SUPPLIER.PHONE  CharField  NULL" in lines
    assert "-STOCK.QTY_ON_HAND  BigIntegerField  NOT NULL" in lines
    assert "+STOCK.QTY_ON_HAND  IntegerField  NOT NULL" in lines
    assert "+ITEM.LEAD_DAYS  SmallIntegerField  NOT NULL" in lines


def test_the_command_says_so_when_they_match(capsys):
    from django.core.management import call_command

    call_command("legacy_drift")
    assert "legacy: the models match the live schema (4 tables and views, 17 columns)" in (
        capsys.readouterr().out
    )
