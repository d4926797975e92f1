"""The project's benchmark: routing decisions and the blog list page.

``bench/run.py`` is the entry point (``make bench``). It runs each part in a
subprocess with its own settings and temporary SQLite files:

``bench.routing``
    ns per routing decision, ``AppLabelRouter`` against django-multidb-router's
    ``ReplicaRouter``, called directly and through ``ConnectionRouter``.
``bench.shard_routing``
    ns per shard routing decision, ``ShardRouter`` for the sharded
    ``activity.Event`` against ``AppLabelRouter`` for ``blog.Post``, and a
    decision that re-checks the shard map's version.
``bench.blog_list``
    ms per ``GET /blog/`` through Django's test client, for one build
    (``bench.settings_multi_db`` or ``bench.settings_single_db``), with the
    routing trace on and off.

``bench.table`` formats the results. See ``bench/README.md`` for the figures.
"""
