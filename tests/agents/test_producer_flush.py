"""The producer flush that precedes every offset commit must not return with messages queued
or record batches not handed to the client, and fails when any of them was not produced."""

from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace

import pytest
from aiokafka.record.default_records import DefaultRecordBatch
from aiokafka.structs import RecordMetadata, TopicPartition
from faust.transport.producer import ProducerBuffer

from workers.transport import (
    ChangelogSendFailed,
    DrainingProducer,
    DrainingProducerBuffer,
    FlushTimeout,
    RecordBatchSender,
)


class _SlowChannel:
    """Stands in for a topic whose client takes 0.3 s to accept each message."""

    def __init__(self) -> None:
        self.published: list[object] = []

    async def publish_message(self, fut, wait: bool = False) -> None:
        await asyncio.sleep(0.3)
        self.published.append(fut)


async def _flush_with_slow_sends(buffer_class) -> tuple[int, int]:
    channel = _SlowChannel()
    buffer = buffer_class()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    await buffer.start()
    try:
        for index in range(3):
            buffer.put(SimpleNamespace(message=SimpleNamespace(channel=channel), index=index))
        await buffer.flush()
        return len(channel.published), buffer.size
    finally:
        # Faust's buffer refuses to stop with messages queued; that is the point made here.
        with contextlib.suppress(RuntimeError):
            await buffer.stop()


async def test_fausts_own_flush_returns_with_messages_still_queued():
    # The behaviour DrainingProducerBuffer exists for: a commit after this flush would cover
    # table changes that were never sent.
    published, still_queued = await _flush_with_slow_sends(ProducerBuffer)
    assert published < 3
    assert still_queued > 0


async def test_draining_flush_returns_only_when_every_message_is_sent():
    published, still_queued = await _flush_with_slow_sends(DrainingProducerBuffer)
    assert (published, still_queued) == (3, 0)


async def test_draining_flush_is_a_barrier_not_a_wait_for_an_empty_queue():
    # Agents keep queueing while a commit flushes; the flush waits only for what came before.
    channel = _SlowChannel()
    buffer = DrainingProducerBuffer()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    await buffer.start()

    def put(index: int) -> None:
        buffer.put(SimpleNamespace(message=SimpleNamespace(channel=channel), index=index))

    try:
        put(0)
        put(1)
        flushing = asyncio.create_task(buffer.flush())
        for index in range(2, 6):  # queued after the flush began
            await asyncio.sleep(0.05)
            put(index)
        await asyncio.wait_for(flushing, timeout=5)
        assert [fut.index for fut in channel.published][:2] == [0, 1]
        assert len(channel.published) < 6
    finally:
        await buffer.flush()
        await buffer.stop()


async def test_a_failed_send_is_remembered_for_the_commit_to_refuse():
    class FailingChannel:
        async def publish_message(self, fut, wait: bool = False) -> None:
            asyncio.get_running_loop().call_soon(fut.set_exception, ConnectionError("broker"))

    buffer = DrainingProducerBuffer()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    await buffer.start()
    try:
        fut = asyncio.get_running_loop().create_future()
        fut.message = SimpleNamespace(channel=FailingChannel())
        buffer.put(fut)
        await buffer.flush()
        await asyncio.sleep(0.01)
        assert [type(e) for e in buffer.failed_sends] == [ConnectionError]
    finally:
        await buffer.stop()


# --- table changes as record batches (RecordBatchSender) ------------------------------------


class _FakeClient:
    """Stands in for aiokafka's producer: send_batch takes `delay` s to accept a batch and
    delivers it (or fails it, for partitions in `failing`) right after."""

    _max_request_size = 8 * 1024 * 1024

    def __init__(self, delay: float = 0.0, failing: set[int] = frozenset(),
                 refusing: set[int] = frozenset()) -> None:
        self.delay, self.failing, self.refusing = delay, failing, refusing
        self.batches: list[tuple[str, int, list[tuple[bytes, bytes | None]]]] = []
        self.next_offset: dict[int, int] = {}

    async def send_batch(self, batch, topic: str, *, partition: int) -> asyncio.Future:
        if partition in self.refusing:
            raise ConnectionError(f"cannot reach the leader of {topic}[{partition}]")
        await asyncio.sleep(self.delay)
        records = [(r.key, r.value) for r in DefaultRecordBatch(bytes(batch._build()))]
        self.batches.append((topic, partition, records))
        delivered = asyncio.get_running_loop().create_future()
        if partition in self.failing:
            delivered.set_exception(ConnectionError("broker went away"))
        else:
            base = self.next_offset.get(partition, 0)
            self.next_offset[partition] = base + len(records)
            delivered.set_result(RecordMetadata(topic, partition, TopicPartition(topic, partition),
                                                base, -1, 0, 0))
        return delivered

    def records(self, partition: int) -> list[tuple[bytes, bytes | None]]:
        return [r for _, p, records in self.batches if p == partition for r in records]


def _sender(client: _FakeClient, max_batch_bytes: int | None = None) -> RecordBatchSender:
    sender = RecordBatchSender(SimpleNamespace(_ensure_producer=lambda: client))
    if max_batch_bytes is not None:
        sender.MAX_BATCH_BYTES = max_batch_bytes
    return sender


