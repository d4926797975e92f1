from django.apps import AppConfig


class RoutersConfig(AppConfig):
    """Registers the routers' system checks and the write detector of ``routers.pinning``."""

    name = "routers"

    def ready(self):
        from routers.pinning import watch_open_connections

        watch_open_connections()
