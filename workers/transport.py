"""Faust transports of the service: Faust's aiokafka transport with a producer flush that drains,
and, for the embedded broker, adaptations to Tansu's two defects.

Both profiles: Faust's ProducerBuffer.flush() gives up after waiting 0.1 s for a message and
returns with messages still queued. The consumer flushes before it commits source offsets, so
under load it committed offsets of events whose table changes were not yet sent, and a crash at
that moment lost them for good (seen in tests/reliability/test_kill_and_restart.py on a busy
machine). DrainingProducerBuffer returns only when every message queued before the flush is
with the client.

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

import aiokafka
from faust.transport import drivers
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.transport.producer import ProducerBuffer
from faust.types import TP

KAFKA_SCHEME = "insights-kafka"
EMBEDDED_SCHEME = "insights-tansu"
EMBEDDED_FETCH_MAX_WAIT_MS = 20
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


class DrainingProducer(faust_aiokafka.Producer):
    """Faust's aiokafka producer with a DrainingProducerBuffer, whose flush fails when any
    buffered message could not be produced, so the commit that follows does not happen."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        buffer = DrainingProducerBuffer(loop=self.loop, beacon=self.beacon)
        buffer.app = self.app
        buffer.threaded_producer = getattr(self.buffer, "threaded_producer", None)
        self.buffer = buffer

    async def flush(self) -> None:
        await super().flush()
        failed = self.buffer.failed_sends
        if failed:
            raise ChangelogSendFailed(f"{len(failed)} buffered messages were not produced, "
                                      f"first: {failed[0]!r}; not committing offsets")


class SafeCommitConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer that never commits past an offset that was not acknowledged.

    Faust's `_new_offset` treats `min(acked) - committed > 1` as a gap, but `committed` is the
    next offset to read, so one unacknowledged message at the head of the acked offsets
    (`min(acked) == committed + 1`) was committed past and never processed: after a restart
    exactly one event was missing (seen in tests/reliability/test_kill_and_restart.py).
    """

    def _new_offset(self, tp: TP) -> int | None:
        acked = self._acked[tp]
        committed = self._committed_offset[tp]
        if acked and committed is not None and not self._gap[tp] and min(acked) > committed:
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
