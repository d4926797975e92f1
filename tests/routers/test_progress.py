"""``routers.management.progress.Report``: output by ``--verbosity``, a bar or plain lines.

The command's stdout is Django's ``OutputWrapper`` around a StringIO, as with
``call_command(..., stdout=StringIO())``; the terminal is a StringIO that says
it is one, which is all the report asks of a stream.
"""

from io import StringIO

from django.core.management.base import BaseCommand, OutputWrapper

from routers.management.progress import BAR_WIDTH, Report


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def command(stream) -> BaseCommand:
    made = BaseCommand()
    made.stdout = OutputWrapper(stream)
    return made


def run(stream, verbosity: int, total: int = 100) -> str:
    report = Report(command(stream), verbosity)
    report.say("starting")
    for done in range(1, total + 1):
        report.progress("posts", done, total, unit="posts")
    report.say("more detail", level=2)
    report.say("finished")
    return stream.getvalue()


def test_verbosity_0_prints_nothing():
    assert run(StringIO(), 0) == ""
    assert run(Terminal(), 0) == ""


def test_piped_output_is_a_plain_line_at_each_tenth_of_the_work():
    lines = run(StringIO(), 1).splitlines()
    assert lines[0] == "starting" and lines[-1] == "finished"
    bars = lines[1:-1]
    assert [line.split(",")[0] for line in bars] == [
        f"posts [{'#' * (BAR_WIDTH * done // 100):-<{BAR_WIDTH}}] {done}/100 posts"
        for done in (1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
    ]
    assert all(line.endswith(" posts/s") and "\r" not in line for line in bars)


def test_verbosity_2_prints_every_step_and_the_detail_lines():
    lines = run(StringIO(), 2).splitlines()
    assert len([line for line in lines if line.startswith("posts [")]) == 100
    assert "more detail" in lines


def test_a_terminal_gets_one_bar_redrawn_in_place_then_the_next_line():
    out = run(Terminal(), 1)
    lines = out.split("\n")
    assert lines[0] == "starting"
    redraws = lines[1].split("\r\x1b[K")[1:]  # back to the start of the line, cleared
    assert len(redraws) == BAR_WIDTH + 1  # empty, then once per cell filled
    assert redraws[-1].startswith(f"posts [{'#' * BAR_WIDTH}] 100/100 posts")
    assert lines[2:] == ["finished", ""]


def test_a_small_total_still_ends_with_a_full_bar_once():
    lines = run(StringIO(), 1, total=3).splitlines()
    assert [line.split(",")[0].split("] ")[1] for line in lines[1:-1]] == [
        "1/3 posts",
        "2/3 posts",
        "3/3 posts",
    ]
