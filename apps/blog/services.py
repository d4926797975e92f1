"""Blog writes. Each one is a single transaction on the blog's database."""

from django.db import router, transaction
from django.utils.text import slugify

from apps.activity.models import Event
from apps.activity.services import event_record_on_commit
from apps.blog.models import Comment, Post, Tag


def post_create(*, author, title: str, content: str, tag_names: list[str] = ()) -> Post:
    """Create a post and its tags in one ``blog_db`` transaction.

    The author's activity event follows on their shard once it commits.
    """
    blog = router.db_for_write(Post)
    with transaction.atomic(using=blog):
        post = Post.objects.create(author=author, title=title, content=content)
        tags = [tag_get_or_create(name=name) for name in tag_names]
        if tags:
            post.tags.set(tags)
        event_record_on_commit(
            user=author, kind=Event.Kind.POST_WRITTEN, summary=post.title, using=blog
        )
    return post


def tag_get_or_create(*, name: str) -> Tag:
    """Return the tag whose slug matches *name*, creating it if needed."""
    slug = slugify(name)[:50] or "tag"
    tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name.strip()[:50]})
    return tag


def comment_create(*, post: Post, author, body: str) -> Comment:
    """Add a comment to *post*."""
    return Comment.objects.create(post=post, author=author, body=body)
