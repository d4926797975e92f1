"""Note reads. They go wherever the router sends them: ``replica`` unless the client is pinned."""

from django.db import router
from django.db.models import QuerySet

from apps.notes.models import Note


def note_list(*, limit: int = 20) -> QuerySet[Note]:
    """The newest *limit* notes with their authors (one query: both tables are in ``default``)."""
    return Note.objects.select_related("author")[:limit]


def note_detail(*, pk: int) -> Note:
    """One note with its author; raises ``Note.DoesNotExist`` where the read went has none."""
    return Note.objects.select_related("author").get(pk=pk)


def note_exists_on_primary(*, pk: int) -> bool:
    """Whether the primary holds note *pk*, whatever the replicas have replayed so far.

    ``db_manager`` names the primary explicitly: this is the question "is it
    missing, or just not replicated yet?", which only the primary can answer.
    """
    return Note.objects.db_manager(router.db_for_write(Note)).filter(pk=pk).exists()
