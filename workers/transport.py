"""Faust transports of the service: Faust's aiokafka transport with a producer flush that drains,
and, for the embedded broker, adaptations to Tansu's two defects.

Both profiles: Faust's ProducerBuffer.flush() gives up after waiting 0.1 s for a message and
returns with messages still queued. The consumer flushes before it commits source offsets, so
under load it committed offsets of events whose table changes were not yet sent, and a crash at
that moment lost them for good (seen in tests/reliability/test_kill_and_restart.py on a busy
machine). DrainingProducerBuffer returns only when every message queued before the flush is
with the client. Table changes themselves bypass the buffer: RecordBatchSender hands them to
the client as whole record batches (one per partition and ingestion batch instead of one
message each), and the same flush waits for them first.

Embedded broker only:

1. Fetch wait. Faust hard-codes `fetch_max_wait_ms=1500` for its worker consumer. Apache Kafka
   answers a fetch as soon as data arrives, so the value only bounds idle polling there; Tansu
   always holds a fetch for the full wait, which adds up to 1.5 s to every hop of a request.
2. End offsets. Tansu answers ListOffsets(latest) with "base offset of the last record batch + 1"
   instead of "last offset + 1" when that batch holds several records. Faust recovers a table by
   reading its changelog up to that end offset, so it would stop early and lose the newest
   writes. The high watermark inside a fetch response is right, so the end offset is corrected
   by one fetch at the reported end - 1 (see docs/architecture.md, "Recovery on the embedded
   broker").

The transports are registered under the URL schemes `insights-kafka://` (real Kafka) and
`insights-tansu://` (the embedded-broker profile only).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import aiokafka
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.structs import RecordMetadata
from faust.transport import drivers
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.transport.producer import ProducerBuffer
from faust.types import TP

KAFKA_SCHEME = "insights-kafka"
EMBEDDED_SCHEME = "insights-tansu"
EMBEDDED_FETCH_MAX_WAIT_MS = 5
#: A flush that cannot hand every buffered message to the client in this time fails the commit
#: (and so the worker) instead of committing offsets ahead of unsent table changes.
FLUSH_TIMEOUT_SECONDS = 120.0


class FlushTimeout(RuntimeError):
    """Buffered messages could not be handed to the Kafka client in time."""


class DrainingProducerBuffer(ProducerBuffer):
    """Faust's producer buffer whose flush() returns once every message queued before the call
    has been handed to the Kafka client (whose own flush then waits for the broker).

    A barrier rather than "until empty": agents keep queueing while a commit flushes, and the
    offsets being committed were chosen before the flush began.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._queued = 0  # messages put so far
        self._handed = 0  # messages given to the client so far (the queue is FIFO)
        self.failed_sends: list[BaseException] = []

    def put(self, fut) -> None:
        if self.app is not None and self.app.conf.producer_threaded:
            raise RuntimeError("DrainingProducerBuffer does not support producer_threaded")
        self._queued += 1
        super().put(fut)

    async def _send_pending(self, fut) -> None:
        try:
            await super()._send_pending(fut)
        finally:
            self._handed += 1
        if isinstance(fut, asyncio.Future):
            fut.add_done_callback(self._note_failure)

    def _note_failure(self, fut: asyncio.Future) -> None:
        # Faust only hands a failed send to a sensor; a commit after it would cover a table
        # change the changelog never got.
        if not fut.cancelled() and fut.exception() is not None:
            self.failed_sends.append(fut.exception())

    async def flush(self) -> None:
        target = self._queued
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FLUSH_TIMEOUT_SECONDS
        while self._handed < target:
            if self.state != "running":
                raise RuntimeError("Cannot flush: producer buffer is not running")
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise FlushTimeout(f"{target - self._handed} messages not sent after "
                                   f"{FLUSH_TIMEOUT_SECONDS:.0f} s")
            self.message_sent.clear()
            try:
                await asyncio.wait_for(self.message_sent.wait(), timeout=min(remaining, 0.5))
            except TimeoutError:
                continue


