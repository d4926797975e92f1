"""Minimal settings for the routers' own tests: the matrix's project (``noxfile.py``).

Nothing from the demo site: no ``apps/``, no ``project/`` settings, no
environment variables. What the package docstring (``routers/__init__.py``)
tells a project to add, and no more: a primary, its replica (a test mirror of
the primary, as the docstring advises), the pinning replica router and its
middleware, on SQLite files, so the same suite runs on every Django release
``pyproject.toml`` lists. ``noxfile.py`` runs it with ``--ds`` set to this module.
"""

import tempfile
from pathlib import Path

# Files only Django's own connections would open; the tests use test databases.
FILES = Path(tempfile.gettempdir()) / "routers-only"

SECRET_KEY = "routers-only-tests"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "tests.routers_only.urls"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "routers",
]

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(FILES / "default.sqlite3")},
    "replica": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(FILES / "replica.sqlite3"),
        "TEST": {"MIRROR": "default"},
    },
}
DATABASE_ROUTERS = ["routers.replica.PinningReplicaRouter"]
REPLICA_DATABASES = {"default": ["replica"]}

MIDDLEWARE = [
    "routers.middleware.PinningRouterMiddleware",  # above SessionMiddleware
    "django.contrib.sessions.middleware.SessionMiddleware",
]
