"""Bring the embedded SQLite warehouse up to date with the source databases."""

from django.core.management.base import BaseCommand, CommandError

from apps.analytics.services import reports_refresh, warehouse_sync
from routers.management.progress import Report


class Command(BaseCommand):
    help = (
        "Copy new, changed and deleted rows of the replicated tables from default, "
        "blog_db and shop_db into the SQLite warehouse, then refresh the reports. "
        "Safe to run again: a run with nothing new writes nothing. On PostgreSQL, "
        "logical replication does this and the command refuses."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-refresh", action="store_true", help="Copy rows only; don't refresh reports."
        )

    def handle(self, *args, no_refresh=False, verbosity=1, **options):
        report = Report(self, verbosity)
        try:
            results = warehouse_sync()
        except ValueError as error:
            raise CommandError(str(error)) from error
        for result in results:
            report.say(
                f"{result.table:<16} {result.inserted} inserted, {result.updated} updated, "
                f"{result.deleted} deleted"
            )
        if not no_refresh:
            for refreshed in reports_refresh():
                report.say(f"{refreshed.name:<16} refreshed: {refreshed.rows} rows")
