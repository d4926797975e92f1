"""``served_by``: the alias whose connection ran a read, not a second guess from the router."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client
from django.urls import reverse

from apps.notes.factories import NoteFactory
from apps.notes.models import Note
from apps.notes.served import served_by

pytestmark = pytest.mark.django_db(databases=["default", "replica"])


def test_routed_read_reports_the_alias_and_the_routers_reason():
    NoteFactory()
    with served_by(Note) as served:
        assert len(list(Note.objects.all())) == 1
    if connections["replica"].vendor == "sqlite":
        # The replica is a mirror of default's test database, so it sees the
        # test's open transaction: the read goes to the replica.
        expected = ("replica", "round-robin", True)
    else:
        # A real standby can't see the test's open transaction on default.
        expected = ("default", "in transaction", False)
    assert (served.alias, served.reason, served.from_replica) == expected
    assert served.primary == "default"


def test_explicit_using_is_reported_as_that_alias_with_no_router_reason():
    with served_by(Note) as served:
        list(Note.objects.using("replica"))
    assert (served.alias, served.reason) == ("replica", None)
    assert served.from_replica and served.primary == "default"


def test_queries_on_other_tables_are_not_counted_as_the_read():
    with served_by(Note) as served:
        list(get_user_model().objects.all())
    assert served.alias is None
    assert not served.from_replica


def test_connection_opened_inside_the_block_keeps_the_trace_and_write_detection():
    """A new thread opens new connections inside ``served_by``; later requests are still traced."""
    headers, wrappers = [], []

    def two_requests_in_a_fresh_thread():
        try:
            for _ in range(2):
                headers.append(Client().get(reverse("notes:read_your_writes"))["X-DB-Queries"])
            wrappers.extend(w.__qualname__ for w in connections["replica"].execute_wrappers)
        finally:
            connections.close_all()

    thread = threading.Thread(target=two_requests_in_a_fresh_thread)
    thread.start()
    thread.join()

    assert headers[0] == headers[1] != "none"
    assert not any(name.startswith("served_by") for name in wrappers)
