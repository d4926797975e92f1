"""Read-your-writes by WAL position, against a real streaming standby with paused replay."""

import time

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from routers.pinning import decode_pins, pinning_cookie
from tests.postgres.test_topology import replay_paused
from tests.replication import wait_for_replay

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.urls("tests.routers.urls"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica", "blog_db"]),
]


@pytest.fixture(autouse=True)
def lsn_mode_with_a_long_window(settings):
    """An hour-long window: anything that reads the replica again sooner did it by LSN."""
    settings.MULTIDB_PINNING_MODE = "lsn"
    settings.MULTIDB_PINNING_SECONDS = 3600


def test_writer_reads_its_write_while_others_read_stale_data_until_replay_resumes():
    writer, other = Client(), Client()
    wait_for_replay()
    with replay_paused():
        assert writer.post("/users/", {"username": "ada"}).status_code == 200
        pin = decode_pins(writer.cookies[pinning_cookie()].value)["default"]
        assert pin.lsn is not None

        mine = writer.get("/users/ada/").json()
        assert mine["found"] is True and mine["alias"] == "default"
        assert mine["reason"].startswith("replica behind your write: ")
        seen, needed = mine["reason"].removeprefix("replica behind your write: ").split(" < ")
        assert needed.count("/") == seen.count("/") == 1

        theirs = other.get("/users/ada/").json()
        assert theirs == {"found": False, "alias": "replica", "reason": "round-robin"}

    wait_for_replay()
    assert other.get("/users/ada/").json()["found"] is True
    again = writer.get("/users/ada/")
    assert again.json() == {
        "found": True,
        "alias": "replica",
        "reason": "caught up with your write",
    }
    assert pin.age() < 3600  # still inside the window: LSN, not time, ended the pin
    cookie = again.cookies[pinning_cookie()]
    assert cookie.value == "" and cookie["max-age"] == 0  # replayed everywhere: pin dropped
    assert writer.get("/read/").json()["reason"] == "round-robin"


def test_each_replica_is_asked_for_its_position_once_per_request():
    client = Client()
    with replay_paused():
        client.post("/users/", {"username": "once"})
        with CaptureQueriesContext(connections["replica"]) as replica:
            decisions = client.get("/read-many/").json()["decisions"]
    assert decisions == ["default"] * 5
    asked = [q for q in replica.captured_queries if "pg_last_wal_replay_lsn" in q["sql"]]
    assert len(asked) == 1


def test_a_write_position_taken_after_commit_is_past_the_rows_commit():
    """The cookie's LSN covers the commit: once replayed to it, the replica has the row."""
    client = Client()
    with replay_paused():
        client.post("/users/", {"username": "committed"})
        lsn = decode_pins(client.cookies[pinning_cookie()].value)["default"].lsn
    deadline = time.monotonic() + 10
    while True:
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn >= %s", [lsn])
            if cursor.fetchone()[0]:
                break
        assert time.monotonic() < deadline, "replica never reached the recorded position"
        time.sleep(0.005)
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_user WHERE username = 'committed'")
        assert cursor.fetchone()[0] == 1
