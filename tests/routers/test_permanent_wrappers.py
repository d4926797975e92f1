"""The permanent wrappers (write detection, routing trace) survive Django's execute_wrapper()."""

import threading

import pytest
from django.db import connections

from apps.core.middleware import tracing
from routers.pinning import pinning_scope

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def test_a_connection_first_opened_inside_an_execute_wrapper_block_keeps_both_wrappers():
    """Django pops the *last* wrapper when such a block ends; ours must not be it."""
    seen = {}

    def fresh_thread():  # a new thread gets new connection objects
        connection = connections["default"]
        with connection.execute_wrapper(lambda execute, *args: execute(*args)):
            connection.ensure_connection()  # connection_created fires inside the block
        with tracing() as trace, pinning_scope() as scope, connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_user SET first_name = 'x' WHERE id = 0")
        seen.update(counts=trace.counts, written=scope.written)
        connections.close_all()

    thread = threading.Thread(target=fresh_thread)
    thread.start()
    thread.join()
    assert seen == {"counts": {"default": 1}, "written": {"default"}}
