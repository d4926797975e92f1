"""The cross-database relations experiment: the refused join, then what works, each step
with the databases that ran it, how many queries each, and the router's reason."""

import re

import pytest

from apps.accounts.factories import UserFactory
from apps.blog.factories import PostFactory

URL = "/patterns/cross-database-relations/"
BLOG_DB = 'data-db="blog_db">blog_db</span> <span class="muted">(app-label rule: blog → blog_db)'
pytestmark = pytest.mark.django_db(databases=["default", "replica", "blog_db"])


def section(text: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</div>', text, re.S)
    assert match, f"no {testid} section"
    return match.group(1)


def served(html: str) -> dict[str, int]:
    """``{alias: queries}`` from one list of databases in a step."""
    found = re.findall(r'<li data-served="([^"]+)"><span [^>]*>[^<]*</span> (\d+) quer', html)
    return {alias: int(count) for alias, count in found}


def user_alias(counts: dict[str, int]) -> str:
    """The alias users came from: the replica, or default where the test's transaction holds it."""
    (alias,) = set(counts) & {"replica", "default"}
    return alias


@pytest.fixture
def writer():
    author = UserFactory(username="writer")
    PostFactory(author=author, title="Across two databases")
    PostFactory(author=author, title="Second post")
    PostFactory(author=UserFactory(username="other"), title="Someone else's")
    return author


def test_the_cross_database_join_is_refused_and_the_two_query_version_runs(client, writer):
    response = client.get(URL, {"username": "writer", "run": "1"})
    assert response.status_code == 200
    text = response.text
    assert 'data-testid="result"' in text
    assert 'data-testid="refused"' in text
    assert "CrossDatabaseJoinError" in text and "blog_db" in text
    assert f"{writer.pk}" in text and "Across two databases" in text
    assert BLOG_DB in section(text, "two-queries")
    assert re.search(r"The user ids, from <span [^>]*>(replica|default)</span> <span", text)


def test_post_author_is_one_query_where_users_are_read(client, writer):
    forward = section(client.get(URL, {"username": "writer", "run": "1"}).text, "forward")
    counts = served(forward)
    assert counts == {user_alias(counts): 1}, "the author alone, by primary key"
    assert "its author, writer, from" in forward
    assert "blog_db" not in counts


def test_user_blog_posts_reads_the_user_then_the_posts_from_blog_db(client, writer):
    reverse = section(client.get(URL, {"username": "writer", "run": "1"}).text, "reverse")
    counts = served(reverse)
    assert counts["blog_db"] == 1 and counts[user_alias(counts)] == 1
    assert '1 query <span class="muted">(app-label rule: blog → blog_db)' in reverse
    assert "the 2 posts that point at them" in reverse


def test_prefetch_related_runs_one_query_per_database_each_way(client, writer):
    prefetch = section(client.get(URL, {"username": "writer", "run": "1"}).text, "prefetch")
    authors, posts = prefetch.split('<ul class="served">')[1:3]
    for counts in (served(authors), served(posts)):
        assert counts["blog_db"] == 1
        assert counts[user_alias(counts)] == 1
        assert len(counts) == 2
    assert "“Someone else&#x27;s” by other" in prefetch
    assert "writer, 2" in prefetch


@pytest.mark.parametrize("junk", ["nobody", "x" * 5000, "<script>", "' OR 1=1 --", "\u00e9\u00e9"])
def test_a_username_nobody_has_is_a_message_and_no_5xx(client, junk):
    response = client.get(URL, {"username": junk, "run": "1"})
    assert response.status_code == 200
    text = response.text
    assert "No post by" in section(text, "forward")
    reverse = section(text, "reverse")
    assert "only the query for the user ran" in reverse
    assert "blog_db" not in served(reverse), "no user, so no posts were asked for"
    assert "<script>" not in text.split('data-testid="result"')[1].split("<h2>")[0]


def test_the_experiment_waits_for_its_button(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert 'value="alice"' in response.text
    assert 'data-testid="result"' not in response.text
