"""Note writes. They go to the primary, ``default``; the replica gets them by replication."""

from django.contrib.auth.base_user import AbstractBaseUser

from apps.notes.models import Note


def note_create(*, text: str, author: AbstractBaseUser | None = None) -> Note:
    """Save a note to ``default``; *author* is None for an anonymous visitor."""
    return Note.objects.create(text=text, author=author)
