"""Answering report requests without a broker: envelope checks, error lists, reply topics."""

from __future__ import annotations

from datetime import date

import orjson
import pytest

from workers.domain.consumer_state import ConsumerState
from workers.domain.history import SourcePosition
from workers.reports import Unreadable, answer, peek

TODAY = date(2024, 6, 30)


def _history() -> ConsumerState:
    state = ConsumerState.in_memory()
    state.apply_transaction({"insights_consumer_id": "c", "insights_account_id": "a",
                               "insights_transaction_id": "t1", "booking_date": "2024-06-01",
                               "amount": {"amount": 500, "currency": "EUR"}, "type": "DEBIT"},
                            SourcePosition("s:0", 1, 1_717_000_000_000))
    return state


def _raw(**envelope) -> bytes:
    body = {"correlation_id": "r1", "report": "categorization",
            "request": {"insights_consumer_id": "c"}}
    body.update(envelope)
    return orjson.dumps(body)


def _answer(raw: bytes, reserved=lambda name: False) -> dict:
    return answer(raw, peek(raw, reserved), _history(), TODAY)


def test_a_valid_request_gets_the_report():
    # Without an AccountEvent the account covers only its transactions' dates (2024-06-01).
    request = {"insights_consumer_id": "c", "from_date": "2024-06-01", "to_date": "2024-06-30"}
    assert _answer(_raw(request=request))["status"] == 422
    reply = _answer(_raw(request={**request, "required_data_availability": "PARTIAL"}))
    assert reply["status"] == 200
    [report] = reply["data"]["reports"]
    assert [t["insights_transaction_id"] for t in report["transactions"]] == ["t1"]


def test_field_and_cross_field_errors_are_listed_together():
    reply = _answer(_raw(request={
        "insights_consumer_id": "c", "insights_account_ids": ["a"],
        "excluded_insights_account_ids": ["b"], "size": -1, "report_days": 3,
        "from_date": "2024-05-01", "min_amount": 10, "max_amount": 5}))
    assert reply["status"] == 400
    locs = sorted(e["loc"] for e in reply["error"]["errors"])
    assert locs == ["request.excluded_insights_account_ids", "request.min_amount",
                    "request.report_days", "request.size"]


def test_a_cross_field_error_alone_is_reported_on_its_field():
    reply = _answer(_raw(request={"insights_consumer_id": "c", "from_date": "2024-05-02",
                                  "to_date": "2024-05-01"}))
    assert [e["loc"] for e in reply["error"]["errors"]] == ["request.from_date"]


@pytest.mark.parametrize("reply_to, message", [
    ("bad topic!", "not a valid topic name"),
    ("insights.transactions.v1", "names a topic of the service itself"),
])
def test_an_unusable_reply_to_is_a_400_on_the_default_topic(reply_to, message):
    raw = _raw(reply_to=reply_to)
    peeked = peek(raw, lambda name: name == "insights.transactions.v1")
    assert peeked.reply_to is None
    reply = answer(raw, peeked, _history(), TODAY)
    assert reply["status"] == 400
    [error] = reply["error"]["errors"]
    assert error["loc"] == "reply_to"
    assert message in error["msg"]


@pytest.mark.parametrize("raw, code", [
    (b"", "INVALID_JSON"), (b"{nope", "INVALID_JSON"), (b"[1]", "INVALID_ENVELOPE"),
    (b'{"report": "categorization"}', "INVALID_ENVELOPE"),
    (b'{"correlation_id": ""}', "INVALID_ENVELOPE"),
    (orjson.dumps({"correlation_id": "x" * 129}), "INVALID_ENVELOPE"),
])
def test_requests_without_a_readable_correlation_id_are_unreadable(raw, code):
    with pytest.raises(Unreadable) as caught:
        peek(raw)
    assert caught.value.code == code


def test_the_recurring_report_answers_from_the_recurring_groups():
    request = {"insights_consumer_id": "c", "from_date": "2024-06-01", "to_date": "2024-06-30",
               "required_data_availability": "PARTIAL"}
    reply = _answer(_raw(report="recurring-transactions", request=request))
    assert reply["status"] == 200
    [report] = reply["data"]["reports"]
    assert report["type"] == "RECURRING_TRANSACTIONS"
    assert report["intervals"] == []  # one payment is no series


def test_recurring_request_errors_are_listed_per_field():
    reply = _answer(_raw(report="recurring-transactions", request={
        "insights_consumer_id": "c", "insights_account_ids": ["a"],
        "excluded_insights_account_ids": ["b"], "size": 3}))
    assert reply["status"] == 400
    assert "recurring transactions request" in reply["error"]["message"]
    locs = sorted(e["loc"] for e in reply["error"]["errors"])
    assert locs == ["request.excluded_insights_account_ids", "request.size"]


def test_an_unknown_report_is_a_400_on_the_report_field():
    reply = _answer(_raw(report="balance"))
    assert reply["status"] == 400
    assert reply["error"]["errors"][0]["loc"] == "report"
