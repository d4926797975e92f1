"""The health page and JSON, and degraded mode, driven through the real health registry.

``health.mark_down()`` is what the routers call when a server refuses a
connection; calling it here puts the process in the same state without
stopping a server. Stopping, hanging and lagging real servers is
tests/postgres/test_failover.py. Errors, the pid and "measure now" are for
staff: the tests that read them log in as staff (``staff_client``).
"""

import os
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.factories import DEFAULT_PASSWORD, UserFactory
from apps.core import selectors
from apps.core.selectors import HIDDEN_ERROR, replica_lag_throttle_reset
from apps.core.topology import describe_databases
from apps.notes.factories import NoteFactory
from apps.shop.factories import ProductFactory
from routers.health import health, lag_interval
from tests.replication import wait_for_replay
from tests.support import unreachable

# The home page counts each shard's events too.
ALL = ["default", "replica", "blog_db", "shop_db", "shard_0", "shard_1"]
PAGE = reverse("health")
JSON = reverse("health_json")
NOTES = reverse("notes:read_your_writes")
SHOP = reverse("shop:product_list")
COOLING = re.compile(r"replica down: cooling down \d+ s")
ROW_KEYS = [
    "alias",
    "vendor",
    "role",
    "replica_of",
    "state",
    "cooling_down_seconds",
    "lag_seconds",
    "lag_bytes",
    "lag_measured_seconds_ago",
    "taking_reads",
    "serves",
    "error",
]
TOP_KEYS = [
    "ok",
    "problems",
    "pid",
    "cooldown_seconds",
    "max_lag_seconds",
    "max_lag_bytes",
    "lag_interval_seconds",
    "databases",
]


def page_rows(response) -> dict[str, dict[str, str]]:
    """``{alias: {"state": ..., "role": ..., "reads": ...}}`` from the page's health table."""
    rows = re.findall(
        r'<tr data-database="(\w+)" data-state="([^"]+)">\s*<td>.*?</td>\s*<td>([^<]*)</td>'
        r'.*?data-testid="taking-reads"[^>]*>(yes|no)',
        response.content.decode(),
        re.S,
    )
    return {alias: {"state": s, "role": role, "reads": reads} for alias, s, role, reads in rows}


def by_alias(payload) -> dict[str, dict]:
    return {row["alias"]: row for row in payload["databases"]}


@pytest.fixture
def staff_client(client):
    """A client logged in as staff: it sees errors and the pid, and may measure lag."""
    client.force_login(UserFactory(username="staff", is_staff=True))
    return client


def physical_rows(alias: str, sql: str) -> list[tuple]:
    """Rows as the database itself holds them: raw SQL on *alias*'s connection, no router."""
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


# --- the page and the JSON -----------------------------------------------------


