"""The report request agents (workers/agents/report_requests.py) without a broker."""

from __future__ import annotations

from typing import Any
from unittest import mock

import orjson
import pytest

from schemas.contract import ReportReply
from workers import reports
from workers.agents.ingestion import ingest_accounts, ingest_transactions
from workers.agents.report_requests import (
    answer_rekeyed_report_requests,
    answer_report_requests,
)
from workers.app import settings
from workers.tables import transactions_table
from workers.topics import (
    DEAD_LETTER,
    REPORT_REPLIES,
    REPORT_REQUESTS,
    REPORT_REQUESTS_REKEYED,
    TRANSACTIONS,
    TRANSACTIONS_REKEYED,
)

from .conftest import (
    Replies,
    Sent,
    assert_dead_letter,
    other_partition,
    owner,
    processed,
    sent_value,
    until,
)

CONSUMER = "6c03aff-8fa0046-ffae74-b0cbc-4d5fd1"
ACCOUNT = "3b3d678f-66b7-4b23-a2a5-0bfd275e86a1"


def report_request(correlation_id: str = "c0ffee-1", **fields: Any) -> dict[str, Any]:
    """A valid ReportRequest for the consumer's January 2020; `fields` replace envelope fields
    (`body` replaces fields of the request body)."""
    body = {"insights_consumer_id": CONSUMER, "from_date": "2020-01-01",
            "to_date": "2020-01-31", "required_data_availability": "NONE"}
    body.update(fields.pop("body", {}))
    envelope = {"correlation_id": correlation_id, "report": "categorization", "request": body}
    envelope.update(fields)
    return envelope


def transaction(transaction_id: str, day: str = "2020-01-10") -> dict[str, Any]:
    return {"insights_consumer_id": CONSUMER, "insights_account_id": ACCOUNT,
            "insights_transaction_id": transaction_id, "booking_date": day,
            "amount": {"amount": 1599, "currency": "EUR"}, "type": "DEBIT",
            "reference": "transfer to esprit online shop"}


async def put(ctx, request: dict | bytes | None, *, partition: int | None = None,
              key: bytes | None = CONSUMER.encode()):
    value = orjson.dumps(request) if isinstance(request, dict) else request
    return await ctx.put(value=value, key=key,
                         partition=owner(CONSUMER) if partition is None else partition)


def outputs(sent: Sent, replies: Replies) -> int:
    """Records the report agents produced: replies, dead letters and forwarded requests."""
    return (replies.count() + sent.dead_letters.call_count
            + sent.rekeyed[REPORT_REQUESTS_REKEYED].call_count)


async def answered(sent: Sent, replies: Replies, count: int) -> None:
    """Wait until `count` requests were answered, dead-lettered or forwarded in all."""
    await until(lambda: outputs(sent, replies) >= count, what=f"{count} outputs")
    assert outputs(sent, replies) == count


def reply_of(call: mock._Call, correlation_id: str) -> ReportReply:
    assert call.kwargs["key"] == correlation_id.encode()
    reply = ReportReply.model_validate(sent_value(call))
    assert reply.correlation_id == correlation_id
    return reply


@pytest.fixture
async def history_with_transactions(sent: Sent) -> None:
    """Two January transactions and one of February, applied through the ingestion agent."""
    async with ingest_transactions.test_context() as ctx, \
            ingest_accounts.test_context() as accounts:
        for transaction_id, day in [("t-1", "2020-01-05"), ("t-2", "2020-01-20"),
                                    ("t-3", "2020-02-02")]:
            await ctx.put(value=orjson.dumps(transaction(transaction_id, day)),
                          key=CONSUMER.encode(), partition=owner(CONSUMER))
        await accounts.put(
            value=orjson.dumps({"insights_consumer_id": CONSUMER, "insights_account_id": ACCOUNT,
                                "data_available_from": "2019-01-01",
                                "data_available_to": "2020-03-01",
                                "refreshed_at": "2020-03-01T08:00:00Z"}),
            key=CONSUMER.encode(), partition=owner(CONSUMER))
        await processed(4)
    sent.changelog.reset_mock()


# --- answered requests ---------------------------------------------------------------------


