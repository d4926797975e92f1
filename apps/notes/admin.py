"""Notes admin: writes go to default, and so do the admin's reads (it pins every POST)."""

from django.contrib import admin

from apps.core.admin import ModelAdmin
from apps.notes.models import Note


@admin.register(Note)
class NoteAdmin(ModelAdmin):
    list_display = ["__str__", "author", "created_at"]
    list_select_related = ["author"]  # same database: a join, not an extra query
    search_fields = ["text"]
    raw_id_fields = ["author"]
