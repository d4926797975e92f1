"""README.md as a page of the site: the gallery links its sections by their anchors."""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown
from django.conf import settings
from django.templatetags.static import static

STATIC_PREFIX = "apps/core/static/"  # how the README reaches the images it shows


@dataclass(frozen=True)
class Readme:
    html: str
    anchors: dict[str, str]  # heading text -> its id


def readme() -> Readme | None:
    """The README rendered, or None where it isn't installed."""
    path = Path(settings.BASE_DIR) / "README.md"
    try:
        return _render(path, path.stat().st_mtime_ns)
    except FileNotFoundError:
        return None


def anchor(heading: str) -> str:
    """The id of the README heading whose text is *heading*; empty when there is none."""
    found = readme()
    return found.anchors.get(heading, "") if found else ""


@lru_cache(maxsize=1)
def _render(path: Path, mtime_ns: int) -> Readme:
    converter = markdown.Markdown(
        extensions=["toc", "tables", "fenced_code", "codehilite"],
        extension_configs={"codehilite": {"css_class": "source hl", "guess_lang": False}},
    )
    html = converter.convert(path.read_text())
    # Images the README shows on a repository host are static files here, each
    # through static() so a collected image gets its hashed name.
    html = re.sub(
        rf'src="{re.escape(STATIC_PREFIX)}([^"]+)"', lambda m: f'src="{static(m[1])}"', html
    )
    return Readme(html=html, anchors=dict(_headings(converter.toc_tokens)))


def _headings(tokens):
    for token in tokens:
        yield token["name"], token["id"]
        yield from _headings(token["children"])