class ChangelogSendFailed(RuntimeError):
    """A buffered message (a table change) could not be produced; offsets must not be committed."""


#: Pre-encoded records of one partition: (key, value), a None value being a tombstone.
Records = Sequence[tuple[bytes, bytes | None]]
#: Called with the metadata of a delivered record batch (base offset) and its record count.
OnBatchSent = Callable[[RecordMetadata, int], None]


class RecordBatchSender:
    """Hands pre-encoded records to the Kafka client as whole record batches.

    Faust sends a table change as one message: a FutureMessage through the producer buffer,
    a topic's publish path, one future and one callback per record. Applying 500 events then
    costs 500 of each, in 16 KB batches. Here the changes of one ingestion batch go to the
    client as one record batch per partition (split at MAX_BATCH_BYTES).

    Order: the records of one topic partition are handed over in the order of the calls, each
    call waiting for the previous one of the same partition; after a failure the later calls
    of that partition send nothing, so a changelog stays a prefix of the writes made for it.
    The producer's flush (before every offset commit) waits for every call made before it.
    """

    #: Largest record batch built here. Apache Kafka refuses batches over the topic's
    #: max.message.bytes (1 MiB by default); a single larger record still goes alone.
    MAX_BATCH_BYTES = 512 * 1024

    def __init__(self, producer: DrainingProducer) -> None:
        self.producer = producer
        self.failed_sends: list[BaseException] = []
        self._tails: dict[tuple[str, int], asyncio.Task] = {}
        self._pending: set[asyncio.Task] = set()

    def send_soon(self, topic: str, partition: int, records: Records,
                  on_sent: OnBatchSent) -> None:
        """Queue `records` for `topic`/`partition`; `on_sent` is called per delivered batch."""
        key = (topic, partition)
        task = asyncio.ensure_future(self._send(self._tails.get(key), topic, partition,
                                                records, on_sent))
        self._tails[key] = task
        self._pending.add(task)
        task.add_done_callback(lambda done: self._on_handed(key, done))

    @property
    def pending(self) -> int:
        """Calls whose records are not yet all with the client."""
        return len(self._pending)

    async def wait_below(self, limit: int) -> None:
        """Back-pressure: wait while more than `limit` calls are pending."""
        while len(self._pending) > limit:
            await asyncio.wait(list(self._pending), return_when=asyncio.FIRST_COMPLETED)

    async def flush(self, timeout: float) -> None:
        """Wait until the records of every call made before this one are with the client."""
        pending = list(self._pending)
        if not pending:
            return
        _, not_done = await asyncio.wait(pending, timeout=timeout)
        if not_done:
            raise FlushTimeout(f"{len(not_done)} record batches not handed to the client "
                               f"after {timeout:.0f} s")

    def _on_handed(self, key: tuple[str, int], task: asyncio.Task) -> None:
        self._pending.discard(task)
        if self._tails.get(key) is task:
            del self._tails[key]
        if task.cancelled():  # its records may not all be with the client: no commit after it
            self.failed_sends.append(asyncio.CancelledError(f"records for {key} cancelled"))
        elif task.exception() is not None:
            self.failed_sends.append(task.exception())

    async def _send(self, previous: asyncio.Task | None, topic: str, partition: int,
                    records: Records, on_sent: OnBatchSent) -> None:
        if previous is not None:
            await asyncio.wait([previous])
            if previous.cancelled() or previous.exception() is not None:
                raise ChangelogSendFailed(f"not sending {len(records)} records to "
                                          f"{topic}[{partition}] after an earlier failure")
        client = self.producer._ensure_producer()
        batch, count = self._new_batch(client), 0
        for key, value in records:
            if batch.append(timestamp=None, key=key, value=value, headers=[]) is None:
                await self._hand_over(client, batch, count, topic, partition, on_sent)
                batch, count = self._new_batch(client), 0
                batch.append(timestamp=None, key=key, value=value, headers=[])
            count += 1
        await self._hand_over(client, batch, count, topic, partition, on_sent)

    def _new_batch(self, client: aiokafka.AIOKafkaProducer) -> BatchBuilder:
        # As client.create_batch(), with a larger size than the client's 16 KB batches, and
        # uncompressed: compressing changelog batches changed nothing for ingestion and made
        # recovery from the changelog (100,000 records after kill -9) ~2 s slower.
        return BatchBuilder(min(self.MAX_BATCH_BYTES, client._max_request_size), 0,
                            is_transactional=False)

    async def _hand_over(self, client: aiokafka.AIOKafkaProducer, batch: BatchBuilder,
                         count: int, topic: str, partition: int, on_sent: OnBatchSent) -> None:
        if not count:
            return
        batch.close()
        delivered = await client.send_batch(batch, topic, partition=partition)

        def done(fut: asyncio.Future) -> None:
            if fut.cancelled():
                self.failed_sends.append(asyncio.CancelledError(f"{topic}[{partition}]"))
            elif fut.exception() is not None:
                self.failed_sends.append(fut.exception())
            else:
                on_sent(fut.result(), count)

        delivered.add_done_callback(done)