async def test_a_valid_request_gets_a_200_reply_on_the_default_topic(
        history_with_transactions, sent: Sent, replies: Replies) -> None:
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, report_request())
        await answered(sent, replies, 1)

    [call] = replies.on(REPORT_REPLIES)
    reply = reply_of(call, "c0ffee-1")
    assert reply.status == 200 and reply.error is None
    [report] = reply.data["reports"]
    assert report["insights_consumer_id"] == CONSUMER
    assert report["insights_account_ids"] == [ACCOUNT]
    assert (report["from_date"], report["to_date"]) == ("2020-01-01", "2020-01-31")
    assert sorted(t["insights_transaction_id"] for t in report["transactions"]) == ["t-1", "t-2"]
    assert not any(key.startswith("_") for t in report["transactions"] for key in t)
    # The default reply topic exists already: it is not declared per request.
    replies.topic(REPORT_REPLIES).maybe_declare.assert_not_awaited()
    sent.dead_letters.assert_not_called()
    sent.rekeyed[REPORT_REQUESTS_REKEYED].assert_not_called()
    assert sent.changelog_messages() == []  # answering writes no state


async def test_a_request_for_an_unknown_consumer_gets_a_200_reply_without_transactions(
        sent: Sent, replies: Replies) -> None:
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, report_request())
        await answered(sent, replies, 1)

    reply = reply_of(replies.on()[0], "c0ffee-1")
    assert reply.status == 200
    assert all(report["transactions"] == [] for report in reply.data["reports"])


async def test_reply_to_is_honoured(history_with_transactions, sent: Sent,
                                    replies: Replies) -> None:
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, report_request("r-1", reply_to="client-7.replies"))
        await put(ctx, report_request("r-2", reply_to="client-7.replies"))
        await put(ctx, report_request("r-3"))
        await answered(sent, replies, 3)

    assert [reply_of(c, cid).status for c, cid in
            zip(replies.on("client-7.replies"), ["r-1", "r-2"], strict=True)] == [200, 200]
    assert [reply_of(c, "r-3").status for c in replies.on(REPORT_REPLIES)] == [200]
    # A client-named topic is declared on first use only.
    replies.topic("client-7.replies").maybe_declare.assert_awaited_once()


async def test_a_reply_topic_that_cannot_be_declared_dead_letters_the_request(
        sent: Sent, replies: Replies) -> None:
    replies.topic("forbidden.replies").maybe_declare.side_effect = RuntimeError("not allowed")
    raw = orjson.dumps(report_request(reply_to="forbidden.replies"))
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, raw)
        await answered(sent, replies, 1)
        # The agent is still running.
        await put(ctx, report_request("c0ffee-2"))
        await answered(sent, replies, 2)

    [call] = sent.dead_letters.call_args_list
    letter = assert_dead_letter(call, code="REPLY_FAILED", topic=REPORT_REQUESTS,
                                partition=owner(CONSUMER), offset=0, key=CONSUMER.encode(),
                                value=raw)
    assert "forbidden.replies" in letter.error.message
    assert replies.on("forbidden.replies") == []
    assert reply_of(replies.on()[0], "c0ffee-2").status == 200


SERVICE_TOPICS = {
    "table changelog": lambda: transactions_table.changelog_topic.get_topic_name(),
    "transactions": lambda: TRANSACTIONS,
    "report requests": lambda: REPORT_REQUESTS,
    "re-key topic": lambda: TRANSACTIONS_REKEYED,
    "dead letters": lambda: DEAD_LETTER,
}


@pytest.mark.parametrize("topic_name", SERVICE_TOPICS.values(), ids=SERVICE_TOPICS.keys())
async def test_a_reply_is_never_written_to_a_topic_of_the_service(
        sent: Sent, replies: Replies, topic_name) -> None:
    # A reply keyed '"x"' in the transactions changelog is recovered as the table record "x",
    # which has no date: TransactionHistory.rebuild raises KeyError in rebuild_index.
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, report_request('"x"', reply_to=topic_name()))
        await answered(sent, replies, 1)

    assert replies.on(topic_name()) == []


INVALID_BODIES = {
    "wrong types": ({"size": "ten", "only_main_category": "yes"},
                    {"request.size", "request.only_main_category"}),
    "unknown field": ({"colour": "red"}, {"request.colour"}),
    "bad date": ({"from_date": "2020-13-01"}, {"request.from_date"}),
    "missing consumer": ({"insights_consumer_id": None}, {"request.insights_consumer_id"}),
    "crossed fields": ({"report_days": 10}, {"request.report_days"}),
}


