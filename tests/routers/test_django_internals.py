"""The undocumented Django internals routers/ relies on, each behind one small function.

``pinning.in_atomic_block`` reads ``connection.in_atomic_block``;
``replica.only_testcase_atomics`` reads ``connection.atomic_blocks`` and the
``_from_testcase`` mark TestCase puts on its own atomic blocks;
``pinning.add_permanent_wrapper`` inserts into ``connection.execute_wrappers``;
``thread_connections.is_connected`` reads ``connection.connection``; the lag monitor calls
``close_if_unusable_or_obsolete()``, and so do ``shard_queryset``'s workers;
``ReplicaRouter`` asks ``router.routers``; ``shard_queryset`` passes its
shard hints with ``QuerySet._add_hints`` and reads them from ``_hints``;
``row_copy.insert_raw`` saves rows with ``QuerySet._insert(raw=True)``, as
``loaddata`` does; ``shard_freeze`` adds a permanent execute wrapper too.
``thread_connections.connections_here`` asks ``asyncio._get_running_loop()``, the
non-raising form of ``get_running_loop()``, and relies on Django keeping one
wrapper per alias and sync thread; ``thread_connections.checked``
and ``check_reused`` read and set ``health_check_enabled`` and
``health_check_done``, Django's ``CONN_HEALTH_CHECKS`` state. If a Django
upgrade renames or changes any of them, these tests fail and say which.
"""

from django.db import connection, connections, router, transaction
from django.test import TestCase, TransactionTestCase

from routers.pinning import in_atomic_block
from routers.replica import only_testcase_atomics
from routers.row_copy import insert_raw
from routers.shard_freeze import _refusals
from routers.thread_connections import is_connected


class InsideTestCase(TestCase):
    def test_testcase_marks_its_own_atomic_blocks(self):
        assert connection.atomic_blocks, "Django no longer keeps connection.atomic_blocks"
        assert all(
            getattr(block, "_from_testcase", None) is True for block in connection.atomic_blocks
        ), "TestCase no longer marks its atomic blocks with _from_testcase"

    def test_only_the_testcase_transaction_is_open(self):
        assert in_atomic_block(connection) is True
        assert only_testcase_atomics(connection) is True

    def test_an_atomic_block_of_the_test_itself_counts(self):
        with transaction.atomic():
            assert in_atomic_block(connection) is True
            assert only_testcase_atomics(connection) is False


class OutsideTestCaseTransactions(TransactionTestCase):
    def test_no_atomic_block_outside_atomic(self):
        assert in_atomic_block(connection) is False
        with transaction.atomic():
            assert in_atomic_block(connection) is True
            assert only_testcase_atomics(connection) is False
        assert in_atomic_block(connection) is False


class ConnectionInternals(TransactionTestCase):
    def test_execute_wrapper_blocks_append_to_and_pop_from_execute_wrappers(self):
        """add_permanent_wrapper relies on the list and on execute_wrapper() popping the last."""
        before = list(connection.execute_wrappers)
        with connection.execute_wrapper(lambda execute, *args: execute(*args)):
            assert len(connection.execute_wrappers) == len(before) + 1
            assert connection.execute_wrappers[:-1] == before
        assert connection.execute_wrappers == before

    def test_the_db_api_connection_attribute_says_whether_it_is_open(self):
        fresh = connections.create_connection("default")
        assert is_connected(fresh) is False
        fresh.ensure_connection()
        try:
            assert is_connected(fresh) is True
            assert callable(fresh.close_if_unusable_or_obsolete)
        finally:
            fresh.close()

    def test_the_router_lists_the_configured_router_instances_in_order(self):
        """Whatever the settings: the demo's five routers, or the version matrix's one."""
        from django.conf import settings

        classes = [type(r).__name__ for r in router.routers]
        assert classes == [path.rpartition(".")[2] for path in settings.DATABASE_ROUTERS]


class QuerySetHints(TestCase):
    databases = {"default"}

    def test_add_hints_reaches_the_router_through_the_querysets_hints(self):
        from django.contrib.auth import get_user_model

        queryset = get_user_model().objects.all()._chain()
        queryset._add_hints(shard_key=42)
        assert queryset._hints == {"shard_key": 42}
        assert queryset.filter(pk=1)._hints == {"shard_key": 42}, "kept when chained"


class RawInserts(TestCase):
    databases = {"default", "blog_db", "shard_0"}

    def test_a_raw_insert_keeps_auto_now_values_as_loaddata_does(self):
        """row_copy.insert_raw: ``QuerySet._insert(raw=True)`` skips ``pre_save()``."""
        import datetime

        from apps.blog.models import Post

        long_ago = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
        post = Post(pk=987654, title="Kept", content="…", author_id=1, slug="kept")
        post.created_at = post.updated_at = long_ago
        insert_raw("blog_db", [post])
        assert Post.objects.get(pk=987654).updated_at == long_ago, "auto_now must keep its value"

    def test_the_freeze_translation_sits_in_each_shard_connections_wrappers(self):
        """shard_freeze: a permanent wrapper in ``execute_wrappers``, as pinning's."""
        with connections["shard_0"].cursor() as cursor:
            cursor.execute("SELECT 1")
        assert _refusals in connections["shard_0"].execute_wrappers


class OneWrapperPerThread(TransactionTestCase):
    databases = {"default"}

    def test_asyncios_running_loop_helper_answers_none_in_a_sync_thread(self):
        """thread_connections._running_loop: None here, the loop inside a coroutine."""
        import asyncio

        from routers.thread_connections import _running_loop

        assert _running_loop() is None

        async def inside():
            return _running_loop() is asyncio.get_running_loop()

        assert asyncio.run(inside())

    def test_connections_keeps_one_wrapper_per_alias_in_a_sync_thread(self):
        """opened(): the wrapper that connected is the one connections[] returns later."""
        from routers.thread_connections import opened

        connections["default"].close()
        connections["default"].ensure_connection()
        assert opened("default") is connections["default"]


class HealthCheckBookkeeping(TransactionTestCase):
    """checked() and check_reused() read and set Django's CONN_HEALTH_CHECKS state."""

    databases = {"default"}

    def test_a_new_request_resets_the_check_of_a_kept_connection(self):
        from routers.thread_connections import checked

        wrapper = connections["default"]
        wrapper.ensure_connection()
        assert wrapper.health_check_enabled is wrapper.settings_dict["CONN_HEALTH_CHECKS"]
        wrapper.close_if_unusable_or_obsolete()  # what request_started runs
        assert wrapper.health_check_done is False
        assert checked(wrapper) is not wrapper.health_check_enabled

    def test_close_if_health_check_failed_marks_the_check_done(self):
        wrapper = connections["default"]
        wrapper.ensure_connection()
        wrapper.close_if_unusable_or_obsolete()
        wrapper.health_check_enabled = True
        try:
            wrapper.close_if_health_check_failed()
            assert wrapper.health_check_done is True
        finally:
            wrapper.health_check_enabled = wrapper.settings_dict["CONN_HEALTH_CHECKS"]
