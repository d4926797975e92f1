"""The README and the routers' source as pages, the footer that links them, and the colours."""

from pathlib import Path

import pytest
from django.conf import settings

from apps.core import highlight, palette, readme
from apps.core.patterns import PATTERNS

pytestmark = pytest.mark.django_db(databases=["default", "replica"])


def test_the_readme_is_served_with_its_headings_as_anchors(client):
    response = client.get("/readme/")
    assert response.status_code == 200
    assert '<h2 id="two-commands">Two commands</h2>' in response.text
    assert 'class="source hl"' in response.text  # its code blocks are highlighted


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.slug)
def test_each_pattern_links_its_readme_section(client, pattern):
    anchor = readme.anchor(pattern.readme)
    assert anchor, f"README.md has no heading {pattern.readme!r}"
    response = client.get(f"/patterns/{pattern.slug}/")
    assert f'href="/readme/#{anchor}"' in response.text


def test_every_page_has_a_footer_linking_the_readme_and_the_source(client):
    text = client.get("/patterns/").text
    footer = text[text.index('<footer class="site">') :]
    assert 'href="/readme/"' in footer and 'href="/source/"' in footer


def test_the_source_pages_list_and_show_every_module_of_routers(client):
    listing = client.get("/source/")
    package = Path(settings.BASE_DIR) / "routers"
    modules = sorted(path.relative_to(package).as_posix() for path in package.rglob("*.py"))
    assert "contrib/debug_toolbar.py" in modules
    assert listing.status_code == 200
    for name in modules:
        assert f'href="/source/{name}"' in listing.text
    page = client.get("/source/replica.py")
    assert page.status_code == 200
    assert '<span class="nc">PinningReplicaRouter</span>' in page.text


@pytest.mark.parametrize(
    "name",
    [
        "settings.py",
        "..%2Fproject%2Fsettings.py",
        "../project/settings.py",
        "contrib/../../project/settings.py",
        "%2E%2E",
        "__init__.pyc",
        "x" * 300,
    ],
)
def test_only_the_routers_own_modules_are_served(client, name):
    assert client.get(f"/source/{name}").status_code == 404


def test_the_highlight_stylesheet_is_what_the_module_generates():
    path = Path(settings.BASE_DIR) / "apps/core/static/core/highlight.css"
    assert path.read_text().split("\n", 1)[1] == highlight.css() + "\n", (
        "regenerate it: see apps/core/highlight.py"
    )


def test_highlighted_code_is_escaped():
    assert "&lt;script&gt;" in highlight.highlighted('x = "<script>"')


def test_every_alias_has_its_own_colour_on_every_page(client):
    colours = palette.colours()
    assert set(colours) == set(settings.DATABASES)
    primaries = {alias: colour for alias, colour in colours.items() if "_owner" not in alias}
    assert len(set(primaries.values())) >= len(primaries) - 1  # legacy reads its owner's file
    text = client.get("/patterns/").text
    for alias in settings.DATABASES:
        assert f'[data-db="{alias}"]{{--db:{colours[alias]}}}' in text


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("colour", sorted(set(palette.COLOURS.values()) | set(palette.SPARE)))
def test_each_colour_reads_on_its_tint(colour):
    """``.db`` draws the alias in its colour on a 9% tint of it over white: WCAG AA, 4.5:1."""
    tint = "#" + "".join(
        f"{round(0.09 * int(colour[i : i + 2], 16) + 0.91 * 255):02x}" for i in (1, 3, 5)
    )
    light, dark = sorted((_luminance(tint), _luminance(colour)), reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 4.5


def test_a_pattern_s_router_source_links_its_whole_module(client):
    text = client.get("/patterns/app-label-routing/").text
    assert 'href="/source/app_label.py">routers/app_label.py</a>' in text


def test_the_readme_s_screenshots_are_static_files_on_the_served_page(client):
    text = client.get("/readme/").text
    for name in ("gallery-1280.png", "gallery-390.png"):
        assert f'src="/static/core/screenshots/{name}"' in text
        assert (Path(settings.BASE_DIR) / "apps/core/static/core/screenshots" / name).exists()


def test_a_dotted_path_finds_its_module_under_routers():
    from apps.core.source import module_file

    assert module_file("routers.replica.PinningReplicaRouter.db_for_read") == "replica.py"
    assert module_file("routers.contrib.debug_toolbar.RoutedSQLPanel") == (
        "contrib/debug_toolbar.py"
    )
    assert module_file("apps.core.views.home") == ""
