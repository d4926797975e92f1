"""The read-your-writes experiment: one note written, then read back four ways.

The router's reasons are asserted as it recorded them. On SQLite the replica
is default's own file and pins are time windows; on PostgreSQL the replica is
a standby and pins are WAL positions, so a step may find the replica caught
up or behind: the tests accept exactly the answers the router can give there.
"""

import re
from html import unescape

import pytest
from django.db import connections

from apps.core.experiments.read_your_writes import sqlite_path
from apps.notes.models import Note
from routers.pinning import pinning_cookie

URL = "/patterns/read-your-writes/"
# transaction=True: reads inside a test's transaction may stay on default for that reason.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])
STEP = re.compile(
    r'data-testid="step-(\w+)">.*?<span class="db" data-db="(\w+)">\w+</span>\s*'
    r'<span data-testid="reason">\(([^)]*)\)</span>:\s*<span data-testid="(\w+)">',
    re.DOTALL,
)


def steps(text: str) -> dict[str, tuple[str, str, str]]:
    """step -> (alias, reason, found|behind|missing), from the page."""
    found = STEP.findall(text)
    return {step: (alias, unescape(reason), seen) for step, alias, reason, seen in found}


def on_postgresql() -> bool:
    return connections["replica"].vendor == "postgresql"


def run_experiment(client, text="Can I read this?"):
    response = client.post(URL, {"text": text, "run": "1"})
    assert response.status_code == 200
    return response


def test_each_step_is_served_where_the_router_sent_it(client):
    response = run_experiment(client)
    note = Note.objects.using("default").get()
    assert note.text == "Read-your-writes experiment: Can I read this?"
    assert f'href="{note.get_absolute_url()}"' in response.text
    seen = steps(response.text)
    assert list(seen) == ["pinned", "unpinned", "forced", "restored", "without"]
    assert seen["pinned"] == ("default", "pinned: POST request", "found")
    assert seen["forced"] == ("default", "pinned: use_primary_db", "found")
    alias, reason, found = seen["unpinned"]
    assert (alias, reason) == ("replica", "round-robin")
    assert found == "found" or (on_postgresql() and found == "behind")
    alias, reason, found = seen["without"]
    assert (alias, reason) == ("replica", "round-robin")


def test_the_background_thread_reads_with_the_request_s_pin(client):
    seen = steps(run_experiment(client).text)
    alias, reason, found = seen["restored"]
    if on_postgresql():  # a WAL position: the primary until the standby replays it
        assert (alias, reason) == ("replica", "caught up with your write") or (
            alias == "default" and reason.startswith("replica behind your write: ")
        )
    else:  # no position: a window from the write
        assert alias == "default" and re.fullmatch(r"pinned: wrote \d+ s ago", reason)
    assert found == "found"


def test_the_response_pins_the_writer(client):
    response = run_experiment(client)
    assert response.cookies[pinning_cookie()].value


def test_the_experiment_waits_for_its_button(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-testid="result"' not in response.text
    assert 'method="post"' in response.text and "csrfmiddlewaretoken" in response.text
    assert not Note.objects.using("default").exists()


def test_a_get_with_run_writes_nothing_and_says_to_post(client):
    response = client.get(URL, {"run": "1", "text": "sneaky"})
    assert response.status_code == 200
    assert 'data-testid="error"' in response.text
    assert not Note.objects.using("default").exists()


@pytest.mark.parametrize("junk", ["", "   ", "x" * 5000])
def test_bad_text_is_a_message_and_writes_nothing(client, junk):
    response = client.post(URL, {"text": junk, "run": "1"})
    assert response.status_code == 200
    assert 'data-testid="error"' in response.text
    assert 'data-testid="result"' not in response.text
    assert not Note.objects.using("default").exists()


def test_a_post_without_its_button_writes_nothing(client):
    response = client.post(URL, {"text": "no button"})
    assert response.status_code == 200
    assert not Note.objects.using("default").exists()


@pytest.mark.postgres
def test_with_replay_paused_the_replica_lacks_the_note_and_the_token_keeps_the_thread_on_default(
    client, settings
):
    """The standby can't have the note: only the pinned, forced and token-carrying reads find it."""
    from tests.postgres.test_topology import replay_paused
    from tests.replication import wait_for_replay

    settings.MULTIDB_PINNING_MODE = "lsn"
    wait_for_replay()
    with replay_paused():
        seen = steps(run_experiment(client).text)
    assert seen["unpinned"] == ("replica", "round-robin", "behind")
    assert seen["without"] == ("replica", "round-robin", "behind")
    assert seen["forced"] == ("default", "pinned: use_primary_db", "found")
    alias, reason, found = seen["restored"]
    assert (alias, found) == ("default", "found")
    assert re.fullmatch(
        r"replica behind your write: [0-9A-F]+/[0-9A-F]+ < [0-9A-F]+/[0-9A-F]+", reason
    )


def test_a_read_only_uri_to_default_s_file_is_default_s_file():
    assert sqlite_path("file:/srv/var/default.sqlite3?mode=ro") == "/srv/var/default.sqlite3"
    assert sqlite_path("/srv/var/default.sqlite3") == "/srv/var/default.sqlite3"


def test_the_page_says_what_the_replica_is(client):
    text = run_experiment(client).text
    if on_postgresql():
        assert "is a separate server" in text
    else:
        assert "opens default's own SQLite file" in text