class DrainingProducer(faust_aiokafka.Producer):
    """Faust's aiokafka producer with a DrainingProducerBuffer and a RecordBatchSender, whose
    flush fails when any buffered message or record batch could not be produced, so the commit
    that follows does not happen."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        buffer = DrainingProducerBuffer(loop=self.loop, beacon=self.beacon)
        buffer.app = self.app
        buffer.threaded_producer = getattr(self.buffer, "threaded_producer", None)
        self.buffer = buffer
        self.record_batches = RecordBatchSender(self)

    def send_records_soon(self, topic: str, partition: int, records: Records,
                          on_sent: OnBatchSent) -> None:
        """Queue pre-encoded records for one partition (see RecordBatchSender)."""
        self.record_batches.send_soon(topic, partition, records, on_sent)

    async def flush(self) -> None:
        await self.record_batches.flush(FLUSH_TIMEOUT_SECONDS)
        await super().flush()
        failed = self.buffer.failed_sends + self.record_batches.failed_sends
        if failed:
            raise ChangelogSendFailed(f"{len(failed)} buffered messages were not produced, "
                                      f"first: {failed[0]!r}; not committing offsets")


class SafeCommitConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer that never commits past an offset that was not processed.

    1. Faust's `_new_offset` treats `min(acked) - committed > 1` as a gap, but `committed` is
       the next offset to read, so one unacknowledged message at the head of the acked offsets
       (`min(acked) == committed + 1`) was committed past and never processed: after a restart
       exactly one event was missing (seen in tests/reliability/test_kill_and_restart.py).
       Here a partition does not commit while its next offset is unacknowledged.

    2. Seeks are a barrier for delivery. Faust seeks the stream partitions to their committed
       offsets at the end of every rebalance (`perform_seek`), after it has resumed them, one
       partition at a time, and then resets its read offsets. Meanwhile its fetcher keeps
       delivering records fetched from the client's old position, which can be far ahead of the
       committed offset: when recovery has read the changelogs and paused them, no partition is
       active, a fetch still waiting returns the records of every partition (aiokafka reads an
       empty partition set as "all"), and Faust's `getmany` drops those of the paused stream
       partitions, so the client's position is past records nobody processed.
       The first such record delivered after the reset looks like a jump in the offsets, and
       Faust records the offsets in between as a gap: offsets that need no processing, which
       `_new_offset` then counts as acknowledged. The commit moved past records that were never
       processed, and their re-fetched copies were dropped as already read. Seen in the kill -9
       test: after the restart, 457 records of one partition (round two) were committed over
       and never applied; in other runs the same race left a hole in the acked offsets instead,
       and the partition stopped committing (the watchdog's "stalled" partitions).

       Here a fetch and a seek never overlap (`_fetch_lock`); records fetched before a seek of
       their partition are not delivered (the client fetches them again from the new position);
       a seek waits for the record being delivered, so Faust has finished its bookkeeping for
       it; every stream partition is positioned (at its committed offset, or where the reset
       policy says when it has none); stale gaps and acknowledgements below the new position
       are dropped; and no partition commits between its assignment and that seek.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._fetch_lock = asyncio.Lock()
        self._seeks = 0  # seeks made so far
        self._sought_at: dict[TP, int] = {}  # partition -> number of its latest seek
        self._fetched_after = 0  # seeks made before the records being delivered were fetched
        self._not_delivering = asyncio.Event()
        self._not_delivering.set()
        #: Per stream partition, since its seek after assignment: the first offset that must be
        #: processed when nothing has been committed yet. No entry: not sought, no commit.
        self._start_offset: dict[TP, int] = {}

    async def _getmany(self, active_partitions, timeout: float):  # type: ignore[override]
        async with self._fetch_lock:
            self._fetched_after = self._seeks
            return await super()._getmany(active_partitions, timeout)

    async def getmany(self, timeout: float):  # type: ignore[override]
        fetched_after = None
        async for tp, message in super().getmany(timeout):
            if fetched_after is None:
                fetched_after = self._fetched_after  # set by the _getmany of this batch
            if self._sought_at.get(tp, 0) > fetched_after:
                continue  # fetched from before a seek of its partition: fetched again after it
            self._not_delivering.clear()
            try:
                yield tp, message
            finally:  # Faust has handed the record on and updated its read offset
                self._not_delivering.set()

    def _mark_sought(self, tps) -> None:
        self._seeks += 1
        for tp in tps:
            self._sought_at[tp] = self._seeks

    async def perform_seek(self) -> None:
        """Faust's perform_seek, as a barrier: see the class docstring."""
        async with self._fetch_lock:
            streams = {tp for tp in self.assignment() if not self._is_changelog_tp(tp)}
            self._mark_sought(streams)
            await self._not_delivering.wait()
            committed = {TP(tp.topic, tp.partition): offset
                         for tp, offset in (await self.seek_to_committed()).items()}
            # As Faust: read offsets of every assigned partition, committed where known.
            self._read_offset.update({
                tp: offset if offset is not None and offset >= 0 else None
                for tp, offset in committed.items()})
            self._committed_offset.update({
                tp: offset if offset else None
                for tp, offset in committed.items() if offset is not None})
            # seek_to_committed leaves partitions without a commit where the client is, which
            # may be past records it fetched and Faust dropped: they start over.
            uncommitted = sorted(tp for tp in streams if not (committed.get(tp) or 0) > 0)
            if uncommitted:
                await self._reset_positions(uncommitted)
            for tp in streams:
                offset = committed.get(tp)
                if not (offset or 0) > 0:
                    offset = await self.position(faust_aiokafka.ensure_aiokafka_TP(tp))
                self._start_offset[tp] = offset
                self._read_offset[tp] = offset
                self._gap.pop(tp, None)
                self._forget_acks_below(tp, offset)

    async def _reset_positions(self, tps: list[TP]) -> None:
        # Where a consumer without a committed offset starts. Every stream partition is sought
        # here, since the records of it still being delivered were just discarded.
        reset = str(self.app.conf.consumer_auto_offset_reset).lower()
        partitions = [faust_aiokafka.ensure_aiokafka_TP(tp) for tp in tps]
        thread = self._thread
        if reset == "earliest":
            await thread.seek_to_beginning(*partitions)
        elif reset == "latest":
            await thread.call_thread(thread._ensure_consumer().seek_to_end, *partitions)
        else:
            raise RuntimeError(f"no committed offset for {tps} and auto_offset_reset={reset}")

    async def seek(self, partition: TP, offset: int) -> None:
        """Faust's seek (used by the ingestion watchdog), as a barrier like perform_seek."""
        tp = TP(partition.topic, partition.partition)
        async with self._fetch_lock:
            self._mark_sought({tp})
            await self._not_delivering.wait()
            await super().seek(partition, offset)
            self._gap.pop(tp, None)
            if self._committed_offset[tp] is None and tp in self._start_offset:
                self._start_offset[tp] = offset

    def _forget_acks_below(self, tp: TP, offset: int) -> None:
        acked = self._acked.get(tp)
        if acked:
            stale = {x for x in acked if x < offset}
            if stale:
                acked[:] = [x for x in acked if x >= offset]
                self._acked_index[tp].difference_update(stale)

    async def on_partitions_revoked(self, revoked) -> None:
        for tp in revoked:
            self._start_offset.pop(tp, None)
        await super().on_partitions_revoked(revoked)

    def _new_offset(self, tp: TP) -> int | None:
        start = self._start_offset.get(tp)
        if start is None:
            return None  # not sought since assigned: acks so far may skip unread records
        acked = self._acked[tp]
        committed = self._committed_offset[tp]
        floor = committed if committed is not None else start
        if acked and not self._gap[tp] and min(acked) > floor:
            return None  # the next offset to commit has not been acknowledged yet
        return super()._new_offset(tp)