@pytest.mark.parametrize(("body", "locs"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
async def test_an_invalid_body_gets_a_400_reply_with_field_errors(
        sent: Sent, replies: Replies, body: dict, locs: set[str]) -> None:
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, report_request(body=body))
        await answered(sent, replies, 1)

    [call] = replies.on(REPORT_REPLIES)
    reply = reply_of(call, "c0ffee-1")
    assert reply.status == 400 and reply.data is None
    assert reply.error.code == "INVALID_REQUEST"
    assert {error.loc for error in reply.error.errors} == locs
    assert all(error.msg for error in reply.error.errors)
    sent.dead_letters.assert_not_called()
    sent.rekeyed[REPORT_REQUESTS_REKEYED].assert_not_called()


INVALID_ENVELOPES = {
    "unknown report": ({"report": "balance"}, "report"),
    "no report": ({"report": None}, "report"),
    "request not an object": ({"request": [1, 2]}, "request"),
    "reply_to not a string": ({"reply_to": 7}, "reply_to"),
}


@pytest.mark.parametrize(("fields", "loc"), INVALID_ENVELOPES.values(),
                         ids=INVALID_ENVELOPES.keys())
async def test_an_invalid_envelope_with_a_correlation_id_gets_a_400_reply(
        sent: Sent, replies: Replies, fields: dict, loc: str) -> None:
    request = {k: v for k, v in report_request(**fields).items() if v is not None}
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, request)
        await answered(sent, replies, 1)

    reply = reply_of(replies.on(REPORT_REPLIES)[0], "c0ffee-1")
    assert reply.status == 400
    assert reply.error.code == "INVALID_REQUEST"
    assert loc in {error.loc for error in reply.error.errors}
    sent.dead_letters.assert_not_called()


async def test_the_recurring_transactions_report_lists_a_monthly_series(
        sent: Sent, replies: Replies) -> None:
    months = ["2020-01-10", "2020-02-10", "2020-03-10", "2020-04-10"]
    async with ingest_transactions.test_context() as ingest:
        for number, day in enumerate(months):
            await ingest.put(value=orjson.dumps(transaction(f"t{number}", day)),
                             key=CONSUMER.encode(), partition=owner(CONSUMER))
        await processed(len(months))
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, report_request(report="recurring-transactions",
                                      body={"from_date": "2020-01-01", "to_date": "2020-04-30"}))
        await answered(sent, replies, 1)

    reply = reply_of(replies.on()[0], "c0ffee-1")
    assert reply.status == 200, reply.error
    [report] = reply.data["reports"]
    [interval] = report["intervals"]
    assert interval["interval"] == "MONTHLY"
    [group] = interval["transaction_groups"]
    assert group["transaction_ids"] == ["t0", "t1", "t2", "t3"]
    assert group["average_amount"] == {"amount": -1599, "currency": "EUR"}
    assert interval["expense_amount"] == {"amount": -1599, "currency": "EUR"}


async def test_unmet_data_availability_gets_a_422_reply(sent: Sent, replies: Replies) -> None:
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, report_request(body={"required_data_availability": "COMPLETE",
                                            "insights_account_ids": [ACCOUNT]}))
        await answered(sent, replies, 1)

    reply = reply_of(replies.on()[0], "c0ffee-1")
    assert reply.status == 422


# --- records that cannot be answered -----------------------------------------------------

UNANSWERABLE = {
    "not JSON": (b"{correlation_id: 1", "INVALID_JSON"),
    "not UTF-8": (b"\xff\xfe{}", "INVALID_JSON"),
    "empty value": (b"", "INVALID_JSON"),
    "no value": (None, "INVALID_JSON"),
    "a JSON list": (b'[{"correlation_id": "c-1"}]', "INVALID_ENVELOPE"),
    "no correlation id": ({k: v for k, v in report_request().items() if k != "correlation_id"},
                          "INVALID_ENVELOPE"),
    "empty correlation id": (report_request(""), "INVALID_ENVELOPE"),
    "numeric correlation id": (report_request(42), "INVALID_ENVELOPE"),
    "correlation id too long": (report_request("c" * 129), "INVALID_ENVELOPE"),
}


@pytest.mark.parametrize(("value", "code"), UNANSWERABLE.values(), ids=UNANSWERABLE.keys())
async def test_a_request_without_a_readable_correlation_id_is_dead_lettered(
        sent: Sent, replies: Replies, value, code: str) -> None:
    raw = orjson.dumps(value) if isinstance(value, dict) else value
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, raw, partition=other_partition(CONSUMER))
        await answered(sent, replies, 1)

    [call] = sent.dead_letters.call_args_list
    assert_dead_letter(call, code=code, topic=REPORT_REQUESTS,
                       partition=other_partition(CONSUMER), offset=0, key=CONSUMER.encode(),
                       value=raw or b"")
    assert replies.count() == 0
    sent.rekeyed[REPORT_REQUESTS_REKEYED].assert_not_called()


