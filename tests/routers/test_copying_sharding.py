"""The copy test for the sharding modules: a blank project shards ``things.Thing`` by owner.

``shard_queryset.py`` copied with what its docstring names (``sharding``,
``shard_map``, ``shard_ids``, ``explain``) into package ``dbkit``: the map is
made by ``migrate``, rows land on the SQLite file the map names, unscoped
queries raise, ``across_shards()`` counts every file, and the replica router
listed first sends a shard's reads to that shard's replica. ``test_copying.py``
says how these tests work.
"""

import shutil

import pytest

from tests.blank_project import checked, describe

pytestmark = pytest.mark.sqlite_only  # blank projects on SQLite files: vendor-independent

SHARDING = {
    "DATABASE_ROUTERS": ["dbkit.sharding.ShardRouter"],
    "DATABASE_SHARDING": {"SHARDS": ["one", "two"], "MODELS": {"things.Thing": "owner"}},
}
# Eight logical shards: 0-3 on one, 4-7 on two.
SMALL = {**SHARDING["DATABASE_SHARDING"], "LOGICAL_SHARDS": 8}
THINGS_MANAGER = "dbkit.shard_queryset.ShardedQuerySet"


def test_sharding_places_rows_by_the_map_and_refuses_unscoped_queries(project):
    assert project.copy("shard_queryset") == [
        "apps",
        "explain",
        "shard_ids",
        "shard_map",
        "shard_queryset",
        "sharding",
    ]
    default, one, two = (project.database(alias) for alias in ("default", "one", "two"))
    project.write(things_manager=THINGS_MANAGER, **{**SHARDING, "DATABASE_SHARDING": SMALL})
    checked(project)

    result = project.run(
        """
        from dbkit.shard_queryset import ShardKeyRequired
        from people.models import Person
        from things.models import Thing

        for n in range(1, 9):
            Thing.objects.create(name=f"thing {n}", owner=Person.objects.create(name=str(n)))
        try:
            Thing.objects.count()
        except ShardKeyRequired as error:
            result["refused"] = str(error)
        result["everywhere"] = Thing.objects.across_shards().count()
        result["mine"] = [t.name for t in Thing.objects.for_key(6)]
        """,
        migrate=("default", "one", "two"),
    )
    assert project.rows(one, "SELECT owner_id FROM things_thing ORDER BY 1") == [
        (1,),
        (2,),
        (3,),
        (8,),
    ]
    assert project.rows(two, "SELECT owner_id FROM things_thing ORDER BY 1") == [
        (4,),
        (5,),
        (6,),
        (7,),
    ]
    assert "things_thing" not in project.tables(default)
    assert project.rows(default, "SELECT MAX(version), COUNT(*) FROM sharding_map") == [(1, 8)]
    assert "things.Thing is sharded by 'owner'" in result["refused"]
    assert (result["everywhere"], result["mine"]) == (8, ["thing 6"])


def test_sharding_checks_run_in_the_copy(project):
    project.copy("sharding")
    project.database("default")
    project.database("one")
    project.write(
        DATABASE_ROUTERS=["dbkit.sharding.ShardRouter"],
        DATABASE_SHARDING={"SHARDS": ["one", "two"], "MODELS": {"things.Thing": "owner"}},
    )
    finished = project.manage("check")
    assert finished.returncode == 1 and "routers.E081" in finished.stderr, describe(finished)
    project.write(DATABASE_SHARDING={"SHARDS": ["one"], "MODELS": {"things.Thing": "owner"}})
    finished = project.manage("check")
    assert "routers.W085" in finished.stderr, describe(finished)