def _records(tag: str, count: int, size: int = 100) -> list[tuple[bytes, bytes | None]]:
    return [(f"{tag}-{i}".encode(), None if i % 7 == 6 else bytes([65 + i % 26]) * size)
            for i in range(count)]


async def test_record_batches_keep_the_order_of_each_partition_and_respect_the_size_limit():
    client = _FakeClient(delay=0.01)
    sender = _sender(client, max_batch_bytes=1000)
    sent: list[tuple[int, int, int]] = []
    calls = {0: [_records("a", 25), _records("b", 3)], 1: [_records("c", 12)],
             2: [_records("d", 1, size=5000)]}  # a record larger than a batch goes alone
    for index in range(2):
        for partition, batches in calls.items():
            if index < len(batches):
                sender.send_soon("changelog", partition, batches[index],
                                 lambda meta, count: sent.append((meta.partition, meta.offset,
                                                                  count)))
    await asyncio.wait_for(sender.flush(timeout=5), 5)
    assert client.records(0) == calls[0][0] + calls[0][1]
    assert client.records(1) == calls[1][0]
    assert client.records(2) == calls[2][0]
    assert all(sum(len(k) + len(v or b"") for k, v in records) < 1000
               for _, partition, records in client.batches if partition != 2)
    assert len([b for b in client.batches if b[1] == 0]) > 2  # split at the limit
    # Every delivered batch is reported with its base offset and its record count.
    await asyncio.sleep(0)
    by_partition: dict[int, list[tuple[int, int]]] = {}
    for partition, offset, count in sent:
        by_partition.setdefault(partition, []).append((offset, count))
    for partition, reported in by_partition.items():
        assert sum(count for _, count in reported) == len(client.records(partition))
        assert [offset for offset, _ in reported] == [
            sum(c for _, c in reported[:i]) for i in range(len(reported))]
    assert sender.failed_sends == []


async def test_record_batch_flush_is_a_barrier_for_the_calls_before_it():
    client = _FakeClient(delay=0.2)
    sender = _sender(client)
    sender.send_soon("changelog", 0, _records("a", 3), lambda meta, count: None)
    sender.send_soon("changelog", 1, _records("b", 3), lambda meta, count: None)
    flushing = asyncio.create_task(sender.flush(timeout=5))
    await asyncio.sleep(0.05)
    sender.send_soon("changelog", 0, _records("c", 3), lambda meta, count: None)  # after
    await asyncio.wait_for(flushing, 5)
    assert client.records(0) == _records("a", 3)
    assert client.records(1) == _records("b", 3)
    assert sender.pending == 1
    await sender.flush(timeout=5)
    assert client.records(0) == _records("a", 3) + _records("c", 3)


async def test_record_batch_flush_times_out_instead_of_committing_ahead():
    sender = _sender(_FakeClient(delay=1.0))
    sender.send_soon("changelog", 0, _records("a", 3), lambda meta, count: None)
    with pytest.raises(FlushTimeout):
        await sender.flush(timeout=0.1)
    await sender.flush(timeout=5)


async def test_after_a_failure_a_partition_sends_nothing_more_and_the_commit_is_refused():
    client = _FakeClient(refusing={0})
    sender = _sender(client)
    delivered: list[int] = []
    sender.send_soon("changelog", 0, _records("a", 3), lambda meta, count: delivered.append(0))
    sender.send_soon("changelog", 1, _records("b", 3), lambda meta, count: delivered.append(1))
    sender.send_soon("changelog", 0, _records("c", 3), lambda meta, count: delivered.append(0))
    await sender.flush(timeout=5)
    # Partition 0 keeps a prefix of its writes (here none); partition 1 is unaffected.
    assert client.records(0) == []
    assert client.records(1) == _records("b", 3)
    await asyncio.sleep(0)
    assert delivered == [1]
    assert [type(e) for e in sender.failed_sends] == [ConnectionError, ChangelogSendFailed]
    await _assert_the_commit_flush_fails(sender)


async def test_a_hand_off_cancelled_midway_refuses_the_commit():
    sender = _sender(_FakeClient(delay=1.0))
    sender.send_soon("changelog", 0, _records("a", 3), lambda meta, count: None)
    sender.send_soon("changelog", 0, _records("b", 3), lambda meta, count: None)
    for task in list(sender._pending):
        task.cancel()
    await sender.flush(timeout=5)
    assert len(sender.failed_sends) == 2
    await _assert_the_commit_flush_fails(sender)


async def test_a_batch_the_broker_rejects_refuses_the_commit():
    client = _FakeClient(failing={2})
    sender = _sender(client)
    delivered: list[int] = []
    sender.send_soon("changelog", 2, _records("a", 3), lambda meta, count: delivered.append(2))
    await _assert_the_commit_flush_fails(sender)
    assert delivered == []


async def _assert_the_commit_flush_fails(sender: RecordBatchSender) -> None:
    """The flush before an offset commit, of a DrainingProducer with `sender`, refuses."""
    producer = object.__new__(DrainingProducer)  # only what flush() uses, no Kafka client
    producer.buffer = DrainingProducerBuffer()
    producer.buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    producer.record_batches = sender
    producer._producer = None
    producer._transaction_producers = {}
    await producer.buffer.start()
    try:
        with pytest.raises(ChangelogSendFailed):
            await producer.flush()
    finally:
        await producer.buffer.stop()
