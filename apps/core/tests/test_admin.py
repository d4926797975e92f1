"""Admin actions refuse a selection that names no row, instead of answering 500.

Django's admin filters ``pk__in`` on the posted ``_selected_action`` ids as
they come: ``abc`` raised ``ValueError`` and an id past the column's range
``OverflowError`` on SQLite, a 500 on every changelist. With
``CheckedSelectionMixin`` (``apps/core/admin.py``) the changelist answers with
a warning and the rows stay.
"""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connections

from apps.accounts.factories import UserFactory
from apps.core.admin import CheckedSelectionMixin
from apps.notes.factories import NoteFactory

ALL = ["default", "replica", "blog_db", "shop_db"]
WARNING = "The selection names rows that can&#x27;t exist. No items have been changed."


def note_rows() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM notes_note")
        return cursor.fetchone()[0]


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db(databases=ALL)
@pytest.mark.parametrize("selected", ["abc", "\ufffd", "1.5", str(2**63), "9" * 5_000])
def test_an_action_on_ids_that_cant_be_rows_warns_and_deletes_nothing(staff_client, selected):
    note = NoteFactory()
    data = {
        "action": "delete_selected",
        "_selected_action": [str(note.pk), selected],
        "post": "yes",
    }
    response = staff_client.post("/admin/notes/note/", data, follow=True)
    assert response.status_code == 200
    assert WARNING in response.content.decode()
    assert note_rows() == 1


@pytest.mark.django_db(databases=ALL)
def test_an_action_on_real_ids_still_runs(staff_client):
    notes = [NoteFactory(), NoteFactory()]
    data = {"action": "delete_selected", "_selected_action": [str(notes[0].pk)], "post": "yes"}
    response = staff_client.post("/admin/notes/note/", data)
    assert response.status_code == 302
    assert note_rows() == 1


def test_every_registered_model_admin_checks_its_selection():
    """Django's own UserAdmin and GroupAdmin included: they are registered again with it."""
    registered = [model for model in apps.get_models() if admin.site.is_registered(model)]
    assert len(registered) >= 8
    unchecked = [
        model._meta.label
        for model in registered
        if not isinstance(admin.site.get_model_admin(model), CheckedSelectionMixin)
    ]
    assert unchecked == []


def test_the_admin_is_branded_for_the_demo(client):
    response = client.get("/admin/login/")
    assert "Multi-database demo administration" in response.text
    assert "Django administration" not in response.text


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico", follow=False)
    assert response.status_code == 301
    assert response["Location"].endswith("core/favicon.svg")
    page = client.get("/accounts/login/")  # every page extends base.html
    assert 'rel="icon" href="/static/core/favicon.svg"' in page.text
