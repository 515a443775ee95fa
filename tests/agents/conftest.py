"""Broker-less agent tests: Faust's `agent.test_context()` over the memory table store.

Every record an agent would produce is captured by mocks instead of a producer:

* `sent.dead_letters`, `sent.rekeyed[...]`: `send_soon` of the dead-letter and re-key topics;
* `sent.changelog`: `app.producer.send_records_soon`, where table writes (changelog records)
  go, and `sent.other`: `app.producer.send_soon`, where anything not patched above would end up;
* `replies` (report requests): `output_topic`, one mock topic per reply topic name.

The tables' data, the indexes derived from them and `ingestion_counts` are reset around every
test.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

import orjson
import pytest

from schemas.contract import DeadLetter
from workers.agents import ingestion as ingestion_agents  # noqa: F401  (registers the agents)
from workers.agents import report_requests as report_agents
from workers.app import app, settings
from workers.ingestion import ingestion_counts
from workers.partitioning import partition_for
from workers.rpc import DEAD_LETTER_VALUE_LIMIT
from workers.state import consumer_state, history
from workers.tables import accounts_table, corrections_table, recurring_table, transactions_table
from workers.topics import (
    ACCOUNTS_REKEYED,
    CATEGORIZATION_FEEDBACK_REKEYED,
    REPORT_REPLIES,
    REPORT_REQUESTS_REKEYED,
    TRANSACTIONS_REKEYED,
    accounts_rekeyed_topic,
    categorization_feedback_rekeyed_topic,
    dead_letter_topic,
    report_requests_rekeyed_topic,
    transactions_rekeyed_topic,
)


def owner(consumer_id: str) -> int:
    """The partition that owns a consumer's state."""
    return partition_for(consumer_id, settings.partitions)


def other_partition(consumer_id: str) -> int:
    """A partition that does not own the consumer."""
    return (owner(consumer_id) + 1) % settings.partitions


async def until(predicate: Callable[[], bool], timeout: float = 2.0, what: str = "") -> None:
    """Poll until `predicate()` holds: `put` returns before a batching agent handles a record."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.005)


async def processed(count: int) -> None:
    """Wait until the ingestion agents have handled `count` records since the test began.

    Every outcome (applied, unchanged, replayed, re-keyed, dead-lettered) counts exactly once.
    """
    await until(lambda: sum(ingestion_counts.values()) >= count,
                what=f"{count} ingested records (have {dict(ingestion_counts)})")
    await asyncio.sleep(0)
    assert sum(ingestion_counts.values()) == count, dict(ingestion_counts)


def sent_value(call: mock._Call) -> Any:
    return orjson.loads(call.kwargs["value"])


def dead_letter_of(call: mock._Call) -> DeadLetter:
    """A captured dead letter, checked against the contract model."""
    return DeadLetter.model_validate(sent_value(call))


def assert_dead_letter(call: mock._Call, *, code: str, topic: str, partition: int, offset: int,
                       key: bytes | None, value: bytes) -> DeadLetter:
    letter = dead_letter_of(call)
    assert letter.error.code == code, letter.error
    assert letter.source.topic == topic
    assert letter.source.partition == partition
    assert letter.source.offset == offset
    assert letter.source.key == (key.decode() if key is not None else None)
    # Large values are cut at DEAD_LETTER_VALUE_LIMIT; the size tells how much there was.
    assert base64.b64decode(letter.value_base64) == value[:DEAD_LETTER_VALUE_LIMIT]
    assert letter.value_size == len(value)
    assert letter.value_truncated == (len(value) > DEAD_LETTER_VALUE_LIMIT)
    assert call.kwargs["key"] == key
    return letter


@dataclass(frozen=True)
class ChangelogRecord:
    """One record handed to the producer for a table's changelog."""

    topic: str
    partition: int
    key: bytes
    value: bytes | None


@dataclass
class Sent:
    """Mocks standing in for the producer."""

    dead_letters: mock.Mock
    rekeyed: dict[str, mock.Mock]
    changelog: mock.Mock
    other: mock.Mock

    def changelog_messages(self, table=None) -> list[ChangelogRecord]:
        """Records produced for table changelogs, in order, optionally of one table."""
        assert self.other.call_args_list == [], "a record reached the producer buffer"
        messages = [ChangelogRecord(call.args[0], call.args[1], key, value)
                    for call in self.changelog.call_args_list for key, value in call.args[2]]
        if table is None:
            return messages
        name = table.changelog_topic.get_topic_name()
        return [m for m in messages if m.topic == name]


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    """A finalized app on the memory store and empty state before and after every test."""
    app.finalize()
    if app.conf.store.scheme != "memory":  # set by tests/conftest.py before the app is built
        app.conf.store = "memory://"
    app.flow_control.resume()

    def reset() -> None:
        for table in (transactions_table, accounts_table, recurring_table, corrections_table):
            table.data.clear()
        history.rebuild((), ())
        consumer_state.recurring.rebuild(())
        consumer_state.corrections.rebuild(())
        ingestion_counts.clear()

    reset()
    yield
    reset()


@pytest.fixture
def sent() -> Iterator[Sent]:
    """Capture every record the agents produce; nothing reaches a producer."""
    with mock.patch.object(dead_letter_topic, "send_soon") as dead_letters, \
            mock.patch.object(transactions_rekeyed_topic, "send_soon") as transactions, \
            mock.patch.object(accounts_rekeyed_topic, "send_soon") as accounts, \
            mock.patch.object(report_requests_rekeyed_topic, "send_soon") as requests, \
            mock.patch.object(categorization_feedback_rekeyed_topic, "send_soon") as feedback, \
            mock.patch.object(app.producer, "send_records_soon") as changelog, \
            mock.patch.object(app.producer, "send_soon") as other:
        yield Sent(dead_letters,
                   {TRANSACTIONS_REKEYED: transactions, ACCOUNTS_REKEYED: accounts,
                    REPORT_REQUESTS_REKEYED: requests, CATEGORIZATION_FEEDBACK_REKEYED: feedback},
                   changelog, other)


class Replies:
    """Reply topics by name, each a mock with `send_soon` and an async `maybe_declare`."""

    def __init__(self) -> None:
        self.topics: dict[str, mock.Mock] = {}

    def topic(self, name: str) -> mock.Mock:
        if name not in self.topics:
            topic = mock.Mock(name=f"topic {name}")
            topic.maybe_declare = mock.AsyncMock()
            self.topics[name] = topic
        return self.topics[name]

    def on(self, name: str = REPORT_REPLIES) -> list[mock._Call]:
        """Replies sent to one topic."""
        return self.topics[name].send_soon.call_args_list if name in self.topics else []

    def count(self) -> int:
        return sum(len(topic.send_soon.call_args_list) for topic in self.topics.values())


@pytest.fixture
def replies() -> Iterator[Replies]:
    """Capture replies; the set of already declared reply topics starts fresh."""
    captured = Replies()
    with mock.patch.object(report_agents, "output_topic", side_effect=captured.topic), \
            mock.patch.object(report_agents, "_declared_reply_topics", {REPORT_REPLIES}):
        yield captured
