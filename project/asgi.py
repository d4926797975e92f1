"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

application = get_asgi_application()

from project.startup import fail_on_configuration_errors  # noqa: E402

fail_on_configuration_errors()
