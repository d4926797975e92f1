"""routers.pinning: the forced pin, nesting, contexts, untrusted cookies, the token API."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connections, router

from routers.pinning import (
    SIGNING_SALT,
    Pin,
    capture_pinning,
    decode_pins,
    encode_pins,
    is_write,
    pin_this_thread,
    pinning_scope,
    restore_pinning,
    this_thread_is_pinned,
    unpin_this_thread,
    use_primary_db,
)
from tests.replication import wait_for_replay

User = get_user_model()
# Read decisions connect to the replica (health check), so every test may use both.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def unpinned():
    unpin_this_thread()
    yield
    unpin_this_thread()


def test_nested_use_primary_db_restores_each_outer_state():
    """django-multidb-router leaves the thread pinned after nesting; this doesn't."""
    with use_primary_db:
        with use_primary_db:
            assert this_thread_is_pinned()
        assert this_thread_is_pinned()
    assert not this_thread_is_pinned()


def test_use_primary_db_restores_state_after_an_exception_and_an_inner_unpin():
    with pytest.raises(RuntimeError), use_primary_db:
        unpin_this_thread()
        raise RuntimeError
    assert not this_thread_is_pinned()
    pin_this_thread()
    with use_primary_db:
        unpin_this_thread()
    assert this_thread_is_pinned()


def test_use_primary_db_decorator_pins_reads_inside_only():
    @use_primary_db
    def read():
        return router.db_for_read(User)

    assert read() == "default"
    assert router.db_for_read(User) == "replica"


def test_threads_never_see_each_others_pin(settings):
    # Thirty-two connections opened at once can take longer than the wait that
    # presumes a replica hung; this test is about pins, not failover.
    settings.MULTIDB_REPLICA_CONNECT_WAIT_SECONDS = 30
    results = {}

    def worker(n):
        if n % 2 == 0:
            pin_this_thread()
        time.sleep(0.01)  # let the other threads pin and unpin meanwhile
        results[n] = this_thread_is_pinned(), router.db_for_read(User)
        connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {
        n: (True, "default") if n % 2 == 0 else (False, "replica") for n in range(32)
    }
    assert not this_thread_is_pinned()


def test_asyncio_tasks_never_see_each_others_pin():
    async def task(pin):
        if pin:
            pin_this_thread()
        await asyncio.sleep(0.001)
        with use_primary_db if pin else _nothing():
            await asyncio.sleep(0.001)
        return this_thread_is_pinned()

    async def main():
        return await asyncio.gather(*(task(n % 3 == 0) for n in range(30)))

    assert asyncio.run(main()) == [n % 3 == 0 for n in range(30)]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO t VALUES (1)",
        "  update t set a=1",
        "DELETE FROM t",
        "TRUNCATE t",
        "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
        "CREATE TABLE t (a int)",
    ],
)
def test_statements_that_change_data_are_writes(sql):
    assert is_write(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "SELECT * FROM t FOR UPDATE",
        "SAVEPOINT s1",
        "RELEASE SAVEPOINT s1",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "EXPLAIN SELECT 1",
        "BEGIN",
    ],
)
def test_reads_locks_and_transaction_control_are_not_writes(sql):
    assert not is_write(sql)


def test_pins_round_trip_through_the_cookie_format(clock):
    pins = {"default": Pin(clock(), 50331744), "blog_db": Pin(clock() - 1)}
    assert decode_pins(encode_pins(pins)) == pins


def signed(plain: str) -> str:
    """*plain* signed as the middleware signs it, for values no server would write."""
    return signing.Signer(salt=SIGNING_SALT).sign(plain)


def test_a_well_formed_signed_value_written_now_is_a_pin(clock):
    """The control for the junk below: the same time in a well-formed, signed entry does pin."""
    assert decode_pins(signed(f"default:{clock():.0f}:1")) == {"default": Pin(clock(), 1)}


def test_an_unsigned_or_tampered_value_is_no_pin(clock):
    assert decode_pins(f"default:{clock():.0f}:1") == {}
    genuine = encode_pins({"default": Pin(clock() - 60)})
    assert decode_pins(genuine) == {}  # expired: 60 s ago
    assert decode_pins(genuine.replace(f"{clock() - 60:.2f}", f"{clock():.2f}")) == {}


# "{now}" stands for the frozen clock's time, so each value is dropped for its
# form, not for being an old write.
JUNK = [
    "",
    "garbage",
    "x" * 5000,
    "default:abc:def",
    "default:1e9999:",
    "default:-5:",
    "default:{now}.5:" + "9" * 25,
    "default:{now}.5:18446744073709551616",
    "../../etc/passwd",
    "default:{now}:1|" * 400,
    '"quoted|value"',
    "défault:{now}:1",
    "default:{now}:1:extra",
    "\x00\x01\x02",
    "|||",
]


@pytest.mark.parametrize("value", JUNK)
def test_junk_cookie_values_are_ignored_never_raised(value, clock):
    """Junk is no pin, whether sent as it is or signed (as no server would write it)."""
    value = value.replace("{now}", f"{clock():.0f}")
    assert decode_pins(value) == {}
    assert decode_pins(signed(value)) == {}


def test_a_signed_future_write_pins_for_one_window_at_most(clock):
    """A signed write time ahead of this server's clock (another's runs fast) counts as now."""
    pins = decode_pins(signed(f"default:{clock() + 10**9:.2f}:"))
    assert pins == {"default": Pin(clock())}
    clock.advance(14)
    assert not pins["default"].expired()
    clock.advance(1)
    assert pins["default"].expired()


def test_expired_pins_are_dropped_and_the_unsigned_legacy_y_is_ignored(clock):
    assert decode_pins(encode_pins({"default": Pin(clock() - 15)})) == {}
    assert decode_pins(encode_pins({"default": Pin(clock() - 14)})) == {
        "default": Pin(clock() - 14)
    }
    assert decode_pins("y") == {}


def test_scope_notices_writes_made_on_any_connection_it_covers():
    with pinning_scope() as scope:
        User.objects.count()
        assert scope.written == set()
        User.objects.create_user(username="scoped", password="pw-123456")
        assert scope.written == {"default"}
        assert router.db_for_read(User) == "default"


def test_captured_token_pins_background_work_until_the_replica_has_the_write():
    """A write handed to a thread keeps its read-your-writes guarantee through the token."""
    with pinning_scope():
        User.objects.create_user(username="queued", password="pw-123456")
        token = capture_pinning()
    pin = decode_pins(token)["default"]

    def background(token):
        with restore_pinning(token):
            return router.db_for_read(User)

    with ThreadPoolExecutor(max_workers=1) as pool:
        if pin.lsn is None:  # SQLite: a time window
            assert pool.submit(background, token).result() == "default"
        else:  # PostgreSQL: only until the standby has replayed the write
            wait_for_replay()
            assert pool.submit(background, token).result() == "replica"
        assert pool.submit(router.db_for_read, User).result() == "replica"


def test_capture_outside_a_scope_is_empty_and_restoring_junk_is_harmless():
    assert capture_pinning() == ""
    with restore_pinning("not a token") as scope:
        assert scope.pins == {}
