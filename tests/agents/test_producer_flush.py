"""The producer flush that precedes every offset commit must not return with messages queued."""

from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace

from faust.transport.producer import ProducerBuffer

from workers.transport import DrainingProducerBuffer


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
