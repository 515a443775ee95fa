"""The embedded-broker Faust transport: Faust's aiokafka transport adapted to Tansu's two defects.

1. Fetch wait. Faust hard-codes `fetch_max_wait_ms=1500` for its worker consumer. Apache Kafka
   answers a fetch as soon as data arrives, so the value only bounds idle polling there; Tansu
   always holds a fetch for the full wait, which adds up to 1.5 s to every hop of a request.
2. End offsets. Tansu answers ListOffsets(latest) with "base offset of the last record batch + 1"
   instead of "last offset + 1" when that batch holds several records. Faust recovers a table by
   reading its changelog up to that end offset, so it would stop early and lose the newest
   writes. The high watermark inside a fetch response is right, so the end offset is corrected
   by one fetch at the reported end - 1 (see docs/architecture.md, "Recovery on the embedded
   broker").

This transport is registered under the URL scheme `tansu://` and used only by the embedded-broker
profile, so real Kafka keeps Faust's own behaviour.
"""

from __future__ import annotations

import aiokafka
from faust.transport import drivers
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

SCHEME = "tansu"
EMBEDDED_FETCH_MAX_WAIT_MS = 20


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


class _ShortFetchConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ShortFetchConsumerThread(self, loop=self.loop, beacon=self.beacon)


class EmbeddedBrokerTransport(faust_aiokafka.Transport):
    """Faust's aiokafka transport, with the consumer fetch wait the embedded broker needs."""

    Consumer = _ShortFetchConsumer


drivers.TRANSPORTS.aliases.setdefault(SCHEME, f"{__name__}:EmbeddedBrokerTransport")
