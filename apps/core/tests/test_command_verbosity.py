"""Every project command honours --verbosity as Django's own do, and long work shows progress.

``-v 0`` prints nothing but errors, ``-v 1`` the usual lines, ``-v 2`` more (migrate's
and loaddata's own lines, a progress line per item). Progress itself is
``routers/management/progress.py``'s, tested in ``tests/routers/test_progress.py``.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.subprocess_env import database_env, manage

# Every command the project adds, run as a user runs them, in an order that works.
SILENT_RUNS = [
    ["migrate_all"],
    ["migrate_all", "--check"],
    ["load_demo"],
    ["demo_history"],
    ["sync_warehouse"],
    ["refresh_reports"],
    ["legacy_drift"],
    ["outbox_relay"],
    ["bulk_data", "--size", "20"],
    ["move_shard", "5", "--to", "shard_1", "--dry-run"],
    ["move_app", "notes", "--from", "default", "--to", "shard_0", "--dry-run"],
]


def output(*arguments, **options) -> list[str]:
    out = StringIO()
    call_command(*arguments, stdout=out, **options)
    return out.getvalue().splitlines()


def test_every_command_at_verbosity_0_prints_nothing(tmp_path):
    env = database_env(tmp_path)
    for arguments in SILENT_RUNS:
        result = manage(*arguments, "--verbosity", "0", env=env)
        assert (result.returncode, result.stdout) == (0, ""), (arguments, result.stderr)


@pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])
def test_bulk_data_shows_each_kinds_progress_then_what_it_added():
    assert output("bulk_data", size=20, verbosity=0) == []

    lines = output("bulk_data", size=20, seed=2, verbosity=1)
    for label in ("posts", "tags and comments", "orders"):
        shown = [line for line in lines if line.startswith(f"{label} [")]
        assert len(shown) == 11, shown  # piped: the first item, then each tenth
        assert shown[-1].startswith(f"{label} [{'#' * 24}] 20/20 ")
    assert lines[-1] == "Added 20 posts and 20 products and orders for 2 users."

    detailed = output("bulk_data", size=20, seed=3, verbosity=2)
    assert len([line for line in detailed if line.startswith("orders [")]) == 20
    assert "users: 2 added" in detailed and "products: 20 added" in detailed


@pytest.mark.django_db(databases="__all__")
def test_migrate_all_says_more_at_each_verbosity():
    assert output("migrate_all", "--check", verbosity=0) == []
    usual = output("migrate_all", verbosity=1)
    assert any(line.startswith("blog_db         applied 0 migrations") for line in usual)
    assert not any("Operations to perform" in line for line in usual)
    more = output("migrate_all", verbosity=2)
    assert more.count("Operations to perform:") >= 5  # migrate's own lines, per database
    assert any(line.startswith("blog_db         applied 0 migrations") for line in more)
