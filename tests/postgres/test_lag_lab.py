"""The lag lab on the real topology: pause replay, and watch the pin, then the lag limit.

Right after the pause, within the lag limit, the browser that wrote a note
reads it from ``default`` ("replica behind your write"), and a browser
without the pin cookie reads the standby, which doesn't have it: the pin.
Once the measured lag passes ``MULTIDB_MAX_REPLICA_LAG``, both read
``default`` ("replica lagging"): the lag limit. Once replay resumes both read
the replica again. Replay is resumed after every test, pass or fail, and what
``routers.health`` measured is forgotten.
"""

import os
import time
from urllib.parse import urlsplit

import psycopg
import pytest
from django.db import connections
from django.test import Client, override_settings
from django.urls import reverse

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from routers.health import health
from tests.replication import wait_for_replay

pytestmark = [
    pytest.mark.postgres,
    # A note by a logged-in author records an activity event on its shard.
    pytest.mark.django_db(transaction=True, databases=["default", "replica", "shard_0", "shard_1"]),
]
LAB = reverse("notes:lag_lab")
PAGE = reverse("notes:read_your_writes")


@pytest.fixture
def superuser_url():
    url = os.environ.get("DATABASE_URL_REPLICA_SUPERUSER")
    if not url:
        pytest.fail("DATABASE_URL_REPLICA_SUPERUSER is unset: run through scripts/pg_topology.py")
    return url


@pytest.fixture
def replay_resumed_afterwards(superuser_url):
    """Whatever the test did to replay, leave the standby replaying, and its lag forgotten."""
    health.reset()
    yield
    with psycopg.connect(superuser_url, autocommit=True, connect_timeout=3) as admin:
        admin.execute("SELECT pg_wal_replay_resume()")
    health.reset()


@pytest.fixture
def staff(superuser_url, replay_resumed_afterwards):
    """A logged-in staff client, with the lab pointed at the standby."""
    UserFactory(username="boss", is_staff=True)
    wait_for_replay()  # client.login() reads the user outside any request: through the replica
    client = Client()
    assert client.login(username="boss", password=DEFAULT_PASSWORD)
    wait_for_replay()  # the session, written to default, is read through the replica by a GET
    with override_settings(LAG_LAB_SUPERUSER_URL=superuser_url):
        yield client


def note_rows(alias, text):
    """Raw SQL on *alias*'s own connection: is the note physically there?"""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT id FROM notes_note WHERE text = %s", [text])
        return [pk for (pk,) in cursor.fetchall()]


def test_paused_replay_pins_the_writer_to_default_and_hides_the_note_from_others(staff):
    text = "Written while replay is paused"
    wait_for_replay()
    paused = staff.post(LAB, {"action": "pause"}, follow=True)
    assert paused.redirect_chain == [(LAB, 302)]
    assert paused.context["status"].pause_state == "paused"
    assert b"Replay on the standby: paused." in paused.content

    writer = Client()
    location = writer.post(PAGE, {"text": text})["Location"]
    (pk,) = note_rows("default", text)
    assert location == f"/read-your-writes/notes/{pk}/"
    assert note_rows("replica", text) == []

    mine = writer.get(location)
    assert mine.status_code == 200 and text.encode() in mine.content
    assert mine.context["served"].alias == "default"
    assert mine.context["served"].reason.startswith("replica behind your write: ")
    assert b"replica behind your write: " in mine.content

    stranger = Client()
    listing = stranger.get(PAGE)
    assert listing.context["served"].alias == "replica"
    assert text.encode() not in listing.content
    theirs = stranger.get(location)
    assert theirs.status_code == 404
    assert theirs.context["behind"] is True
    assert b"Not on the replica yet" in theirs.content

    lab = staff.get(LAB)
    assert lab.context["status"].paused
    assert lab.context["status"].lag_bytes > 0

    resumed = staff.post(LAB, {"action": "resume"}, follow=True)
    assert b"Replay resumed" in resumed.content
    wait_for_replay()

    assert note_rows("replica", text) == [pk]
    listing = stranger.get(PAGE)
    assert listing.context["served"].alias == "replica"
    assert text.encode() in listing.content
    again = writer.get(location)
    assert (again.context["served"].alias, again.context["served"].reason) == (
        "replica",
        "caught up with your write",
    )
    assert staff.get(LAB).context["status"].pause_state == "not paused"


