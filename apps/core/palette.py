"""One colour per database, used the same way on every page and in the routing trace.

Pages mark an alias with ``{% db alias %}`` (``apps.core.templatetags.databases``);
``{% database_colours %}`` writes the CSS that gives each alias its colour, so a
new alias needs a line here and nothing else.
"""

from django.conf import settings

# alias -> its colour on a light background (each at least 4.5:1 on its tint)
COLOURS = {
    "default": "#1d4ed8",
    "replica": "#0e7490",
    "blog_db": "#6d28d9",
    "shop_db": "#9a3412",
    "analytics": "#166534",
    "analytics_owner": "#166534",
    "legacy": "#57534e",
    "legacy_owner": "#57534e",
}
# Aliases not listed above (shards, mostly) take these in settings order.
SPARE = ("#be185d", "#0f766e", "#854d0e", "#4338ca", "#9f1239", "#3f6212")


def colours() -> dict[str, str]:
    """Every configured alias and its colour."""
    spare = iter(SPARE * (1 + len(settings.DATABASES) // len(SPARE)))
    return {
        alias: COLOURS[alias] if alias in COLOURS else next(spare) for alias in settings.DATABASES
    }


def css() -> str:
    """A rule per alias setting ``--db``, the colour ``.db`` and the trace draw with."""
    return "".join(f'[data-db="{alias}"]{{--db:{colour}}}' for alias, colour in colours().items())
