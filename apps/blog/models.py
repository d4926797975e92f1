"""Blog tables live in ``blog_db``; a post's author lives in ``default``."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from routers import CrossDatabaseQuerySet

# Foreign keys into another database: no database constraint can span two
# servers, and DO_NOTHING stops Django's delete collector from querying this
# table through the *user's* database, where it doesn't exist.
CROSS_DATABASE = {"db_constraint": False, "on_delete": models.DO_NOTHING}


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Post(models.Model):
    title = models.CharField(max_length=200)
    # Filled from the title when left blank, so Post.objects.create(title=...)
    # needs nothing more. URLs carry the pk, so slugs need not be unique.
    slug = models.SlugField(max_length=200, blank=True)
    content = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="blog_posts", **CROSS_DATABASE
    )
    tags = models.ManyToManyField(Tag, related_name="posts", blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CrossDatabaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.title)[:200] or "post"
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("blog:post_detail", kwargs={"pk": self.pk, "slug": self.slug})


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="blog_comments", **CROSS_DATABASE
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CrossDatabaseQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Comment {self.pk} on {self.post_id}"
