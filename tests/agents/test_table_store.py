"""TableStore's write path (workers/state.py): the local store, the changelog records handed to
the producer, and the persisted changelog offset."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import orjson
from aiokafka.structs import RecordMetadata, TopicPartition
from faust.types import TP

from workers.app import app, settings
from workers.partitioning import partition_for
from workers.state import accounts_store, hand_off_changes, transactions_store, writing_for
from workers.tables import accounts_table, transactions_table

RECORD = {"insights_transaction_id": "t-1", "amount": {"amount": 5, "currency": "EUR"},
          "_src": "insights.transactions.v1:2", "_off": 17}


def _event(partition: int) -> SimpleNamespace:
    return SimpleNamespace(message=SimpleNamespace(partition=partition))


async def test_outside_of_an_event_records_go_to_the_partition_of_their_consumer() -> None:
    consumer = "6c03aff-8fa0046-ffae74-b0cbc-4d5fd1"
    key = f"{consumer}\x1ft-1"
    with mock.patch.object(app.producer, "send_records_soon") as send:
        transactions_store.set(key, RECORD)
        assert transactions_store.get(key) == RECORD
        transactions_store.delete(key)
        await hand_off_changes()
    [call] = send.call_args_list
    assert call.args[1] == partition_for(consumer, settings.partitions)
    assert call.args[2] == [(key.encode(), orjson.dumps(RECORD)), (key.encode(), None)]


async def test_writes_reach_the_store_at_once_and_the_changelog_at_the_hand_off() -> None:
    with mock.patch.object(app.producer, "send_records_soon") as send:
        with writing_for(_event(2)):
            transactions_store.set("c\x1ft-1", RECORD)
            transactions_store.set("c\x1ft-2", {**RECORD, "insights_transaction_id": "t-2"})
            accounts_store.set("c\x1fa-1", {"insights_account_id": "a-1"})
        with writing_for(_event(3)):
            transactions_store.set("d\x1ft-3", {**RECORD, "insights_transaction_id": "t-3"})
            transactions_store.delete("c\x1fnever-stored")  # nothing to delete: no record
        assert transactions_table.data["c\x1ft-1"] == RECORD
        assert transactions_store.get("c\x1ft-2")["insights_transaction_id"] == "t-2"
        send.assert_not_called()
        await hand_off_changes()

    calls = {(c.args[0], c.args[1]): c.args[2] for c in send.call_args_list}
    changelog = transactions_table.changelog_topic.get_topic_name()
    assert set(calls) == {(changelog, 2), (changelog, 3),
                          (accounts_table.changelog_topic.get_topic_name(), 2)}
    # The bytes Faust's own table would write, so that recovery reads them back unchanged.
    [(key, value), (key2, _)] = calls[(changelog, 2)]
    assert key == app.serializers.dumps_key(str, "c\x1ft-1", serializer="raw")
    assert value == transactions_table.data._encode_value(RECORD) == orjson.dumps(RECORD)
    assert key2 == b"c\x1ft-2"
    assert [k for k, _ in calls[(changelog, 3)]] == [b"d\x1ft-3"]


async def test_a_deletion_removes_the_record_and_writes_a_tombstone() -> None:
    with mock.patch.object(app.producer, "send_records_soon") as send:
        with writing_for(_event(1)):
            transactions_store.set("c\x1ft-1", RECORD)
            transactions_store.delete("c\x1ft-1")
        await hand_off_changes()
    assert "c\x1ft-1" not in transactions_table.data
    [call] = send.call_args_list
    assert call.args[2] == [(b"c\x1ft-1", orjson.dumps(RECORD)), (b"c\x1ft-1", None)]


async def test_nothing_written_nothing_handed_off() -> None:
    with mock.patch.object(app.producer, "send_records_soon") as send:
        await hand_off_changes()
    send.assert_not_called()


def test_a_delivered_batch_stores_its_last_offset_as_the_persisted_offset() -> None:
    topic = transactions_table.changelog_topic.get_topic_name()
    metadata = RecordMetadata(topic, 3, TopicPartition(topic, 3), 120, -1, 0, 0)
    with mock.patch.object(transactions_table.data, "set_persisted_offset") as persisted:
        transactions_store._on_sent(metadata, 25)
    persisted.assert_called_once_with(TP(topic, 3), 144)
