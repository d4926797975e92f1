"""Write a note, then read it back four ways, each where the router sent it and why.

1. In this request, which wrote: the pin.
2. With no pinning scope and nothing forced, as another client: a replica,
   which on PostgreSQL may not have replayed the note yet.
3. The same, forcing the primary with ``use_primary_db``.
4. In a ``threading.Thread``, as background work: with the token from
   ``capture_pinning()`` restored, and without it.

The notes are kept: each is labelled as the experiment's and links to its
page, so the writer can find what they wrote. Each read's alias is the
connection that ran it and its reason the one the router recorded
(``apps.notes.served``).
"""

import contextvars
import threading

from django import forms
from django.db import DatabaseError, connections

from apps.notes import selectors, services
from apps.notes.models import TEXT_MAX_LENGTH, Note
from apps.notes.served import served_by
from routers import capture_pinning, restore_pinning, use_primary_db
from routers.pinning import decode_pins, format_lsn

LABEL = "Read-your-writes experiment: "
THREAD_SECONDS = 10


TEXT_LENGTH = TEXT_MAX_LENGTH - len(LABEL)  # room for the label in a note


class ExperimentNoteForm(forms.Form):
    text = forms.CharField(label="Your note", max_length=TEXT_LENGTH)


def run(request) -> dict:
    if request.method != "POST" or not request.POST.get("run"):
        shown = {"ran": False, "form": ExperimentNoteForm(initial={"text": "Can I read this?"})}
        if request.GET.get("run"):
            shown["error"] = "This experiment writes a note: use its button, which POSTs."
        return shown
    form = ExperimentNoteForm(request.POST)
    if not form.is_valid():
        error = f"Write a note of 1 to {TEXT_LENGTH} characters."
        return {"ran": False, "form": form, "error": error}
    author = request.user if request.user.is_authenticated else None
    try:  # a database down mid-run is a message, as the 503 page would say it
        note = services.note_create(text=LABEL + form.cleaned_data["text"], author=author)
    except DatabaseError as error:
        return {"ran": False, "form": form, "error": f"Nothing was saved: {error}"}
    try:
        steps = read_back(note.pk)
    except (DatabaseError, RuntimeError) as error:  # the note itself is whole: keep it
        return {"ran": False, "form": form, "error": f"Note #{note.pk} was saved; {error}"}
    return {
        "ran": True,
        "form": ExperimentNoteForm(initial={"text": form.cleaned_data["text"]}),
        "note": note,
        "replica_is_default_s_file": replica_is_default_s_file(),
        **steps,
    }


def replica_is_default_s_file() -> bool:
    """Whether ``replica`` opens default's own SQLite file (the embedded setup): it can't lag."""
    replica, default = connections["replica"], connections["default"]
    return replica.vendor == default.vendor == "sqlite" and (
        sqlite_path(replica.settings_dict["NAME"]) == sqlite_path(default.settings_dict["NAME"])
    )


def sqlite_path(name) -> str:
    """The file a SQLite NAME opens: ``file:/var/default.db?mode=ro`` opens ``/var/default.db``."""
    name = str(name)
    return name.removeprefix("file:").split("?")[0] if name.startswith("file:") else name


def read_back(pk: int) -> dict:
    """The four steps' reads of note *pk*, and the token handed to the thread."""
    pinned = read_note(pk)
    # A fresh, empty context: no request scope, no forced pin, as another client has.
    unpinned = contextvars.Context().run(read_note, pk)
    forced = contextvars.Context().run(read_forced, pk)
    token = capture_pinning()  # after the commit: on PostgreSQL it holds a WAL position
    restored, without = in_a_thread(pk, token)
    pins = decode_pins(token)
    return {
        "pinned": pinned,
        "unpinned": unpinned,
        "forced": forced,
        "restored": restored,
        "without": without,
        "token_pins": [
            (alias, "no WAL position: a time window" if pin.lsn is None else format_lsn(pin.lsn))
            for alias, pin in sorted(pins.items())
        ],
    }


def read_note(pk: int) -> dict:
    """Read note *pk* where the router sends it: the alias, its reason, and what was found."""
    with served_by(Note) as served:
        try:
            selectors.note_detail(pk=pk)
            found = True
        except Note.DoesNotExist:
            found = False
    # Missing on a replica: the primary answers whether it is just not replayed yet.
    behind = not found and served.from_replica and selectors.note_exists_on_primary(pk=pk)
    reason = served.reason or "no reason recorded"
    return {
        "alias": served.alias,
        "reason": reason,
        "served": f"{served.alias} ({reason})",
        "found": found,
        "behind": behind,
    }


def read_forced(pk: int) -> dict:
    with use_primary_db:
        return read_note(pk)


def in_a_thread(pk: int, token: str) -> tuple[dict, dict]:
    """Read note *pk* in a new thread, first with *token* restored, then without it."""
    results: dict = {}

    def background():
        try:
            with restore_pinning(token):
                results["restored"] = read_note(pk)
            results["without"] = read_note(pk)
        except DatabaseError as error:
            results["error"] = str(error)
        finally:
            connections.close_all()  # the thread's own connections end with it

    thread = threading.Thread(target=background, name="read-your-writes experiment")
    thread.start()
    thread.join(timeout=THREAD_SECONDS)
    if "error" in results or thread.is_alive() or len(results) != 2:
        raise RuntimeError(results.get("error") or "the background read did not finish")
    return results["restored"], results["without"]
