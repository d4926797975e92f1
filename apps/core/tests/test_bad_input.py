"""A NUL or a lone surrogate in a request is a 400 before any database sees it.

On PostgreSQL these requests used to answer 500 (``DataError: A string
literal cannot contain NUL (0x00) characters``): a query parameter used in a
filter, an admin changelist filter, the session cookie. On SQLite they
reached the database too, which stored or compared the NUL. The assertions
are the status, the page, and ``X-DB-Queries: none``: no query ran at all.
``tests/test_hostile_input.py`` sends such values to every page.
"""

from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from django.contrib.sessions.models import Session
from django.db import connections
from django.http import QueryDict
from django.test import AsyncClient, RequestFactory

from apps.accounts.factories import UserFactory
from apps.blog.factories import PostFactory
from apps.core.bad_input import unstorable_input
from apps.shop.factories import OrderFactory

ALL = ["default", "replica", "blog_db", "shop_db"]
LONE_SURROGATE = quote("\ud800".encode("utf-8", "surrogatepass"))  # %ED%A0%80


def note_rows() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM notes_note")
        return cursor.fetchone()[0]


def assert_refused(response, where: str) -> None:
    assert response.status_code == 400
    assert response["X-DB-Queries"] == "none"
    assert f"The {where} of this request holds a character that can't be stored" in (
        response.content.decode()
    )


@pytest.mark.django_db(databases=ALL)
@pytest.mark.parametrize("query", ["author=%00", "tag=%00", "tag=django%00", "page=1&author=a%00b"])
def test_nul_in_a_blog_filter_is_a_400_and_runs_no_query(client, query):
    PostFactory()
    assert_refused(client.get(f"/blog/?{query}"), "query string")


@pytest.mark.django_db(databases=ALL)
@pytest.mark.parametrize("query", ["status=%00", "status__exact=%00", "q=%00", "o=%00"])
def test_nul_in_an_admin_changelist_parameter_is_a_400_and_runs_no_query(client, query):
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    OrderFactory(customer=staff)
    client.force_login(staff)
    assert_refused(client.get(f"/admin/shop/order/?{query}"), "query string")


@pytest.mark.django_db(databases=ALL)
def test_nul_in_the_session_cookie_is_a_400_not_a_session_lookup(client):
    """The session middleware would look the key up in default: on PostgreSQL a DataError."""
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    assert_refused(client.get("/"), "cookies")
    assert Session.objects.count() == 0


@pytest.mark.django_db(databases=ALL)
def test_nul_in_urlencoded_form_data_is_a_400_and_saves_nothing(client):
    response = client.post(
        "/read-your-writes/", "text=hello%00", content_type="application/x-www-form-urlencoded"
    )
    assert_refused(response, "form data")
    assert note_rows() == 0


@pytest.mark.django_db(databases=ALL)
def test_nul_in_multipart_form_data_is_a_400_and_saves_nothing(client):
    """The test client's default for a dict: multipart/form-data, as a browser's upload form."""
    response = client.post("/read-your-writes/", {"text": "hello\x00"})
    assert_refused(response, "form data")
    assert note_rows() == 0


@pytest.mark.django_db(databases=ALL)
def test_nul_in_a_form_field_name_is_a_400(client):
    response = client.post(
        "/read-your-writes/", "te%00xt=hello", content_type="application/x-www-form-urlencoded"
    )
    assert_refused(response, "form data")


@pytest.mark.django_db(databases=ALL)
def test_nul_in_the_address_is_a_400(client):
    post = PostFactory()
    assert_refused(client.get(f"/blog/{post.pk}/slug%00/"), "address")


@pytest.mark.django_db(databases=ALL)
def test_a_lone_surrogate_sent_as_bytes_arrives_as_u_fffd_and_the_page_answers(client):
    """Django decodes the invalid UTF-8 to U+FFFD, which every database stores and compares."""
    PostFactory()
    response = client.get(f"/blog/?author={LONE_SURROGATE}&tag={LONE_SURROGATE}")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0

    posted = client.post(
        "/read-your-writes/",
        f"text={LONE_SURROGATE}",
        content_type="application/x-www-form-urlencoded",
    )
    assert posted.status_code == 302
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT text FROM notes_note")
        assert cursor.fetchall() == [("\ufffd\ufffd\ufffd",)]


@pytest.mark.parametrize(
    ("part", "value"),
    [("GET", "\x00"), ("GET", "\ud800"), ("GET", "a\udfffb"), ("POST", "\ud800"), ("POST", "\x00")],
)
def test_a_decoded_nul_or_lone_surrogate_is_found_wherever_it_is(part, value):
    """A surrogate can't come through Django's decoding; the check refuses one all the same."""
    request = RequestFactory().get("/")
    data = QueryDict(mutable=True)
    data["field"] = value
    setattr(request, part, data)
    assert unstorable_input(request) == {"GET": "query string", "POST": "form data"}[part]


def test_ordinary_input_passes(rf):
    request = rf.post("/?q=caf%C3%A9&page=2", {"text": "Ünïcödé, emoji 🎉, tabs\tand\nnewlines"})
    request.COOKIES["sessionid"] = "abcdefgh12345678"
    assert unstorable_input(request) == ""


@pytest.mark.django_db(databases=ALL)
def test_under_asgi_a_nul_is_a_400_too():
    """The middleware is async-capable: the same answer without a thread hop."""
    response = async_to_sync(AsyncClient().get)("/blog/?author=%00")
    assert_refused(response, "query string")


@pytest.mark.django_db(databases=ALL)
def test_a_body_too_large_is_a_400_that_says_so(client):
    """Over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): not "couldn't be understood", but too large."""
    response = client.post("/read-your-writes/", {"text": "x" * (3 * 2**20)})
    assert response.status_code == 400
    assert "What you sent is too large: at most 2.5 MB is accepted." in response.text
    assert note_rows() == 0


@pytest.mark.django_db(databases=ALL)
def test_a_page_for_staff_says_it_is_for_staff(client):
    client.force_login(UserFactory(username="visitor"))
    response = client.get("/lag-lab/")
    assert response.status_code == 403
    assert "The lag lab pauses replication: staff only." in response.text
