"""Code as the gallery shows it: Python, SQL and shell highlighted by Pygments.

The colours are the ``github-dark`` style, scoped to ``.hl``; ``css()`` writes
them and ``apps/core/static/core/highlight.css`` is its output, kept equal by
a test.
"""

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

STYLE = "github-dark"


def highlighted(code: str, language: str = "python") -> SafeString:
    """*code* as HTML spans, for inside ``<pre class="source hl"><code>``.

    Pygments escapes the code itself, so the result is safe to mark so.
    """
    formatter = HtmlFormatter(nowrap=True, style=STYLE)
    return mark_safe(highlight(code, get_lexer_by_name(language), formatter).rstrip("\n"))


def css() -> str:
    # The style's background is left to site.css, which owns the code blocks' box.
    rules = HtmlFormatter(style=STYLE).get_style_defs(".hl")
    return "\n".join(line for line in rules.splitlines() if line.startswith(".hl ."))
