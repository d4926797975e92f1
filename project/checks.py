"""The environment's problems, by variable name.

- ``project.E001``: a ``DATABASE_URL*`` variable that couldn't be used
  (``project/databases.py``).
- ``project.E002``: another variable whose value couldn't be used, such as a
  number of seconds that isn't a number (``project/variables.py``).
- ``project.E003``: a manifest static files storage (``STORAGES["staticfiles"]``,
  chosen by ``DJANGO_STATIC_ROOT``) whose manifest collectstatic hasn't written:
  every ``{% static %}`` would fail at request time instead.
- ``project.W010``: ``DJANGO_DEBUG`` is on, but django-debug-toolbar (a
  development dependency) isn't installed, so its SQL panel is off.

Registered when the settings module imports this one, so the check runs
whichever apps are installed; ``project/startup.py`` turns its errors into a
refusal to start under gunicorn and uvicorn.
"""

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core import checks
from django.core.files.storage import storages


@checks.register("project")
def check_database_urls(app_configs=None, **kwargs):
    """Report every DATABASE_URL* variable that couldn't be used, by name."""
    return [
        checks.Error(problem.message, hint=problem.hint, obj=problem.variable, id="project.E001")
        for problem in getattr(settings, "DATABASE_URL_PROBLEMS", [])
    ]


@checks.register("project")
def check_variables(app_configs=None, **kwargs):
    """Report every other variable whose value couldn't be used, by name."""
    return [
        checks.Error(problem.message, hint=problem.hint, obj=problem.variable, id="project.E002")
        for problem in getattr(settings, "VARIABLE_PROBLEMS", [])
    ]


@checks.register("project")
def check_static_manifest(app_configs=None, **kwargs):
    """A manifest storage needs collectstatic's manifest; say so at start-up, not per page.

    Tagged "project", not "staticfiles": collectstatic runs the staticfiles checks
    only, and it is the command that writes the manifest.
    """
    backend = settings.STORAGES.get("staticfiles", {}).get("BACKEND", "")
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return []
    root = settings.STATIC_ROOT
    if root and storage.exists(storage.manifest_name):
        return []
    where = f"{root}/{storage.manifest_name}" if root else "STATIC_ROOT (unset)"
    return [
        checks.Error(
            f'STORAGES["staticfiles"] is {backend}, but {where} is missing: collectstatic '
            "hasn't run there.",
            hint="Run manage.py collectstatic with DJANGO_STATIC_ROOT set (the Docker image "
            "does), or unset DJANGO_STATIC_ROOT to serve the app folders as they are.",
            obj="DJANGO_STATIC_ROOT",
            id="project.E003",
        )
    ]


@checks.register("project")
def check_debug_toolbar(app_configs=None, **kwargs):
    """DJANGO_DEBUG asks for the toolbar; say so when it can't be shown."""
    if not settings.DEBUG or getattr(settings, "DEBUG_TOOLBAR", True):
        return []
    return [
        checks.Warning(
            "DJANGO_DEBUG is on, but django-debug-toolbar isn't installed: the SQL panel "
            "with the routers' reasons is off.",
            hint="Install the development dependencies: pip install -r requirements-dev.txt.",
            obj="DJANGO_DEBUG",
            id="project.W010",
        )
    ]
