"""Offsets are never committed past a message that was not acknowledged."""

from __future__ import annotations

from collections import defaultdict

from faust.types import TP
from intervaltree import IntervalTree

from workers.transport import SafeCommitConsumer

PARTITION = TP("insights.transactions.v1", 1)


def _consumer(committed: int | None, acked: list[int]) -> SafeCommitConsumer:
    consumer = object.__new__(SafeCommitConsumer)  # only the commit bookkeeping is needed
    consumer._acked = defaultdict(list, {PARTITION: list(acked)})
    consumer._acked_index = defaultdict(set, {PARTITION: set(acked)})
    consumer._committed_offset = defaultdict(lambda: None, {PARTITION: committed})
    consumer._gap = defaultdict(IntervalTree)
    return consumer


def test_an_unacknowledged_head_blocks_the_commit():
    # 296 is the next offset to read; 297.. are acknowledged, 296 is not.
    assert _consumer(296, [297, 298, 299])._new_offset(PARTITION) is None


def test_a_contiguous_run_from_the_committed_offset_is_committed():
    assert _consumer(296, [296, 297, 298])._new_offset(PARTITION) == 299


def test_the_first_commit_of_a_partition_is_unchanged():
    assert _consumer(None, [0, 1, 2])._new_offset(PARTITION) == 3


def test_fausts_own_check_commits_past_a_single_unacknowledged_offset():
    # The behaviour SafeCommitConsumer exists for: offset 296 would never be processed.
    from faust.transport.drivers.aiokafka import Consumer

    consumer = _consumer(296, [297, 298, 299])
    assert Consumer._new_offset(consumer, PARTITION) == 300
