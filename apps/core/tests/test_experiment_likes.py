"""The likes experiment: Django's generic key fails, the fixed one reads each database."""

import re

import pytest

from apps.accounts.factories import UserFactory
from apps.blog.factories import PostFactory
from apps.likes import services
from apps.likes.models import Like
from apps.shop.factories import ProductFactory

PAGE = "/patterns/likes-across-databases/"
BLOG_DB = '<span class="db" data-db="blog_db">blog_db'
SHOP_DB = '<span class="db" data-db="shop_db">shop_db'
pytestmark = pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])


@pytest.fixture
def liker():
    user = UserFactory(username="liker")
    services.like_create(user=user, target=PostFactory(title="A liked post"))
    services.like_create(user=user, target=ProductFactory(name="A liked mug"))
    gone = PostFactory(title="A deleted post")
    services.like_create(user=user, target=gone)
    gone.delete()
    return user


def result_of(response) -> str:
    assert response.status_code == 200
    text = response.text
    assert 'data-testid="result"' in text
    return text[text.index('data-testid="result"') :]


def test_the_experiment_waits_for_its_button(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    assert 'value="alice"' in response.text and 'data-testid="experiment"' in response.text
    assert 'data-testid="result"' not in response.text


def test_django_s_generic_key_fails_reading_the_target_from_the_likes_database(client, liker):
    text = result_of(client.get(PAGE, {"username": "liker", "run": "1"}))
    error = re.search(r'data-testid="naive-error"><code>(.*?)</code>', text, re.S)
    assert error and re.search(r"blog_post|shop_product", error.group(1))
    assigning = re.search(r'data-testid="naive-assign-error"><code>(.*?)</code>', text, re.S)
    assert assigning and "django_content_type" in assigning.group(1)
    assert re.search(r"the target lives in <span [^>]*>(blog_db|shop_db)<", text)


def test_the_fixed_key_reads_each_content_type_from_its_own_database(client, liker):
    text = result_of(client.get(PAGE, {"username": "liker", "run": "1"}))
    fixed = text[text.index('data-testid="fixed"') :]
    muted = '<span class="muted">'
    assert f"blog.post: 1 from {BLOG_DB}</span> {muted}(app-label rule: blog → blog_db)" in fixed
    assert f"shop.product: 1 from {SHOP_DB}</span> {muted}(app-label rule: shop → shop_db)" in fixed
    assert "A liked post" in fixed and "A liked mug" in fixed
    assert '<span data-testid="orphans">1 skipped' in fixed
    assert "A deleted post" not in fixed
    # The likes themselves come from the replica, or from default inside a test's transaction.
    assert re.search(r'3 likes, from <span [^>]*data-db="(replica|default)"', text)


def test_posts_liked_come_in_two_queries_ids_then_posts(client, liker):
    text = result_of(client.get(PAGE, {"username": "liker", "run": "1"}))
    steps = text[text.index('data-testid="two-queries"') :]
    assert re.search(r'liked post ids, from <span [^>]*data-db="(replica|default)"', steps)
    assert re.search(r'by <code>pk__in</code>, from <span [^>]*data-db="blog_db">', steps)
    assert "(app-label rule: blog → blog_db)" in steps
    assert "A liked post" in steps


def test_the_experiment_changes_nothing(client, liker):
    before = list(Like.objects.using("default").values_list("pk", flat=True))
    client.get(PAGE, {"username": "liker", "run": "1"})
    assert list(Like.objects.using("default").values_list("pk", flat=True)) == before


@pytest.mark.parametrize(
    "username", ["nobody", "x" * 5000, "' OR 1=1 --", "<script>alert(1)</script>", "   "]
)
def test_junk_usernames_are_a_message_not_an_error(client, username):
    response = client.get(PAGE, {"username": username, "run": "1"})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text


def test_a_user_who_likes_nothing_sees_empty_steps(client):
    UserFactory(username="shy")
    text = result_of(client.get(PAGE, {"username": "shy", "run": "1"}))
    assert "likes nothing in another database" in text
    assert "No likes." in text