def test_lab_shows_the_replay_position_and_a_lag_of_zero_once_caught_up(staff):
    wait_for_replay()
    status = staff.get(LAB).context["status"]
    assert status.pause_state == "not paused"
    assert status.replay_lsn and status.primary_lsn
    assert status.lag_bytes is not None and status.lag_bytes < 1024 * 1024


def test_lab_pointed_at_a_primary_says_it_is_not_a_standby(staff):
    with override_settings(LAG_LAB_SUPERUSER_URL=os.environ["DATABASE_URL"]):
        response = staff.get(LAB)
    assert response.status_code == 200
    assert "not in recovery" in response.context["problem"]


def test_lab_without_superuser_rights_reports_the_refusal_and_replay_goes_on(staff):
    """The replica alias's own role may read the standby, but not pause it."""
    with override_settings(LAG_LAB_SUPERUSER_URL=os.environ["DATABASE_URL_REPLICA"]):
        response = staff.post(LAB, {"action": "pause"}, follow=True)
        assert b"Couldn&#x27;t pause replay: InsufficientPrivilege" in response.content
        assert (
            urlsplit(os.environ["DATABASE_URL_REPLICA"]).password.encode() not in response.content
        )
    assert staff.get(LAB).context["status"].pause_state == "not paused"


def readers_of(page):
    """``{label: (alias, mechanism, reason)}`` of the lab's table of readers."""
    return {r.label: (r.alias, r.mechanism, r.reason) for r in page.context["readers"]}


def test_right_after_the_pause_the_pin_keeps_you_on_default_and_others_read_the_stale_replica(
    staff,
):
    wait_for_replay()
    page = staff.post(LAB, {"action": "pause"}, follow=True)
    assert page.context["status"].paused
    assert b"written just after replay was paused" in page.content
    assert page.context["lag"].excluded == ""  # within the limit: the replica still takes reads
    mine, theirs = page.context["readers"]
    assert mine.label.startswith("You")
    assert (mine.alias, mine.mechanism) == ("default", "pin")
    assert mine.reason.startswith("replica behind your write: ")
    assert mine.newest == page.context["newest"]
    assert (theirs.alias, theirs.mechanism, theirs.reason) == ("replica", "replica", "round-robin")
    assert theirs.newest != page.context["newest"]  # stale: the new note isn't replayed
    assert page.context["step"] == 1
    assert b"The pin at work" in page.content and b"<strong>stale</strong>" in page.content


def test_once_the_lag_passes_the_limit_every_reader_reads_default_for_the_lag(staff):
    wait_for_replay()
    staff.post(LAB, {"action": "pause"})
    with override_settings(MULTIDB_MAX_REPLICA_LAG=0.5):
        time.sleep(0.7)  # the lag in seconds counts from the pause's commit
        page = staff.get(LAB)
    assert page.context["lag"].seconds > 0.5
    assert page.context["lag"].excluded.startswith("replica lagging ")
    for reader in page.context["readers"]:
        assert (reader.alias, reader.mechanism) == ("default", "lag")
        assert reader.reason.startswith("replica lagging ")
        assert reader.newest == page.context["newest"]
    assert page.context["step"] == 2
    assert b"The lag limit at work" in page.content and b"The pin at work" not in page.content


def test_after_resuming_both_readers_read_the_replica_again(staff):
    wait_for_replay()
    staff.post(LAB, {"action": "pause"})
    staff.post(LAB, {"action": "resume"})
    wait_for_replay()
    page = staff.get(LAB)
    assert list(readers_of(page).values()) == [
        ("replica", "caught-up", "caught up with your write"),
        ("replica", "replica", "round-robin"),
    ]
    assert page.context["step"] == 0


def test_the_replica_lag_experiment_says_the_paused_replica_takes_no_reads_and_why(staff):
    wait_for_replay()
    staff.post(LAB, {"action": "pause"})
    with override_settings(MULTIDB_MAX_REPLICA_LAG=0.5):
        time.sleep(0.7)
        response = staff.get("/patterns/replica-lag/", {"run": "1"})
    (row,) = response.context["experiment"]["replicas"]
    assert row["lag"].seconds > 0.5 and row["lag"].bytes > 0
    assert (row["alias"], row["takes_reads"], row["mechanism"]) == ("default", False, "lag")
    assert row["reason"].startswith("replica lagging ")
