"""The migrations experiment: showmigrations, allow_migrate and the tables, for one database."""

import re

import pytest

from tests.legacy import LEGACY

URL = "/patterns/per-database-migrations/"
pytestmark = pytest.mark.django_db(
    databases=["default", "replica", "blog_db", "shop_db", "analytics", "analytics_owner", *LEGACY]
)


def app_row(text: str, label: str) -> str:
    match = re.search(rf'<tr data-app="{label}">(.*?)</tr>', text, re.S)
    assert match, f"no row for {label}"
    return match.group(1)


def showmigrations(text: str) -> str:
    match = re.search(r'data-testid="showmigrations"><code>(.*?)</code>', text, re.S)
    assert match, "no showmigrations output"
    return match.group(1)


def test_blog_db_has_the_blog_s_migrations_applied_and_its_tables_alone(client):
    response = client.get(URL, {"database": "blog_db", "run": "1"})
    assert response.status_code == 200
    text = response.text
    assert 'data-testid="result"' in text
    assert "migrated: migrate --database blog_db" in text
    output = showmigrations(text)
    assert re.search(r"^blog\n \[X\] 0001_", output, re.M), output
    # migrate records every app's migrations on each database it runs on, the
    # operations allow_migrate refused included: the tables tell what is there.
    assert re.search(r"^accounts\n \[X\] 0001_", output, re.M), output
    blog, accounts = app_row(text, "blog"), app_row(text, "accounts")
    assert "<td>yes</td>" in blog and "blog_post" in blog
    assert "<td>no</td>" in accounts and "0 of 1" in accounts
    tables = re.search(r'data-testid="tables">(.*?)</p>', text, re.S).group(1)
    assert "blog_post" in tables and "accounts_user" not in tables


def test_default_holds_accounts_and_not_the_blog(client):
    text = client.get(URL, {"database": "default", "run": "1"}).text
    assert re.search(r"^accounts\n \[X\] 0001_", showmigrations(text), re.M)
    assert "<td>yes</td>" in app_row(text, "accounts")
    assert "accounts_user" in app_row(text, "accounts")
    assert "<td>no</td>" in app_row(text, "blog") and "0 of 3" in app_row(text, "blog")


@pytest.mark.parametrize("alias", ["replica", "analytics", "legacy"])
def test_replicas_and_read_only_aliases_are_shown_or_explained_never_a_5xx(client, alias):
    """showmigrations reads django_migrations there; a refusal is a message, not an error page."""
    response = client.get(URL, {"database": alias, "run": "1"})
    assert response.status_code == 200
    text = response.text
    assert f'data-db="{alias}">{alias}</span>: <code>migrate_all</code> skipped' in text
    assert 'data-testid="showmigrations"' in text or 'data-testid="showmigrations-problem"' in text
    # No app may migrate where migrate_all never runs.
    assert "<td>yes</td>" not in text


def test_the_replica_lists_its_primary_s_tables(client):
    text = client.get(URL, {"database": "replica", "run": "1"}).text
    assert "accounts_user" in app_row(text, "accounts")


@pytest.mark.parametrize("junk", ["nope", "", "default; DROP TABLE x", "x" * 5000, "\u00e9"])
def test_an_unknown_alias_is_a_message(client, junk):
    response = client.get(URL, {"database": junk, "run": "1"})
    assert response.status_code == 200
    assert 'data-testid="problem"' in response.text
    assert "No database alias" in response.text


def test_the_experiment_waits_for_its_button(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert '<option value="default" selected>' in response.text
    assert 'data-testid="result"' not in response.text
