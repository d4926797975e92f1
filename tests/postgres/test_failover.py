"""Failover on the real topology: servers stopped, hung and lagging while requests keep coming.

Each test does to a server what happens in production (``pg_ctl stop -m
immediate``, SIGSTOP on the postmaster, replay paused) through
``tests.postgres.servers``, and checks what ``routers.health`` and the routers
make of it, request by request. The ``topology`` fixture puts every server
back, and waits until the standby streams and has caught up, pass or fail.

Django's test client keeps a thread's connections open between requests (it
disconnects ``close_old_connections`` around each one), where a real server
with ``CONN_MAX_AGE = 0`` closes them at the end of every request. So after
breaking a server, a test closes that alias's connection, as the end of the
request in flight would.
"""

import logging
import threading
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from apps.notes.models import Note
from apps.shop.factories import ProductFactory
from apps.shop.models import Order, OrderEvent, Product
from apps.shop.services import outbox_relay
from routers.health import connect_wait_seconds, health
from tests.postgres import servers
from tests.postgres.test_topology import replay_paused
from tests.replication import wait_for_replay

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica", "blog_db", "shop_db"]),
]
User = get_user_model()
SERVER_OF = {"default": "primary", "replica": "standby", "blog_db": "blog", "shop_db": "shop"}


@pytest.fixture
def topology():
    """The topology's servers; every one running and the standby caught up afterwards."""
    for alias, name in SERVER_OF.items():
        port = connections[alias].settings_dict["PORT"]
        assert str(port) == str(servers.port_of(name)), (
            f"{alias} is on port {port}, not on the topology's {name}: run the tests with the "
            "same PG_TOPOLOGY_DIR and PG_TOPOLOGY_PORT as scripts/pg_topology.py"
        )
    servers.wait_for_standby()
    try:
        yield servers
    finally:
        try:
            servers.restore()
        finally:
            for connection in connections.all(initialized_only=True):
                connection.close()  # broken by a stopped server; the next use reconnects


def logged_in_shopper():
    """A client logged in as a new user "shopper", the user and the session on the replica."""
    shopper = UserFactory(username="shopper")
    wait_for_replay()  # Client.login() reads the user through the router: the replica
    client = Client()
    assert client.login(username="shopper", password=DEFAULT_PASSWORD)
    wait_for_replay()  # the session, written to default, must be on the replica too
    return client, shopper


def wait_out_cooldown(alias, *, timeout=30.0):
    """Poll until *alias*'s cooldown has run out (bounded: fails instead of hanging)."""
    deadline = time.monotonic() + timeout
    while health.cooling_down(alias):
        assert time.monotonic() < deadline, f"{alias} still cooling down after {timeout} s"
        time.sleep(0.05)


def queries_by_alias(response) -> dict[str, int]:
    """The routing trace's ``X-DB-Queries: default=1, replica=2`` as a dict."""
    header = response["X-DB-Queries"]
    if header == "none":
        return {}
    pairs = (part.split("=") for part in header.split(", "))
    return {alias: int(count) for alias, count in pairs}


@pytest.fixture
def connection_attempts(monkeypatch) -> list[tuple[str, str]]:
    """Record every real connection attempt, successful or not, as ``(alias, thread name)``."""
    attempts: list[tuple[str, str]] = []
    wrapper_class = type(connections["replica"])
    connect = wrapper_class.get_new_connection

    def recorded(self, conn_params):
        attempts.append((self.alias, threading.current_thread().name))
        return connect(self, conn_params)

    monkeypatch.setattr(wrapper_class, "get_new_connection", recorded)
    return attempts


def attempts_on(alias, attempts) -> Counter:
    """Connection attempts on *alias*, per thread."""
    return Counter(thread for each, thread in attempts if each == alias)


def marked_down(caplog, alias) -> list[str]:
    """The "marked down" warnings routers.health logged for *alias*: one per change of state."""
    messages = [r.getMessage() for r in caplog.records if r.name == "routers.health"]
    return [message for message in messages if message.startswith(f"{alias} marked down")]


# --- a replica that dies ---------------------------------------------------------


