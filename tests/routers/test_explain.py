"""``recording()`` blocks nest without hiding a reason from one another.

A trace around the request (the demo's routing panel, the debug-toolbar
panel) and a block inside it (an experiment's ``served()``, another panel)
both record: every decision reaches every open block, and each block's own
dict holds exactly what was decided while it was open.
"""

import asyncio
import threading

from routers.explain import captured, current_record, explain, reason_for, recording, replay


def test_a_decision_inside_a_nested_block_reaches_the_outer_one():
    with recording() as outer:
        explain("default", "before")
        with recording() as inner:
            explain("blog_db", "rule %s", "blog")
            explain("default", "pinned")
        assert inner == {"blog_db": "rule blog", "default": "pinned"}
        assert outer == {"default": "pinned", "blog_db": "rule blog"}


def test_the_inner_block_records_while_the_outer_one_does():
    """The outer block doesn't take the inner one's decisions for itself alone."""
    with recording() as outer, recording() as middle, recording() as inner:
        explain("replica", "round-robin")
    assert outer == middle == inner == {"replica": "round-robin"}


def test_the_inner_block_starts_empty_and_reason_for_answers_for_it():
    """A query inside the block with no router call of its own shows none, not a stale one."""
    with recording():
        explain("default", "outer decision")
        with recording() as inner:
            assert inner == {} and reason_for("default") is None
            explain("default", "inner decision")
            assert reason_for("default") == "inner decision"
        assert reason_for("default") == "inner decision"


def test_a_decision_after_the_inner_block_reaches_the_outer_one_only():
    with recording() as outer:
        with recording() as inner:
            pass
        explain("shop_db", "rule shop")
    assert inner == {} and outer == {"shop_db": "rule shop"}


def test_nothing_is_recorded_outside_every_block():
    with recording() as closed:
        pass
    assert explain("default", "nobody listens") == "default"
    assert closed == {} and current_record() is None and reason_for("default") is None


def test_captured_reasons_replay_into_every_open_block():
    """A router that remembers another's answer (chain.py) replays its reasons to all."""
    with captured() as reasons:
        explain("replica", "round-robin")
    assert reasons == {"replica": "round-robin"}
    with recording() as outer, recording() as inner:
        replay(reasons)
    assert outer == inner == {"replica": "round-robin"}


def test_blocks_in_other_threads_and_tasks_stay_their_own():
    """One request's blocks never receive another's decisions (contextvars, not globals)."""
    seen = {}

    def other_request():
        with recording() as theirs:
            explain("default", "theirs")
        seen["theirs"] = theirs

    with recording() as ours:
        thread = threading.Thread(target=other_request)
        thread.start()
        thread.join()
        explain("default", "ours")
    assert ours == {"default": "ours"} and seen["theirs"] == {"default": "theirs"}

    async def nested_in_a_task():
        with recording() as outer:

            async def inner_task():
                with recording() as inner:
                    explain("blog_db", "in a task")
                return inner

            inner = await asyncio.create_task(inner_task())
        return outer, inner

    outer, inner = asyncio.run(nested_in_a_task())
    assert outer == inner == {"blog_db": "in a task"}
