"""Applying one inbound record: validate, dead-letter, re-route to the owning partition, or apply.

Shared by the transaction and account agents. Everything here is synchronous, so a record is
validated and applied without any other coroutine touching the same state in between.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson
from faust.types import EventT
from pydantic import BaseModel, ValidationError

from workers.app import settings
from workers.codecs import dumps
from workers.domain.history import SourcePosition
from workers.partitioning import partition_for
from workers.rpc import dead_letter, field_errors
from workers.topics import dead_letter_topic

log = logging.getLogger(__name__)

#: Outcomes of ingestion since start, by kind and outcome (exposed in logs and tests).
ingestion_counts: Counter[str] = Counter()


@dataclass(frozen=True)
class Ingestion:
    """How one kind of event is validated, applied and re-routed."""

    kind: str
    model: type[BaseModel]
    apply: Any  # (event dict, SourcePosition) -> outcome
    rekeyed_topic: Any


def send_dead_letter(event: EventT, code: str, message: str, errors=()) -> None:
    msg = event.message
    ingestion_counts[f"dead_letter:{code}"] += 1
    log.info("dead letter %s from %s[%d]@%d: %s", code, msg.topic, msg.partition, msg.offset,
             message)
    dead_letter_topic.send_soon(
        key=msg.key,
        value=dumps(dead_letter(code, message, list(errors), topic=msg.topic,
                                partition=msg.partition, offset=msg.offset, key=msg.key,
                                value=msg.value)))


def position_of(event: EventT) -> SourcePosition:
    msg = event.message
    return SourcePosition(f"{msg.topic}:{msg.partition}", msg.offset,
                          int((msg.timestamp or 0) * 1000))


def ingest_source_record(ingestion: Ingestion, event: EventT) -> None:
    """A record from a contract topic (insights.transactions.v1 or insights.accounts.v1)."""
    msg = event.message
    raw = msg.value
    if not raw:
        send_dead_letter(event, "EMPTY_VALUE", "the record has no value")
        return
    if len(raw) > settings.max_event_bytes:
        send_dead_letter(event, "OVERSIZED",
                         f"value of {len(raw)} bytes (limit {settings.max_event_bytes})")
        return
    try:
        model = ingestion.model.model_validate_json(raw)
    except ValidationError as exc:
        errors = field_errors(exc)
        invalid_json = any(e.msg.startswith("not valid JSON") for e in errors)
        send_dead_letter(event, "INVALID_JSON" if invalid_json else "INVALID_EVENT",
                         f"not a valid {ingestion.model.__name__}", errors)
        return
    document = model.model_dump(mode="json", exclude_none=True)
    consumer_id = document["insights_consumer_id"]
    position = position_of(event)
    owner = partition_for(consumer_id, settings.partitions)
    if msg.partition != owner or msg.key is None or msg.key != consumer_id.encode():
        # Keyed by something else, or hashed by another partitioner: forward it to the
        # partition that owns this consumer's state, keeping the original position.
        ingestion_counts[f"{ingestion.kind}:rekeyed"] += 1
        ingestion.rekeyed_topic.send_soon(
            key=consumer_id.encode(), partition=owner,
            value=dumps({"source": position.source, "offset": position.offset,
                         "timestamp_ms": position.timestamp_ms, "event": document}))
        return
    apply_document(ingestion, document, position)


def apply_document(ingestion: Ingestion, document: dict, position: SourcePosition) -> None:
    """Apply one validated event, read directly or forwarded, to the history."""
    ingestion_counts[f"{ingestion.kind}:{ingestion.apply(document, position)}"] += 1


def ingest_rekeyed_record(ingestion: Ingestion, event: EventT) -> None:
    """A record forwarded by ingest_source_record: already validated, carries its origin."""
    try:
        envelope = orjson.loads(event.message.value)
        document = envelope["event"]
        position = SourcePosition(envelope["source"], envelope["offset"],
                                  envelope.get("timestamp_ms", 0))
        ingestion.model.model_validate_json(orjson.dumps(document))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValidationError) as exc:
        send_dead_letter(event, "INVALID_INTERNAL_RECORD", f"unreadable re-keyed record: {exc}")
        return
    apply_document(ingestion, document, position)
