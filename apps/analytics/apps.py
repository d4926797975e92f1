from django.apps import AppConfig
from django.db.models.signals import pre_migrate


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = "Analytics (the warehouse, read through a read-only role)"

    def ready(self):
        pre_migrate.connect(keep_replication_in_step, sender=self)


def keep_replication_in_step(*, using, **kwargs):
    """Before any migration: the copies gain new columns, publications lose doomed ones.

    Sent once per ``migrate`` run for this app, whichever database it runs on,
    so a bare ``manage.py migrate --database shop_db`` keeps the order that
    ``apps/analytics/replication.py`` describes, as ``migrate_all`` does.
    """
    from . import replication

    if using == replication.owner_alias():
        replication.ensure_copies(using)
    elif using in replication.source_aliases():
        replication.narrow_publication(using)
