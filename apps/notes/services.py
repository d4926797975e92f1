"""Note writes. They go to the primary, ``default``; the replica gets them by replication."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import router

from apps.activity.models import Event
from apps.activity.services import event_record_on_commit
from apps.notes.models import Note


def note_create(*, text: str, author: AbstractBaseUser | None = None) -> Note:
    """Save a note to ``default``; *author* is None for an anonymous visitor.

    An author's activity event follows on their shard once ``default``
    commits (at once, outside a transaction).
    """
    note = Note.objects.create(text=text, author=author)
    if author is not None:
        event_record_on_commit(
            user=author,
            kind=Event.Kind.NOTE_SAVED,
            summary=f"note #{note.pk}",
            using=router.db_for_write(Note),
        )
    return note
