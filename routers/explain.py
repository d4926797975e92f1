"""Why did a query go where it went? A per-context record of routing decisions.

Routers call ``explain(alias, reason, *args)`` and return its result; a trace (the
demo's routing panel, a test) wraps work in ``recording()`` and asks
``reason_for(alias)`` when a query runs. Outside ``recording()`` the call is a
single ``ContextVar.get``, so it costs nothing on the hot path.

The router modules share it, so a trace can say why for every one of them.

Copy with: nothing (the standard library only).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["captured", "current_record", "explain", "reason_for", "recording", "replay"]

_decisions: ContextVar[dict[str, str] | None] = ContextVar("routing_decisions", default=None)
# The dict a recording() block fills, or None: a router on its fast path asks
# this one C call before doing any work for a trace.
current_record = _decisions.get


def explain(alias: str, reason: str, *args) -> str:
    """Record why *alias* was chosen, then return *alias*.

    Like logging, ``reason % args`` is formatted only while recording, so a
    router pays for its message only when a trace reads it.
    """
    decisions = _decisions.get()
    if decisions is not None:
        decisions[alias] = reason % args if args else reason
    return alias


def reason_for(alias: str) -> str | None:
    """Return the latest recorded reason for *alias*, or None when none was recorded."""
    decisions = _decisions.get()
    return None if decisions is None else decisions.get(alias)


@contextmanager
def recording() -> Iterator[dict[str, str]]:
    """Record routing decisions made inside the block; nested blocks start afresh."""
    decisions: dict[str, str] = {}
    token = _decisions.set(decisions)
    try:
        yield decisions
    finally:
        _decisions.reset(token)


@contextmanager
def captured() -> Iterator[dict[str, str]]:
    """Collect the reasons recorded inside the block, recording or not, to replay them later.

    What the block records still reaches an enclosing ``recording()``. A
    router that remembers another's answer (``chain.py``) keeps its reasons
    this way, so a trace reads the same whether the answer was asked or
    remembered.
    """
    outer = _decisions.get()
    with recording() as decisions:
        try:
            yield decisions
        finally:
            if outer is not None:
                outer.update(decisions)


def replay(reasons: dict[str, str]) -> None:
    """Record *reasons* (from ``captured()``) again, if a trace is recording."""
    decisions = _decisions.get()
    if decisions is not None and reasons:
        decisions.update(reasons)
