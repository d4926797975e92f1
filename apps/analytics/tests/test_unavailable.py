"""The warehouse down: its pages answer 503 with a page that says so, never a 500."""

import pytest

from tests.support import unreachable

pytestmark = pytest.mark.django_db(
    databases=["default", "replica", "blog_db", "analytics", "analytics_owner"]
)


@pytest.mark.parametrize(
    "url", ["/analytics/", "/analytics/top-products/", "/analytics/users-and-revenue.csv"]
)
def test_a_report_with_the_warehouse_unreachable_is_a_503_naming_it(client, url):
    with unreachable("analytics"):
        response = client.get(url)
    assert response.status_code == 503
    assert b"analytics" in response.content
    assert response["Retry-After"]


def test_the_rest_of_the_site_does_not_need_the_warehouse(client):
    with unreachable("analytics"), unreachable("analytics_owner"):
        assert client.get("/blog/").status_code == 200
