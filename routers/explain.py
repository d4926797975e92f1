"""Why did a query go where it went? A per-context record of routing decisions.

Routers call ``explain(alias, reason, *args)`` and return its result; a trace (the
demo's routing panel, a test) wraps work in ``recording()`` and asks
``reason_for(alias)`` when a query runs. Outside ``recording()`` the call is a
single ``ContextVar.get``, so it costs nothing on the hot path.

``recording()`` blocks nest, and none hides a decision from another: each
decision goes to every block open in the context, so a trace around the
request and a panel (or an experiment) inside it both see all of them.

The router modules share it, so a trace can say why for every one of them.

Copy with: nothing (the standard library only).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["captured", "current_record", "explain", "reason_for", "recording", "replay"]

_decisions: ContextVar[dict[str, str] | None] = ContextVar("routing_decisions", default=None)
# The dict the innermost recording() block fills, or None: a router on its fast
# path asks this one C call before doing any work for a trace.
current_record = _decisions.get
# Every open block's dict, outermost first: what a decision is written to.
_open: ContextVar[tuple[dict[str, str], ...]] = ContextVar("routing_records", default=())


def explain(alias: str, reason: str, *args) -> str:
    """Record why *alias* was chosen, in every open ``recording()`` block, then return *alias*.

    Like logging, ``reason % args`` is formatted only while recording, so a
    router pays for its message only when a trace reads it.
    """
    if _decisions.get() is not None:
        message = reason % args if args else reason
        for decisions in _open.get():
            decisions[alias] = message
    return alias


def reason_for(alias: str) -> str | None:
    """Return the latest reason for *alias* recorded in the innermost block, or None."""
    decisions = _decisions.get()
    return None if decisions is None else decisions.get(alias)


@contextmanager
def recording() -> Iterator[dict[str, str]]:
    """Record the routing decisions made inside the block, in a dict of its own.

    The dict starts empty, so ``reason_for`` inside the block answers for the
    block's own decisions only; each decision also reaches every enclosing
    block, so nesting one never hides a reason from a trace outside it.
    """
    decisions: dict[str, str] = {}
    token = _decisions.set(decisions)
    open_token = _open.set((*_open.get(), decisions))
    try:
        yield decisions
    finally:
        _open.reset(open_token)
        _decisions.reset(token)


@contextmanager
def captured() -> Iterator[dict[str, str]]:
    """Collect the reasons recorded inside the block, recording or not, to replay them later.

    What the block records still reaches an enclosing ``recording()``. A
    router that remembers another's answer (``chain.py``) keeps its reasons
    this way, so a trace reads the same whether the answer was asked or
    remembered.
    """
    with recording() as decisions:
        yield decisions


def replay(reasons: dict[str, str]) -> None:
    """Record *reasons* (from ``captured()``) again, in every open ``recording()`` block."""
    if reasons:
        for decisions in _open.get():
            decisions.update(reasons)
