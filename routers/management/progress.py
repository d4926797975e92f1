"""What a management command prints, by ``--verbosity``, and progress on long work.

Django's own commands print nothing but errors at ``-v 0``, their usual lines at 1,
and more at 2 and 3. ``Report`` gives a command the same: ``say(text)`` prints at
1 and above, ``say(text, level=2)`` at 2 and above, and ``progress(label, done,
total)`` shows how far long work has got:

- on a terminal, a bar redrawn in place on one line;
- piped or redirected (cron, CI, ``| tee``), the same bar as a plain line at
  each tenth of the work, so a log shows progress without a line per row;
  a line for every call at ``-v 2``;
- nothing at ``-v 0``.

Lines depend on the counts only, never on the clock, so the same work prints the
same lines. Errors are the command's to raise (``CommandError``), at any
verbosity. No imports from the rest of ``routers``: copy this module alone.

    report = Report(self, options["verbosity"])
    for done, row in enumerate(rows, 1):
        ...
        report.progress("posts", done, len(rows))
    report.say(f"Added {len(rows)} posts.")
"""

import sys
import time

BAR_WIDTH = 24
STEPS = 10  # piped output: a line at each tenth of the work


class Report:
    """A command's output at its ``--verbosity``, with a progress bar or lines."""

    def __init__(self, command, verbosity: int):
        self.stdout = command.stdout
        self.verbosity = verbosity
        self.terminal = _isatty(self.stdout)
        self.bar_open = False  # a bar is drawn on the current line
        self.shown: tuple | None = None  # (label, bar cells or tenths, finished) last shown
        self.started: dict[str, float] = {}  # label -> monotonic time its work began
        self.last_call = time.monotonic()

    def say(self, text: str, *, level: int = 1) -> None:
        """Print *text* at *level* and above, after ending any bar's line."""
        if self.verbosity >= level:
            self.end()
            self.stdout.write(text)

    def progress(self, label: str, done: int, total: int, *, unit: str = "rows") -> None:
        """*done* of *total* of *label*: redraw the bar, or print it at each tenth."""
        if not self.verbosity:
            return
        # A label's work began when the previous call (or the report) was made, so
        # its first line's rate counts the first item's time too.
        now = time.monotonic()
        started = self.started.setdefault(label, self.last_call)
        self.last_call = now
        filled = BAR_WIDTH * min(done, total) // max(total, 1)
        tenth = STEPS * min(done, total) // max(total, 1)
        mark = filled if self.terminal else tenth
        if self._unchanged(label, mark, done, total) and not (
            self.verbosity >= 2 and not self.terminal
        ):
            return
        rate = done / max(now - started, 1e-6)
        text = (
            f"{label} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] "
            f"{done:,}/{total:,} {unit}, {rate:,.0f} {unit}/s"
        )
        if not self.terminal:
            self.stdout.write(text)
            return
        self.stdout.write(f"\r\033[K{text}", ending="")  # back to the line's start, cleared
        self.stdout.flush()
        self.bar_open = True
        if done >= total:
            self.end()

    def end(self) -> None:
        """End the bar's line, so the next output starts on its own line."""
        if self.bar_open:
            self.stdout.write("")
            self.bar_open = False

    def _unchanged(self, label: str, mark: int, done: int, total: int) -> bool:
        """Whether *mark* (bar cells or tenths) is what was last shown; the end shows once."""
        shown = (label, mark, done >= total)
        if self.shown in (shown, (label, mark, True)):
            return True
        self.shown = shown
        return False


def _isatty(stream) -> bool:
    """Django's ``OutputWrapper`` answers for the stream it wraps; else ask the process's."""
    isatty = getattr(stream, "isatty", None)
    return isatty() if isatty else sys.stdout.isatty()