@pytest.mark.django_db(databases=ALL)
def test_page_lists_every_alias_with_its_role_and_state_up(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    rows = page_rows(response)
    assert list(rows) == list(settings.DATABASES)
    for info in describe_databases():
        assert rows[info.alias] == {"state": "up", "role": info.role, "reads": "yes"}
    assert b"Reads and writes are being served." in response.content
    assert response.context["summary"]["ok"] is True


@pytest.mark.django_db(databases=ALL)
def test_json_has_stable_keys_and_one_row_per_alias(client):
    response = client.get(JSON)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    payload = response.json()
    assert list(payload) == TOP_KEYS
    assert [row["alias"] for row in payload["databases"]] == list(settings.DATABASES)
    for row in payload["databases"]:
        assert list(row) == ROW_KEYS
        assert row["state"] == "up" and row["cooling_down_seconds"] == 0 and row["error"] == ""
        assert row["taking_reads"] is True
    replica = by_alias(payload)["replica"]
    assert (replica["role"], replica["replica_of"]) == ("replica of default", "default")
    assert payload["ok"] is True and payload["problems"] == []
    assert payload["max_lag_seconds"] == 5
    assert payload["cooldown_seconds"] == 30


@pytest.mark.django_db(databases=ALL)
@pytest.mark.parametrize("path", [PAGE, JSON])
def test_page_and_json_open_no_database_connection(client, path):
    """They read the registry only, so a hung server can't hold them up."""
    response = client.get(path)
    assert response["X-DB-Queries"] == "none"
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db(databases=ALL)
def test_replica_marked_down_shows_cooling_down_and_takes_no_reads(staff_client):
    client = staff_client
    health.mark_down("replica", "connection refused")

    page = client.get(PAGE)
    assert page.status_code == 200
    assert page_rows(page)["replica"] == {
        "state": "cooling down",
        "role": "replica of default",
        "reads": "no",
    }
    assert re.search(rb"\d+ s left", page.content)
    assert b"connection refused" in page.content

    payload = client.get(JSON).json()
    replica = by_alias(payload)["replica"]
    assert replica["state"] == "cooling down"
    assert 1 <= replica["cooling_down_seconds"] <= 30
    assert replica["taking_reads"] is False
    assert replica["error"] == "connection refused"
    assert re.fullmatch(f"no reads: {COOLING.pattern}", replica["serves"])
    # The primary takes the replica's reads, so the site still works: ok.
    assert payload["ok"] is True
    assert by_alias(payload)["default"]["serves"] == (
        "writes and every read (no replica is taking reads)"
    )
    assert [p.split(":")[0] for p in payload["problems"]] == ["replica"]


@pytest.mark.django_db(transaction=True, databases=ALL)
def test_reads_go_to_default_while_the_replica_cools_down(client):
    """transaction=True: inside a test's transaction on Postgres, reads stay on default anyway."""
    health.mark_down("replica", "connection refused")

    response = client.get(NOTES)

    served = response.context["served"]
    assert served.alias == "default"
    assert COOLING.fullmatch(served.reason)
    assert response["X-DB-Queries"] == "default=1"
    assert re.search(
        rb'<tr data-alias="default">.*?default \(replica down: cooling down', response.content, re.S
    )


@pytest.mark.django_db(databases=ALL)
def test_home_page_skips_the_replica_count_while_it_cools_down(client):
    """Its user count names the replica with .using(), past the routers: it asks the registry."""
    health.mark_down("replica", "connection refused")
    response = client.get("/")
    assert response.status_code == 200
    assert "replica" not in response["X-DB-Queries"]
    assert COOLING.search(response.content.decode())


@pytest.mark.django_db(databases=ALL)
def test_primary_marked_down_is_not_ok_but_the_page_still_answers_200(staff_client):
    client = staff_client
    health.mark_down("default", "gone")
    page = client.get(PAGE)
    response = client.get(JSON)
    assert page.status_code == response.status_code == 200
    assert b"Read-only:" in page.content
    payload = response.json()
    assert payload["ok"] is False
    default = by_alias(payload)["default"]
    assert (default["state"], default["taking_reads"], default["error"]) == (
        "cooling down",
        False,
        "gone",
    )
    assert default["serves"].startswith("nothing: writes get a 503")


@pytest.mark.django_db(databases=ALL)
def test_cooled_down_alias_is_down_until_it_answers_again(client):
    with override_settings(MULTIDB_REPLICA_COOLDOWN_SECONDS=0):
        health.mark_down("replica", "connection refused")
        replica = by_alias(client.get(JSON).json())["replica"]
    assert (replica["state"], replica["cooling_down_seconds"]) == ("down", 0)
    assert replica["taking_reads"] is True  # the next read tries it

    health.mark_up("replica")
    assert by_alias(client.get(JSON).json())["replica"]["state"] == "up"


@pytest.mark.sqlite_only
@pytest.mark.django_db(databases=ALL)
def test_measure_now_on_sqlite_has_nothing_to_measure_and_no_error(staff_client):
    response = staff_client.get(PAGE, {"measure": "1"})
    assert response.status_code == 200
    assert response.context["lag"].measured_now is True
    [measurement] = response.context["lag"].measurements
    assert (measurement.replica, measurement.primary) == ("replica", "default")
    assert measurement.outcome.startswith("nothing to measure")
    replica = next(row for row in response.context["rows"] if row.alias == "replica")
    assert (replica.lag_seconds, replica.lag_bytes, replica.error) == (None, None, "")
    assert b"not measured yet" in response.content
    assert health.lag("replica") is None and not health.is_down("replica")


@pytest.mark.postgres
@pytest.mark.django_db(databases=ALL)
def test_measure_now_on_postgres_records_the_replicas_lag(staff_client):
    response = staff_client.get(PAGE, {"measure": "1"})
    [measurement] = response.context["lag"].measurements
    assert measurement.outcome.endswith("bytes behind")
    replica = by_alias(staff_client.get(JSON).json())["replica"]
    assert isinstance(replica["lag_seconds"], float) and isinstance(replica["lag_bytes"], int)
    assert replica["lag_measured_seconds_ago"] >= 0 and replica["error"] == ""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=ALL)