@pytest.mark.urls("tests.routers.urls")
def test_reads_move_to_default_while_the_replica_is_stopped_and_return_after_the_cooldown(
    topology, settings
):
    settings.MULTIDB_REPLICA_COOLDOWN_SECONDS = 1
    UserFactory(username="ada")
    wait_for_replay()
    client = Client()
    answers = []
    for number in range(30):
        if number == 10:
            topology.stop("standby")
            connections["replica"].close()  # the request in flight ends
        response = client.get("/users/ada/")
        assert response.status_code == 200, number
        answers.append(response.json())

    assert answers[:10] == [{"found": True, "alias": "replica", "reason": "round-robin"}] * 10
    for answer in answers[10:]:
        assert answer["found"] is True and answer["alias"] == "default"
        assert answer["reason"].startswith("replica down: cooling down "), answer
    assert health.is_down("replica")

    UserFactory(username="grace")  # written while the replica is down: default serves it
    assert client.get("/users/grace/").json()["alias"] == "default"

    topology.start("standby")
    topology.wait_for_standby()
    wait_out_cooldown("replica")
    assert client.get("/users/grace/").json() == {
        "found": True,
        "alias": "replica",
        "reason": "round-robin",
    }
    assert not health.is_down("replica")


# --- a replica that hangs ----------------------------------------------------------


@pytest.mark.urls("tests.routers.urls")
def test_a_hung_replica_costs_one_request_one_connection_attempt(
    topology, connection_attempts, caplog
):
    """Ten requests in a row: the first waits for connect_timeout, the rest skip the replica."""
    caplog.set_level(logging.WARNING, logger="routers.health")
    UserFactory(username="ada")
    wait_for_replay()
    connections["replica"].close()
    topology.hang("standby")
    connection_attempts.clear()
    client = Client()
    answers = []
    for number in range(10):
        response = client.get("/users/ada/")
        assert response.status_code == 200, number
        answers.append(response.json())

    assert attempts_on("replica", connection_attempts).total() == 1
    assert len(marked_down(caplog, "replica")) == 1
    assert all(answer["found"] and answer["alias"] == "default" for answer in answers)
    assert all(answer["reason"].startswith("replica down: cooling down ") for answer in answers)
    assert health.is_down("replica")


@pytest.mark.urls("tests.routers.urls")
def test_requests_meeting_a_hung_replica_wait_once_and_later_ones_skip_it(
    topology, connection_attempts, caplog
):
    """Four requests meet the hang together: each waits for its own attempt, once. Four
    more arrive while those attempts wait: they read default without connecting."""
    caplog.set_level(logging.WARNING, logger="routers.health")
    UserFactory(username="ada")
    wait_for_replay()
    topology.hang("standby")
    connection_attempts.clear()
    answers, failures = [], []

    def request(start):
        try:
            start.wait(timeout=10)
            response = Client().get("/users/ada/")
            answers.append((threading.current_thread().name, response.status_code, response.json()))
        except Exception as error:  # reported below; a thread can't fail the test itself
            failures.append(repr(error))
        finally:
            connections.close_all()

    def burst(group):
        start = threading.Barrier(4)
        threads = [
            threading.Thread(target=request, args=(start,), name=f"{group}-{number}")
            for number in range(4)
        ]
        for thread in threads:
            thread.start()
        return threads

    early = burst("early")
    deadline = time.monotonic() + 10
    while not attempts_on("replica", connection_attempts):
        assert time.monotonic() < deadline, "no request tried the replica"
        time.sleep(0.01)
    # Past the wait after which attempts stop overlapping; well inside the 2 s
    # connect_timeout that the early attempts are still waiting out.
    time.sleep(2 * connect_wait_seconds())
    late = burst("late")
    for thread in early + late:
        thread.join(timeout=30)

    assert failures == []
    assert len(answers) == 8
    per_thread = attempts_on("replica", connection_attempts)
    assert set(per_thread) <= {thread.name for thread in early}
    assert set(per_thread.values()) == {1}  # no request waited on the replica twice
    assert len(marked_down(caplog, "replica")) == 1  # however many attempts failed
    for name, status, answer in answers:
        assert status == 200 and answer["found"] is True and answer["alias"] == "default"
        if name.startswith("late"):
            assert answer["reason"].startswith(
                ("replica not answering: a connection attempt", "replica down: cooling down ")
            ), answer


# --- a replica that lags -----------------------------------------------------------


@pytest.mark.urls("tests.routers.urls")
def test_a_replica_lagging_past_the_byte_limit_takes_no_reads_until_it_catches_up(
    topology, settings
):
    settings.MULTIDB_MAX_REPLICA_LAG = {"bytes": 1000}
    wait_for_replay()
    assert health.measure("replica", "default").bytes == 0
    client = Client()
    with replay_paused():
        for number in range(20):
            UserFactory(username=f"late{number}")
        lag = health.measure("replica", "default")
        assert lag.bytes > 1000
        assert not User.objects.using("replica").filter(username="late19").exists()
        answer = client.get("/users/late19/").json()
        assert answer["found"] is True and answer["alias"] == "default"
        assert answer["reason"] == f"replica lagging {lag.bytes} bytes > 1000 bytes"

    wait_for_replay()
    assert health.measure("replica", "default").bytes == 0
    assert client.get("/users/late19/").json() == {
        "found": True,
        "alias": "replica",
        "reason": "round-robin",
    }


