"""django-debug-toolbar's SQL panel, with the router's reason beside each query.

The toolbar's SQL panel already shows each query's database alias and the time
spent per database. ``RoutedSQLPanel`` is that panel with one addition: under
every query, the reason the router recorded for its alias (``explain.py``), the
same reason the demo's routing trace shows. The panel records for the length
of the request inside ``recording()``; blocks nest without hiding reasons from
each other, so a trace around the request, or a ``recording()`` inside it,
keeps working beside the panel.

Settings: the toolbar's own installation (its docs), with this panel in place
of its SQL panel, never beside it (``routers.E090``)::

    from debug_toolbar.settings import PANELS_DEFAULTS

    INSTALLED_APPS += ["debug_toolbar"]
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    DEBUG_TOOLBAR_PANELS = [
        "routers.contrib.debug_toolbar.RoutedSQLPanel"
        if panel == "debug_toolbar.panels.sql.SQLPanel"
        else panel
        for panel in PANELS_DEFAULTS
    ]
    INTERNAL_IPS = ["127.0.0.1", "::1"]
    # urls.py: urlpatterns += debug_toolbar.toolbar.debug_toolbar_urls()

The panel keeps the SQL panel's id, so the toolbar's Sel and Expl buttons,
which look the SQL panel up by id, find it. Tested with django-debug-toolbar
8.0 (Django 5.2 and later).

Copy with: ``explain.py``, one folder up, beside an empty ``contrib/__init__.py``.
"""

from inspect import isawaitable

from debug_toolbar.panels.sql import SQLPanel
from django.conf import settings
from django.core import checks
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..explain import reason_for, recording

__all__ = ["NO_DECISION", "RoutedSQLPanel"]

NO_DECISION = "no router call: .using() or a raw cursor"
# The toolbar's own panel, as DEBUG_TOOLBAR_PANELS may name it.
SQL_PANEL_PATHS = {"debug_toolbar.panels.sql.SQLPanel", "debug_toolbar.panels.sql.panel.SQLPanel"}


class RoutedSQLPanel(SQLPanel):
    """The SQL panel, with the router's reason beside each query."""

    # The Sel and Expl views fetch the panel by SQLPanel's id, so this one takes it.
    panel_id = SQLPanel.panel_id

    def process_request(self, request):
        """Serve the request inside ``recording()``, so each query's reason is known."""
        with recording():
            response = super().process_request(request)
        if isawaitable(response):  # an ASGI request: the view runs when it is awaited
            return self._recorded(response)
        return response

    async def _recorded(self, pending):
        with recording():
            return await pending

    def record(self, **kwargs):
        """Keep the reason recorded for the query's alias with the query (stored and shown)."""
        kwargs["router_reason"] = reason_for(kwargs["alias"]) or NO_DECISION
        super().record(**kwargs)

    @cached_property
    def content(self):
        """The SQL panel's page, each query's SQL followed by its alias and reason."""
        page = super().content  # turns each query's SQL into HTML, in place
        if page is None:
            return None
        stats = self.get_stats()
        for query in stats.get("queries", []):
            query["sql"] = format_html(
                '{}<p class="djdt-router-reason">&rarr; <strong>{}</strong>: {}</p>',
                mark_safe(query["sql"]),  # the SQL panel's own HTML, its SQL escaped
                query["alias"],
                query.get("router_reason", NO_DECISION),
            )
        return render_to_string(self.template, stats)

    @classmethod
    def run_checks(cls):
        """The toolbar's own SQL panel listed as well: two panels would share one id."""
        listed = SQL_PANEL_PATHS & set(getattr(settings, "DEBUG_TOOLBAR_PANELS", []))
        if not listed:
            return []
        return [
            checks.Error(
                f"DEBUG_TOOLBAR_PANELS lists {sorted(listed)[0]} beside RoutedSQLPanel.",
                hint="RoutedSQLPanel is the SQL panel with routing reasons: list it "
                "in place of debug_toolbar.panels.sql.SQLPanel, not next to it.",
                obj="DEBUG_TOOLBAR_PANELS",
                id="routers.E090",
            )
        ]
