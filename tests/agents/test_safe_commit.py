"""Offsets are never committed past a message that was not acknowledged."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from faust.types import TP
from intervaltree import IntervalTree

from workers.transport import SafeCommitConsumer

PARTITION = TP("insights.transactions.v1", 1)


def _consumer(committed: int | None, acked: list[int], start: int | None = -1,
              ) -> SafeCommitConsumer:
    """`start`: where delivery restarted at the seek after assignment (None: not sought yet;
    by default the committed offset, or 0)."""
    consumer = object.__new__(SafeCommitConsumer)  # only the commit bookkeeping is needed
    if start == -1:
        start = committed or 0
    consumer._start_offset = {} if start is None else {PARTITION: start}
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


def test_no_commit_before_the_partition_was_sought_after_its_assignment():
    # Records delivered between the assignment and the seek to the committed offsets come from
    # wherever the client's position was, possibly past records Faust never delivered.
    assert _consumer(None, [6100, 6101, 6102], start=None)._new_offset(PARTITION) is None
    assert _consumer(4234, [4234, 4235], start=None)._new_offset(PARTITION) is None


def test_without_a_committed_offset_the_start_position_comes_first():
    assert _consumer(None, [6100, 6101], start=4234)._new_offset(PARTITION) is None
    assert _consumer(None, [4234, 4235], start=4234)._new_offset(PARTITION) == 4236


OTHER = TP("insights.transactions.v1", 2)


def test_records_fetched_before_a_seek_of_their_partition_are_not_delivered(monkeypatch):
    """Faust's fetcher may still be delivering a batch fetched from the old position when the
    partition is sought; delivering the rest would make Faust record a gap after the seek."""
    from faust.transport.consumer import Consumer

    class Record:
        def __init__(self, offset: int) -> None:
            self.offset = offset

    consumer = object.__new__(SafeCommitConsumer)
    consumer._seeks, consumer._sought_at, consumer._fetched_after = 0, {}, 0
    consumer._not_delivering = asyncio.Event()
    batch = [(PARTITION, Record(6100)), (OTHER, Record(10)), (PARTITION, Record(6101)),
             (OTHER, Record(11)), (PARTITION, Record(6102))]

    async def fetched_batch(self, timeout):
        for item in batch:
            yield item

    monkeypatch.setattr(Consumer, "getmany", fetched_batch)

    async def deliver() -> list[tuple[TP, int]]:
        delivered = []
        async for tp, record in consumer.getmany(timeout=1.0):
            assert not consumer._not_delivering.is_set()  # a seek waits for this record
            delivered.append((tp, record.offset))
            if len(delivered) == 2:
                consumer._mark_sought({PARTITION})  # perform_seek starts here
        assert consumer._not_delivering.is_set()
        return delivered

    assert asyncio.run(deliver()) == [(PARTITION, 6100), (OTHER, 10), (OTHER, 11)]
