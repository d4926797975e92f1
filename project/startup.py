"""Refuse to serve with a broken configuration.

``runserver`` and ``migrate`` run the system checks themselves; gunicorn and
uvicorn don't, so ``wsgi.py`` and ``asgi.py`` call ``fail_on_configuration_errors()``.
"""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def fail_on_configuration_errors() -> None:
    """Raise ImproperlyConfigured listing each system-check error, if there are any."""
    errors = [m for m in checks.run_checks() if m.level >= checks.ERROR]
    if errors:
        lines = "\n".join(f"  {m.id}: {m.msg} HINT: {m.hint}" for m in errors)
        raise ImproperlyConfigured(f"Refusing to start, the configuration has errors:\n{lines}")
