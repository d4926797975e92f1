"""Load the demo fixtures into every database. Safe to run again."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.analytics.replication import owner_alias
from apps.core.topology import primary_aliases


class Command(BaseCommand):
    help = (
        "Load fixtures/<alias>.json into each primary database with --database, "
        "default first. Rows have fixed primary keys, so a second run updates "
        "the same rows instead of adding copies."
    )

    def handle(self, *args, **options):
        for alias in primary_aliases():
            if alias == owner_alias():
                self.stdout.write(
                    f"{alias:<15} skipped: the warehouse copies the others "
                    "(logical replication, or sync_warehouse on SQLite)"
                )
                continue
            fixture = Path(settings.BASE_DIR) / "fixtures" / f"{alias}.json"
            if not fixture.exists():
                self.stdout.write(f"{alias:<15} no fixture ({fixture.name})")
                continue
            # loaddata runs in one transaction on that database: all or nothing.
            call_command("loaddata", str(fixture), database=alias, verbosity=0)
            self.stdout.write(f"{alias:<15} loaded {fixture.relative_to(settings.BASE_DIR)}")
