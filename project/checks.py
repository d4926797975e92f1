"""``project.E001``: every ``DATABASE_URL*`` variable that couldn't be used, by name.

Registered when the settings module imports this one, so the check runs
whichever apps are installed; ``project/startup.py`` turns its errors into a
refusal to start under gunicorn and uvicorn.
"""

from django.conf import settings
from django.core import checks

from project.databases import URL_HINT


@checks.register("project")
def check_database_urls(app_configs=None, **kwargs):
    """Report every DATABASE_URL* variable that couldn't be used, by name."""
    return [
        checks.Error(problem.message, hint=URL_HINT, obj=problem.variable, id="project.E001")
        for problem in getattr(settings, "DATABASE_URL_PROBLEMS", [])
    ]
