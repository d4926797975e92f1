"""django-health-check for the routers: every database as ``health.py`` sees it, asked now.

For a project with django-health-check 4 (``"health_check"`` in
``INSTALLED_APPS``). ``RoutedDatabase(alias)`` is one check per database;
``ReadinessView`` runs one for each configured alias (``routed_databases()``),
the URL a load balancer or an orchestrator's readiness probe asks::

    # urls.py
    from routers.contrib.health_check import ReadinessView

    path("health/ready/", ReadinessView.as_view(), name="health_ready")

    $ python manage.py health_check health_ready --no-http   # exit 1 while a primary is down

Each check, in order:

- While ``health.py`` has the alias cooling down it says so at once and tries
  nothing, as the routers do.
- Otherwise it asks the server: a connection, bounded by the alias's
  ``connect_timeout`` and shared with the requests' own attempts
  (``health.usable()``), then ``SELECT 1``, bounded by ``connect_timeout``
  again on psycopg 3 (``thread_connections.check_reused()``); what it opened
  it closes. A server that can't be reached is marked down, so the routers
  skip it too for the cooldown; one that answers is marked up. Reading the
  registry alone would not do: it holds only what this process tried lately,
  and a ``manage.py health_check`` process has tried nothing.
- A database that takes writes (any but a replica) that fails is
  ``ServiceUnavailable``. A replica that fails, cools down, or lags past
  ``MULTIDB_MAX_REPLICA_LAG`` (the lag monitor's last figure) is a
  ``ServiceWarning``: its reads go to its primary, and the site works.

django-health-check runs the checks in threads, all at once, so a hung
server costs the answer its connect timeout once, not once per database.

Warnings: django-health-check 4 answers 500 when any check raises, a
``ServiceWarning`` too (4.0 dropped ``warnings_as_errors``). ``ReadinessView``
answers 503 while a check fails and 200 when the only problems are warnings,
which its body still lists, so a lagging replica doesn't take every process
out of the load balancer. ``manage.py health_check --no-http`` counts warnings
as failures (exit 1); through HTTP it expects 500, so it exits 2 on the 503.

Copy with: ``health.py``, ``replica_sets.py``, ``thread_connections.py``,
into the package above this ``contrib/`` (and django-health-check 4).
"""

import dataclasses
import datetime

from django.db import DatabaseError, connections
from health_check.base import HealthCheck  # type: ignore[import-untyped]
from health_check.exceptions import (  # type: ignore[import-untyped]
    ServiceUnavailable,
    ServiceWarning,
)
from health_check.views import HealthCheckView  # type: ignore[import-untyped]

from ..health import connection_failure, health
from ..replica_sets import primary_of
from ..thread_connections import check_reused, is_connected

__all__ = ["ReadinessView", "RoutedDatabase", "routed_databases", "unanswered"]


@dataclasses.dataclass
class RoutedDatabase(HealthCheck):
    """One database: a primary that can't be reached fails; a replica's trouble is a warning."""

    alias: str = "default"

    def __post_init__(self):
        seconds = connections.settings.get(self.alias, {}).get("OPTIONS", {}).get("connect_timeout")
        if seconds:
            # The connection and SELECT 1 each take at most connect_timeout:
            # django-health-check's own limit (5 s) must not cut them short.
            self.timeout = datetime.timedelta(seconds=2 * float(seconds))

    def run(self) -> None:
        if self.alias not in connections.settings:
            raise ServiceUnavailable(f"{self.alias} is not in DATABASES")
        why = unanswered(self.alias)
        primary = primary_of(self.alias)
        if primary == self.alias:
            if why:
                raise ServiceUnavailable(why)
            return
        why = why or health.lagging(self.alias)
        if why:
            raise ServiceWarning(f"{why}; its reads go to {primary}")


def unanswered(alias: str) -> str:
    """Why *alias* doesn't answer ``SELECT 1`` now, or "" when it does; no host, port or user.

    Tries nothing while *alias* cools down. A failure to reach the server
    marks it down in ``health.py``; an answer marks it up.
    """
    connection = connections[alias]
    opened_here = not is_connected(connection)
    usable, why = health.usable(alias, retry=True)  # retry: don't leave it to the lag monitor
    if not usable:
        return why
    try:
        connection.ensure_connection()  # done by usable(), unless it saw no need to connect
        timeout = connection.settings_dict.get("OPTIONS", {}).get("connect_timeout")
        if timeout and hasattr(connection.connection, "pgconn"):
            # psycopg 3: SELECT 1 bounded by connect_timeout. A connection whose
            # query failed is closed; one that got no answer is closed and reported.
            silent = check_reused(connection)
            if silent:
                health.mark_down(alias, silent)
                return f"{alias} not answering: {silent}"
            if not is_connected(connection):
                health.mark_down(alias, "SELECT 1 failed on a new connection")
                return f"{alias} down: the connection broke"
        else:  # SQLite (a local file) and the rest: Django's cursor, with no bound of its own
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except DatabaseError as error:
        if connection_failure(error):
            health.mark_down(alias, error)
            return f"{alias} down: the connection failed"
        return f"{alias} answered SELECT 1 with an error"
    finally:
        if opened_here:
            connection.close()  # a check's thread has no request whose end would close it
    return ""


def routed_databases() -> list[RoutedDatabase]:
    """A check for each alias in ``DATABASES``, but the dummy backend's (nothing to ask)."""
    return [
        RoutedDatabase(alias)
        for alias, config in connections.settings.items()
        if not config["ENGINE"].endswith(".dummy")
    ]


class ReadinessView(HealthCheckView):
    """django-health-check's view: 503 while a check fails, 200 when all pass or only warn.

    Without ``checks=`` it runs ``routed_databases()``.
    """

    checks = None
    failure_status = 503

    def get_checks(self):
        if self.checks is None:
            return iter(routed_databases())
        return super().get_checks()

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:  # django-health-check's answer to any raised exception
            failed = any(
                result.error is not None and not isinstance(result.error, ServiceWarning)
                for result in self.results
            )
            response.status_code = self.failure_status if failed else 200
        return response
