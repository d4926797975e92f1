"""The routing trace of a report page: every report query on ``analytics``, with its reason."""

import pytest

from apps.analytics.tests.conftest import DATABASES

pytestmark = pytest.mark.django_db(databases=DATABASES)


def test_report_queries_run_on_the_read_only_alias_with_a_reason(client):
    response = client.get("/analytics/users-and-revenue/?granularity=week")
    assert response.status_code == 200
    counts = dict(part.split("=") for part in response["X-DB-Queries"].split(", "))
    assert int(counts["analytics"]) >= 2  # the report and the freshness panel
    assert "analytics_owner" not in counts, "the site never reads through the owner"
    page = response.content.decode()
    assert "report users and revenue: raw SQL on the warehouse" in page
    assert "report refresh times: raw SQL on the warehouse" in page
