"""Blog writes. Each one is a single transaction on the blog's database."""

from django.db import router, transaction
from django.utils.text import slugify

from apps.blog.models import Comment, Post, Tag


def post_create(*, author, title: str, content: str, tag_names: list[str] = ()) -> Post:
    """Create a post and its tags in one ``blog_db`` transaction."""
    with transaction.atomic(using=router.db_for_write(Post)):
        post = Post.objects.create(author=author, title=title, content=content)
        tags = [tag_get_or_create(name=name) for name in tag_names]
        if tags:
            post.tags.set(tags)
    return post


def tag_get_or_create(*, name: str) -> Tag:
    """Return the tag whose slug matches *name*, creating it if needed."""
    slug = slugify(name)[:50] or "tag"
    tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": name.strip()[:50]})
    return tag


def comment_create(*, post: Post, author, body: str) -> Comment:
    """Add a comment to *post*."""
    return Comment.objects.create(post=post, author=author, body=body)
