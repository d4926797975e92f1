from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from apps.notes import lag_readers, selectors, services, standby
from apps.notes.forms import NoteForm, ReplayActionForm
from apps.notes.models import Note
from apps.notes.served import served_by

LIST_LENGTH = 20


@require_http_methods(["GET", "POST"])
def read_your_writes(request):
    form = NoteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        author = request.user if request.user.is_authenticated else None
        note = services.note_create(text=form.cleaned_data["text"], author=author)
        # Post/redirect/get: the read of the new note is a separate GET, which
        # the pin cookie set on this response keeps on the primary.
        return redirect(note)
    with served_by(Note) as served:
        notes = list(selectors.note_list(limit=LIST_LENGTH))
    return render(
        request, "notes/read_your_writes.html", {"form": form, "notes": notes, "served": served}
    )


@require_safe
def note_detail(request, pk):
    with served_by(Note) as served:
        try:
            note = selectors.note_detail(pk=pk)
        except Note.DoesNotExist:
            note = None
    if note is None:
        # Missing where the read went: gone for good, or not replicated yet?
        behind = served.from_replica and selectors.note_exists_on_primary(pk=pk)
        context = {"pk": pk, "served": served, "behind": behind}
        return render(request, "notes/note_missing.html", context, status=404)
    return render(request, "notes/note_detail.html", {"note": note, "served": served})


@login_required
@require_http_methods(["GET", "POST"])
def lag_lab(request):
    if not request.user.is_staff:
        raise PermissionDenied("The lag lab pauses replication: staff only.")
    url = getattr(settings, "LAG_LAB_SUPERUSER_URL", "")
    if not url:
        return render(request, "notes/lag_lab.html", {"enabled": False})
    if request.method == "POST":
        form = ReplayActionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Unknown action: use the Pause, Write or Resume button.")
        else:
            _apply(request, form.cleaned_data["action"], url=url)
        return redirect("notes:lag_lab")
    try:
        status, problem = standby.replay_status(url=url), None
    except standby.StandbyError as error:
        status, problem = None, str(error)
    context = {"enabled": True, "status": status, "problem": problem}
    if status is not None:
        context.update(lag_readers.lab_readings())
    return render(request, "notes/lag_lab.html", context)


def _apply(request, action: str, *, url: str) -> None:
    """Pause or resume replay, or write a note, and say what happened in a message."""
    try:
        if action == "pause":
            # A commit the standby replays just before the pause: its lag in
            # seconds then counts from the pause, not from an older commit.
            state = standby.replay_pause(url=url, after=lag_readers.fresh_commit())
            messages.success(request, f"Replay on the standby: {state}.")
            _write_note(request, "written just after replay was paused")
        elif action == "write":
            _write_note(request, "written by the lag lab")
        else:
            standby.replay_resume(url=url)
            messages.success(request, "Replay resumed: the standby is catching up.")
    except standby.StandbyError as error:
        messages.error(request, f"Couldn't {action} replay: {error}")


def _write_note(request, what: str) -> None:
    note = services.note_create(text=f"Lag lab: {what}", author=request.user)
    messages.success(request, f"Note #{note.pk} {what}: your browser is pinned to its position.")
