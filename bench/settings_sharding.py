"""The project's settings with persistent connections: ``CONN_MAX_AGE = None`` on every alias.

``bench/sharding.py`` compares ``across_shards()`` in parallel and serially.
A parallel query runs on the shards' worker threads, which close their
connection after each query unless ``CONN_MAX_AGE`` keeps it
(``routers/shard_queryset.py``); a serial one runs on the calling thread,
whose connections stay open until the request ends. Kept open on both, the
comparison times the fan-out, not a reconnection that only one mode pays.
The benchmark measures the ``CONN_MAX_AGE = 0`` case apart.
"""

from project.settings import *  # noqa: F403

for _database in DATABASES.values():  # noqa: F405
    _database["CONN_MAX_AGE"] = None
