"""Validation of the Categorized Transactions Report request (schemas/categorized.py)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.categorized import (
    MAX_IDS,
    MAX_LABELS,
    MAX_ORDER_KEYS,
    CategorizedReportRequest,
    CategorizedReportResponse,
    CategorizedTransaction,
    OrderBy,
)

CONSUMER = "6c03aff-8fa0046-ffae74-b0cbc-4d5fd1"

SEED_EXAMPLE = {
    "insights_consumer_id": CONSUMER,
    "insights_account_ids": [
        "3b3d678f-66b7-4b23-a2a5-0bfd275e86a1",
        "4c4e789g-77c8-5c34-b3b6-1cge386f97b2",
    ],
    "report_days": 60,
    "max_amount": 1000,
    "min_amount": -1000,
    "size": 3,
    "labels": [{"key": "order-id-for-company-1", "value": "123456789"}],
    "excluded_labels": [{"key": "order-id-for-company-1", "value": "1234"}],
    "required_data_availability": "PARTIAL",
    "combine_accounts": "ALL",
}


def body(**fields: Any) -> dict[str, Any]:
    return {"insights_consumer_id": CONSUMER, **fields}


def errors_of(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as info:
        CategorizedReportRequest.model_validate(data)
    return [(err["loc"], err["msg"]) for err in info.value.errors()]


VALID = [
    pytest.param(body(), id="minimal"),
    pytest.param(SEED_EXAMPLE, id="seed-example"),
    pytest.param(body(insights_account_ids=["a"], excluded_insights_account_ids=[]), id="excluded-empty"),
    pytest.param(body(insights_account_ids=[], excluded_insights_account_ids=["a"]), id="included-empty"),
    pytest.param(body(report_days=0), id="report-days-zero"),
    pytest.param(body(from_date="2020-01-01", to_date="2020-01-01"), id="one-day"),
    pytest.param(body(from_date="2020-02-29"), id="leap-day-from-only"),
    pytest.param(body(to_date="2020-12-31"), id="to-only"),
    pytest.param(body(size=0, offset=0), id="size-zero"),
    pytest.param(body(offset=None), id="offset-null"),
    pytest.param(body(min_amount=-5, max_amount=-5), id="min-equals-max"),
    pytest.param(body(min_amount=10), id="min-only"),
    pytest.param(body(transaction_type="DEBIT_AND_ZERO"), id="debit-and-zero"),
    pytest.param(body(only_main_category=True, category_ids=["c"]), id="only-main"),
    pytest.param(body(only_main_category=None), id="only-main-null"),
    pytest.param(
        body(states=["PROCESSED", "PENDING", "CANCELED", "FAILED", "UNKNOWN"]), id="all-states"
    ),
    pytest.param(body(states=[]), id="states-empty"),
    pytest.param(body(insights_transaction_ids=["t"], brand_ids=["b"]), id="id-filters"),
    pytest.param(body(order=[{"field": "AMOUNT"}, {"field": "DATE", "order": "DESC"}]), id="order"),
    pytest.param(body(order=[]), id="order-empty"),
    pytest.param(body(labels=[{"key": "k", "value": ""}]), id="label-empty-value"),
    pytest.param(body(required_data_availability="NONE", combine_accounts="ALL"), id="enums"),
    pytest.param(body(required_data_availability=None, combine_accounts=None), id="enums-null"),
    pytest.param(body(insights_account_ids=["a"] * MAX_IDS), id="max-ids"),
    pytest.param(body(insights_consumer_id="x" * 128), id="consumer-id-128"),
]


@pytest.mark.parametrize("data", VALID)
def test_valid_requests(data: dict[str, Any]) -> None:
    request = CategorizedReportRequest.model_validate(data)
    assert request.insights_consumer_id == data["insights_consumer_id"]
    # The same body sent as JSON text validates the same way.
    assert CategorizedReportRequest.model_validate_json(json.dumps(data)) == request


def test_defaults() -> None:
    request = CategorizedReportRequest.model_validate(body())
    assert request.offset == 0
    assert request.size is None
    assert request.only_main_category is False
    assert request.required_data_availability == "COMPLETE"
    assert request.combine_accounts == "NONE"
    assert request.order is None and request.labels is None and request.states is None


def test_null_means_default() -> None:
    request = CategorizedReportRequest.model_validate(
        body(offset=None, only_main_category=None, required_data_availability=None,
             combine_accounts=None)
    )
    assert (request.offset, request.only_main_category) == (0, False)
    assert (request.required_data_availability, request.combine_accounts) == ("COMPLETE", "NONE")


def test_seed_example_values() -> None:
    request = CategorizedReportRequest.model_validate(SEED_EXAMPLE)
    assert request.min_amount == -1000 and request.max_amount == 1000
    assert request.labels is not None and request.labels[0].key == "order-id-for-company-1"
    assert request.combine_accounts == "ALL"


def test_dates_are_parsed() -> None:
    request = CategorizedReportRequest.model_validate(body(from_date="2020-01-01", to_date="2020-03-01"))
    assert request.from_date == date(2020, 1, 1) and request.to_date == date(2020, 3, 1)


def test_order_direction_defaults_to_ascending() -> None:
    request = CategorizedReportRequest.model_validate(body(order=[{"field": "BRAND"}]))
    assert request.order == [OrderBy(field="BRAND", order="ASC")]


# (data, loc of the expected error, a fragment of its message)
INVALID = [
    pytest.param({}, ("insights_consumer_id",), "required", id="consumer-missing"),
    pytest.param(body(insights_consumer_id=""), ("insights_consumer_id",), "at least 1", id="consumer-empty"),
    pytest.param(body(insights_consumer_id="x" * 129), ("insights_consumer_id",), "at most 128", id="consumer-long"),
    pytest.param(body(insights_consumer_id=42), ("insights_consumer_id",), "string", id="consumer-int"),
    pytest.param(body(unknown=1), ("unknown",), "Extra inputs", id="unknown-field"),
    pytest.param(body(insights_account_ids="a"), ("insights_account_ids",), "list", id="ids-not-list"),
    pytest.param(body(insights_account_ids=[1]), ("insights_account_ids", 0), "string", id="id-int"),
    pytest.param(body(insights_account_ids=[""]), ("insights_account_ids", 0), "at least 1", id="id-empty"),
    pytest.param(body(insights_account_ids=["a"] * (MAX_IDS + 1)), ("insights_account_ids",), "at most", id="too-many-ids"),
    pytest.param(body(category_ids=["c"] * (MAX_IDS + 1)), ("category_ids",), "at most", id="too-many-categories"),
    pytest.param(body(report_days=-1), ("report_days",), "greater than or equal", id="report-days-negative"),
    pytest.param(body(report_days="5"), ("report_days",), "integer", id="report-days-str"),
    pytest.param(body(report_days=5.0), ("report_days",), "integer", id="report-days-float"),
    pytest.param(body(report_days=True), ("report_days",), "integer", id="report-days-bool"),
    pytest.param(body(report_days=10**6), ("report_days",), "less than or equal", id="report-days-huge"),
    pytest.param(body(from_date="2020-1-1"), ("from_date",), "YYYY-MM-DD", id="date-unpadded"),
    pytest.param(body(from_date=20200101), ("from_date",), "YYYY-MM-DD", id="date-int"),
    pytest.param(body(from_date="20200101"), ("from_date",), "YYYY-MM-DD", id="date-basic-format"),
    pytest.param(body(to_date="2020-01-01T00:00:00"), ("to_date",), "YYYY-MM-DD", id="date-with-time"),
    pytest.param(body(to_date="2020-02-30"), ("to_date",), "valid calendar date", id="date-impossible"),
    pytest.param(body(to_date="2020-13-01"), ("to_date",), "valid calendar date", id="month-13"),
    pytest.param(body(to_date=" 2020-01-01"), ("to_date",), "YYYY-MM-DD", id="date-whitespace"),
    pytest.param(body(size=-1), ("size",), "greater than or equal", id="size-negative"),
    pytest.param(body(size="3"), ("size",), "integer", id="size-str"),
    pytest.param(body(offset=-1), ("offset",), "greater than or equal", id="offset-negative"),
    pytest.param(body(offset=1.5), ("offset",), "integer", id="offset-float"),
    pytest.param(body(max_amount="1000"), ("max_amount",), "integer", id="max-amount-str"),
    pytest.param(body(min_amount=2**63), ("min_amount",), "less than or equal", id="min-amount-huge"),
    pytest.param(body(transaction_type="debit"), ("transaction_type",), "DEBIT", id="type-lowercase"),
    pytest.param(body(transaction_type="ZERO"), ("transaction_type",), "DEBIT", id="type-unknown"),
    pytest.param(body(only_main_category="true"), ("only_main_category",), "boolean", id="bool-str"),
    pytest.param(body(only_main_category=1), ("only_main_category",), "boolean", id="bool-int"),
    pytest.param(body(states=["DONE"]), ("states", 0), "PROCESSED", id="state-unknown"),
    pytest.param(body(states="PENDING"), ("states",), "list", id="states-not-list"),
    pytest.param(body(states=["PENDING"] * 6), ("states",), "at most", id="too-many-states"),
    pytest.param(body(order=[{"order": "DESC"}]), ("order", 0, "field"), "required", id="order-field-missing"),
    pytest.param(body(order=[{"field": "NAME"}]), ("order", 0, "field"), "AMOUNT", id="order-field-unknown"),
    pytest.param(body(order=[{"field": "DATE", "order": "desc"}]), ("order", 0, "order"), "ASC", id="order-dir-lowercase"),
    pytest.param(body(order=[{"field": "DATE", "x": 1}]), ("order", 0, "x"), "Extra inputs", id="order-extra"),
    pytest.param(body(order=[{"field": "DATE"}] * (MAX_ORDER_KEYS + 1)), ("order",), "at most", id="too-many-order-keys"),
    pytest.param(body(labels=[{"key": "k"}]), ("labels", 0, "value"), "required", id="label-no-value"),
    pytest.param(body(labels=[{"key": "", "value": "v"}]), ("labels", 0, "key"), "at least 1", id="label-empty-key"),
    pytest.param(body(labels=[{"key": "k", "value": 1}]), ("labels", 0, "value"), "string", id="label-int-value"),
    pytest.param(body(excluded_labels=[{"key": "k", "value": "v", "x": 1}]), ("excluded_labels", 0, "x"), "Extra inputs", id="label-extra"),
    pytest.param(body(labels=[{"key": "k", "value": "v"}] * (MAX_LABELS + 1)), ("labels",), "at most", id="too-many-labels"),
    pytest.param(body(required_data_availability="FULL"), ("required_data_availability",), "COMPLETE", id="availability-unknown"),
    pytest.param(body(combine_accounts="SOME"), ("combine_accounts",), "ALL", id="combine-unknown"),
    # cross-field rules
    pytest.param(
        body(insights_account_ids=["a"], excluded_insights_account_ids=["b"]),
        (), "insights_account_ids and excluded_insights_account_ids", id="both-account-lists",
    ),
    pytest.param(body(report_days=5, from_date="2020-01-01"), (), "report_days cannot be combined", id="days-and-from"),
    pytest.param(body(report_days=5, to_date="2020-01-01"), (), "report_days cannot be combined", id="days-and-to"),
    pytest.param(body(from_date="2020-01-02", to_date="2020-01-01"), (), "from_date must not be after to_date", id="from-after-to"),
    pytest.param(body(min_amount=1, max_amount=0), (), "min_amount must not be greater than max_amount", id="min-above-max"),
]


@pytest.mark.parametrize(("data", "loc", "fragment"), INVALID)
def test_invalid_requests(data: dict[str, Any], loc: tuple[Any, ...], fragment: str) -> None:
    errors = errors_of(data)
    assert any(err_loc == loc and fragment in msg for err_loc, msg in errors), errors


def test_cross_field_errors_are_all_reported() -> None:
    errors = errors_of(
        body(insights_account_ids=["a"], excluded_insights_account_ids=["b"], report_days=1,
             to_date="2020-01-01", min_amount=5, max_amount=4)
    )
    assert len(errors) == 1
    loc, msg = errors[0]
    assert loc == ()
    for fragment in ("excluded_insights_account_ids", "report_days", "min_amount"):
        assert fragment in msg


def test_invalid_json_text_is_rejected_the_same_way() -> None:
    with pytest.raises(ValidationError):
        CategorizedReportRequest.model_validate_json(json.dumps(body(from_date="2020-1-1")))
    with pytest.raises(ValidationError):
        CategorizedReportRequest.model_validate_json(json.dumps(body(only_main_category=0)))


def test_json_schema_exports() -> None:
    request_schema = CategorizedReportRequest.model_json_schema()
    assert request_schema["additionalProperties"] is False
    assert request_schema["required"] == ["insights_consumer_id"]
    response_schema = CategorizedReportResponse.model_json_schema()
    assert "CategorizedTransaction" in response_schema["$defs"]


def test_transaction_model_needs_a_date() -> None:
    base = {
        "insights_transaction_id": "t",
        "insights_account_id": "a",
        "amount": {"amount": 1, "currency": "EUR"},
        "type": "DEBIT",
    }
    with pytest.raises(ValidationError):
        CategorizedTransaction.model_validate(base)
    assert CategorizedTransaction.model_validate({**base, "value_date": "2020-01-01"})
    with pytest.raises(ValidationError):
        CategorizedTransaction.model_validate({**base, "value_date": "2020-01-01",
                                               "amount": {"amount": -1, "currency": "EUR"}})
