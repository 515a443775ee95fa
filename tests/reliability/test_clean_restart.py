"""A clean stop (SIGTERM) keeps the local RocksDB state, with the persisted changelog offsets
that tell the next start where to resume recovery; the restarted worker holds exactly the
offline state and keeps applying events."""

from __future__ import annotations

import orjson
import pytest
import rocksdict
from aiokafka import AIOKafkaConsumer, TopicPartition

from tests.reliability.test_kill_and_restart import _events, _wait_for_state
from tests.support import offline_state, wait_until_serving
from workers.client import ReportClient, produce_lines
from workers.transport import corrected_end_offsets

pytestmark = pytest.mark.reliability

OFFSET_KEY = b"__faust\0offset__"  # where Faust's RocksDB store keeps the persisted offset


async def _changelog_ends(settings, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(settings.partitions)]
        reported = await consumer.end_offsets(tps)
        ends = await corrected_end_offsets(consumer, reported)
        return {tp.partition: end for tp, end in ends.items()}
    finally:
        await consumer.stop()


def _persisted_offsets(data_dir, table: str) -> dict[int, int]:
    offsets = {}
    for path in data_dir.rglob(f"{table}-*.db"):
        partition = int(path.name.removesuffix(".db").rsplit("-", 1)[1])
        db = rocksdict.Rdict(str(path), options=rocksdict.Options(raw_mode=True))
        try:
            value = db.get(OFFSET_KEY)
        finally:
            db.close()
        if value is not None:
            offsets[partition] = int(value)
    return offsets


async def test_sigterm_keeps_local_state_and_the_persisted_changelog_offsets(worker_factory):
    events, accounts = _events(4_000, seed=9)
    first, second = events[:3_000], events[3_000:]
    worker = worker_factory(INSIGHTS_TABLE_STORE="rocksdb://").start()
    settings = worker.settings
    async with ReportClient(settings) as client:
        await wait_until_serving(client, worker)
        await produce_lines(settings, settings.topic("insights.accounts.v1"),
                            [orjson.dumps(a) for a in accounts])
        await produce_lines(settings, settings.topic("insights.transactions.v1"),
                            [orjson.dumps(e) for e in first])
        await _wait_for_state(client, offline_state(first, accounts), "first events applied",
                              timeout=120, worker=worker)

        worker.stop()
        assert worker.process.returncode == 0, worker.log_tail()
        # Every changelog record was delivered before the stop, and the offset of the last one
        # of each partition is the one persisted with the local state.
        changelog = f"{settings.app_id}-transactions-changelog"
        ends = await _changelog_ends(settings, changelog)
        persisted = _persisted_offsets(worker.data_dir, "transactions")
        assert persisted == {p: end - 1 for p, end in ends.items() if end > 0}

        worker.start()
        await wait_until_serving(client, worker)
        await _wait_for_state(client, offline_state(first, accounts), "state after restart",
                              timeout=120, worker=worker)
        assert "discarding local table state" not in worker.log_tail(200_000)
        await produce_lines(settings, settings.topic("insights.transactions.v1"),
                            [orjson.dumps(e) for e in second])
        await _wait_for_state(client, offline_state(first + second, accounts),
                              "events after restart applied", timeout=120, worker=worker)