class _ShortFetchConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport):  # type: ignore[override]
        consumer = super()._create_worker_consumer(transport)
        if not hasattr(consumer, "_fetch_max_wait_ms"):
            raise RuntimeError("aiokafka changed: AIOKafkaConsumer._fetch_max_wait_ms is gone; "
                               "the embedded-broker profile cannot shorten the fetch wait")
        consumer._fetch_max_wait_ms = EMBEDDED_FETCH_MAX_WAIT_MS
        return consumer

    async def _highwaters(self, partitions: list[TP]) -> dict[TP, int]:  # type: ignore[override]
        reported = dict(await super()._highwaters(partitions))
        return await corrected_end_offsets(self._ensure_consumer(), reported)


async def corrected_end_offsets(consumer: aiokafka.AIOKafkaConsumer,
                                reported: dict[TP, int], timeout_ms: int = 2000) -> dict[TP, int]:
    """End offsets as the high watermark of a fetch at `reported - 1` says they are.

    Uses a separate, group-less consumer on the same connection settings, so the worker's own
    positions are untouched. Never lowers an offset: on real Kafka the answer equals `reported`.
    """
    probe_tps = [tp for tp, end in reported.items() if end and end > 0]
    if not probe_tps:
        return reported
    client = consumer._client
    probe = aiokafka.AIOKafkaConsumer(
        bootstrap_servers=client._bootstrap_servers,
        security_protocol=client._security_protocol,
        ssl_context=client._ssl_context,
        enable_auto_commit=False,
        fetch_max_wait_ms=EMBEDDED_FETCH_MAX_WAIT_MS,
        max_partition_fetch_bytes=1024,
    )
    await probe.start()
    try:
        probe.assign(probe_tps)
        for tp in probe_tps:
            probe.seek(tp, reported[tp] - 1)
        pending = set(probe_tps)
        corrected = dict(reported)
        for _ in range(10):
            await probe.getmany(*pending, timeout_ms=timeout_ms // 10)
            for tp in list(pending):
                highwater = probe.highwater(tp)
                if highwater is not None:
                    corrected[tp] = max(corrected[tp], highwater)
                    pending.discard(tp)
            if not pending:
                break
        if pending:
            raise RuntimeError(f"could not read the end offset of {sorted(pending)}")
        return corrected
    finally:
        await probe.stop()


class _ShortFetchConsumer(SafeCommitConsumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ShortFetchConsumerThread(self, loop=self.loop, beacon=self.beacon)


class KafkaTransport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with a draining producer flush and safe commits."""

    Consumer = SafeCommitConsumer
    Producer = DrainingProducer


class EmbeddedBrokerTransport(KafkaTransport):
    """KafkaTransport plus the short fetch wait and end-offset correction Tansu needs."""

    Consumer = _ShortFetchConsumer


drivers.TRANSPORTS.aliases.setdefault(KAFKA_SCHEME, f"{__name__}:KafkaTransport")
drivers.TRANSPORTS.aliases.setdefault(EMBEDDED_SCHEME, f"{__name__}:EmbeddedBrokerTransport")
