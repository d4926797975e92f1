"""CrossDatabaseGenericForeignKey: each target read from its own database, content types from one.

The likes (``apps.likes``) live in ``default`` and point at posts in
``blog_db`` and products in ``shop_db``. Django's ``GenericForeignKey`` is
shown failing on the same rows first, so the tests also say what breaks
without the fix (and fail loudly if a Django upgrade changes that).
"""

import pytest
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db import DatabaseError, connections, router, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.factories import UserFactory
from apps.blog.factories import PostFactory
from apps.blog.models import Post
from apps.likes.models import Like
from apps.shop.factories import ProductFactory
from apps.shop.models import Product
from routers.generic import CrossDatabaseGenericForeignKey, content_type_home, content_types

pytestmark = pytest.mark.django_db(databases=["default", "replica", "blog_db", "shop_db"])


def like(user, target) -> Like:
    return Like.objects.create(
        user=user, content_type=content_types().get_for_model(target), object_id=target.pk
    )


def queries_on(alias):
    return CaptureQueriesContext(connections[alias])


def test_content_types_have_one_home_where_the_router_writes_them():
    assert content_type_home() == router.db_for_write(ContentType) == "default"
    for alias in ("blog_db", "shop_db"):
        assert not router.allow_migrate_model(alias, ContentType)
        assert "django_content_type" not in connections[alias].introspection.table_names()


def test_django_generic_key_reads_the_target_from_the_likes_database():
    """The pitfall: ``using=instance._state.db``, so a post is looked for in default."""
    saved = like(UserFactory(), PostFactory())
    field = Like._meta.get_field("target")
    fresh = Like.objects.using("default").get(pk=saved.pk)
    with pytest.raises(DatabaseError) as error, transaction.atomic(using="default"):
        GenericForeignKey.__get__(field, fresh)
    assert "blog_post" in str(error.value)


def test_django_generic_key_looks_content_types_up_in_the_targets_database():
    post = PostFactory()
    field = Like._meta.get_field("target")
    with pytest.raises(DatabaseError) as error, transaction.atomic(using="blog_db"):
        GenericForeignKey.get_content_type(field, obj=post)
    assert "django_content_type" in str(error.value)


def test_django_generic_prefetch_finds_the_post_then_fails_checking_its_content_type():
    """Django's prefetch reads targets through the router; reading one back asks blog_db."""
    saved = like(UserFactory(), PostFactory())
    plain = GenericForeignKey()  # Django's field, on the same columns
    plain.model, plain.name = Like, "target"
    fresh = Like.objects.using("default").get(pk=saved.pk)
    [post], *_ = plain.get_prefetch_querysets([fresh])
    assert post._state.db == "blog_db"
    plain.set_cached_value(fresh, post)  # what prefetch_related() does with it
    with pytest.raises(DatabaseError) as error, transaction.atomic(using="blog_db"):
        plain.__get__(fresh)
    assert "django_content_type" in str(error.value)


def test_the_target_is_read_from_the_database_its_model_lives_in():
    post, product = PostFactory(title="Liked post"), ProductFactory(name="Liked mug")
    user = UserFactory()
    post_like, product_like = like(user, post), like(user, product)
    fresh = Like.objects.using("default").in_bulk([post_like.pk, product_like.pk])
    with queries_on("blog_db") as blog, queries_on("shop_db") as shop:
        assert fresh[post_like.pk].target == post
        assert fresh[product_like.pk].target == product
    assert fresh[post_like.pk].target._state.db == "blog_db"
    assert fresh[product_like.pk].target._state.db == "shop_db"
    assert len(blog) == 1 and "blog_post" in blog[0]["sql"]
    assert len(shop) == 1 and "shop_product" in shop[0]["sql"]


def test_assigning_a_target_takes_its_content_type_from_default_and_saves_in_default():
    post, user = PostFactory(), UserFactory()
    with queries_on("blog_db") as blog:
        new = Like(user=user, target=post)
    assert len(blog) == 0  # Django's field would ask blog_db for the content type
    assert new.content_type._state.db == "default"
    assert new.object_id == post.pk
    new.save()
    assert Like.objects.using("default").filter(pk=new.pk, object_id=post.pk).exists()
    assert new.target is post  # the assigned object, from the cache


def test_prefetch_runs_one_query_per_content_type_each_in_its_own_database():
    user = UserFactory()
    posts, products = PostFactory.create_batch(3), ProductFactory.create_batch(2)
    for target in [*posts, *products]:
        like(user, target)
    with queries_on("blog_db") as blog, queries_on("shop_db") as shop:
        likes = list(Like.objects.using("default").filter(user=user).prefetch_related("target"))
        targets = {like.target for like in likes}
    assert targets == {*posts, *products}
    assert len(blog) == 1 and len(shop) == 1
    assert {target._state.db for target in targets} == {"blog_db", "shop_db"}


def test_a_custom_prefetch_queryset_per_content_type_is_used():
    user = UserFactory()
    like(user, PostFactory(title="Only the title"))
    like(user, ProductFactory())
    prefetch = GenericPrefetch("target", [Post.objects.only("title"), Product.objects.all()])
    likes = list(Like.objects.using("default").filter(user=user).prefetch_related(prefetch))
    post = next(like.target for like in likes if isinstance(like.target, Post))
    assert post.title == "Only the title"
    assert post.get_deferred_fields() >= {"content"}


def test_a_deleted_target_reads_as_none_with_and_without_prefetch():
    user, post = UserFactory(), PostFactory()
    saved = like(user, post)
    Post.objects.filter(pk=post.pk).delete()
    assert Like.objects.using("default").get(pk=saved.pk).target is None
    [prefetched] = Like.objects.using("default").filter(pk=saved.pk).prefetch_related("target")
    with queries_on("blog_db") as blog:
        assert prefetched.target is None
    assert len(blog) == 0  # the prefetch found nothing and remembered it


def test_changing_the_object_id_reads_the_new_target():
    first, second = PostFactory(), PostFactory()
    saved = like(UserFactory(), first)
    assert saved.target == first
    saved.object_id = second.pk
    assert saved.target == second


def test_the_field_overrides_what_django_s_reads_from_the_wrong_database():
    """Django's names this field replaces still exist: an upgrade that renames them fails here."""
    for name in ("get_content_type", "get_prefetch_querysets", "__get__"):
        assert name in vars(GenericForeignKey), name
        assert name in vars(CrossDatabaseGenericForeignKey), name
