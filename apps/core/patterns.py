"""The pattern gallery's catalogue: each pattern, the code that does it and the test that proves it.

Sources and tests are named, not copied: ``source_of()`` reads the code from
its module when the page is served, and ``tests_in()`` lists the test
functions of a file by parsing it, so neither can drift from what runs.
"""

import ast
import inspect
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Pattern:
    slug: str
    title: str
    problem: str
    settings: str  # the settings it needs, as a Python snippet
    sources: tuple[str, ...]  # dotted paths of the routers, services or selectors
    tests: tuple[str, ...]  # test files, relative to the project root
    readme: str  # the README section that explains it
    summary: str = ""  # one line for the gallery's list
    live: tuple[tuple[str, str], ...] = field(default=())  # (label, URL name) of live pages
    experiment: str = ""  # the module under apps.core.experiments with run(request)

    def run_experiment(self, request) -> dict | None:
        """What the pattern's live experiment shows for *request*, or None without one."""
        if not self.experiment:
            return None
        return import_module(f"apps.core.experiments.{self.experiment}").run(request)


PATTERNS = (
    Pattern(
        slug="app-label-routing",
        title="App-label routing",
        summary="Each app's reads, writes and tables in its own database.",
        problem="Each app's tables live in one database: the blog in blog_db, the shop in "
        "shop_db, accounts in default. Reads, writes and migrations of an app go there, "
        "and nowhere else.",
        settings="DATABASE_ROUTERS = [\n"
        '    "routers.app_label.AppLabelRouter",\n'
        "]\n"
        "DATABASE_ROUTING_RULES = {\n"
        '    "blog": "blog_db",\n'
        '    "shop": "shop_db",\n'
        "}",
        sources=("routers.app_label.AppLabelRouter",),
        tests=("tests/routers/test_app_label.py", "apps/core/tests/test_experiment_app_label.py"),
        readme="The routers (routers/)",
        live=(("The blog, from blog_db", "blog:post_list"), ("The shop", "shop:product_list")),
        experiment="app_label",
    ),
    Pattern(
        slug="per-database-migrations",
        title="Migrations per database",
        summary="Only an app's own tables in each database, and showmigrations per alias.",
        problem="Each database gets only its own apps' tables: allow_migrate() answers for "
        "every app and alias, migrate_all runs migrate once per database, and "
        "showmigrations on an alias lists what is applied there.",
        settings="DATABASE_ROUTERS = [\n"
        '    "routers.app_label.AppLabelRouter",\n'
        "]\n"
        "# migrate --database ALIAS, every primary:\n"
        "manage.py migrate_all",
        sources=(
            "routers.app_label.AppLabelRouter.allow_migrate",
            "apps.core.management.commands.migrate_all.Command.handle",
        ),
        tests=("tests/routers/test_app_label.py", "apps/core/tests/test_experiment_migrations.py"),
        readme="The routers (routers/)",
        experiment="migrations",
    ),
    Pattern(
        slug="cross-database-relations",
        title="Relations across databases",
        summary="Foreign keys, reverse managers and prefetch across databases; the join you "
        "can't do.",
        problem="A post in blog_db has its author in default. Django can't join across "
        "databases: the foreign key is kept without a database constraint, authors are "
        "fetched for a whole page in one IN (...) query, and a lookup that would join "
        "across databases fails when the queryset is built, naming both.",
        settings="DATABASE_RELATIONS = [\n"
        '    ("blog_db", "default"),\n'
        '    ("shop_db", "default"),\n'
        "]",
        sources=(
            "routers.cross_database.CrossDatabaseQuerySet",
            "routers.cross_database.find_crossing",
        ),
        tests=(
            "tests/routers/test_cross_database.py",
            "apps/core/tests/test_experiment_cross_database.py",
        ),
        readme="Relations across databases",
        live=(("The blog list: posts, then their authors", "blog:post_list"),),
        experiment="cross_database",
    ),
    Pattern(
        slug="likes-across-databases",
        title="Many-to-many and generic relations across databases",
        summary="Users in default like posts in blog_db and products in shop_db, without joins.",
        problem="Users in default like posts in blog_db and products in shop_db. Django's "
        "GenericForeignKey reads a like's target from the like's own database and looks "
        "content types up in the target's; a ManyToManyField's through table would join "
        "across databases. The fixed field reads each target where the router puts it, one "
        "query per content type, with content types from their one home (default); the "
        "many-to-many becomes two queries. Likes of a deleted target are skipped and counted.",
        settings='INSTALLED_APPS += ["django.contrib.contenttypes"]  # in default alone\n'
        "# apps/likes/models.py\n"
        "from routers.generic import CrossDatabaseGenericForeignKey\n"
        'target = CrossDatabaseGenericForeignKey("content_type", "object_id")',
        sources=(
            "routers.generic.CrossDatabaseGenericForeignKey",
            "routers.generic.content_type_home",
            "apps.likes.models.Like",
            "apps.likes.selectors.liked_list",
            "apps.likes.selectors.like_list",
        ),
        tests=(
            "tests/routers/test_generic.py",
            "apps/likes/tests/test_likes.py",
            "apps/core/tests/test_experiment_likes.py",
        ),
        readme="Relations across databases",
        live=(("The blog: like a post", "blog:post_list"), ("The shop", "shop:product_list")),
        experiment="likes",
    ),
    Pattern(
        slug="read-write-splitting",
        title="Read/write splitting: round-robin and weights",
        summary="Reads to replicas in turn or by weight, writes to the primary: 100 reads, "
        "where each went.",
        problem="Reads go to a primary's replicas in turn, or in proportion to their weights; "
        "writes go to the primary. A weight may name the primary itself, so it takes a share "
        "of the reads.",
        settings='DATABASE_ROUTERS = ["routers.replica.PinningReplicaRouter", ...]\n'
        'REPLICA_DATABASES = {"default": ["replica"]}  # replicas per primary\n'
        'REPLICA_DATABASES = {"default": {"replica": 80, "default": 20}}  # weights\n'
        'MIDDLEWARE = [..., "routers.middleware.PinningRouterMiddleware", ...]\n'
        "# one block of code, this context only:\n"
        'with override_replica_databases({"default": ["replica", "default"]}): ...',
        sources=(
            "routers.replica.ReplicaRouter.pick_replica",
            "routers.replica_sets.override_replica_databases",
            "routers.replica.PinningReplicaRouter",
        ),
        tests=(
            "apps/core/tests/test_experiment_reads.py",
            "tests/routers/test_replica_override.py",
            "tests/routers/test_replica.py",
        ),
        readme="Read/write splitting and read-your-writes",
        live=(("Read your writes", "notes:read_your_writes"),),
        experiment="reads",
    ),
    Pattern(
        slug="read-your-writes",
        title="Read your writes, forcing the primary, and background work",
        summary="A client that just wrote reads its write; forcing the primary; pins "
        "carried to background work.",
        problem="A client that just wrote reads the primary until a replica has replayed its "
        "write (a WAL position in a cookie); code can force the primary; work that runs "
        "later carries the request's pins in a token.",
        settings='MIDDLEWARE = [..., "routers.middleware.PinningRouterMiddleware", ...]\n'
        'MULTIDB_PINNING_MODE = "lsn"  # WAL positions on PostgreSQL; "time": a window\n'
        "MULTIDB_PINNING_SECONDS = 15\n"
        "with use_primary_db: ...  # force the primary for a block\n"
        "token = capture_pinning()  # then, in the worker: with restore_pinning(token): ...",
        sources=(
            "routers.replica.PinningReplicaRouter._pinned",
            "routers.pinning.UsePrimaryDB",
            "routers.pinning.capture_pinning",
            "routers.pinning.restore_pinning",
        ),
        tests=(
            "apps/core/tests/test_experiment_read_your_writes.py",
            "tests/routers/test_pinning_requests.py",
            "tests/postgres/test_read_your_writes.py",
        ),
        readme="Read/write splitting and read-your-writes",
        live=(("Read your writes", "notes:read_your_writes"),),
        experiment="read_your_writes",
    ),
    Pattern(
        slug="failover",
        title="Failover and degraded mode",
        summary="A replica or a primary taken away: what reads and writes get.",
        problem="A replica that is down, hung or lagging takes no reads; a primary that is "
        'down turns writes into a 503 "temporarily read-only" page while reads continue; '
        "a database with nothing to fail over to fails only the pages that need it.",
        settings="MULTIDB_REPLICA_COOLDOWN_SECONDS = 30\nMULTIDB_MAX_REPLICA_LAG = 5",
        sources=(
            "routers.health.Health.usable",
            "routers.replica.ReplicaRouter.pick_replica",
            "routers.degraded.DegradedModeMiddleware",
        ),
        tests=(
            "tests/postgres/test_failover.py",
            "apps/core/tests/test_experiment_failover.py",
            "tests/postgres/test_failover_lab.py",
        ),
        readme="Failover",
        live=(("Health", "health"),),
        experiment="failover",
    ),
    Pattern(
        slug="replica-lag",
        title="Replica lag: the pin and the lag limit",
        summary="A pin for the writer, a lag limit for everyone: two mechanisms, shown apart.",
        problem="A replica behind the primary serves stale rows. Two separate mechanisms "
        "protect readers: a client's pin keeps it on the primary until the replica has its "
        "write, and a replica more than MULTIDB_MAX_REPLICA_LAG seconds behind takes no reads.",
        settings='MULTIDB_MAX_REPLICA_LAG = 5  # seconds, or {"seconds": 5, "bytes": ...}\n'
        "MULTIDB_REPLICA_LAG_INTERVAL = 1  # how often each process measures it",
        sources=(
            "routers.replica.PinningReplicaRouter._read_after",
            "routers.health.Health.measure",
            "routers.health.Health.lagging",
        ),
        tests=(
            "tests/postgres/test_lag_lab.py",
            "apps/core/tests/test_experiment_lag.py",
            "tests/routers/test_pinning_requests.py",
        ),
        readme="Read your writes, and the lag lab",
        live=(("The lag lab (staff)", "notes:lag_lab"),),
        experiment="lag",
    ),
    Pattern(
        slug="analytics-warehouse",
        title="An analytics warehouse fed by logical replication",
        summary="Reports across three databases' data on a warehouse fed by logical replication.",
        problem="Reports that join users, posts and orders run on a warehouse that copies the "
        "three databases' tables, read through a role that can only read.",
        settings='DATABASE_ROUTERS = [..., "routers.warehouse.WarehouseRouter", ...]\n'
        'DATABASE_WAREHOUSE = {"APPS": ["analytics"], "READ": "analytics", '
        '"WRITE": "analytics_owner"}\n'
        'DATABASES["analytics"]["TEST"] = {"MIRROR": "analytics_owner"}',
        sources=("routers.warehouse.WarehouseRouter",),
        tests=("tests/postgres/test_warehouse.py",),
        readme="The analytics warehouse",
        live=(("Analytics", "analytics:index"),),
        experiment="analytics",
    ),
    Pattern(
        slug="read-only-legacy",
        title="A read-only database another system owns",
        summary="A database another system owns: read, never written, never migrated.",
        problem="The legacy stock system is read, never written: an ORM write routed there "
        "raises before any SQL, and nothing is migrated there.",
        settings='DATABASE_ROUTERS = ["routers.read_only.ReadOnlyRouter", ...]  # first\n'
        'DATABASE_READ_ONLY = {"legacy": "legacy_owner"}',
        sources=("routers.read_only.ReadOnlyRouter",),
        tests=("tests/routers/test_read_only.py", "apps/legacy/tests/test_guards.py"),
        readme="The legacy stock system: a database another system owns",
        live=(("Legacy", "legacy:overview"),),
        experiment="legacy",
    ),
    Pattern(
        slug="sharding",
        title="Sharding one model across databases",
        summary="One model's rows over several databases by user; queries by key or across "
        "every shard.",
        problem="Activity events are spread over two databases by user: 64 logical shards, "
        "placed by a versioned map; a query names its key, or asks every shard at once.",
        settings='DATABASE_ROUTERS = [..., "routers.sharding.ShardRouter", '
        '"routers.app_label.AppLabelRouter"]\n'
        'DATABASE_SHARDING = {"SHARDS": ["shard_0", "shard_1"], '
        '"MODELS": {"activity.Event": "user"}, "LOGICAL_SHARDS": 64}',
        sources=(
            "routers.sharding.ShardRouter",
            "routers.shard_map.logical_shard_for",
            "routers.shard_queryset.AcrossShards",
        ),
        tests=(
            "tests/routers/test_shard_router.py",
            "tests/routers/test_sharding.py",
            "tests/routers/test_across_shards.py",
        ),
        readme="Sharding: one model's rows spread over several databases",
        live=(("Everyone's activity", "activity:everyone"),),
        experiment="sharding",
    ),
    Pattern(
        slug="moving-data",
        title="Moving a logical shard between databases",
        summary="Moving a logical shard to another database while its users keep writing.",
        problem="A logical shard moves to another database while its users keep writing: "
        "copy, catch up, a short freeze, switch the map, delete the old rows.",
        settings="manage.py move_shard N --to shard_1 --dry-run  # the plan, nothing moved\n"
        "manage.py move_shard N --to shard_1            # every step, with progress",
        sources=("routers.shard_move_plan.plan_move", "routers.shard_move.ShardMover"),
        tests=("tests/routers/test_shard_move.py", "tests/postgres/test_shard_move.py"),
        readme="Moving data between databases",
        live=(("Shards (staff)", "activity:shards"),),
        experiment="moving",
    ),
    Pattern(
        slug="multi-database-testing",
        title="Testing with several databases",
        summary="How the suite tests several databases, replicas and real failures.",
        problem="Tests declare the databases they touch, replicas read their primary's test "
        "database, and what only real servers can answer runs against real servers.",
        settings='DATABASES["replica"]["TEST"] = {\n'
        '    "MIRROR": "default",\n'
        "}\n"
        "# in a test module:\n"
        "pytestmark = pytest.mark.django_db(\n"
        '    databases=["default", "replica"],\n'
        ")",
        sources=(
            "conftest.django_db_setup",
            "tests.replication.wait_for_replay",
            "tests.support.unreachable",
            "tests.routers_only.plugin.clock",
            "conftest.pytest_collection_modifyitems",
        ),
        tests=("tests/postgres/test_topology.py", "apps/core/tests/test_experiment_testing.py"),
        readme="Tests",
        experiment="testing",
    ),
)
BY_SLUG = {pattern.slug: pattern for pattern in PATTERNS}


