"""The transaction and account agents (workers/agents/ingestion.py) without a broker."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from workers.agents.ingestion import (
    ingest_accounts,
    ingest_rekeyed_accounts,
    ingest_rekeyed_transactions,
    ingest_transactions,
)
from workers.app import settings
from workers.domain.history import OFFSET, SOURCE, record_key
from workers.ingestion import ingestion_counts
from workers.state import history
from workers.tables import accounts_table, transactions_table
from workers.topics import (
    ACCOUNTS,
    ACCOUNTS_REKEYED,
    TRANSACTIONS,
    TRANSACTIONS_REKEYED,
)

from .conftest import (
    Sent,
    assert_dead_letter,
    other_partition,
    owner,
    processed,
    sent_value,
)

CONSUMER = "6c03aff-8fa0046-ffae74-b0cbc-4d5fd1"
ACCOUNT = "3b3d678f-66b7-4b23-a2a5-0bfd275e86a1"
YEAR = ("2020-01-01", "2020-12-31")


def transaction(**fields: Any) -> dict[str, Any]:
    """A valid TransactionEvent (the contract's example), with `fields` replaced."""
    event = {
        "insights_consumer_id": CONSUMER,
        "insights_account_id": ACCOUNT,
        "insights_transaction_id": "ae66102e-f4ff-5e02-8f95-ad0bbd225e19",
        "ob_transaction_id": "31234-12314234",
        "booking_date": "2020-01-01",
        "value_date": "2020-01-01",
        "amount": {"amount": 1599, "currency": "EUR"},
        "type": "DEBIT",
        "state": "PROCESSED",
        "method": "UNKNOWN",
        "reference": "transfer to esprit online shop",
        "counter_party": {"holder_name": "esprit germany", "holder_address": {"country": "DE"},
                          "iban": None},
        "labels": {"order-id-for-company-1": "123456789"},
        "deleted": False,
    }
    event.update(fields)
    return event


def account(**fields: Any) -> dict[str, Any]:
    """A valid AccountEvent, with `fields` replaced."""
    event = {"insights_consumer_id": CONSUMER, "insights_account_id": ACCOUNT, "deleted": False,
             "currency": "EUR", "iban": "DE89370400440532013000", "holder_name": "Jane Doe",
             "data_available_from": "2020-01-01", "data_available_to": "2020-06-30",
             "refreshed_at": "2020-06-30T09:22:02.523Z"}
    event.update(fields)
    return event


def without(event: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in names}


def stored_transactions(consumer_id: str = CONSUMER) -> list[dict]:
    return list(history.transactions_between(consumer_id, *YEAR))


def assert_nothing_applied(sent: Sent) -> None:
    assert history.consumers() == []
    assert list(transactions_table.data.items()) == []
    assert list(accounts_table.data.items()) == []
    assert sent.changelog_messages() == []


async def put(ctx, event: dict | bytes | None, *, key: bytes | None = CONSUMER.encode(),
              partition: int | None = None):
    """Put one record as a producer would, on the consumer's own partition unless told."""
    value = orjson.dumps(event) if isinstance(event, dict) else event
    return await ctx.put(value=value, key=key,
                         partition=owner(CONSUMER) if partition is None else partition)


# --- transactions ------------------------------------------------------------------------


async def test_valid_transaction_is_applied_with_its_source_position(sent: Sent) -> None:
    async with ingest_transactions.test_context() as ctx:
        event = await put(ctx, transaction())
        await processed(1)

    assert ingestion_counts == {"transactions:applied": 1}
    [stored] = stored_transactions()
    assert stored["insights_transaction_id"] == "ae66102e-f4ff-5e02-8f95-ad0bbd225e19"
    assert stored["amount"] == {"amount": 1599, "currency": "EUR"}
    assert "insights_consumer_id" not in stored and "deleted" not in stored
    assert stored["counter_party"] == {"holder_name": "esprit germany",
                                       "holder_address": {"country": "DE"}}
    record = transactions_table.data[record_key(CONSUMER, stored["insights_transaction_id"])]
    assert record[SOURCE] == f"{TRANSACTIONS}:{owner(CONSUMER)}"
    assert record[OFFSET] == event.message.offset
    # The table write went to the changelog partition of the consumer's partition.
    [changelog] = sent.changelog_messages(transactions_table)
    assert changelog.partition == owner(CONSUMER)
    sent.dead_letters.assert_not_called()
    sent.rekeyed[TRANSACTIONS_REKEYED].assert_not_called()


async def test_a_batch_mixing_partitions_writes_each_record_to_its_own_partition(
        sent: Sent) -> None:
    consumers = {}
    for i in range(50):
        consumer_id = f"consumer-{i}"
        consumers.setdefault(owner(consumer_id), consumer_id)
        if len(consumers) == settings.partitions:
            break
    assert len(consumers) == settings.partitions
    async with ingest_transactions.test_context() as ctx:
        for partition, consumer_id in consumers.items():
            await put(ctx, transaction(insights_consumer_id=consumer_id,
                                       insights_transaction_id=f"txn-of-{consumer_id}-end"),
                      key=consumer_id.encode(), partition=partition)
        await processed(len(consumers))

    assert ingestion_counts == {"transactions:applied": len(consumers)}
    messages = sent.changelog_messages(transactions_table)
    assert len(messages) == len(consumers)
    for partition, consumer_id in consumers.items():
        # The key's encoding is the table's business; the transaction id identifies the record.
        [message] = [m for m in messages if f"txn-of-{consumer_id}-end".encode() in m.key]
        assert message.partition == partition, consumer_id


async def test_update_and_delete_replace_the_stored_transaction(sent: Sent) -> None:
    async with ingest_transactions.test_context() as ctx:
        await put(ctx, transaction())
        await put(ctx, transaction(amount={"amount": 2000, "currency": "EUR"}))
        await processed(2)
        assert [t["amount"]["amount"] for t in stored_transactions()] == [2000]
        await put(ctx, transaction(deleted=True))
        await processed(3)

    assert ingestion_counts == {"transactions:applied": 2, "transactions:deleted": 1}
    assert stored_transactions() == []


async def test_the_same_transaction_twice_changes_nothing(sent: Sent) -> None:
    async with ingest_transactions.test_context() as ctx:
        await put(ctx, transaction())
        await put(ctx, transaction())  # the producer sent it twice: a later offset
        await processed(2)
    # A restart reads the partition again from the start: the same offset is a replay.
    async with ingest_transactions.test_context() as ctx:
        await put(ctx, transaction())
        await processed(3)

    assert ingestion_counts == {"transactions:applied": 1, "transactions:unchanged": 1,
                                "transactions:replayed": 1}
    assert len(stored_transactions()) == 1
    assert len(sent.changelog_messages(transactions_table)) == 1


INVALID_TRANSACTIONS = {
    "not JSON": (b'{"insights_consumer_id": ', "INVALID_JSON", None),
    "not UTF-8": (b"\xff\xfe\x00garbage", "INVALID_JSON", None),
    "a JSON array": (b"[1, 2, 3]", "INVALID_EVENT", None),
    "amount as a string": (transaction(amount={"amount": "1599", "currency": "EUR"}),
                           "INVALID_EVENT", "amount.amount"),
    "amount as a float": (transaction(amount={"amount": 15.99, "currency": "EUR"}),
                          "INVALID_EVENT", "amount.amount"),
    "negative amount": (transaction(amount={"amount": -1, "currency": "EUR"}),
                        "INVALID_EVENT", "amount.amount"),
    "unknown type": (transaction(type="REFUND"), "INVALID_EVENT", "type"),
    "consumer id a number": (transaction(insights_consumer_id=42), "INVALID_EVENT",
                             "insights_consumer_id"),
    "control character in id": (transaction(insights_transaction_id="a\x1fb"), "INVALID_EVENT",
                                "insights_transaction_id"),
    "bad date": (transaction(booking_date="2020-02-30"), "INVALID_EVENT", "booking_date"),
    "missing consumer id": (without(transaction(), "insights_consumer_id"), "INVALID_EVENT",
                            "insights_consumer_id"),
    "missing account id": (without(transaction(), "insights_account_id"), "INVALID_EVENT",
                           "insights_account_id"),
    "missing transaction id": (without(transaction(), "insights_transaction_id"),
                               "INVALID_EVENT", "insights_transaction_id"),
    "missing amount": (without(transaction(), "amount"), "INVALID_EVENT", "amount"),
    "missing type": (without(transaction(), "type"), "INVALID_EVENT", "type"),
    "no date at all": (without(transaction(), "booking_date", "value_date"), "INVALID_EVENT",
                       "$"),
    "empty value": (b"", "EMPTY_VALUE", None),
    "no value": (None, "EMPTY_VALUE", None),
}


@pytest.mark.parametrize(("value", "code", "loc"), INVALID_TRANSACTIONS.values(),
                         ids=INVALID_TRANSACTIONS.keys())
async def test_invalid_transactions_are_dead_lettered(sent: Sent, value, code: str,
                                                      loc: str | None) -> None:
    raw = orjson.dumps(value) if isinstance(value, dict) else value
    async with ingest_transactions.test_context() as ctx:
        await put(ctx, transaction())  # offset 0: a valid record before the bad one
        event = await put(ctx, raw)
        await processed(2)

    [call] = sent.dead_letters.call_args_list
    letter = assert_dead_letter(call, code=code, topic=TRANSACTIONS, partition=owner(CONSUMER),
                                offset=1, key=CONSUMER.encode(), value=raw or b"")
    assert event.message.offset == 1
    if loc is not None:
        assert loc in [error.loc for error in letter.error.errors], letter.error.errors
    assert ingestion_counts == {"transactions:applied": 1, f"dead_letter:{code}": 1}
    assert len(stored_transactions()) == 1
    assert len(sent.changelog_messages(transactions_table)) == 1
    sent.rekeyed[TRANSACTIONS_REKEYED].assert_not_called()


async def test_an_invalid_transaction_on_any_partition_is_dead_lettered_not_forwarded(
        sent: Sent) -> None:
    raw = orjson.dumps(transaction(type="REFUND"))
    async with ingest_transactions.test_context() as ctx:
        await put(ctx, raw, key=None, partition=other_partition(CONSUMER))
        await processed(1)

    [call] = sent.dead_letters.call_args_list
    assert_dead_letter(call, code="INVALID_EVENT", topic=TRANSACTIONS,
                       partition=other_partition(CONSUMER), offset=0, key=None, value=raw)
    sent.rekeyed[TRANSACTIONS_REKEYED].assert_not_called()
    assert_nothing_applied(sent)


async def test_an_oversized_transaction_is_dead_lettered_before_parsing(sent: Sent) -> None:
    # Valid apart from its size: the padding is an unknown field, which events ignore.
    raw = orjson.dumps(transaction(padding="x" * settings.max_event_bytes))
    assert len(raw) > settings.max_event_bytes
    async with ingest_transactions.test_context() as ctx:
        await put(ctx, raw)
        await processed(1)

    [call] = sent.dead_letters.call_args_list
    letter = assert_dead_letter(call, code="OVERSIZED", topic=TRANSACTIONS,
                                partition=owner(CONSUMER), offset=0, key=CONSUMER.encode(),
                                value=raw)
    assert str(settings.max_event_bytes) in letter.error.message
    assert ingestion_counts == {"dead_letter:OVERSIZED": 1}
    assert_nothing_applied(sent)


async def test_a_transaction_of_exactly_the_size_limit_is_applied(sent: Sent) -> None:
    raw = orjson.dumps(transaction(padding=""))
    raw = orjson.dumps(transaction(padding="x" * (settings.max_event_bytes - len(raw))))
    assert len(raw) == settings.max_event_bytes
    async with ingest_transactions.test_context() as ctx:
        await put(ctx, raw)
        await processed(1)

    assert ingestion_counts == {"transactions:applied": 1}
    assert "padding" not in stored_transactions()[0]


REKEY_CASES = {
    "wrong key": (b"someone-else", None),
    "no key": (None, None),
    "key with another partitioner": (CONSUMER.encode(), "other"),
    "no key, wrong partition": (None, "other"),
}


@pytest.mark.parametrize(("key", "partition"), REKEY_CASES.values(), ids=REKEY_CASES.keys())
async def test_a_misrouted_transaction_is_forwarded_and_applied_by_the_rekey_agent(
        sent: Sent, key: bytes | None, partition: str | None) -> None:
    arrived_on = other_partition(CONSUMER) if partition == "other" else owner(CONSUMER)
    async with ingest_transactions.test_context() as ctx:
        await put(ctx, transaction())  # offset 0, applied in place
        event = await put(ctx, transaction(insights_transaction_id="t-2"), key=key,
                          partition=arrived_on)
        await processed(2)

    assert ingestion_counts == {"transactions:applied": 1, "transactions:rekeyed": 1}
    [call] = sent.rekeyed[TRANSACTIONS_REKEYED].call_args_list
    assert call.kwargs["key"] == CONSUMER.encode()
    assert call.kwargs["partition"] == owner(CONSUMER)
    envelope = sent_value(call)
    assert envelope["source"] == f"{TRANSACTIONS}:{arrived_on}"
    assert envelope["offset"] == 1
    assert envelope["timestamp_ms"] == int(event.message.timestamp * 1000)
    assert envelope["event"]["insights_transaction_id"] == "t-2"
    assert [t["insights_transaction_id"] for t in stored_transactions()] == [
        "ae66102e-f4ff-5e02-8f95-ad0bbd225e19"]
    sent.dead_letters.assert_not_called()

    async with ingest_rekeyed_transactions.test_context() as rekeyed:
        await rekeyed.put(key=call.kwargs["key"], value=call.kwargs["value"],
                          partition=call.kwargs["partition"])
        await processed(3)
        # Delivered again (at-least-once forwarding): the original position makes it a replay.
        await rekeyed.put(key=call.kwargs["key"], value=call.kwargs["value"],
                          partition=call.kwargs["partition"])
        await processed(4)

    assert ingestion_counts["transactions:applied"] == 2
    assert ingestion_counts["transactions:replayed"] == 1
    assert sorted(t["insights_transaction_id"] for t in stored_transactions()) == [
        "ae66102e-f4ff-5e02-8f95-ad0bbd225e19", "t-2"]
    record = transactions_table.data[record_key(CONSUMER, "t-2")]
    assert (record[SOURCE], record[OFFSET]) == (f"{TRANSACTIONS}:{arrived_on}", 1)
    assert [m.partition for m in sent.changelog_messages(transactions_table)] == [
        owner(CONSUMER)] * 2
    sent.dead_letters.assert_not_called()


async def test_the_same_misrouted_transaction_twice_is_applied_once(sent: Sent) -> None:
    async with ingest_transactions.test_context() as ctx:
        await put(ctx, transaction(), key=None)
        await put(ctx, transaction(), key=None)
        await processed(2)
    calls = sent.rekeyed[TRANSACTIONS_REKEYED].call_args_list
    assert len(calls) == 2
    async with ingest_rekeyed_transactions.test_context() as rekeyed:
        for call in calls:
            await rekeyed.put(key=call.kwargs["key"], value=call.kwargs["value"],
                              partition=call.kwargs["partition"])
        await processed(4)

    assert ingestion_counts == {"transactions:rekeyed": 2, "transactions:applied": 1,
                                "transactions:unchanged": 1}
    assert len(stored_transactions()) == 1


UNREADABLE_INTERNAL = {
    "not JSON": b"{",
    "no event": orjson.dumps({"source": "x:0", "offset": 1}),
    "no source": orjson.dumps({"offset": 1, "event": transaction()}),
    "invalid event": orjson.dumps({"source": "x:0", "offset": 1,
                                   "event": transaction(type="REFUND")}),
    "a list": b"[]",
}


@pytest.mark.parametrize("raw", UNREADABLE_INTERNAL.values(), ids=UNREADABLE_INTERNAL.keys())
async def test_an_unreadable_rekeyed_record_is_dead_lettered(sent: Sent, raw: bytes) -> None:
    async with ingest_rekeyed_transactions.test_context() as rekeyed:
        await rekeyed.put(key=CONSUMER.encode(), value=raw, partition=owner(CONSUMER))
        await processed(1)

    [call] = sent.dead_letters.call_args_list
    assert_dead_letter(call, code="INVALID_INTERNAL_RECORD", topic=TRANSACTIONS_REKEYED,
                       partition=owner(CONSUMER), offset=0, key=CONSUMER.encode(), value=raw)
    assert_nothing_applied(sent)


# --- accounts ------------------------------------------------------------------------------


async def test_valid_account_is_applied(sent: Sent) -> None:
    async with ingest_accounts.test_context() as ctx:
        event = await put(ctx, account())
        await processed(1)

    assert ingestion_counts == {"accounts:applied": 1}
    coverage = history.account_coverages(CONSUMER)[ACCOUNT]
    assert str(coverage.available_from) == "2020-01-01"
    assert str(coverage.available_to) == "2020-06-30"
    assert coverage.refreshed_at.isoformat() == "2020-06-30T09:22:02.523000+00:00"
    record = accounts_table.data[record_key(CONSUMER, ACCOUNT)]
    assert (record[SOURCE], record[OFFSET]) == (f"{ACCOUNTS}:{owner(CONSUMER)}",
                                                event.message.offset)
    assert [m.partition for m in sent.changelog_messages(accounts_table)] == [owner(CONSUMER)]
    sent.dead_letters.assert_not_called()


async def test_the_same_account_twice_changes_nothing(sent: Sent) -> None:
    async with ingest_accounts.test_context() as ctx:
        await put(ctx, account())
        await put(ctx, account())
        await processed(2)
    async with ingest_accounts.test_context() as ctx:
        await put(ctx, account())
        await processed(3)

    assert ingestion_counts == {"accounts:applied": 1, "accounts:unchanged": 1,
                                "accounts:replayed": 1}
    assert len(sent.changelog_messages(accounts_table)) == 1


async def test_deleting_an_account_removes_its_transactions(sent: Sent) -> None:
    async with ingest_transactions.test_context() as txns, \
            ingest_accounts.test_context() as accounts:
        await put(txns, transaction())
        await put(accounts, account())
        await processed(2)
        assert len(stored_transactions()) == 1
        await put(accounts, account(deleted=True))
        await processed(3)

    assert ingestion_counts["accounts:deleted"] == 1
    assert stored_transactions() == []
    assert ACCOUNT not in history.account_coverages(CONSUMER)


INVALID_ACCOUNTS = {
    "not JSON": (b"not json", "INVALID_JSON", None),
    "missing consumer id": (without(account(), "insights_consumer_id"), "INVALID_EVENT",
                            "insights_consumer_id"),
    "missing account id": (without(account(), "insights_account_id"), "INVALID_EVENT",
                           "insights_account_id"),
    "deleted as a string": (account(deleted="yes"), "INVALID_EVENT", "deleted"),
    "bad currency": (account(currency="euro"), "INVALID_EVENT", "currency"),
    "range out of order": (account(data_available_from="2021-01-01"), "INVALID_EVENT", "$"),
    "refreshed_at without offset": (account(refreshed_at="2020-06-30T09:22:02"),
                                    "INVALID_EVENT", "$"),
}


@pytest.mark.parametrize(("value", "code", "loc"), INVALID_ACCOUNTS.values(),
                         ids=INVALID_ACCOUNTS.keys())
async def test_invalid_accounts_are_dead_lettered(sent: Sent, value, code: str,
                                                  loc: str | None) -> None:
    raw = orjson.dumps(value) if isinstance(value, dict) else value
    async with ingest_accounts.test_context() as ctx:
        await put(ctx, raw, partition=2)
        await processed(1)

    [call] = sent.dead_letters.call_args_list
    letter = assert_dead_letter(call, code=code, topic=ACCOUNTS, partition=2, offset=0,
                                key=CONSUMER.encode(), value=raw)
    if loc is not None:
        assert loc in [error.loc for error in letter.error.errors], letter.error.errors
    assert ingestion_counts == {f"dead_letter:{code}": 1}
    assert_nothing_applied(sent)


async def test_an_oversized_account_is_dead_lettered(sent: Sent) -> None:
    raw = orjson.dumps(account(padding="x" * settings.max_event_bytes))
    async with ingest_accounts.test_context() as ctx:
        await put(ctx, raw)
        await processed(1)

    [call] = sent.dead_letters.call_args_list
    assert_dead_letter(call, code="OVERSIZED", topic=ACCOUNTS, partition=owner(CONSUMER),
                       offset=0, key=CONSUMER.encode(), value=raw)
    assert_nothing_applied(sent)


@pytest.mark.parametrize(("key", "partition"), REKEY_CASES.values(), ids=REKEY_CASES.keys())
async def test_a_misrouted_account_is_forwarded_and_applied_by_the_rekey_agent(
        sent: Sent, key: bytes | None, partition: str | None) -> None:
    arrived_on = other_partition(CONSUMER) if partition == "other" else owner(CONSUMER)
    async with ingest_accounts.test_context() as ctx:
        await put(ctx, account(), key=key, partition=arrived_on)
        await processed(1)

    assert ingestion_counts == {"accounts:rekeyed": 1}
    assert history.account_coverages(CONSUMER) == {}
    [call] = sent.rekeyed[ACCOUNTS_REKEYED].call_args_list
    assert call.kwargs["key"] == CONSUMER.encode()
    assert call.kwargs["partition"] == owner(CONSUMER)
    envelope = sent_value(call)
    assert (envelope["source"], envelope["offset"]) == (f"{ACCOUNTS}:{arrived_on}", 0)
    sent.rekeyed[TRANSACTIONS_REKEYED].assert_not_called()

    async with ingest_rekeyed_accounts.test_context() as rekeyed:
        await rekeyed.put(key=call.kwargs["key"], value=call.kwargs["value"],
                          partition=call.kwargs["partition"])
        await processed(2)

    assert ingestion_counts["accounts:applied"] == 1
    coverage = history.account_coverages(CONSUMER)[ACCOUNT]
    assert str(coverage.available_to) == "2020-06-30"
    assert coverage.refreshed_at.isoformat() == "2020-06-30T09:22:02.523000+00:00"
    record = accounts_table.data[record_key(CONSUMER, ACCOUNT)]
    assert (record[SOURCE], record[OFFSET]) == (f"{ACCOUNTS}:{arrived_on}", 0)
    assert [m.partition for m in sent.changelog_messages(accounts_table)] == [owner(CONSUMER)]
    sent.dead_letters.assert_not_called()