@override_settings(MULTIDB_MAX_REPLICA_LAG={"seconds": None, "bytes": 0})
def test_replica_measured_behind_the_limit_takes_no_reads(client):
    """Replay paused, one note committed: any byte of lag is too much under this limit."""
    from tests.postgres.test_topology import replay_paused

    client.force_login(UserFactory(username="staff", is_staff=True))
    wait_for_replay()  # the session, written to default, is read through the replica
    with replay_paused():
        NoteFactory(text="Written while replay is paused")
        client.get(PAGE, {"measure": "1"})
        replica = by_alias(client.get(JSON).json())["replica"]
        served = client.get(NOTES).context["served"]

    assert replica["lag_bytes"] > 0 and replica["taking_reads"] is False
    reason = f"replica lagging {replica['lag_bytes']} bytes > 0 bytes"
    assert replica["serves"] == f"no reads: {reason}"
    assert (served.alias, served.reason) == ("default", reason)


# --- who sees what, and how often the page measures ------------------------------

# A driver's message as libpq words it: host, port, and the server's answer.
REFUSED = 'connection to server at "10.9.8.7", port 6543 failed: Connection refused'


@pytest.mark.django_db(databases=ALL)
def test_anonymous_json_has_the_same_keys_but_no_pid_and_no_error_text(client):
    health.mark_down("replica", REFUSED)
    response = client.get(JSON)
    payload = response.json()
    assert list(payload) == TOP_KEYS
    assert payload["pid"] is None
    replica = by_alias(payload)["replica"]
    assert (replica["state"], replica["error"]) == ("cooling down", HIDDEN_ERROR)
    assert payload["problems"][0].startswith("replica: cooling down")
    assert b"10.9.8.7" not in response.content and b"6543" not in response.content


@pytest.mark.django_db(databases=ALL)
def test_staff_json_has_the_pid_and_the_error_text(staff_client):
    health.mark_down("replica", REFUSED)
    payload = staff_client.get(JSON).json()
    assert payload["pid"] == os.getpid()
    assert by_alias(payload)["replica"]["error"] == REFUSED
    assert REFUSED in payload["problems"][0]


@pytest.mark.django_db(databases=ALL)
def test_anonymous_page_shows_the_state_but_no_pid_and_no_error_text(client):
    health.mark_down("replica", REFUSED)
    page = client.get(PAGE)
    assert page_rows(page)["replica"]["state"] == "cooling down"
    content = page.content.decode()
    assert HIDDEN_ERROR in content
    assert "10.9.8.7" not in content and "6543" not in content
    assert f"pid {os.getpid()}" not in content


@pytest.mark.django_db(databases=ALL)
def test_staff_page_shows_the_pid_and_the_error_text(staff_client):
    health.mark_down("replica", REFUSED)
    content = staff_client.get(PAGE).content.decode()
    assert f"(pid {os.getpid()})" in content
    assert "10.9.8.7" in content


