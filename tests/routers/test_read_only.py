"""routers/read_only.py in this project's router chain, with the replica router after it."""

import threading

import pytest
from django.test import override_settings

from apps.accounts.factories import UserFactory
from apps.blog.models import Post, Tag
from routers.explain import recording
from routers.read_only import ReadOnlyDatabaseError, allow_writes

pytestmark = pytest.mark.django_db(databases=["default", "replica", "blog_db"])

# blog_db stands in for a read-only database: its tables exist, as an owner's would.
READ_ONLY_BLOG = override_settings(
    DATABASE_ROUTERS=[
        "routers.read_only.ReadOnlyRouter",
        "routers.replica.PinningReplicaRouter",
        "routers.app_label.AppLabelRouter",
    ],
    DATABASE_READ_ONLY=["blog_db"],
)


@READ_ONLY_BLOG
def test_a_routed_write_raises_naming_the_model_and_alias_before_any_sql(
    django_assert_num_queries,
):
    with django_assert_num_queries(0, using="blog_db"), pytest.raises(ReadOnlyDatabaseError) as e:
        Tag.objects.create(name="refused", slug="refused")
    assert (e.value.model, e.value.alias) == (Tag, "blog_db")
    assert "blog.Tag is in 'blog_db', a read-only database" in str(e.value)


@READ_ONLY_BLOG
def test_reads_pass_with_their_reason_and_other_databases_are_untouched():
    with allow_writes("blog_db"):
        Tag.objects.create(name="kept", slug="kept")
    with recording() as decisions:
        assert list(Tag.objects.values_list("name", flat=True)) == ["kept"]
    assert decisions["blog_db"] == "read-only database"
    UserFactory(username="still-writable")  # default is not read-only


@READ_ONLY_BLOG
def test_allow_writes_is_a_decorator_nests_and_ends_with_its_block():
    @allow_writes("blog_db")
    def build():
        with allow_writes("default"):
            Tag.objects.create(name="inner", slug="inner")
        Tag.objects.create(name="outer", slug="outer")

    build()
    assert Tag.objects.count() == 2
    with pytest.raises(ReadOnlyDatabaseError):
        Tag.objects.create(name="after", slug="after")


@READ_ONLY_BLOG
def test_allow_writes_in_one_thread_does_not_open_another():
    """No global flag: a block in one thread leaves every other thread guarded."""
    errors = []
    inside, done = threading.Event(), threading.Event()

    def other_thread():
        inside.wait()
        try:
            Post(title="x", content="x", author_id=1).save()
        except ReadOnlyDatabaseError as error:
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with allow_writes("blog_db"):
        inside.set()
        done.wait(10)
    thread.join()
    assert len(errors) == 1


@READ_ONLY_BLOG
def test_nothing_is_migrated_on_a_read_only_database():
    from django.db import router

    assert router.allow_migrate("blog_db", "blog") is False
    assert router.allow_migrate("default", "accounts") is True


# The mapping form: blog_db is read-only, and shop_db plays the owner's
# connection that allowed writes go to (any writable alias shows the routing).
READ_ONLY_WITH_OWNER = override_settings(
    DATABASE_ROUTERS=READ_ONLY_BLOG.options["DATABASE_ROUTERS"],
    DATABASE_READ_ONLY={"blog_db": "shop_db"},
)


@READ_ONLY_WITH_OWNER
def test_the_mapping_sends_the_blocks_reads_and_writes_to_the_owners_alias():
    from django.db import router

    with allow_writes("blog_db"), recording() as decisions:
        assert router.db_for_write(Tag) == "shop_db"
        assert router.db_for_read(Tag) == "shop_db"
    assert decisions["shop_db"] == "read-only database, writes allowed in this block"
    assert router.db_for_read(Tag) == "blog_db"
    with pytest.raises(ReadOnlyDatabaseError):
        router.db_for_write(Tag)


@READ_ONLY_WITH_OWNER
def test_the_owners_alias_is_read_only_and_unmigrated_too():
    from django.db import router

    from routers.read_only import read_only_aliases

    assert read_only_aliases() == {"blog_db", "shop_db"}
    assert router.allow_migrate("shop_db", "shop") is False
    assert router.allow_migrate("blog_db", "blog") is False
