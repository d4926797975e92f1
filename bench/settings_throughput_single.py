"""The single-database build of ``bench/throughput.py``: the pages' data in one database.

Accounts, notes, blog and shop all live in ``default`` (``bench/throughput.py``
points it at a database of its own), read and written there: no replica and
no read/write splitting, so each request connects to one database. The
warehouse, legacy and shard databases keep their aliases (their checks and
the activity events need them), but the three pages read none of them.
"""

from project.settings import *  # noqa: F403

DATABASE_ROUTERS = [
    entry
    for entry in DATABASE_ROUTERS  # noqa: F405
    if entry != "routers.replica.PinningReplicaRouter"
]
REPLICA_DATABASES = {}
DATABASE_ROUTING_RULES = {"legacy": "legacy"}  # blog and shop: default
DATABASE_RELATIONS = []
