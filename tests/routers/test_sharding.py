"""routers/sharding.py's placement and IDs: stable everywhere, and IDs that carry their shard."""

import datetime
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.test import override_settings

from routers.sharding import (
    ID_EPOCH,
    MAX_LOGICAL_SHARDS,
    decode_id,
    logical_shard_count,
    logical_shard_for,
    logical_shard_of,
    make_id,
)

REPO = Path(__file__).resolve().parents[2]
# Pinned: a release that changed one of these would move existing rows' keys.
KNOWN = [
    (42, 42),
    (106, 42),
    (-1, 63),
    ("alice", 34),
    ("bob", 18),
    ("ü", 48),
    (uuid.UUID(int=1), 0),
    (b"\x00", 13),
]


@pytest.mark.parametrize(("key", "shard"), KNOWN, ids=repr)
def test_placement_is_pinned_for_whole_numbers_strings_uuids_and_bytes(key, shard):
    assert logical_shard_for(key) == shard


def test_placement_is_the_same_in_every_process_whatever_its_hash_seed():
    """Python salts ``hash()`` of strings per process; the placement must not follow it."""
    code = (
        "import django; django.setup(); from routers.sharding import logical_shard_for; "
        "print([logical_shard_for(k) for k in ('alice', 'bob', 'ü')])"
    )
    # The suite's own settings: the demo's, or the version matrix's minimal ones.
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]}
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env={**env, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert outputs == {"[34, 18, 48]\n"}


def test_string_keys_spread_evenly_over_the_logical_shards():
    counts = Counter(logical_shard_for(f"user-{n}") for n in range(64_000))
    assert set(counts) == set(range(64))
    assert min(counts.values()) > 850 and max(counts.values()) < 1150  # 1000 each, give or take


def test_the_number_of_logical_shards_comes_from_the_setting():
    assert logical_shard_count() == 64
    with override_settings(DATABASE_SHARDING={"LOGICAL_SHARDS": 16}):
        assert logical_shard_for(42) == 10
    assert logical_shard_for(42, shards=8) == 2


@pytest.mark.parametrize("key", [True, None, 1.5, ["a"]], ids=repr)
def test_a_key_that_is_no_whole_number_string_uuid_or_bytes_is_refused(key):
    with pytest.raises(TypeError, match="a shard key must be"):
        logical_shard_for(key)


def test_an_id_carries_its_creation_time_logical_shard_and_sequence():
    at = datetime.datetime(2026, 12, 2, 7, 30, 0, 123_000, tzinfo=datetime.timezone.utc)
    row_id = make_id(42, 1025, at=at)
    assert decode_id(row_id) == (at, 42, 1)  # the sequence wraps at 1024
    assert logical_shard_of(row_id) == 42
    assert 0 < row_id < 2**63, "a positive bigint"


def test_ids_sort_by_time_and_never_collide_across_logical_shards():
    at = datetime.datetime(2026, 12, 2, tzinfo=datetime.timezone.utc)
    same_moment = {make_id(shard, 7, at=at) for shard in range(MAX_LOGICAL_SHARDS)}
    assert len(same_moment) == MAX_LOGICAL_SHARDS
    later = make_id(0, 0, at=at + datetime.timedelta(milliseconds=1))
    assert later > max(same_moment)


def test_ids_outside_the_layout_are_refused():
    with pytest.raises(ValueError, match="logical shard 4096 is outside 0-4095"):
        make_id(MAX_LOGICAL_SHARDS, 0)
    with pytest.raises(ValueError, match="outside the id's time range"):
        make_id(0, 0, at=ID_EPOCH - datetime.timedelta(milliseconds=1))
    last = ID_EPOCH + datetime.timedelta(milliseconds=2**41 - 1)
    assert decode_id(make_id(4095, 1023, at=last)) == (last, 4095, 1023)
    assert make_id(4095, 1023, at=last) == 2**63 - 1
