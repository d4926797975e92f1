"""Template context shared by every page."""

from django.conf import settings


def demo_mode(request) -> dict:
    """``demo_mode``: whether pages show the demo logins and the servers' addresses."""
    return {"demo_mode": getattr(settings, "DEMO_MODE", True)}
