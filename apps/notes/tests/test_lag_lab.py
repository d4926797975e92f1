"""The lag lab's doors: who may open it, and what it says when it can't work.

Pausing replay for real needs the PostgreSQL topology: tests/postgres/test_lag_lab.py.
"""

import pytest
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db(databases=["default", "replica"])
LAB = reverse("notes:lag_lab")
# Nothing listens on port 1: the connection is refused at once.
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/multidb"


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitor_is_sent_to_log_in(client, method):
    response = getattr(client, method)(LAB, {"action": "pause"} if method == "post" else None)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={LAB}"


@pytest.mark.parametrize("method", ["get", "post"])
def test_logged_in_non_staff_user_is_forbidden(logged_in_client, method):
    data = {"action": "pause"} if method == "post" else None
    response = getattr(logged_in_client, method)(LAB, data)
    assert response.status_code == 403
    assert b"Forbidden" in response.content


@override_settings(LAG_LAB_SUPERUSER_URL="")
def test_lab_without_a_superuser_url_is_off_and_says_how_to_switch_it_on(staff_client):
    response = staff_client.get(LAB)
    assert response.status_code == 200
    assert b"The lag lab is off" in response.content
    assert b"make demo-pg" in response.content
    assert b"DATABASE_URL_REPLICA_SUPERUSER" in response.content
    assert b"Pause replay</button>" not in response.content


@override_settings(LAG_LAB_SUPERUSER_URL=UNREACHABLE)
def test_unreachable_standby_is_reported_on_the_page_not_as_an_error_page(staff_client):
    response = staff_client.get(LAB)
    assert response.status_code == 200
    problem = response.context["problem"]
    assert problem.startswith("OperationalError:") and "127.0.0.1" in problem
    assert b"Couldn't read the standby's state: OperationalError" in response.content


@override_settings(LAG_LAB_SUPERUSER_URL=UNREACHABLE)
@pytest.mark.parametrize("action", ["pause", "resume"])
def test_action_on_an_unreachable_standby_redirects_with_the_error(staff_client, action):
    response = staff_client.post(LAB, {"action": action}, follow=True)
    assert response.redirect_chain == [(LAB, 302)]
    assert response.status_code == 200
    assert f"Couldn&#x27;t {action} replay: OperationalError".encode() in response.content


@override_settings(LAG_LAB_SUPERUSER_URL=UNREACHABLE)
def test_unknown_action_changes_nothing_and_says_so(staff_client):
    response = staff_client.post(LAB, {"action": "drop-database"}, follow=True)
    assert response.status_code == 200
    assert b"Unknown action" in response.content


@override_settings(LAG_LAB_SUPERUSER_URL=UNREACHABLE)
def test_actions_need_a_csrf_token(staff_client):
    staff_client.handler.enforce_csrf_checks = True
    assert staff_client.post(LAB, {"action": "pause"}).status_code == 403


@override_settings(LAG_LAB_SUPERUSER_URL=UNREACHABLE)
@pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"])  # its event
def test_write_action_saves_a_note_on_default_and_pins_the_browser(staff_client):
    from apps.notes.models import Note
    from routers.pinning import pinning_cookie

    response = staff_client.post(LAB, {"action": "write"}, follow=True)
    assert response.status_code == 200
    (note,) = Note.objects.using("default").filter(text="Lag lab: written by the lag lab")
    assert f"Note #{note.pk} written by the lag lab".encode() in response.content
    assert staff_client.cookies[pinning_cookie()].value