@pytest.mark.django_db(databases=ALL)
def test_anonymous_measure_is_served_the_unmeasured_page_and_opens_no_connection(client):
    """No query at all: on PostgreSQL it used to ask default and replica (default=1, replica=1)."""
    response = client.get(PAGE, {"measure": "1"})
    assert response.status_code == 200
    assert response["X-DB-Queries"] == "none"
    lag = response.context["lag"]
    assert lag.measured_now is False
    assert lag.note.startswith("Measuring connects to every replica, so only staff can")
    assert [(m.replica, m.primary) for m in lag.measurements] == [("replica", "default")]
    assert health.lag("replica") is None


@pytest.fixture
def lag_interval_60s(monkeypatch):
    """A 60 s interval for the health page's throttle, and a fresh throttle.

    The throttle reads ``MULTIDB_REPLICA_LAG_INTERVAL`` through
    ``routers.health.lag_interval`` (asserted below). Setting the setting
    itself would also start the background lag thread at the next routed
    query, for the rest of the run, so the page alone is given the interval.
    """
    assert selectors.lag_interval is lag_interval
    monkeypatch.setattr(selectors, "lag_interval", lambda: 60.0)
    replica_lag_throttle_reset()
    yield
    replica_lag_throttle_reset()


@pytest.mark.django_db(databases=ALL)
def test_staff_measure_within_the_interval_is_served_the_last_figures(
    staff_client, lag_interval_60s
):
    first = staff_client.get(PAGE, {"measure": "1"}).context["lag"]
    second = staff_client.get(PAGE, {"measure": "1"})

    assert first.measured_now is True
    lag = second.context["lag"]
    assert lag.measured_now is False
    assert lag.measurements == first.measurements
    assert "measures at most once every 60 s (MULTIDB_REPLICA_LAG_INTERVAL)" in lag.note
    assert b'data-testid="measure-note"' in second.content


@pytest.mark.postgres
@pytest.mark.django_db(databases=ALL)
def test_staff_measure_queries_the_replica_once_per_interval(staff_client, lag_interval_60s):
    """The queries the replica ran: one lag query for the first request, none for the second."""
    with CaptureQueriesContext(connections["replica"]) as first:
        response = staff_client.get(PAGE, {"measure": "1"})
    assert [q["sql"] for q in first.captured_queries] == [
        "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn,"
        " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"
    ]
    assert "replica=1" in response["X-DB-Queries"]

    with CaptureQueriesContext(connections["replica"]) as second:
        response = staff_client.get(PAGE, {"measure": "1"})
    assert second.captured_queries == []
    assert "replica" not in response["X-DB-Queries"]


@pytest.mark.postgres
@pytest.mark.django_db(databases=ALL)
def test_staff_measure_after_the_interval_queries_the_replica_again(
    staff_client, lag_interval_60s, monkeypatch
):
    clock = [1000.0]  # the throttle's clock, standing still until moved
    monkeypatch.setattr(selectors, "now", lambda: clock[0])
    staff_client.get(PAGE, {"measure": "1"})
    clock[0] += 61
    with CaptureQueriesContext(connections["replica"]) as later:
        response = staff_client.get(PAGE, {"measure": "1"})
    assert len(later.captured_queries) == 1
    assert response.context["lag"].measured_now is True


# --- degraded mode: the primary is down -----------------------------------------


@pytest.fixture
def alice(client):
    """A logged-in client, its session replicated; logged in before anything goes down."""
    UserFactory(username="alice")
    wait_for_replay()  # Client.login() reads the user through the router: the replica
    assert client.login(username="alice", password=DEFAULT_PASSWORD)
    wait_for_replay()  # the session, written to default, is read through the replica too
    return client


def note_count() -> int:
    return physical_rows("default", "SELECT COUNT(*) FROM notes_note")[0][0]


