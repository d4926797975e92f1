"""``manage.py move_app APP --from SOURCE --to TARGET``: copy an app to another database or engine.

SOURCE and TARGET are aliases of ``DATABASES`` or database URLs, so the
embedded demo's SQLite files can be copied into the PostgreSQL topology::

    python manage.py move_app blog --from sqlite:////srv/var/blog_db.sqlite3 --to blog_db

The copy, its transaction and its checks are in ``routers/app_move.py``.
"""

from urllib.parse import urlsplit, urlunsplit

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

from project.databases import database_from_url
from routers.app_move import AppMoveError, move_app, plan_app_move, routing_rule
from routers.management.progress import Report


class Command(BaseCommand):
    help = (
        "Copy every model of an app from one database to another (an alias or a URL, "
        "SQLite or PostgreSQL): in dependency order, in batches, primary keys kept, in "
        "one transaction on the target, counts and checksums verified before it commits, "
        "sequences reset on PostgreSQL. The source is only read. Then prints the "
        "routing rule to change."
    )

    def add_arguments(self, parser):
        parser.add_argument("app_label", help="The app to copy, e.g. notes.")
        parser.add_argument("--from", dest="source", required=True, help="Alias or URL.")
        parser.add_argument("--to", dest="target", required=True, help="Alias or URL.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Make a target that already holds rows equal the source.",
        )
        parser.add_argument(
            "--create-tables",
            action="store_true",
            help="Create the target's missing tables from the models, and record the app's "
            "migrations as applied there.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would be copied.")
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per batch (1000).")

    def handle(
        self, app_label, *, source, target, replace, create_tables, dry_run, batch_size, **options
    ):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.report, self.opened = Report(self, options["verbosity"]), []
        try:
            self.copy(app_label, source, target, replace, create_tables, dry_run, batch_size)
        finally:
            for name in self.opened:  # the URLs' connections end with the command
                connections[name].close()
                del connections[name], connections.settings[name]

    def copy(self, app_label, source, target, replace, create_tables, dry_run, batch_size):
        source_alias = self.alias(source, option="--from")
        target_alias = self.alias(target, option="--to")
        try:
            if dry_run:
                return self.dry_run(plan_app_move(app_label, source_alias, target_alias))
            copies = move_app(
                app_label,
                source_alias,
                target_alias,
                replace=replace,
                create_tables=create_tables,
                batch_size=batch_size,
                progress=self.report.progress,
            )
        except AppMoveError as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:
            raise CommandError(
                f"A database failed during the copy: {error}. The target's transaction rolled "
                "back: nothing was written."
            ) from error
        for copy in copies:
            self.report.say(
                f"{copy.label:<28} {copy.checksum[0]:>9,} rows, checksum "
                f"{copy.checksum[1][:12]} on both; {copy.written:,} written, "
                f"{copy.deleted:,} deleted in {copy.seconds:.2f} s"
                + ("; sequence reset" if copy.sequences_reset else "")
            )
        self.report.say(f"Copied {app_label} to {target_alias}; {source_alias} is untouched.")
        if target_alias == target:
            self.report.say(f"Route it there:\n    {routing_rule(app_label, target)}")
        else:
            self.report.say("Point the app's database variable at the target to use it.")

    def alias(self, value: str, *, option: str) -> str:
        """*value* if it is an alias; else a connection for the URL, named by it (no password)."""
        if value in connections:
            return value
        if "://" not in value:
            raise CommandError(
                f"{option} {value!r} is neither an alias ({', '.join(connections)}) nor a URL."
            )
        try:
            config = database_from_url(value, option=option)
        except ValueError as error:
            raise CommandError(str(error)) from error
        # A connection for this command alone. configure_settings fills in the rest of
        # the entry, as for DATABASES; it wants one called "default".
        name = _without_password(value)
        connections.settings[name] = connections.configure_settings({"default": config})["default"]
        self.opened.append(name)
        return name

    def dry_run(self, plan):
        self.report.say(
            f"Would copy {plan.app_label} from {plan.source} to {plan.target}; nothing done."
        )
        for table in plan.missing_tables:
            self.report.say(f"  missing: table {table}")
        for label, (ours, theirs) in plan.rows.items():
            self.report.say(f"  {label:<28} {ours:>9,} rows, {theirs:,} already there")


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
