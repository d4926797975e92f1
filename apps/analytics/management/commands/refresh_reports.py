"""Refresh the warehouse's materialized views and record when."""

from django.core.management.base import BaseCommand

from apps.analytics.services import reports_refresh
from routers.management.progress import Report


class Command(BaseCommand):
    help = (
        "REFRESH MATERIALIZED VIEW CONCURRENTLY each report view in the warehouse "
        "(as the owner's alias, analytics_owner), and record when it ran in "
        "analytics.refresh_log. Readers keep the old rows until the new ones are ready."
    )

    def handle(self, *args, verbosity, **options):
        report = Report(self, verbosity)
        for refreshed in reports_refresh():
            report.say(f"{refreshed.name}: {refreshed.rows} rows in {refreshed.duration_ms:.0f} ms")
