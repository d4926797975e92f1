"""The replica-lag experiment: each replica's lag measured now, and the router's own answer
on whether it takes reads. Real lag needs the topology: tests/postgres/test_lag_lab.py."""

import pytest

from apps.notes.lag_readers import meaning_of

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])
PAGE = "/patterns/replica-lag/"


def test_a_replica_in_step_takes_reads_in_the_router_s_words(staff_client):
    response = staff_client.get(PAGE, {"run": "1"})
    assert response.status_code == 200
    (row,) = response.context["experiment"]["replicas"]
    assert (row["replica"], row["primary"], row["alias"]) == ("replica", "default", "replica")
    assert row["takes_reads"] and row["mechanism"] == "replica"
    assert row["reason"] == "round-robin"
    assert row["answered"]
    assert 'data-testid="result"' in response.text
    assert (
        'data-db="replica">replica</span> <span class="muted">(<code>round-robin' in response.text
    )


@pytest.mark.sqlite_only
def test_on_sqlite_the_page_says_there_is_no_lag_to_measure(staff_client):
    response = staff_client.get(PAGE, {"run": "1"})
    (row,) = response.context["experiment"]["replicas"]
    assert row["lag"].seconds is None
    assert "the demo has no real lag" in response.text


def test_anyone_not_staff_gets_403_and_the_page_says_it_is_for_staff(logged_in_client, client):
    for visitor in (logged_in_client, client):
        response = visitor.get(PAGE, {"run": "1"})
        assert response.status_code == 403
        assert "For staff only" in response.text
        assert 'data-testid="result"' not in response.text


def test_the_page_waits_for_its_button_and_links_to_the_lab(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    assert 'href="/lag-lab/"' in response.text
    assert 'data-testid="result"' not in response.text


@pytest.mark.parametrize(
    ("reason", "mechanism"),
    [
        ("replica behind your write: 0/3000060 < 0/30000A8", "pin"),
        ("caught up with your write", "caught-up"),
        ("replica lagging 7.2 s > 5 s", "lag"),
        ("round-robin", "replica"),
        ("replica down: cooling down 30 s", "down"),
        ("primary down: reading a replica", "down"),
        ("", "none"),
        ("something new", "other"),
    ],
)
def test_each_recorded_reason_gets_its_own_explanation(reason, mechanism):
    assert meaning_of(reason)[0] == mechanism