@pytest.mark.django_db(transaction=True, databases=ALL)
def test_posting_a_note_while_default_is_down_is_a_503_and_writes_nothing(alice):
    health.mark_down("default", "gone")

    html = alice.post(NOTES, {"text": "Lost?"})
    json = alice.post(NOTES, {"text": "Lost?"}, headers={"Accept": "application/json"})

    assert html.status_code == json.status_code == 503
    assert b"Temporarily read-only" in html.content
    assert 1 <= int(html["Retry-After"]) <= 30
    assert b"nothing you sent was saved" in html.content
    assert json.json() == {
        "error": "read-only",
        "database": "default",
        "detail": "The database default can't be reached right now, so nothing you sent was saved.",
        "retry_after": int(json["Retry-After"]),
    }
    assert note_count() == 0

    health.mark_up("default")
    assert alice.post(NOTES, {"text": "Saved"}).status_code == 302
    assert physical_rows("default", "SELECT text FROM notes_note") == [("Saved",)]


@pytest.mark.django_db(transaction=True, databases=ALL)
def test_an_order_placed_while_default_is_down_is_kept_and_counted_once_it_is_back(alice):
    """shop_db takes the order and its outbox event; default's count follows on recovery."""
    product = ProductFactory(stock=3)
    health.mark_down("default", "gone")

    response = alice.post(SHOP, {f"qty_{product.pk}": "2"})

    assert response.status_code == 302
    assert physical_rows("shop_db", "SELECT COUNT(*) FROM shop_order") == [(1,)]
    assert physical_rows("shop_db", "SELECT COUNT(*) FROM shop_orderevent") == [(1,)]
    assert physical_rows(
        "shop_db", "SELECT COUNT(*) FROM shop_orderevent WHERE applied_at IS NULL"
    ) == [(1,)]
    assert physical_rows("default", "SELECT orders_placed FROM accounts_user") == [(0,)]

    health.mark_up("default")
    call_command("outbox_relay", verbosity=0)
    assert physical_rows("default", "SELECT orders_placed FROM accounts_user") == [(1,)]
    assert alice.post(SHOP, {f"qty_{product.pk}": "1"}).status_code == 302  # relayed on commit
    assert physical_rows("default", "SELECT orders_placed FROM accounts_user") == [(2,)]


@pytest.mark.django_db(transaction=True, databases=ALL)
def test_an_order_while_shop_db_refuses_connections_is_a_503_and_writes_nothing(alice):
    """A real connection failure on a primary without replicas, unknown to health until then.

    No router checks shop_db before the view's first query on it fails, so the
    503 comes from degraded mode recognising the connection error itself.
    """
    product = ProductFactory(stock=3)
    with unreachable("shop_db"):
        response = alice.post(SHOP, {f"qty_{product.pk}": "2"})
        assert health.is_down("shop_db")

    assert response.status_code == 503
    assert 1 <= int(response["Retry-After"]) <= 30
    assert b"Temporarily read-only" in response.content
    assert b"Traceback" not in response.content
    assert physical_rows("shop_db", "SELECT COUNT(*) FROM shop_order") == [(0,)]
    assert physical_rows("shop_db", f"SELECT stock FROM shop_product WHERE id = {product.pk}") == [
        (3,)
    ]
    assert physical_rows("default", "SELECT orders_placed FROM accounts_user") == [(0,)]


@pytest.mark.django_db(transaction=True, databases=ALL)
@pytest.mark.parametrize("path", ["/", NOTES, SHOP, "/blog/", PAGE, JSON])
def test_read_pages_still_answer_200_through_the_replica_while_default_is_down(alice, path):
    health.mark_down("default", "gone")
    response = alice.get(path)
    assert response.status_code == 200
    assert "default" not in response["X-DB-Queries"]
    if path == NOTES:
        served = response.context["served"]
        assert (served.alias, served.reason) == ("replica", "primary down: reading a replica")
        assert b"alice" in response.content  # the session was read through the replica
