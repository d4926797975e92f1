"""``manage.py move_shard N --to ALIAS``: move one logical shard while the site writes.

The steps and what an interruption leaves are in ``routers/shard_move.py``.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from ...shard_move import MoveError, ShardMover, abort_move, plan_move
from ..progress import Report


class Command(BaseCommand):
    help = (
        "Move one logical shard's rows of every sharded model to another physical "
        "database while the site keeps writing: copy, catch up, freeze that logical "
        "shard's writes, verify counts and checksums, switch the map, clean up the "
        "source. An interrupted move goes on with --resume; one not yet switched "
        "is undone with --abort."
    )
    # The step on screen: its name, when it started, when its bar was last drawn.
    current: str | None
    started: float
    bar_at: float

    def add_arguments(self, parser):
        parser.add_argument("logical_shard", type=int, help="The logical shard to move.")
        parser.add_argument("--to", dest="target", help="The physical shard (alias) to move to.")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--dry-run", action="store_true", help="Say what would move; do nothing.")
        mode.add_argument("--resume", action="store_true", help="Go on with an interrupted move.")
        mode.add_argument(
            "--abort", action="store_true", help="Undo a move that hasn't switched yet."
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Rows per copy batch (1000)."
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=0.0,
            help="Seconds between batches, to leave the databases to the site (0).",
        )

    def handle(
        self, logical_shard, *, target, dry_run, resume, abort, batch_size, pause, **options
    ):
        self.report = Report(self, options["verbosity"])
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if not 0 <= pause <= 60:
            raise CommandError("--pause must be between 0 and 60 seconds.")
        if not (resume or abort or target):
            raise CommandError("Say where to: --to ALIAS (or --resume, --abort).")
        try:
            if dry_run:
                return self.dry_run(logical_shard, target)
            if abort:
                move = abort_move(logical_shard)
                self.say(
                    f"Aborted: logical shard {logical_shard} stays on {move.source}; the copy "
                    f"on {move.target} is deleted and its writes are open."
                )
                return
            options = {
                "batch_size": batch_size,
                "pause": pause,
                "progress": self.progress,
                "on_step": self.step,
            }
            if resume:
                mover = ShardMover.resume(logical_shard, **options)
            else:
                mover = ShardMover.start(logical_shard, target, **options)
            move = mover.move
            self.say(
                f"Logical shard {logical_shard}: {move.source} → {move.target}, "
                f"from step {move.step}"
            )
            self.current = None
            move = mover.run()
            self.step(None)
        except MoveError as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:
            raise CommandError(
                f"A database failed during the move: {error}. Nothing is lost: run "
                f"move_shard {logical_shard} --resume to go on, or --abort before the switch."
            ) from error
        self.say(
            f"Moved: logical shard {logical_shard} is on {move.target} (map "
            f"v{move.detail['map_version']}); writes were frozen "
            f"{move.detail['frozen_seconds']:.2f} s."
        )

    def dry_run(self, logical_shard, target):
        plan = plan_move(logical_shard, target)
        self.say(
            f"Would move logical shard {logical_shard} from {plan.source} to {plan.target} "
            f"(map v{plan.map_version}); nothing done."
        )
        for label, (source_rows, target_rows) in plan.rows.items():
            self.say(
                f"  {label:<24} {source_rows:>9,} rows on {plan.source}, "
                f"{target_rows:,} already on {plan.target}"
            )

    def say(self, text):
        self.report.say(text)

    def step(self, name):
        """Close the previous step's line with its time; ``name`` starts the next."""
        previous = getattr(self, "current", None)
        if previous is not None:
            self.say(f"{previous:<9} done in {time.monotonic() - self.started:.2f} s")
        self.current, self.started = name, time.monotonic()

    def progress(self, step, label, done, total):
        """A bar with rows copied and the rate (``routers/management/progress.py``)."""
        self.report.progress(f"{step:<9} {label}", done, total)
