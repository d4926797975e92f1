from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Demo core"

    def ready(self):
        from django.db import connections

        from apps.core.middleware import attach_recorder

        # Connections opened before this point never send connection_created again.
        for connection in connections.all(initialized_only=True):
            attach_recorder(connection=connection)