def test_a_replica_router_listed_first_sends_a_shards_reads_to_its_replica(project):
    """``two_replica`` is a snapshot of ``two`` before the write: a read it serves misses it."""
    project.copy("shard_queryset")
    project.copy("replica")
    for alias in ("default", "one"):
        project.database(alias)
    two = project.database("two")
    two_replica = project.database("two_replica", read_only=True)
    project.write(
        things_manager=THINGS_MANAGER,
        DATABASE_ROUTERS=["dbkit.replica.ReplicaRouter", "dbkit.sharding.ShardRouter"],
        DATABASE_SHARDING=SMALL,
        REPLICA_DATABASES={"two": ["two_replica"]},
        MULTIDB_REPLICA_LAG_INTERVAL=0,
    )
    checked(project, "routers.W014")
    project.run("", migrate=("default", "one", "two"))
    shutil.copy(two, two_replica)

    result = project.run(
        """
        from people.models import Person
        from things.models import Thing

        owners = [Person.objects.create(name=str(n)) for n in range(1, 6)]
        for owner in owners:
            Thing.objects.create(name=f"thing {owner.pk}", owner=owner)
        result["one"] = Thing.objects.for_key(1).count()
        result["two"] = Thing.objects.for_key(5).count()
        result["two_db"] = Thing.objects.for_key(5).db
        """
    )
    assert project.rows(two, "SELECT owner_id FROM things_thing") == [(4,), (5,)]
    assert result == {"one": 1, "two": 0, "two_db": "two_replica"}


def test_a_logical_shard_moves_in_the_copy_with_its_command(project):
    """``shard_move`` and the ``move_shard`` command, copied: logical shard 1 goes to two."""
    project.copy("shard_queryset")
    assert project.copy("shard_move") == [
        "apps",
        "health",
        "row_copy",
        "shard_freeze",
        "shard_ids",
        "shard_map",
        "shard_move",
        "shard_move_plan",
        "thread_connections",
    ]
    assert project.copy_commands() == ["move_shard"]
    project.database("default")
    one, two = project.database("one"), project.database("two")
    quick = {**SMALL, "MAP_REFRESH_SECONDS": 0}  # no wait before the cleanup
    project.write(
        things_manager=THINGS_MANAGER,
        things_id="dbkit.shard_ids.ShardedIdField",
        **{**SHARDING, "DATABASE_SHARDING": quick},
    )
    checked(project)
    result = project.run(
        """
        from io import StringIO

        from django.core.management import call_command
        from people.models import Person
        from things.models import Thing

        for n in range(1, 9):
            Thing.objects.create(name=f"thing {n}", owner=Person.objects.create(name=str(n)))
        out = StringIO()
        call_command("move_shard", "1", "--to", "two", stdout=out)
        result["said"] = out.getvalue()
        result["mine"] = [t.name for t in Thing.objects.for_key(1)]
        """,
        migrate=("default", "one", "two"),
    )
    assert "Moved: logical shard 1 is on two (map v3)" in result["said"]
    assert result["mine"] == ["thing 1"]
    assert project.rows(one, "SELECT owner_id FROM things_thing ORDER BY 1") == [(2,), (3,), (8,)]
    assert project.rows(two, "SELECT owner_id FROM things_thing ORDER BY 1") == [
        (1,),
        (4,),
        (5,),
        (6,),
        (7,),
    ]


def test_an_app_moves_between_databases_in_the_copy(project):
    """``app_move`` copied alone: things go from default to another file, keys and all."""
    assert project.copy("app_move") == ["app_move", "apps", "row_copy"]
    default, other = project.database("default"), project.database("other")
    project.write()
    result = project.run(
        """
        from dbkit.app_move import move_app
        from things.models import Thing

        Thing.objects.bulk_create(Thing(pk=n * 10, name=f"thing {n}") for n in range(1, 6))
        copies = move_app("things", "default", "other", batch_size=2)
        result["copied"] = [(c.label, c.written, c.checksum[0]) for c in copies]
        """,
        migrate=("default", "other"),
    )
    assert result["copied"] == [["things.Thing", 5, 5]]
    sql = "SELECT id, name FROM things_thing ORDER BY 1"
    assert project.rows(other, sql) == project.rows(default, sql) != []