async def test_an_oversized_request_is_dead_lettered(sent: Sent, replies: Replies) -> None:
    raw = orjson.dumps(report_request(padding="x" * settings.max_event_bytes))
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, raw, key=None)
        await answered(sent, replies, 1)

    [call] = sent.dead_letters.call_args_list
    assert_dead_letter(call, code="OVERSIZED", topic=REPORT_REQUESTS, partition=owner(CONSUMER),
                       offset=0, key=None, value=raw)
    assert replies.count() == 0


# --- routing -------------------------------------------------------------------------------


async def test_a_request_on_a_partition_not_owning_its_consumer_is_forwarded(
        history_with_transactions, sent: Sent, replies: Replies) -> None:
    raw = orjson.dumps(report_request())
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, raw, partition=other_partition(CONSUMER), key=None)
        await answered(sent, replies, 1)

    assert replies.count() == 0
    [call] = sent.rekeyed[REPORT_REQUESTS_REKEYED].call_args_list
    assert call.kwargs == {"key": CONSUMER.encode(), "partition": owner(CONSUMER), "value": raw}
    sent.rekeyed[TRANSACTIONS_REKEYED].assert_not_called()

    # The owner answers it, and does not forward it again whatever partition it is read from.
    async with answer_rekeyed_report_requests.test_context() as rekeyed:
        await rekeyed.put(key=call.kwargs["key"], value=call.kwargs["value"],
                          partition=call.kwargs["partition"])
        await answered(sent, replies, 2)

    reply = reply_of(replies.on()[0], "c0ffee-1")
    assert reply.status == 200
    assert len(reply.data["reports"][0]["transactions"]) == 2
    assert sent.rekeyed[REPORT_REQUESTS_REKEYED].call_count == 1


async def test_a_request_keyed_otherwise_but_on_the_owning_partition_is_answered_in_place(
        sent: Sent, replies: Replies) -> None:
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, report_request(), key=b"c0ffee-1")
        await answered(sent, replies, 1)

    assert reply_of(replies.on()[0], "c0ffee-1").status == 200
    sent.rekeyed[REPORT_REQUESTS_REKEYED].assert_not_called()


async def test_a_request_without_a_consumer_id_is_answered_where_it_arrives(
        sent: Sent, replies: Replies) -> None:
    async with answer_report_requests.test_context() as ctx:
        await put(ctx, report_request(body={"insights_consumer_id": None}),
                  partition=other_partition(CONSUMER), key=None)
        await answered(sent, replies, 1)

    reply = reply_of(replies.on()[0], "c0ffee-1")
    assert reply.status == 400
    sent.rekeyed[REPORT_REQUESTS_REKEYED].assert_not_called()


# --- failures inside report building ---------------------------------------------------------


async def test_a_failing_report_gets_a_500_reply_and_the_agent_keeps_going(
        history_with_transactions, sent: Sent, replies: Replies) -> None:
    async with answer_report_requests.test_context() as ctx:
        with mock.patch.object(reports, "categorized_report",
                               side_effect=RuntimeError("boom")) as failing:
            await put(ctx, report_request("c-1"))
            await answered(sent, replies, 1)
        failing.assert_called_once()
        await put(ctx, report_request("c-2"))
        await answered(sent, replies, 2)

    first, second = replies.on(REPORT_REPLIES)
    failed = reply_of(first, "c-1")
    assert failed.status == 500
    assert failed.error.code == "INTERNAL_ERROR"
    assert "boom" not in failed.error.message  # internals are not shown to clients
    ok = reply_of(second, "c-2")
    assert ok.status == 200
    assert len(ok.data["reports"][0]["transactions"]) == 2
    sent.dead_letters.assert_not_called()


async def test_every_request_gets_exactly_one_reply(sent: Sent, replies: Replies) -> None:
    requests = [report_request("ok-1"), report_request("bad-1", body={"size": -1}),
                report_request("ok-2", reply_to="other.replies"),
                report_request("nyi-1", report="recurring-transactions")]
    async with answer_report_requests.test_context() as ctx:
        for request in requests:
            await put(ctx, request)
        await answered(sent, replies, len(requests))

    keys = sorted(call.kwargs["key"] for name in replies.topics for call in replies.on(name))
    assert keys == sorted(r["correlation_id"].encode() for r in requests)
