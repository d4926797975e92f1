"""The testing experiment: each database's TEST settings, live, and the suite's marks."""

import re
import sys

import pytest
from django.conf import settings

from apps.core.patterns import BY_SLUG, source_of

URL = "/patterns/multi-database-testing/"
pytestmark = pytest.mark.django_db(databases=["default", "replica"])


def card(text: str, alias: str) -> str:
    match = re.search(rf'<div class="card" data-alias="{alias}">(.*?)</div>', text, re.S)
    assert match, f"no card for {alias}"
    return match.group(1)


def test_the_replica_mirrors_its_primary_s_test_database(client):
    response = client.get(URL, {"run": "1"})
    assert response.status_code == 200
    text = response.text
    assert 'data-testid="result"' in text
    replica = card(text, "replica")
    assert settings.DATABASES["replica"]["TEST"]["MIRROR"] == "default"
    assert '<code>TEST["MIRROR"]</code>: <span class="db" data-db="default">' in replica
    assert "it reads default&#x27;s test database (its primary)" in replica
    assert "none of its own" not in card(text, "blog_db")
    assert "made after default" in card(text, "blog_db")


def test_the_legacy_owner_is_made_on_its_own_without_migrations(client):
    text = client.get(URL, {"run": "1", "database": "legacy_owner"}).text
    owner = card(text, "legacy_owner")
    assert '<code>TEST["MIGRATE"]</code>: False, made without migrations' in owner
    assert "made on its own, waiting for none" in owner
    assert 'data-alias="default"' not in text, "one alias was asked for"


def test_the_suite_s_marks_and_helpers_are_shown(client):
    text = client.get(URL, {"run": "1", "database": "default"}).text
    markers = re.search(r'data-testid="markers">(.*?)</ul>', text, re.S).group(1)
    assert "<code>postgres</code>" in markers and "<code>sqlite_only</code>" in markers
    assert '<code>unreachable("default")</code> points it at' in card(text, "default")


def test_without_the_test_suite_installed_the_page_still_answers(client, monkeypatch):
    """The Docker image has no tests/ and no conftest.py: sources and helpers say so."""
    for name in ("tests", "tests.support", "tests.replication", "conftest"):
        monkeypatch.setitem(sys.modules, name, None)  # import of it raises ImportError
    assert "not in this installation" in source_of("tests.support.unreachable")
    response = client.get(URL, {"run": "1"})
    assert response.status_code == 200
    assert 'data-testid="suite-problem"' in response.text
    assert "not in this installation" in response.text
    assert 'data-alias="replica"' in response.text


@pytest.mark.parametrize("junk", ["nope", "x" * 5000, "default'--", "\u00e9"])
def test_an_unknown_alias_is_a_message_and_every_alias_is_shown(client, junk):
    response = client.get(URL, {"run": "1", "database": junk})
    assert response.status_code == 200
    assert 'data-testid="problem"' in response.text
    assert 'data-alias="default"' in response.text and 'data-alias="replica"' in response.text


def test_the_pattern_names_sources_that_exist():
    for path in BY_SLUG["multi-database-testing"].sources:
        assert source_of(path).lstrip().startswith(("def ", "@")), path


def test_the_experiment_waits_for_its_button(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-testid="result"' not in response.text