def source_of(dotted_path: str) -> str:
    """The source of the object at *dotted_path* (a class, a function, a method),
    read from its module now; a one-line note where the module isn't installed."""
    module_path, _, attributes = dotted_path.partition(".")
    names = attributes.split(".")
    while names:  # the longest importable prefix is the module
        try:
            found = import_module(f"{module_path}.{names[0]}")
        except ModuleNotFoundError:
            break
        module_path, names = f"{module_path}.{names[0]}", names[1:]
    try:
        found = import_module(module_path)
    except ImportError:  # the Docker image leaves the tests and conftest.py out
        return f"# {dotted_path}: not in this installation; it comes with the source."
    for name in names:
        found = getattr(found, name)
    return inspect.getsource(found)


def tests_in(relative_path: str) -> list[str]:
    """The test functions and test classes in *relative_path*, parsed from the file.

    Empty where the file isn't installed (the Docker image leaves the tests out).
    """
    try:
        tree = ast.parse((Path(settings.BASE_DIR) / relative_path).read_text())
    except FileNotFoundError:
        return []
    return [node.name for node in tree.body if _is_test(node)]


def _is_test(node) -> bool:
    if isinstance(node, ast.FunctionDef):
        return node.name.startswith("test_")
    if isinstance(node, ast.ClassDef):
        bases = [base.id if isinstance(base, ast.Name) else "" for base in node.bases]
        return node.name.startswith("Test") or any(base.endswith("TestCase") for base in bases)
    return False
