"""move_app: an app's rows copied to another database whole, verified, the source untouched.

The blog moves from ``blog_db`` to a scratch SQLite file (its tables built
from the models); the PostgreSQL tests copy the embedded demo's files into the
topology by URL, as a user would (tests/postgres/test_app_move.py).
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections, models

from apps.accounts.factories import UserFactory
from apps.blog.models import Comment, Post, Tag
from routers.app_move import AppMoveError, app_models, move_app
from routers.row_copy import checksum

pytestmark = pytest.mark.django_db(databases=["default", "blog_db", "scratch"])

BLOG = [Tag, Post, Post.tags.through, Comment]


@pytest.fixture(scope="module", autouse=True)
def scratch(tmp_path_factory, django_db_setup, django_db_blocker):
    """An SQLite file under the alias ``scratch``, with the blog's tables and nothing else.

    Registered before each test's database set-up runs (module scope), so the
    tests may name it; each test's rows roll back with it, as in any database.
    """
    path = tmp_path_factory.mktemp("scratch") / "scratch.sqlite3"
    config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
    # configure_settings fills in Django's defaults; it wants the entry under "default".
    connections.settings["scratch"] = connections.configure_settings({"default": config})["default"]
    with django_db_blocker.unblock(), connections["scratch"].schema_editor() as editor:
        for model in (Tag, Post, Comment):
            editor.create_model(model)  # the many-to-many table comes with Post
    yield "scratch"
    connections["scratch"].close()
    del connections["scratch"], connections.settings["scratch"]


@pytest.fixture
def blog():
    author = UserFactory(username="writer")
    tags = [Tag.objects.create(name=n, slug=n) for n in ("django", "databases")]
    for n in range(7):
        post = Post.objects.create(author=author, title=f"Post {n}", slug=f"post-{n}", content="…")
        post.tags.set(tags[: n % 3])
        Comment.objects.create(post=post, author=author, body=f"First on {n}")
    return author


def rows(alias: str, model) -> list[tuple]:
    """Every row of *model* on *alias*, past the routers, in primary-key order.

    Read through the ORM, so values compare across engines (PostgreSQL gives
    aware datetimes where raw SQLite gives text).
    """
    columns = [field.attname for field in model._meta.concrete_fields]
    return list(models.QuerySet(model, using=alias).order_by("pk").values_list(*columns))


def output(*arguments) -> str:
    out = StringIO()
    call_command(*arguments, stdout=out)
    return out.getvalue()


def test_every_table_of_the_app_arrives_with_its_keys_and_the_source_is_untouched(blog, scratch):
    before = {model: rows("blog_db", model) for model in BLOG}
    out = output("move_app", "blog", "--from", "blog_db", "--to", "scratch", "--batch-size", "3")
    for model in BLOG:
        assert rows("scratch", model) == before[model], model
        assert rows("blog_db", model) == before[model], model
    assert "blog.Post" in out and "7 rows, checksum" in out and "on both" in out
    assert "blog.Post_tags" in out
    assert "Route it there:\n    DATABASE_ROUTING_RULES = {'blog': 'scratch'" in out


def test_the_models_go_parents_first():
    assert app_models("blog") == BLOG


def test_a_target_that_holds_rows_is_refused_unless_told_and_nothing_is_written(blog, scratch):
    move_app("blog", "blog_db", "scratch")
    Post.objects.filter(title="Post 1").update(title="Edited")
    Comment.objects.filter(body="First on 2").delete()
    with pytest.raises(AppMoveError, match=r"scratch already holds blog.Tag \(2 rows\)"):
        move_app("blog", "blog_db", "scratch")
    assert [row[1] for row in rows("scratch", Post)].count("Post 1") == 1

    copies = move_app("blog", "blog_db", "scratch", replace=True)
    for model in BLOG:
        assert rows("scratch", model) == rows("blog_db", model), model
    changed = {copy.label: (copy.written, copy.deleted) for copy in copies}
    assert changed["blog.Post"] == (1, 0) and changed["blog.Comment"] == (0, 1)


def test_a_copy_that_does_not_verify_rolls_back_whole(blog, scratch, monkeypatch):
    from routers import app_move

    real = app_move.checksum

    def off_for_comments(queryset, **kwargs):
        count, digest = real(queryset, **kwargs)
        if queryset.model is Comment and queryset.db == "scratch":
            return count, "0" * 32
        return count, digest

    monkeypatch.setattr(app_move, "checksum", off_for_comments)
    with pytest.raises(AppMoveError, match="blog.Comment didn't verify.*nothing written"):
        move_app("blog", "blog_db", "scratch")
    assert all(rows("scratch", model) == [] for model in BLOG)  # posts and tags rolled back too


def test_a_dry_run_counts_both_sides_and_writes_nothing(blog, scratch):
    out = output("move_app", "blog", "--from", "blog_db", "--to", "scratch", "--dry-run")
    assert "Would copy blog from blog_db to scratch; nothing done." in out
    assert "blog.Post" in out and "7 rows, 0 already there" in out
    assert rows("scratch", Post) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nothing", "--from", "blog_db", "--to", "default"], "No installed app is labelled"),
        (["legacy", "--from", "legacy", "--to", "default"], "legacy.Supplier, .* are unmanaged"),
        (["activity", "--from", "shard_0", "--to", "shard_1"], "activity.Event is sharded"),
        (["blog", "--from", "blog_db", "--to", "blog_db"], "--from and --to are both"),
        (["blog", "--from", "blog_db", "--to", "nowhere"], "neither an alias"),
        (["blog", "--from", "blog_db", "--to", "sqlite://relative.db"], "--to"),
        (["blog", "--from", "blog_db", "--to", "default"], "No table blog_tag on default"),
        (["blog", "--from", "blog_db", "--to", "default", "--batch-size", "0"], "at least 1"),
    ],
)
def test_the_command_names_the_mistake(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("move_app", *arguments)


def test_checksums_agree_on_equal_rows_and_differ_on_a_changed_value(blog, scratch):
    move_app("blog", "blog_db", "scratch")
    source = Post.objects.using("blog_db").all()
    assert checksum(source) == checksum(Post.objects.using("scratch").all())
    Post.objects.using("scratch").filter(slug="post-3").update(content="changed")
    assert checksum(source) != checksum(Post.objects.using("scratch").all())


def test_a_url_is_named_without_its_password():
    from apps.core.management.commands.move_app import _without_password

    assert (
        _without_password("postgres://site:s3cret@db:5432/blog")
        == "postgres://site:***@db:5432/blog"
    )
    assert _without_password("sqlite:////srv/var/blog.sqlite3") == "sqlite:////srv/var/blog.sqlite3"
