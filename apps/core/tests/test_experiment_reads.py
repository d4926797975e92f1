"""The read/write splitting experiment: a hundred reads, each where the router sent it."""

import re
from collections import Counter

import pytest
from django.db import connections

from apps.accounts.factories import UserFactory
from routers.replica_sets import replica_sets

URL = "/patterns/read-write-splitting/"
# transaction=True: inside a test's transaction reads of default may stay on default.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])
CELL = re.compile(r'<span title="read (\d+): (\w+) \(([^)]*)\)"><span class="db" data-db="(\w+)">')


def cells(text: str) -> list[tuple[str, str]]:
    """(alias, reason) of each read in the sequence, checked against its colour."""
    found = CELL.findall(text)
    assert [int(number) for number, *_ in found] == list(range(1, 101))
    assert all(alias == coloured for _, alias, _, coloured in found)
    return [(alias, reason) for _, alias, reason, _ in found]


def test_as_configured_every_read_goes_to_the_replica_round_robin(client):
    UserFactory()
    response = client.get(URL, {"sets": "configured", "run": "1"})
    assert response.status_code == 200
    assert Counter(cells(response.text)) == {("replica", "round-robin"): 100}
    assert "(1 users)" in response.text


def test_round_robin_over_replica_and_default_alternates(client):
    reads = cells(client.get(URL, {"sets": "round-robin", "run": "1"}).text)
    aliases = [alias for alias, _ in reads]
    assert Counter(aliases) == {"replica": 50, "default": 50}
    assert all(a != b for a, b in zip(aliases, aliases[1:], strict=False))
    assert {reason for _, reason in reads} == {"round-robin"}


def test_weighted_80_20_serves_exactly_80_reads_from_the_replica(client):
    response = client.get(URL, {"sets": "weighted", "run": "1"})
    assert Counter(cells(response.text)) == {
        ("replica", "weighted 80/100"): 80,
        ("default", "weighted 20/100"): 20,
    }
    per_alias = response.text.split('data-testid="per-alias"')[1].split("</table>")[0]
    assert re.search(r'data-db="replica">replica</span></td><td>80</td>', per_alias)
    assert re.search(r'data-db="default">default</span></td><td>20</td>', per_alias)


def test_a_pinned_client_reads_where_its_pin_allows_for_the_pin_s_reason(client):
    """After a write the pin cookie decides first, for every read of the request alike.

    Without a WAL position (SQLite) the pin is a window: default, every read.
    On PostgreSQL a standby that has replayed the write may serve again, so
    the weights pick among the members that caught up: all of them.
    """
    assert client.post("/read-your-writes/", {"text": "pinned by this"}).status_code == 302
    reads = Counter(cells(client.get(URL, {"sets": "weighted", "run": "1"}).text))
    if connections["replica"].vendor != "postgresql":
        ((alias, reason),) = reads
        assert reads[alias, reason] == 100
        assert alias == "default" and re.fullmatch(r"pinned: wrote \d+ s ago", reason)
    elif len(reads) == 1:  # the standby hadn't replayed the write yet
        ((alias, reason),) = reads
        assert alias == "default" and reason.startswith("replica behind your write: ")
    else:
        assert reads == {("replica", "weighted 80/100"): 80, ("default", "weighted 20/100"): 20}


def test_the_experiment_waits_for_its_button_and_leaves_the_setting_alone(client):
    response = client.get(URL, {"sets": "weighted"})
    assert response.status_code == 200
    assert 'data-testid="result"' not in response.text
    assert 'value="weighted" checked' in response.text
    client.get(URL, {"sets": "round-robin", "run": "1"})
    assert replica_sets() == {"default": (("replica", 1),)}


@pytest.mark.parametrize("junk", ["", "everything", "x" * 5000, "WEIGHTED", "../default"])
def test_an_unknown_configuration_is_a_message_not_an_error(client, junk):
    response = client.get(URL, {"sets": junk, "run": "1"})
    assert response.status_code == 200
    assert 'data-testid="error"' in response.text
    assert 'data-testid="result"' not in response.text
