"""System checks for ``DATABASE_ROUTERS`` itself, whatever routers it lists.

Django imports the routers on the first query, so an entry that can't be
imported passes ``manage.py check`` and fails the first request instead.
``routers.E020`` reports each such entry, with the import error.

Copy with: nothing (Django only).
"""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

__all__ = ["check_database_routers"]


def ready() -> None:
    """Register this module's system check (called from ``apps.py``)."""
    checks.register(check_database_routers, "routers")


def check_database_routers(app_configs=None, **kwargs):
    """Report ``DATABASE_ROUTERS`` entries that can't be imported."""
    errors = []
    for entry in settings.DATABASE_ROUTERS:
        if not isinstance(entry, str):
            continue  # a router instance: imported already
        try:
            import_string(entry)
        except ImportError as error:
            errors.append(
                checks.Error(
                    f"DATABASE_ROUTERS entry {entry!r} can't be imported: {error}",
                    hint="Use the dotted path of a router class, e.g. "
                    '"routers.app_label.AppLabelRouter"; check the module and class names.',
                    id="routers.E020",
                )
            )
    return errors
