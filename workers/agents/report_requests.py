"""Agents answering ReportRequests: route to the owner of the consumer's state, build, reply."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from faust.types import EventT

from workers import reports
from workers.admin import is_reserved_topic
from workers.app import app, settings
from workers.codecs import dumps
from workers.ingestion import send_dead_letter
from workers.partitioning import partition_for
from workers.state import consumer_state, hand_off_changes
from workers.topics import (
    REPORT_REPLIES,
    output_topic,
    report_requests_rekeyed_topic,
    report_requests_topic,
)

log = logging.getLogger(__name__)
_declared_reply_topics: set[str] = {REPORT_REPLIES}


async def _reply(reply_to: str, correlation_id: str, body: dict) -> None:
    topic = output_topic(reply_to)
    if reply_to not in _declared_reply_topics:
        # A client-named reply topic is created on first use (with the service's partition
        # count); on a cluster that forbids it the reply fails and is dead-lettered instead.
        await topic.maybe_declare()
        _declared_reply_topics.add(reply_to)
    topic.send_soon(key=correlation_id.encode(), value=dumps(body))


async def handle_request(event: EventT, *, route: bool) -> None:
    """Answer one request record, or forward it to the partition owning its consumer."""
    msg = event.message
    if msg.value is not None and len(msg.value) > settings.max_event_bytes:
        send_dead_letter(event, "OVERSIZED", f"value of {len(msg.value)} bytes")
        return
    try:
        peeked = reports.peek(msg.value, lambda name: is_reserved_topic(settings, name))
    except reports.Unreadable as exc:
        send_dead_letter(event, exc.code, exc.message, exc.errors)
        return
    if route and peeked.consumer_id is not None:
        owner = partition_for(peeked.consumer_id, settings.partitions)
        if msg.partition != owner:
            report_requests_rekeyed_topic.send_soon(key=peeked.consumer_id.encode(),
                                                    partition=owner, value=msg.value)
            return
    body = reports.answer(msg.value, peeked, consumer_state, datetime.now(UTC).date())
    # A recurring report first applies its consumer's queued recurring changes.
    await hand_off_changes()
    reply_to = peeked.reply_to or REPORT_REPLIES
    try:
        await _reply(reply_to, peeked.correlation_id, body)
    except Exception as exc:  # noqa: BLE001 - an unusable reply topic must not stop the worker
        log.warning("reply %s to %s failed: %s", peeked.correlation_id, reply_to, exc)
        send_dead_letter(event, "REPLY_FAILED", f"could not reply to {reply_to!r}: {exc}")


@app.agent(report_requests_topic, name="report-requests")
async def answer_report_requests(stream):
    """Answer requests of insights.report-requests.v1 (re-keyed to the owner when needed)."""
    async for event in stream.events():
        await handle_request(event, route=True)


@app.agent(report_requests_rekeyed_topic, name="report-requests-rekeyed")
async def answer_rekeyed_report_requests(stream):
    """Answer requests forwarded to the partition that owns their consumer."""
    async for event in stream.events():
        await handle_request(event, route=False)
