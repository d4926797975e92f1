"""The pattern gallery: every pattern's page shows its code as the module has it now."""

import re

import pytest
from django.urls import NoReverseMatch, reverse

from apps.core import patterns
from apps.core.patterns import PATTERNS, source_of

pytestmark = pytest.mark.django_db(databases=["default", "replica"])


def test_the_gallery_lists_every_pattern(client):
    response = client.get("/patterns/")
    assert response.status_code == 200
    for pattern in PATTERNS:
        assert f'href="/patterns/{pattern.slug}/"' in response.text


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.slug)
def test_each_pattern_page_shows_its_live_source_and_its_tests(client, pattern):
    response = client.get(f"/patterns/{pattern.slug}/")
    assert response.status_code == 200
    for path in pattern.sources:
        lines = [line.strip() for line in source_of(path).splitlines()]
        first_line = next(line for line in lines if not line.startswith("@"))
        assert first_line.startswith(("class ", "def ")), path
        name = path.rsplit(".", 1)[1]  # highlighted: the name is a span of its own
        assert re.search(rf'<span class="n[cf]">{name}</span>', response.text), path
    for path in pattern.tests:
        names = patterns.tests_in(path)
        assert names, f"{path} has no tests"
        assert f"<code>{names[0]}</code>" in response.text


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.slug)
def test_each_live_page_exists(pattern):
    for _, name in pattern.live:
        try:
            reverse(name)
        except NoReverseMatch:  # pragma: no cover - the assertion below says which
            pytest.fail(f"{pattern.slug}: no URL named {name}")


def test_a_method_s_source_is_that_method_alone():
    source = source_of("routers.health.Health.usable")
    assert source.lstrip().startswith("def usable(")
    assert "def unavailable(" not in source


def test_an_unknown_pattern_is_a_404(client):
    assert client.get("/patterns/no-such-pattern/").status_code == 404


def test_a_source_whose_module_is_not_installed_is_a_note_not_an_error():
    """The Docker image leaves tests/ and conftest.py out; their pages still render."""
    assert source_of("no_such_module.helper") == (
        "# no_such_module.helper: not in this installation; it comes with the source."
    )


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.slug)
def test_every_pattern_has_a_live_experiment(pattern):
    from django.template.loader import get_template

    assert pattern.experiment, f"{pattern.slug} has no experiment"
    get_template(f"core/experiments/{pattern.slug}.html")  # raises if missing


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.slug)
def test_every_pattern_has_a_one_line_summary_for_the_list(pattern):
    assert pattern.summary and len(pattern.summary) <= 100
