"""Kafka clients for producers and report clients: event producer and request/reply requester.

These speak only the contract (CONTRACT.md); they are what `insights produce` and
`insights request` use, and a template for client code.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from workers.settings import Settings


class ProgressBar:
    """A minimal progress bar on stderr (updates at most ten times per second)."""

    def __init__(self, total: int, label: str, stream=sys.stderr, width: int = 30) -> None:
        self.total, self.label, self.stream, self.width = max(total, 1), label, stream, width
        self.done = 0
        self._last = 0.0
        self._started = time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._last >= 0.1 or self.done >= self.total:
            self._last = now
            filled = int(self.width * self.done / self.total)
            rate = self.done / max(now - self._started, 1e-6)
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                              f"{self.done}/{self.total} ({rate:,.0f}/s)")
            self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def read_jsonl(path: Path) -> list[bytes]:
    """The non-empty lines of a JSON Lines file, as bytes."""
    with open(path, "rb") as handle:
        return [line.rstrip(b"\r\n") for line in handle if line.strip()]


def consumer_key(line: bytes) -> bytes | None:
    """The record key a producer uses: the event's insights_consumer_id."""
    try:
        value = orjson.loads(line).get("insights_consumer_id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return value.encode() if isinstance(value, str) else None


async def produce_lines(settings: Settings, topic: str, lines: Iterable[bytes], *,
                        progress: ProgressBar | None = None,
                        key_of: Callable[[bytes], bytes | None] = consumer_key) -> int:
    """Produce each line as one record keyed by its consumer id; returns the count."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, linger_ms=5,
                                max_request_size=8 * 1024 * 1024, acks="all",
                                **settings.security.aiokafka_kwargs())
    await producer.start()
    count = 0
    try:
        pending = []
        for line in lines:
            pending.append(await producer.send(topic, key=key_of(line), value=line))
            count += 1
            if len(pending) >= 1000:
                await asyncio.gather(*pending)
                if progress:
                    progress.advance(len(pending))
                pending.clear()
        await asyncio.gather(*pending)
        if progress:
            progress.advance(len(pending))
    finally:
        await producer.stop()
    return count


class RequestTimeout(TimeoutError):
    """No reply arrived for a correlation id within the timeout."""


#: How long the reply consumer's fetch may wait for data. Apache Kafka answers a fetch as
#: soon as data arrives, so this only bounds idle polling there; the embedded broker holds a
#: fetch for most of it (BROKER-NOTES.md), so there it is a floor under every reply's latency.
REPLY_FETCH_MAX_WAIT_MS = {"kafka": 20, "embedded": 5}
#: The largest reply a fetch brings in one piece (a 2,000-transaction report is ~1.7 MB).
REPLY_MAX_PARTITION_FETCH_BYTES = 8 * 1024 * 1024


def reply_consumer(settings: Settings) -> AIOKafkaConsumer:
    """A consumer without a group, configured as replies are read: no commits, the profile's
    fetch wait, fetches large enough for a whole report."""
    return AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False,
        fetch_max_wait_ms=REPLY_FETCH_MAX_WAIT_MS[settings.broker_profile],
        max_partition_fetch_bytes=REPLY_MAX_PARTITION_FETCH_BYTES,
        **settings.security.aiokafka_kwargs())


async def assign_at_end(consumer: AIOKafkaConsumer, topic: str,
                        timeout: float = 5.0) -> list[TopicPartition]:
    """Assign every partition of `topic` to a started consumer, positioned at its end.

    Waits up to `timeout` seconds for the topic's metadata (a topic created a moment ago may
    not be in it yet). Positions are resolved before returning, so that no record written
    after the call is missed.
    """
    partitions = consumer.partitions_for_topic(topic)
    deadline = time.monotonic() + timeout
    while not partitions and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic)
    if not partitions:
        raise RuntimeError(f"topic {topic} does not exist")
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    return tps


def decode_reply(value: bytes) -> Any:
    """A reply's JSON, decoded with the garbage collector paused.

    A 2,000-transaction reply is ~60,000 new containers: decoded with the collector on, it
    triggers dozens of young collections and, now and then, a full one over the caller's whole
    heap, which was the tail of report latency. Paused, the new objects are looked at once,
    by the first collection after the decode.
    """
    if not gc.isenabled():
        return orjson.loads(value)
    gc.disable()
    try:
        return orjson.loads(value)
    finally:
        gc.enable()


class ReportClient:
    """Sends ReportRequests and waits for the reply with the same correlation id.

    Listens on the whole reply topic from its end at start. Replies are keyed by correlation
    id, so replies to other clients are skipped without being decoded; duplicate replies for
    one correlation id (at-least-once delivery) are ignored.
    """

    def __init__(self, settings: Settings, reply_topic: str | None = None,
                 request_topic: str | None = None) -> None:
        self.settings = settings
        self.reply_topic = reply_topic or settings.topic("insights.report-replies.v1")
        self.request_topic = request_topic or settings.topic("insights.report-requests.v1")
        self._futures: dict[str, asyncio.Future] = {}
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._listener: asyncio.Task | None = None
        self._ids = itertools.count()
        self._prefix = uuid.uuid4().hex[:12]

    async def start(self) -> ReportClient:
        security = self.settings.security.aiokafka_kwargs()
        self._producer = AIOKafkaProducer(bootstrap_servers=self.settings.bootstrap_servers,
                                          linger_ms=0, **security)
        await self._producer.start()
        self._consumer = reply_consumer(self.settings)
        await self._consumer.start()
        await assign_at_end(self._consumer, self.reply_topic)
        self._listener = asyncio.create_task(self._listen())
        return self

    async def _listen(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    self._on_record(record)

    def _on_record(self, record: ConsumerRecord) -> None:
        """Resolve the future of the reply in `record`, if it is one of this client's."""
        key, value = record.key, record.value
        if key is not None:
            future = self._futures.get(key.decode(errors="replace"))
            if future is None or future.done():
                return  # another client's reply, or a duplicate
        if not value:
            return
        try:
            reply = decode_reply(value)
        except orjson.JSONDecodeError:
            return
        correlation_id = reply.get("correlation_id") if isinstance(reply, dict) else None
        if not isinstance(correlation_id, str):
            return
        future = self._futures.get(correlation_id)
        if future is not None and not future.done():
            future.set_result(reply)

    def new_correlation_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def send(self, report: str, request: dict[str, Any], *,
                   correlation_id: str | None = None,
                   key: bytes | None = None) -> tuple[str, asyncio.Future]:
        """Send a request; returns its correlation id and a future of the ReportReply dict."""
        correlation_id = correlation_id or self.new_correlation_id()
        future = asyncio.get_running_loop().create_future()
        self._futures[correlation_id] = future
        envelope = {"correlation_id": correlation_id, "reply_to": self.reply_topic,
                    "report": report, "request": request}
        if key is None and isinstance(request.get("insights_consumer_id"), str):
            key = request["insights_consumer_id"].encode()
        await self._producer.send_and_wait(self.request_topic, key=key,
                                           value=orjson.dumps(envelope))
        return correlation_id, future

    async def request(self, report: str, request: dict[str, Any], timeout: float = 30.0,
                      **kwargs: Any) -> dict[str, Any]:
        """Send a request and wait for its reply (RequestTimeout after `timeout` seconds)."""
        correlation_id, future = await self.send(report, request, **kwargs)
        return await self.reply_of(correlation_id, future, timeout)

    async def reply_of(self, correlation_id: str, future: asyncio.Future,
                       timeout: float) -> dict[str, Any]:
        """The reply a future from `send` resolves to (RequestTimeout after `timeout` s)."""
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise RequestTimeout(f"no reply to {correlation_id} within {timeout:.0f} s") from exc
        finally:
            self._futures.pop(correlation_id, None)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    async def __aenter__(self) -> ReportClient:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
