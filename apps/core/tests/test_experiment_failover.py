"""The failover lab: one database taken away for one request, what reads and writes got, and
every database usable again afterwards."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from apps.blog.models import Post
from apps.notes.models import Note
from apps.shop.models import Product
from routers.health import health

pytestmark = pytest.mark.django_db(
    transaction=True, databases=["default", "replica", "blog_db", "shop_db"]
)
PAGE = "/patterns/failover/"
ALIASES = ["default", "replica", "blog_db", "shop_db"]


def run(client, alias):
    response = client.post(PAGE, {"alias": alias, "run": "1"})
    assert response.status_code == 200, response.text
    return response, response.context["experiment"]


def every_database_answers():
    """Each database is marked up, and a query on it in this thread runs."""
    for alias in ALIASES:
        assert not health.is_down(alias), alias
        assert not health.unavailable(alias), alias
    assert Note.objects.using("default").count() >= 0
    assert Note.objects.using("replica").count() >= 0
    assert Post.objects.using("blog_db").count() >= 0
    assert Product.objects.using("shop_db").count() >= 0
    assert get_user_model().objects.using("default").filter(username="boss").exists()


def test_a_replica_away_sends_reads_to_default_with_the_recorded_reason(staff_client):
    response, experiment = run(staff_client, "replica")
    read, write, other = experiment["steps"]
    assert (read.action, read.alias) == ("read", "default")
    assert read.reason.startswith("replica down")
    assert (write.action, write.alias, write.status) == ("write", "default", 200)
    assert (other.model, other.alias) == ("Post", "blog_db")
    assert 'data-testid="simulated"' in response.text
    assert "at an address where nothing answers" in response.text
    assert experiment["restored"]
    every_database_answers()


def test_default_away_makes_writes_read_only_and_reads_go_to_the_replica(staff_client):
    response, experiment = run(staff_client, "default")
    write, read, other = experiment["steps"]
    assert (write.action, write.alias, write.status) == ("write", "", 503)
    assert write.answer["error"] == "read-only" and write.answer["database"] == "default"
    assert "Temporarily read-only" in response.text
    assert (read.action, read.alias) == ("read", "replica")
    assert read.reason == "primary down: reading a replica"
    assert (other.alias, other.status) == ("blog_db", 200)
    every_database_answers()


@pytest.mark.parametrize("alias", ["blog_db", "shop_db"])
def test_a_primary_without_replicas_away_fails_only_its_own_reads_and_writes(staff_client, alias):
    response, experiment = run(staff_client, alias)
    read, write, other = experiment["steps"]
    assert (read.alias, read.status, read.answer["error"]) == ("", 503, "unavailable")
    assert (write.alias, write.status, write.answer["error"]) == ("", 503, "read-only")
    assert read.answer["database"] == write.answer["database"] == alias
    assert (other.model, other.status) == ("Note", 200)
    assert other.alias in {"default", "replica"}
    assert f'data-db="{alias}"' in response.text
    every_database_answers()


def test_a_run_leaves_a_database_already_marked_down_as_it_found_it(staff_client):
    health.mark_down("shop_db", "down for real")
    response, experiment = run(staff_client, "shop_db")
    assert not experiment["ran"]
    assert "already marked down" in response.text
    assert health.is_down("shop_db")


def test_the_connections_of_this_thread_are_the_real_ones_again(staff_client):
    before = {alias: connections[alias] for alias in ALIASES}
    run(staff_client, "default")
    assert {alias: connections[alias] for alias in ALIASES} == before


def test_anyone_not_staff_gets_403_and_the_page_says_it_is_for_staff(logged_in_client, client):
    for visitor in (logged_in_client, client):
        response = visitor.post(PAGE, {"alias": "default", "run": "1"})
        assert response.status_code == 403
        assert 'data-testid="forbidden"' in response.text and "For staff only" in response.text
        assert 'data-testid="result"' not in response.text
    assert not health.is_down("default")


@pytest.mark.parametrize("junk", ["", "nowhere", "default'--", "x" * 10_000, "REPLICA"])
def test_an_unknown_database_is_a_message_not_an_error(staff_client, junk):
    response = staff_client.post(PAGE, {"alias": junk, "run": "1"})
    assert response.status_code == 200
    assert "Choose one of the databases listed" in response.text
    assert not response.context["experiment"]["ran"]


def test_the_page_waits_for_its_button(staff_client):
    response = staff_client.get(PAGE)
    assert response.status_code == 200
    assert 'data-testid="experiment"' in response.text
    assert 'data-testid="result"' not in response.text
