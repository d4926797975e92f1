"""Migrate every configured database in a safe order and summarise each one."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections, router
from django.db.migrations.executor import MigrationExecutor

from apps.analytics import replication
from apps.core.topology import (
    is_read_only,
    primary_aliases,
    reader_of,
    replica_of,
    sharded_here,
)
from routers.management.progress import Report
from routers.shard_map import ShardMapError, map_database, read_map, shard_aliases


class Command(BaseCommand):
    help = (
        "Run migrate on every primary database, default first (the other databases "
        "hold keys into its users), skipping replicas, read-only roles and read-only "
        "databases (DATABASE_READ_ONLY); then "
        "bring the analytics publications and the warehouse's copies in step "
        "(apps/analytics/replication.py). --check applies nothing and exits "
        "non-zero when any database has unapplied migrations."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Apply nothing; exit with status 1 if a database has unapplied migrations.",
        )

    def handle(self, *args, check=False, verbosity=1, **options):
        self.report = Report(self, verbosity)
        behind = []
        for position, alias in enumerate(aliases := primary_aliases()):
            pending = self.pending(alias)
            here = sum(1 for app_label, _ in pending if router.allow_migrate(alias, app_label))
            if check:
                state = (
                    f"{len(pending)} unapplied ({here} with tables here)"
                    if pending
                    else "up to date"
                )
                self.report.say(f"{alias:<15} {state}{self.shard_note(alias)}")
                if pending:
                    behind.append(alias)
                continue
            try:
                # -v 2 shows migrate's own lines: each migration as it is applied.
                call_command(
                    "migrate",
                    database=alias,
                    interactive=False,
                    verbosity=max(0, verbosity - 1),
                    stdout=self.stdout,
                )
            except Exception as error:
                untouched = ", ".join(aliases[position + 1 :]) or "none"
                raise CommandError(
                    f"Migrating {alias!r} failed: {error}. Not attempted after it: {untouched}."
                ) from error
            tables = connections[alias].introspection.table_names()
            self.report.say(
                f"{alias:<15} applied {len(pending)} migrations ({here} with tables here); "
                f"{len(tables)} tables{self.shard_note(alias)}"
            )
        if not check:
            self.replicate()
        self.describe_map()
        for alias in connections:
            if primary := replica_of(alias):
                self.report.say(
                    f"{alias:<15} skipped: a replica of {primary}, which gives it its schema"
                )
            elif owner := reader_of(alias):
                self.report.say(
                    f"{alias:<15} skipped: a read-only role on {owner}'s database, "
                    f"migrated through {owner}"
                )
            elif is_read_only(alias):
                self.report.say(
                    f"{alias:<15} skipped: read-only (DATABASE_READ_ONLY); its owner defines "
                    "its schema, and Django records no migrations there"
                )
        if behind:
            raise CommandError(
                f"Unapplied migrations on: {', '.join(behind)}. Run: manage.py migrate_all",
                returncode=1,
            )

    def replicate(self):
        """Steps 4 and 5 of the schema-change order: publish every column, then prune copies."""
        for alias in replication.source_aliases():
            if connections[alias].vendor != "postgresql":
                continue
            new = replication.publish(alias)
            count = len(replication.replicated_from(alias))
            tables = f"{count} table{'s' * (count != 1)}"
            line = f"{alias:<15} publication {replication.PUBLICATION}: {tables}"
            if new:
                line += (
                    f"; new: {', '.join(new)}. The warehouse copies them once its "
                    "subscription is refreshed (scripts/pg_topology.py subscribe, or "
                    "compose's subscribe service)"
                )
            self.report.say(line)
        dropped, kept = replication.prune_copies()
        owner = replication.owner_alias()
        if dropped:
            self.report.say(f"{owner:<15} dropped from the copies: {', '.join(dropped)}")
        for reason in kept:
            self.stderr.write(f"{owner:<15} kept a column no source publishes: {reason}")

    @staticmethod
    def shard_note(alias: str) -> str:
        models = sharded_here(alias)
        return f"; a physical shard of {', '.join(models)}" if models else ""

    def describe_map(self):
        """Where each logical shard lives, once the map's database has its table."""
        if not shard_aliases():
            return
        try:
            shard_map = read_map()
        except ShardMapError as error:
            self.stderr.write(f"{map_database():<15} {error}")
            return
        except DatabaseError:
            return  # not migrated yet (--check before the first migrate_all)
        places = ", ".join(
            f"{alias} holds {shard_map.describe(alias)}" for alias in shard_aliases()
        )
        self.report.say(
            f"{map_database():<15} shard map v{shard_map.version}, "
            f"{len(shard_map.aliases)} logical shards: {places}"
        )

    @staticmethod
    def pending(alias: str) -> list[tuple[str, str]]:
        """Return ``(app_label, name)`` of each migration not yet recorded on *alias*."""
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return [(migration.app_label, migration.name) for migration, _ in plan]
