"""The app-label routing experiment: one read per app, from the database its rule names."""

import re

import pytest

from apps.blog.factories import PostFactory
from routers.shard_map import shard_for

URL = "/patterns/app-label-routing/"
pytestmark = pytest.mark.django_db(databases="__all__")  # one read from every app


def row_of(text: str, model: str) -> str:
    match = re.search(rf'<div class="card" data-model="{re.escape(model)}">(.*?)</div>', text, re.S)
    assert match, f"no row for {model}"
    return match.group(1)


def served_by(row: str) -> list[str]:
    """The aliases in the row's "read from" line."""
    read = re.search(r'<p class="read">(.*?)</p>', row, re.S).group(1)
    return re.findall(r'data-db="([^"]+)"', read)


def write_of(row: str) -> str:
    """The row's "a write would go to" line."""
    return re.search(r'<p class="write">(.*?)</p>', row, re.S).group(1)


def test_each_app_is_read_from_the_database_its_rule_names(client):
    PostFactory.create_batch(2)
    response = client.get(URL, {"run": "1", "user": "5"})
    assert response.status_code == 200
    text = response.text
    assert 'data-testid="result"' in text
    blog = row_of(text, "blog.Post")
    assert served_by(blog) == ["blog_db"]
    assert 'blog_db</span> <span class="muted">(app-label rule: blog → blog_db)' in blog
    assert "<code>blog.Post</code>: 2 rows" in blog
    assert served_by(row_of(text, "shop.Product")) == ["shop_db"]
    assert served_by(row_of(text, "analytics.UserMetric")) == ["analytics"]
    assert served_by(row_of(text, "legacy.Item")) == ["legacy"]
    assert served_by(row_of(text, "activity.Event")) == [shard_for(5)]
    # Users and notes read the replica, or default where the test's transaction holds them.
    for model in ("accounts.User", "notes.Note"):
        assert served_by(row_of(text, model))[0] in {"replica", "default"}, model


def test_a_write_is_only_asked_about_never_made(client):
    response = client.get(URL, {"run": "1", "user": "5"})
    text = response.text
    assert 'data-db="default">' in write_of(row_of(text, "accounts.User"))
    blog = write_of(row_of(text, "blog.Post"))
    assert 'data-db="blog_db">blog_db</span> <span class="muted">(app-label rule:' in blog
    assert 'data-db="analytics_owner">' in write_of(row_of(text, "analytics.UserMetric"))
    legacy = write_of(row_of(text, "legacy.Item"))
    assert "refused:" in legacy and "read-only database" in legacy
    assert f'data-db="{shard_for(5)}">' in write_of(row_of(text, "activity.Event"))


@pytest.mark.parametrize("junk", ["abc", "-1", "9" * 30, "", "\u00a0"])
def test_a_user_id_that_is_no_id_is_a_message_and_the_rest_still_runs(client, junk):
    response = client.get(URL, {"run": "1", "user": junk})
    assert response.status_code == 200
    text = response.text
    assert served_by(row_of(text, "blog.Post")) == ["blog_db"]
    if junk.strip():
        assert 'data-testid="problem"' in text
        assert "No user id to find its shard by." in row_of(text, "activity.Event")


def test_the_experiment_waits_for_its_button(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-testid="experiment"' in response.text
    assert 'data-testid="result"' not in response.text
