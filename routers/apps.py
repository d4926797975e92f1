"""The app that switches on each module's system checks: add the package to ``INSTALLED_APPS``.

Copy it along with any set of modules. ``ready()`` sets up each module of
this package that is present (it registers the module's checks; for
``pinning.py`` it also watches the connections opened before the app
loaded) and skips those that weren't copied, so the checks run whatever the
package is called and whatever else is installed.

Copy with: nothing (Django only).
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig

# The modules whose ready() registers checks or hooks, in the order they run.
MODULES = (
    "checks",
    "replica_sets",
    "app_label",
    "health",
    "pinning",
    "replica",
    "middleware",
    "degraded",
    "warehouse",
    "read_only",
    "sharding",
    "shard_freeze",
)


class RoutersConfig(AppConfig):
    """Registers the routers' system checks and the write detector of ``pinning.py``."""

    name = __package__  # the package's own name, so a renamed copy works unchanged

    def ready(self):
        for module in MODULES:
            if find_spec(f"{self.name}.{module}") is not None:
                import_module(f"{self.name}.{module}").ready()
