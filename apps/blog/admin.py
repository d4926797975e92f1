"""Blog admin: reads and writes go to blog_db through the router.

``list_select_related = ()`` stops the changelist from calling a bare
``select_related()``, which would try to join the author's table in
``default``; authors are prefetched instead, one query per page.
"""

from django.contrib import admin

from apps.blog.models import Comment, Post, Tag
from apps.core.admin import ModelAdmin


@admin.register(Post)
class PostAdmin(ModelAdmin):
    list_display = ["title", "author", "created_at"]
    list_select_related = ()
    search_fields = ["title"]
    raw_id_fields = ["author"]
    filter_horizontal = ["tags"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("author")


@admin.register(Comment)
class CommentAdmin(ModelAdmin):
    list_display = ["post", "author", "created_at"]
    list_select_related = ("post",)
    raw_id_fields = ["post", "author"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("author")


@admin.register(Tag)
class TagAdmin(ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
