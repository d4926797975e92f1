"""Load the demo fixtures into every database. Safe to run again."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from apps.activity.backfill import events_backfill
from apps.analytics.replication import owner_alias
from apps.core.topology import primary_aliases
from apps.legacy import schema
from apps.legacy.models import Item
from routers.management.progress import Report
from routers.sharding import shard_aliases


class Command(BaseCommand):
    help = (
        "Load fixtures/<alias>.json into each primary database with --database, "
        "default first. Rows have fixed primary keys, so a second run updates "
        "the same rows instead of adding copies. On the embedded default, build "
        "var/legacy.sqlite3 from docker/legacy/ when it is missing. Then record each "
        "post, order and note's activity event on its user's shard, if it has none yet."
    )

    def handle(self, *args, verbosity, **options):
        report = Report(self, verbosity)
        for alias in primary_aliases():
            if alias == owner_alias():
                report.say(
                    f"{alias:<15} skipped: the warehouse copies the others "
                    "(logical replication, or sync_warehouse on SQLite)"
                )
                continue
            fixture = Path(settings.BASE_DIR) / "fixtures" / f"{alias}.json"
            if not fixture.exists():
                report.say(f"{alias:<15} no fixture ({fixture.name})")
                continue
            # loaddata runs in one transaction on that database: all or nothing. At
            # -v 2 it says how many objects it installed.
            call_command("loaddata", str(fixture), database=alias, verbosity=max(0, verbosity - 1))
            report.say(f"{alias:<15} loaded {fixture.relative_to(settings.BASE_DIR)}")
        report.say(self.legacy())
        report.say(self.activity())

    @staticmethod
    def activity() -> str:
        """Each post, order and note loaded gets its event on its author's shard, once."""
        added = events_backfill()
        where = ", ".join(f"{alias} {added[alias]}" for alias in shard_aliases())
        return f"{'activity':<15} {added.total()} events recorded ({where})"

    @staticmethod
    def legacy() -> str:
        """Build the embedded legacy database if it is missing; say what legacy holds.

        The site never writes it: on PostgreSQL its owner filled it (compose's
        init step, scripts/pg_topology.py); on SQLite this command is the owner.
        """
        owner = connections["legacy_owner"]
        built = ""
        if owner.vendor == "sqlite" and not owner.is_in_memory_db():
            path = Path(owner.settings_dict["NAME"].removeprefix("file:").split("?", 1)[0])
            if not path.exists():
                schema.build_sqlite(path)
                built = f"built {path.name} from docker/legacy/schema.sql and data.sql; "
        try:
            count = Item.objects.count()
        except DatabaseError as error:
            return f"{'legacy':<15} {built}not readable: {error}".strip()
        return f"{'legacy':<15} {built}read-only, {count} items (its owner's data)"
