"""Say whether the legacy models still match the live legacy schema (apps/legacy/drift.py)."""

from django.core.management.base import BaseCommand, CommandError

from apps.legacy import drift
from routers.management.progress import Report


class Command(BaseCommand):
    help = (
        "Compare apps/legacy/models.py with the legacy database's live schema, as "
        "inspectdb --include-views sees it: every table, column, type, nullability and "
        "key. Prints a diff and exits 1 when they differ."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="legacy", help="Default: legacy.")

    def handle(self, *args, database="legacy", verbosity=1, **options):
        diff = drift.check(database)
        if diff:
            # The diff is the error's detail: written at any verbosity, as the error is.
            self.stdout.write("\n".join(diff))
            raise CommandError(
                f"apps/legacy/models.py no longer matches {database!r}: update the models "
                "to the schema its owner changed (lines with - are the database's).",
                returncode=1,
            )
        tables = drift.describe_models()
        columns = sum(len(table.columns) for table in tables.values())
        Report(self, verbosity).say(
            f"{database}: the models match the live schema ({len(tables)} tables and views, "
            f"{columns} columns)"
        )