# --- a primary that dies -----------------------------------------------------------


def test_while_the_primary_is_down_pages_read_the_replica_and_writes_get_a_503(topology, settings):
    settings.MULTIDB_REPLICA_COOLDOWN_SECONDS = 1
    client, _ = logged_in_shopper()
    notes = Note.objects.using("default").count()

    topology.stop("primary")
    connections["default"].close()

    for page in ("/", "/blog/", "/shop/"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert b"shopper" in response.content  # the session and user, read from the replica
        served = queries_by_alias(response)
        assert served.get("replica", 0) >= 1 and "default" not in served, (page, served)

    response = client.post("/read-your-writes/", {"text": "While default is down"})
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert b"Temporarily read-only" in response.content
    assert health.is_down("default")

    topology.start("primary")
    wait_out_cooldown("default")
    assert Note.objects.using("default").count() == notes  # nothing half-written
    response = client.post("/read-your-writes/", {"text": "Back"})
    assert response.status_code == 302
    assert Note.objects.using("default").filter(text="Back").count() == 1


def test_orders_placed_while_the_primary_is_down_are_counted_once_it_is_back(topology, settings):
    """The shop keeps selling; the outbox carries each order's count to default on recovery.

    With the primary stopped, orders commit in shop_db with their events, and
    the relay after each commit leaves them pending. Once the primary is back,
    one relay run makes the counter equal the orders, and running it again
    changes nothing.
    """
    settings.MULTIDB_REPLICA_COOLDOWN_SECONDS = 1
    client, shopper = logged_in_shopper()
    product = ProductFactory(stock=10)

    topology.stop("primary")
    connections["default"].close()
    for _ in range(3):
        assert client.post("/shop/", {f"qty_{product.pk}": 1}).status_code == 302
    assert Order.objects.filter(customer_id=shopper.pk).count() == 3
    assert OrderEvent.objects.filter(applied_at__isnull=True).count() == 3
    assert Product.objects.get(pk=product.pk).stock == 7

    topology.start("primary")
    wait_out_cooldown("default")
    assert User.objects.using("default").get(pk=shopper.pk).orders_placed == 0
    assert outbox_relay().applied == 3
    assert User.objects.using("default").get(pk=shopper.pk).orders_placed == 3
    assert outbox_relay().applied == 0
    assert User.objects.using("default").get(pk=shopper.pk).orders_placed == 3


# --- clients that wrote, while a server hangs --------------------------------------


@pytest.mark.urls("tests.routers.urls")
def test_a_pinned_client_pays_a_hung_replica_once_not_on_every_request(
    topology, connection_attempts
):
    """The pin check at the end of each request asks only replicas that aren't known down."""
    client = Client()
    client.post("/users/", {"username": "pinned"})
    connections["replica"].close()
    topology.hang("standby")
    connection_attempts.clear()
    for _ in range(3):
        response = client.get("/users/pinned/")
        assert response.json()["found"] is True and response.json()["alias"] == "default"
        connections["replica"].close()  # as the end of a real request would
    assert attempts_on("replica", connection_attempts).total() == 1


@pytest.mark.urls("tests.routers.urls")
def test_writes_to_a_primary_known_down_never_wait_on_it(topology, connection_attempts):
    """A 503 for a write doesn't try the primary again to record a WAL position."""
    client = Client()
    connections["default"].close()
    topology.hang("primary")
    connection_attempts.clear()
    for _ in range(3):
        response = client.post("/users/", {"username": "nobody"}, HTTP_ACCEPT="application/json")
        assert response.status_code == 503 and response["Retry-After"]
        connections["default"].close()
    assert attempts_on("default", connection_attempts).total() == 1


# --- a database without replicas ----------------------------------------------------


def count_attempts(monkeypatch, alias) -> list[None]:
    """A list that grows by one at each connection attempt on *alias* (the attempt still runs)."""
    attempts, wrapper = [], connections[alias]
    real = wrapper.connect

    def connect():
        attempts.append(None)
        return real()

    monkeypatch.setattr(wrapper, "connect", connect)
    return attempts


def test_a_hung_blog_db_costs_one_attempt_and_spares_the_pages_that_dont_need_it(
    topology, monkeypatch
):
    """SIGSTOP on blog_db's postmaster: the first /blog/ waits out the connect timeout and
    marks it down; the next /blog/ answers 503 at once; /read-your-writes/ never tries it."""
    client = Client()
    connections["blog_db"].close()
    attempts = count_attempts(monkeypatch, "blog_db")
    topology.hang("blog")
    first = client.get("/blog/")
    second = client.get("/blog/")
    other = client.get("/read-your-writes/")

    assert first.status_code == second.status_code == 503
    assert b"blog_db can&#x27;t be reached right now" in second.content
    assert len(attempts) == 1
    assert health.cooling_down("blog_db") > 0
    assert other.status_code == 200 and "blog_db" not in queries_by_alias(other)


def test_a_stopped_blog_db_is_marked_up_again_once_it_is_back(topology, settings):
    settings.MULTIDB_REPLICA_COOLDOWN_SECONDS = 1
    client = Client()
    topology.stop("blog")
    connections["blog_db"].close()
    assert client.get("/blog/").status_code == 503
    assert client.get("/health.json").json()["ok"] is False

    topology.start("blog")
    wait_out_cooldown("blog_db")
    assert client.get("/blog/").status_code == 200
    blog = next(
        row for row in client.get("/health.json").json()["databases"] if row["alias"] == "blog_db"
    )
    assert blog["state"] == "up"


def test_a_server_lost_in_the_middle_of_an_order_is_a_503_and_writes_nothing(topology):
    """The connection was open when shop_db died: the error itself names the server."""
    client, shopper = logged_in_shopper()
    product = ProductFactory(stock=10)
    Product.objects.get(pk=product.pk)  # this thread's shop_db connection is open
    topology.stop("shop")

    response = client.post("/shop/", {f"qty_{product.pk}": 2})
    assert response.status_code == 503
    assert b"shop_db can&#x27;t be reached right now, so nothing you sent was saved" in (
        response.content
    )
    assert health.is_down("shop_db")

    topology.start("shop")
    connections["shop_db"].close()
    health.reset()
    assert Order.objects.filter(customer_id=shopper.pk).count() == 0
    assert Product.objects.get(pk=product.pk).stock == 10


def test_a_statement_timeout_is_not_a_server_that_is_down(topology):
    """The server answered: degraded mode leaves the error alone and nothing is marked down."""
    from django.db import OperationalError
    from django.test import RequestFactory

    from routers.degraded import DegradedModeMiddleware

    with connections["blog_db"].cursor() as cursor:
        cursor.execute("SET statement_timeout = '10ms'")
        with pytest.raises(OperationalError) as error:
            cursor.execute("SELECT pg_sleep(1)")
        cursor.execute("RESET statement_timeout")
    assert error.value.__cause__.sqlstate == "57014"  # query_canceled
    middleware = DegradedModeMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/blog/"), error.value) is None
    assert not health.is_down("blog_db")


@pytest.mark.django_db(
    transaction=True,
    databases=["default", "replica", "blog_db", "shop_db", "shard_0", "shard_1"],  # the home page
)
def test_a_hung_replica_costs_the_home_page_one_attempt_not_one_per_visit(topology, monkeypatch):
    """The home page counts users with .using("replica"), past the routers: it asks
    routers.health first, so one visit pays the timeout and the next skip the replica."""
    client = Client()
    connections["replica"].close()
    attempts = count_attempts(monkeypatch, "replica")
    topology.hang("standby")
    first, second = client.get("/"), client.get("/")
    assert first.status_code == second.status_code == 200
    assert len(attempts) == 1
    assert b"replica down: cooling down" in second.content


def test_with_the_monitor_running_no_request_retries_a_database_known_to_be_down(
    topology, settings, monkeypatch
):
    """The background thread retries a database whose cooldown is over, each interval; the
    requests meanwhile answer 503 at once, and it is marked up as soon as it answers."""
    settings.MULTIDB_REPLICA_COOLDOWN_SECONDS = 0.5
    settings.MULTIDB_REPLICA_LAG_INTERVAL = 0.1  # this test runs the monitor; teardown stops it
    client = Client()
    topology.stop("blog")
    connections["blog_db"].close()
    assert client.get("/blog/").status_code == 503  # this request's attempt marks it down
    wait_out_cooldown("blog_db")
    attempts = count_attempts(monkeypatch, "blog_db")

    response = client.get("/blog/")
    assert response.status_code == 503 and attempts == []
    assert health.is_down("blog_db")

    topology.start("blog")
    servers.wait_until(lambda: not health.is_down("blog_db"), timeout=10, what="blog_db up")
    assert client.get("/blog/").status_code == 200
