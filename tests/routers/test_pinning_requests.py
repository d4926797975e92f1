"""PinningRouterMiddleware end to end: cookies, writes on any method, transactions, ASGI."""

import asyncio

import pytest
from django.test import AsyncClient, Client

from routers.pinning import Pin, decode_pins, encode_pins, pinning_cookie

pytestmark = [
    pytest.mark.urls("tests.routers.urls"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica", "blog_db"]),
]


@pytest.fixture(autouse=True)
def time_mode(settings):
    """Time windows behave the same on both vendors; LSN pins are tested on Postgres."""
    settings.MULTIDB_PINNING_MODE = "time"


@pytest.fixture(autouse=True)
def frozen(clock):
    """Pins are stamped and aged by a clock that moves only when a test says so."""
    return clock


def pin_cookie(response):
    return response.cookies.get(pinning_cookie())


def test_a_client_that_never_wrote_reads_the_replica_round_robin(client):
    response = client.get("/read/")
    assert response.json() == {"alias": "replica", "reason": "round-robin", "pinned": False}
    assert pin_cookie(response) is None


def test_a_post_pins_its_own_reads_but_sets_no_cookie_when_it_wrote_nothing(client):
    """Reads in a POST stay on the primary (as in multidb); a POST that changed nothing
    (a refused form, a 403, a 404) leaves no pin and asks no WAL position."""
    response = client.post("/read/")
    assert response.json()["alias"] == "default"
    assert response.json()["reason"] == "pinned: POST request"
    assert pin_cookie(response) is None


@pytest.mark.urls("project.urls")
def test_a_post_refused_with_403_sets_no_pin():
    """The demo's note form without a CSRF token: refused before the view, nothing written."""
    client = Client(enforce_csrf_checks=True)
    response = client.post("/read-your-writes/", {"body": "refused"})
    assert response.status_code == 403
    assert pin_cookie(response) is None


def test_a_post_that_writes_sets_a_signed_httponly_cookie(client):
    response = client.post("/users/", {"username": "writer"})
    cookie = pin_cookie(response)
    assert cookie["max-age"] == 15 and cookie["samesite"] == "Lax"
    assert cookie["httponly"] is True and cookie["secure"] == ""
    assert set(decode_pins(cookie.value)) == {"default"}
    plain, _, signature = cookie.value.rpartition(":")
    assert plain.startswith("default:") and len(signature) >= 40


def test_the_cookie_is_secure_when_the_session_cookie_is(client, settings):
    settings.SESSION_COOKIE_SECURE = True
    cookie = pin_cookie(client.post("/users/", {"username": "secure"}))
    assert cookie["secure"] is True


def test_after_a_write_the_client_reads_the_primary_for_the_window(client, clock):
    client.post("/users/", {"username": "windowed"})
    response = client.get("/read/")
    assert response.json()["alias"] == "default"
    assert response.json()["reason"] == "pinned: wrote 0 s ago"
    clock.advance(14)
    assert client.get("/read/").json()["reason"] == "pinned: wrote 14 s ago"
    clock.advance(1)
    assert client.get("/read/").json()["alias"] == "replica"


def test_once_the_window_has_passed_the_client_reads_replicas_and_the_cookie_goes(client, clock):
    client.cookies[pinning_cookie()] = encode_pins({"default": Pin(clock() - 16)})
    response = client.get("/read/")
    assert response.json()["alias"] == "replica"
    assert pin_cookie(response).value == "" and pin_cookie(response)["max-age"] == 0


def test_a_get_that_writes_pins_too(client):
    """The write is detected on the connection; the method doesn't matter."""
    response = client.get("/write-on-get/")
    assert response.json()["reason"] == "pinned: this request wrote to it"
    assert set(decode_pins(pin_cookie(response).value)) == {"default"}
    assert client.get("/read/").json()["alias"] == "default"


def test_a_write_to_a_primary_without_replicas_does_not_pin_default(client):
    response = client.get("/write-blog-on-get/")
    assert pin_cookie(response) is None
    assert client.get("/read/").json()["alias"] == "replica"


def test_a_db_write_view_pins_the_client(client):
    response = client.get("/declared-write/")
    assert response.json()["reason"] == "pinned: use_primary_db"
    assert set(decode_pins(pin_cookie(response).value)) == {"default"}


def test_pins_for_another_primary_leave_defaults_reads_on_the_replica(client, clock):
    client.cookies[pinning_cookie()] = encode_pins({"blog_db": Pin(clock())})
    assert client.get("/read/").json()["alias"] == "replica"


def test_reads_inside_a_transaction_on_the_primary_go_to_the_primary(client):
    assert client.get("/atomic-read/").json() == {
        "alias": "default",
        "reason": "in transaction",
        "pinned": False,
    }


def test_select_for_update_goes_to_the_primary(client):
    assert client.get("/for-update/").json() == {"alias": "default"}


@pytest.mark.parametrize(
    "value",
    [
        "junk",
        "x" * 4000,  # longer than any value the middleware writes
        "default:999999999999:",  # unsigned: the forged "future write" that pinned forever
        "default:99999999999:1",
        "default:1e400:",
        '"a|b"',
        "default:5:-1",
        "y",  # django-multidb-router's unsigned cookie
    ],
)
def test_unsigned_or_junk_cookies_are_ignored_and_deleted(client, value):
    client.cookies[pinning_cookie()] = value
    response = client.get("/read/")
    assert response.status_code == 200
    read, cookie = response.json(), pin_cookie(response)
    assert (read["alias"], read["reason"]) == ("replica", "round-robin")
    assert (cookie.value, cookie["max-age"]) == ("", 0)


def test_a_tampered_cookie_is_ignored(client, clock):
    """A real signed pin whose write time was moved on: the signature no longer matches."""
    genuine = encode_pins({"default": Pin(clock() - 60)})
    client.cookies[pinning_cookie()] = genuine.replace(f"{clock() - 60:.2f}", f"{clock():.2f}")
    response = client.get("/read/")
    assert (response.json()["alias"], response.json()["reason"]) == ("replica", "round-robin")


def test_a_forged_cookie_sent_unchanged_on_every_request_never_pins(client, clock):
    """The client ignores Set-Cookie and keeps sending the same forged value."""
    for _ in range(3):
        client.cookies[pinning_cookie()] = "default:999999999999:"
        assert client.get("/read/").json()["alias"] == "replica"
        clock.advance(10)


def test_concurrent_asgi_requests_never_see_each_others_pin_state(clock):
    """Sixty interleaved ASGI requests, half of them pinned by a cookie or their method."""

    async def one(n):
        client = AsyncClient()
        pinned = n % 2 == 0
        if n % 4 == 0:
            client.cookies[pinning_cookie()] = encode_pins({"default": Pin(clock())})
        sleep = f"{(n * 7 % 10) / 1000:.3f}"
        if n % 4 == 2:
            response = await client.post(f"/async-read/?sleep={sleep}")
        else:
            response = await client.get(f"/async-read/?sleep={sleep}")
        return pinned, response.json()

    async def run_all():
        return await asyncio.gather(*(one(n) for n in range(60)))

    for pinned, seen in asyncio.run(run_all()):
        expected = "default" if pinned else "replica"
        assert seen["before"]["alias"] == seen["after"]["alias"] == expected
