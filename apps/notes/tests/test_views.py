"""The read-your-writes pages: post a note, read it back, and say which database served it."""

import re

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from apps.notes.factories import NoteFactory

pytestmark = pytest.mark.django_db(databases=["default", "replica"])
PAGE = reverse("notes:read_your_writes")


def physical_notes() -> list[tuple]:
    """Every note row in default's own file or server: raw SQL, no ORM, no router."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT id, text, author_id FROM notes_note ORDER BY id")
        return cursor.fetchall()


def traced_alias_of_note_query(response) -> str:
    """The alias the routing-trace panel lists for the query on the notes table."""
    rows = re.findall(r'<tr data-alias="(\w+)">(.*?)</tr>', response.content.decode(), re.S)
    aliases = {alias for alias, row in rows if "notes_note" in row}
    assert len(aliases) == 1, rows
    return aliases.pop()


def test_posted_note_is_written_to_default_and_read_back_on_its_own_page(client, clock):
    response = client.post(PAGE, {"text": "Hello, replica"})

    (row,) = physical_notes()
    assert row[1:] == ("Hello, replica", None)
    assert response.status_code == 302
    assert response["Location"] == f"/read-your-writes/notes/{row[0]}/"
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert b"Hello, replica" in detail.content
    served = detail.context["served"]
    # The writer's read stays on the primary: pinned by its cookie on SQLite,
    # and inside the test's transaction (which a real standby can't see) on Postgres.
    if connections["replica"].vendor == "sqlite":
        assert (served.alias, served.reason) == ("default", "pinned: wrote 0 s ago")
    else:
        assert (served.alias, served.reason) == ("default", "in transaction")
    assert f"({served.reason})".encode() in detail.content
    assert traced_alias_of_note_query(detail) == served.alias


@pytest.mark.sqlite_only
def test_writers_read_is_pinned_to_default_and_another_browser_reads_the_replica(client, clock):
    """SQLite has no WAL positions, so the pin is a time window; a new client has no pin."""
    location = client.post(PAGE, {"text": "Mine"})["Location"]
    assert client.cookies["multidb_pin_writes"].value

    mine = client.get(location).context["served"]
    theirs = Client().get(location).context["served"]

    assert (mine.alias, mine.reason) == ("default", "pinned: wrote 0 s ago")
    assert (theirs.alias, theirs.reason) == ("replica", "round-robin")


def test_logged_in_author_is_attached_to_the_note(logged_in_client, user):
    logged_in_client.post(PAGE, {"text": "Signed"})
    assert [row[1:] for row in physical_notes()] == [("Signed", user.pk)]
    page = logged_in_client.get(PAGE)
    assert b"john" in page.content


def test_list_shows_newest_notes_and_names_the_database_that_served_it(client):
    NoteFactory(text="Older note")
    NoteFactory(text="Newer note")
    response = client.get(PAGE)
    assert response.status_code == 200
    assert [note.text for note in response.context["notes"]] == ["Newer note", "Older note"]
    served = response.context["served"]
    if connections["replica"].vendor == "sqlite":  # the mirror sees the test's transaction
        assert (served.alias, served.reason) == ("replica", "round-robin")
    else:  # a real standby doesn't
        assert (served.alias, served.reason) == ("default", "in transaction")
    assert traced_alias_of_note_query(response) == served.alias
    assert f'data-alias="{served.alias}"'.encode() in response.content


@pytest.mark.parametrize(
    "data",
    [{}, {"text": ""}, {"text": "   \n "}, {"text": "x" * 10_000}, {"text": "x" * 281}],
    ids=["missing", "empty", "blank", "10k", "281"],
)
def test_junk_input_redisplays_the_form_with_errors_and_writes_nothing(client, data):
    response = client.post(PAGE, data)
    assert response.status_code == 200
    assert response.context["form"].errors["text"]
    assert b'class="errorlist' in response.content
    assert physical_notes() == []


def test_note_of_280_characters_is_accepted(client):
    response = client.post(PAGE, {"text": "é" * 280})
    assert response.status_code == 302
    assert physical_notes()[0][1] == "é" * 280


@pytest.mark.parametrize("pk", ["999999", str(10**30)])
def test_missing_note_is_a_friendly_404(client, pk):
    response = client.get(f"/read-your-writes/notes/{pk}/")
    assert response.status_code == 404
    assert b"No such note" in response.content
    assert b"Traceback" not in response.content
    assert response.context["behind"] is False


def test_note_page_only_accepts_numeric_ids(client):
    assert client.get("/read-your-writes/notes/abc/").status_code == 404
