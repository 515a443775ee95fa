"""Building the Categorized Transactions Report (workers/domain/categorized_report.py)."""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.categorized import CategorizedReportRequest, CategorizedReportResponse
from workers.domain.availability import AccountCoverage
from workers.domain.categorized_report import (
    Timeframe,
    build_categorized_reports,
    resolve_timeframe,
)
from workers.domain.errors import DataAvailabilityNotMet, ReportError

CONSUMER = "consumer-1"
TODAY = date(2024, 6, 30)
TF = Timeframe(date(2024, 6, 1), date(2024, 6, 30))
REFRESHED = datetime(2024, 6, 30, 8, 0, tzinfo=UTC)


def request(**fields: Any) -> CategorizedReportRequest:
    fields.setdefault("required_data_availability", "NONE")
    return CategorizedReportRequest.model_validate({"insights_consumer_id": CONSUMER, **fields})


def txn(
    tid: str,
    amount: int = 100,
    type_: str = "DEBIT",
    day: str | None = "2024-06-10",
    account: str = "a1",
    **extra: Any,
) -> dict[str, Any]:
    t: dict[str, Any] = {
        "insights_transaction_id": tid,
        "insights_account_id": account,
        "amount": {"amount": amount, "currency": "EUR"},
        "type": type_,
    }
    if day is not None:
        t["booking_date"] = day
    t.update(extra)
    return t


def full(account: str, refreshed: datetime | None = REFRESHED) -> AccountCoverage:
    return AccountCoverage(account, date(2020, 1, 1), TODAY, refreshed)


ACCOUNTS = {"a1": full("a1"), "a2": full("a2")}


def build(req: CategorizedReportRequest, txns: list[dict[str, Any]], accounts=None, tf=TF) -> dict:
    return build_categorized_reports(req, tf, txns, ACCOUNTS if accounts is None else accounts)


def ids(data: dict[str, Any], report: int = 0) -> list[str]:
    return [t["insights_transaction_id"] for t in data["reports"][report]["transactions"]]


def only(req: CategorizedReportRequest, txns: list[dict[str, Any]]) -> list[str]:
    """Ids of the single report over account a1 (only a1 is known)."""
    data = build(req, txns, {"a1": full("a1")})
    assert len(data["reports"]) == 1
    return ids(data)


# --- timeframe --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, (date(2024, 4, 29), TODAY)),
        ({"report_days": 0}, (TODAY, TODAY)),
        ({"report_days": 30}, (date(2024, 5, 31), TODAY)),
        ({"from_date": "2024-01-01"}, (date(2024, 1, 1), TODAY)),
        ({"to_date": "2024-03-31"}, (date(2024, 1, 29), date(2024, 3, 31))),
        ({"from_date": "2023-01-01", "to_date": "2023-02-01"}, (date(2023, 1, 1), date(2023, 2, 1))),
        ({"from_date": "2024-06-30"}, (TODAY, TODAY)),
        ({"to_date": "0001-01-10"}, (date(1, 1, 1), date(1, 1, 10))),
    ],
)
def test_resolve_timeframe(fields: dict[str, Any], expected: tuple[date, date]) -> None:
    assert resolve_timeframe(request(**fields), TODAY) == Timeframe(*expected)


def test_future_from_date_without_to_date_is_a_bad_request() -> None:
    with pytest.raises(ReportError) as info:
        resolve_timeframe(request(from_date="2024-07-01"), TODAY)
    assert info.value.status == 400
    assert [e.loc for e in info.value.errors] == ["from_date"]


# --- report shape ---------------------------------------------------------------------


def test_report_shape_and_schema() -> None:
    t = txn(
        "t1",
        1599,
        ob_transaction_id="31234-12314234",
        reference="transfer to esprit online shop",
        bank_references={"unstructured": "esprit online  shop"},
        method="UNKNOWN",
        state="PROCESSED",
        bank_transaction_code={"code": "CCRD", "sub_code": "CreditCardPayment", "description": "x"},
        counter_party={"holder_name": "esprit germany", "holder_address": {"country": "DE"}},
        categories=[{"id": "c-clothes", "name": "Clothes"}],
        brand={"id": "b-esprit", "name": "Esprit"},
        labels={"order-id-for-company-1": "123456789"},
    )
    data = build(request(), [t], {"a1": full("a1")})
    assert data == {
        "reports": [
            {
                "type": "CATEGORIZED_TRANSACTIONS",
                "insights_consumer_id": CONSUMER,
                "insights_account_ids": ["a1"],
                "transactions": [t],
                "from_date": "2024-06-01",
                "to_date": "2024-06-30",
                "refreshed_at": "2024-06-30T08:00:00.000Z",
                "data_availability": "COMPLETE",
            }
        ]
    }
    CategorizedReportResponse.model_validate(data)


def test_input_is_copied_not_mutated() -> None:
    stored = [txn("t1"), txn("t2", day="2024-06-11")]
    before = copy.deepcopy(stored)
    data = build(request(), stored)
    out = data["reports"][0]["transactions"]
    assert out == [stored[1], stored[0]]
    assert all(o is not s for o in out for s in stored)
    out[0]["extra"] = 1
    assert stored == before


def test_accepts_any_iterable() -> None:
    data = build_categorized_reports(request(), TF, iter([txn("t1")]), {"a1": full("a1")})
    assert ids(data) == ["t1"]


# --- dates ----------------------------------------------------------------------------


def test_timeframe_is_inclusive_and_booking_date_wins() -> None:
    txns = [
        txn("before", day="2024-05-31"),
        txn("first", day="2024-06-01"),
        txn("last", day="2024-06-30"),
        txn("after", day="2024-07-01"),
        txn("value-only", day=None, value_date="2024-06-15"),
        txn("value-outside", day=None, value_date="2024-07-15"),
        # booking date decides even when the value date is inside
        txn("booked-outside", day="2024-05-01", value_date="2024-06-15"),
        txn("booked-inside", day="2024-06-02", value_date="2024-07-15"),
    ]
    assert only(request(), txns) == ["last", "value-only", "booked-inside", "first"]


# --- filters --------------------------------------------------------------------------

AMOUNTS = [
    txn("d1000", 1000, "DEBIT"),
    txn("d1001", 1001, "DEBIT"),
    txn("d0", 0, "DEBIT"),
    txn("c0", 0, "CREDIT"),
    txn("c1000", 1000, "CREDIT"),
    txn("c1001", 1001, "CREDIT"),
    txn("d5", 5, "DEBIT"),
]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"min_amount": -1000, "max_amount": 1000}, {"d1000", "d0", "c0", "c1000", "d5"}),
        ({"min_amount": 0}, {"d0", "c0", "c1000", "c1001"}),
        ({"max_amount": 0}, {"d1000", "d1001", "d0", "c0", "d5"}),
        ({"max_amount": -5}, {"d1000", "d1001", "d5"}),
        ({"min_amount": -5, "max_amount": -5}, {"d5"}),
        ({"min_amount": 1001}, {"c1001"}),
        ({"transaction_type": "DEBIT"}, {"d1000", "d1001", "d0", "d5"}),
        ({"transaction_type": "CREDIT"}, {"c0", "c1000", "c1001"}),
        ({"transaction_type": "DEBIT_AND_ZERO"}, {"d1000", "d1001", "d0", "c0", "d5"}),
        ({"transaction_type": "CREDIT", "max_amount": 1000}, {"c0", "c1000"}),
    ],
)
def test_amount_and_type_filters(fields: dict[str, Any], expected: set[str]) -> None:
    assert set(only(request(**fields), AMOUNTS)) == expected


STATES = [
    txn("p", state="PROCESSED"),
    txn("pe", state="PENDING"),
    txn("u", state="UNKNOWN"),
    txn("none"),
]


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["PROCESSED"], {"p"}),
        (["UNKNOWN"], {"u", "none"}),
        (["PENDING", "PROCESSED"], {"p", "pe"}),
        (["FAILED", "CANCELED"], set()),
        ([], set()),
        (None, {"p", "pe", "u", "none"}),
    ],
)
def test_states(states: list[str] | None, expected: set[str]) -> None:
    assert set(only(request(states=states), STATES)) == expected


def test_transaction_ids() -> None:
    txns = [txn("t1"), txn("t2"), txn("t3")]
    assert set(only(request(insights_transaction_ids=["t1", "t3", "zz"]), txns)) == {"t1", "t3"}
    assert only(request(insights_transaction_ids=[]), txns) == []


BRANDED = [
    txn("rewe", brand={"id": "b-rewe", "name": "Rewe"}),
    txn("aldi", brand={"id": "b-aldi", "name": "Aldi", "url": "https://aldi.de"}),
    txn("nobrand"),
]


def test_brand_ids() -> None:
    assert only(request(brand_ids=["b-rewe"]), BRANDED) == ["rewe"]
    assert set(only(request(brand_ids=["b-rewe", "b-aldi"]), BRANDED)) == {"rewe", "aldi"}
    assert only(request(brand_ids=[]), BRANDED) == []


CATEGORIZED = [
    txn("food-main", categories=[{"id": "food", "name": "Food"}, {"id": "fun", "name": "Fun"}]),
    txn("food-second", categories=[{"id": "fun", "name": "Fun"}, {"id": "food", "name": "Food"}]),
    txn("empty", categories=[]),
    txn("absent"),
]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"category_ids": ["food"]}, {"food-main", "food-second"}),
        ({"category_ids": ["food"], "only_main_category": True}, {"food-main"}),
        ({"category_ids": ["fun"], "only_main_category": True}, {"food-second"}),
        ({"category_ids": ["x"]}, set()),
        ({"category_ids": []}, set()),
        ({"only_main_category": True}, {"food-main", "food-second", "empty", "absent"}),
    ],
)
def test_categories(fields: dict[str, Any], expected: set[str]) -> None:
    assert set(only(request(**fields), CATEGORIZED)) == expected


LABELLED = [
    txn("order-1", labels={"order": "1"}),
    txn("order-2", labels={"order": "2", "shop": "x"}),
    txn("shop-1", labels={"shop": "1"}),
    txn("both", labels={"order": "1", "shop": "1"}),
    txn("nolabels"),
]


def lab(key: str, value: str) -> dict[str, str]:
    return {"key": key, "value": value}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"labels": [lab("order", "1")]}, {"order-1", "both"}),
        ({"labels": [lab("order", "1"), lab("order", "2")]}, {"order-1", "order-2", "both"}),
        ({"labels": [lab("order", "x"), lab("shop", "1")]}, {"shop-1", "both"}),
        # a value under another key does not match
        ({"labels": [lab("shop", "2")]}, set()),
        ({"labels": []}, set()),
        ({"excluded_labels": [lab("shop", "1")]}, {"order-1", "order-2", "nolabels"}),
        ({"excluded_labels": []}, {"order-1", "order-2", "shop-1", "both", "nolabels"}),
        # included and excluded: exclusion wins
        ({"labels": [lab("order", "1")], "excluded_labels": [lab("shop", "1")]}, {"order-1"}),
        ({"labels": [lab("order", "1")], "excluded_labels": [lab("order", "1")]}, set()),
    ],
)
def test_labels(fields: dict[str, Any], expected: set[str]) -> None:
    assert set(only(request(**fields), LABELLED)) == expected


def test_filters_combine_with_and() -> None:
    txns = [
        txn("hit", 50, "CREDIT", state="PENDING", brand={"id": "b", "name": "B"}),
        txn("wrong-state", 50, "CREDIT", state="PROCESSED", brand={"id": "b", "name": "B"}),
        txn("wrong-brand", 50, "CREDIT", state="PENDING", brand={"id": "c", "name": "C"}),
        txn("too-big", 500, "CREDIT", state="PENDING", brand={"id": "b", "name": "B"}),
    ]
    req = request(states=["PENDING"], brand_ids=["b"], max_amount=100, transaction_type="CREDIT")
    assert only(req, txns) == ["hit"]


# --- ordering -------------------------------------------------------------------------

ORDERED = [
    txn("t1", 300, "DEBIT", "2024-06-03", categories=[{"id": "x", "name": "beta"}],
        brand={"id": "1", "name": "Zeta"}),
    txn("t2", 100, "CREDIT", "2024-06-01", categories=[{"id": "y", "name": "Alpha"}]),
    txn("t3", 200, "DEBIT", "2024-06-02", brand={"id": "2", "name": "alpha"}),
    txn("t4", 50, "CREDIT", "2024-06-04", categories=[{"id": "z", "name": "Gamma"}],
        brand={"id": "3", "name": "Mu"}),
]


@pytest.mark.parametrize(
    ("field", "direction", "expected"),
    [
        ("AMOUNT", "ASC", ["t4", "t2", "t3", "t1"]),
        ("AMOUNT", "DESC", ["t1", "t3", "t2", "t4"]),
        ("AMOUNT_WITH_TYPE", "ASC", ["t1", "t3", "t4", "t2"]),
        ("AMOUNT_WITH_TYPE", "DESC", ["t2", "t4", "t3", "t1"]),
        ("DATE", "ASC", ["t2", "t3", "t1", "t4"]),
        ("DATE", "DESC", ["t4", "t1", "t3", "t2"]),
        # case-insensitive; t3 has no category and comes last both ways
        ("CATEGORY", "ASC", ["t2", "t1", "t4", "t3"]),
        ("CATEGORY", "DESC", ["t4", "t1", "t2", "t3"]),
        # t2 has no brand and comes last both ways
        ("BRAND", "ASC", ["t3", "t4", "t1", "t2"]),
        ("BRAND", "DESC", ["t1", "t4", "t3", "t2"]),
    ],
)
def test_order_by_each_field(field: str, direction: str, expected: list[str]) -> None:
    assert only(request(order=[{"field": field, "order": direction}]), ORDERED) == expected


def test_order_direction_defaults_to_ascending() -> None:
    assert only(request(order=[{"field": "AMOUNT"}]), ORDERED) == ["t4", "t2", "t3", "t1"]


def test_default_order_is_date_descending_then_id() -> None:
    txns = [txn("b", day="2024-06-02"), txn("c", day="2024-06-01"), txn("a", day="2024-06-02")]
    assert only(request(), txns) == ["a", "b", "c"]
    assert only(request(order=[]), txns) == ["a", "b", "c"]


def test_ties_are_broken_by_transaction_id_ascending() -> None:
    txns = [txn("c", 5), txn("a", 5), txn("b", 5)]
    assert only(request(order=[{"field": "AMOUNT", "order": "DESC"}]), txns) == ["a", "b", "c"]
    assert only(request(order=[{"field": "BRAND", "order": "DESC"}]), txns) == ["a", "b", "c"]


def test_multi_key_order() -> None:
    txns = [
        txn("a", 10, day="2024-06-01"),
        txn("b", 20, day="2024-06-02"),
        txn("c", 10, day="2024-06-03"),
        txn("d", 20, day="2024-06-01"),
        txn("e", 10, day="2024-06-01"),
    ]
    req = request(order=[{"field": "AMOUNT", "order": "DESC"}, {"field": "DATE"}])
    assert only(req, txns) == ["d", "b", "a", "e", "c"]
    req = request(order=[{"field": "DATE", "order": "DESC"}, {"field": "AMOUNT", "order": "DESC"}])
    assert only(req, txns) == ["c", "b", "d", "a", "e"]


def test_missing_values_sort_last_within_earlier_key_groups() -> None:
    txns = [
        txn("a", 1, brand={"id": "1", "name": "b"}),
        txn("b", 1),
        txn("c", 1, brand={"id": "2", "name": "A"}),
        txn("d", 2),
        txn("e", 2, brand={"id": "3", "name": "z"}),
    ]
    req = request(order=[{"field": "AMOUNT"}, {"field": "BRAND", "order": "DESC"}])
    assert only(req, txns) == ["a", "c", "b", "e", "d"]
    req = request(order=[{"field": "BRAND"}, {"field": "AMOUNT", "order": "DESC"}])
    assert only(req, txns) == ["c", "a", "e", "d", "b"]


# --- paging ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "offset", "expected"),
    [
        (None, 0, ["t5", "t4", "t3", "t2", "t1"]),
        (2, 0, ["t5", "t4"]),
        (2, 2, ["t3", "t2"]),
        (2, 4, ["t1"]),
        (None, 3, ["t2", "t1"]),
        (0, 0, []),
        (10, 10, []),
    ],
)
def test_size_and_offset(size: int | None, offset: int, expected: list[str]) -> None:
    txns = [txn(f"t{i}", day=f"2024-06-0{i}") for i in range(1, 6)]
    assert only(request(size=size, offset=offset), txns) == expected


def test_paging_is_per_report() -> None:
    txns = [txn(f"{a}{i}", account=a, day=f"2024-06-0{i}") for a in ("a1", "a2") for i in (1, 2, 3)]
    data = build(request(size=1, offset=1), txns)
    assert [ids(data, 0), ids(data, 1)] == [["a12"], ["a22"]]
    data = build(request(size=2, offset=1, combine_accounts="ALL"), txns)
    assert ids(data) == ["a23", "a12"]


# --- accounts and combining -------------------------------------------------------------

MIXED = [txn("x1", account="a1"), txn("x2", account="a2"), txn("x3", account="a3")]


def test_one_report_per_account_sorted() -> None:
    accounts = {"a2": full("a2"), "a1": full("a1")}
    data = build(request(), MIXED, accounts)
    # a3 appears only on a transaction: it is known, has no coverage -> NONE
    assert [r["insights_account_ids"] for r in data["reports"]] == [["a1"], ["a2"], ["a3"]]
    assert [ids(data, i) for i in range(3)] == [["x1"], ["x2"], ["x3"]]
    assert [r["data_availability"] for r in data["reports"]] == ["COMPLETE", "COMPLETE", "NONE"]
    assert data["reports"][2]["refreshed_at"] is None


def test_combine_all() -> None:
    data = build(request(combine_accounts="ALL"), MIXED, {"a1": full("a1"), "a2": full("a2")})
    (report,) = data["reports"]
    assert report["insights_account_ids"] == ["a1", "a2", "a3"]
    assert ids(data) == ["x1", "x2", "x3"]
    assert report["data_availability"] == "PARTIAL"


def test_requested_accounts_only_and_unknown_ones_get_a_report() -> None:
    data = build(request(insights_account_ids=["zz", "a2", "a2"]), MIXED)
    assert [r["insights_account_ids"] for r in data["reports"]] == [["a2"], ["zz"]]
    assert ids(data, 0) == ["x2"] and ids(data, 1) == []
    assert [r["data_availability"] for r in data["reports"]] == ["COMPLETE", "NONE"]


def test_excluded_accounts() -> None:
    data = build(request(excluded_insights_account_ids=["a2", "nope"]), MIXED)
    assert [r["insights_account_ids"] for r in data["reports"]] == [["a1"], ["a3"]]


def test_empty_account_list_means_not_set() -> None:
    data = build(request(insights_account_ids=[], excluded_insights_account_ids=["a1"]), MIXED)
    assert [r["insights_account_ids"] for r in data["reports"]] == [["a2"], ["a3"]]


@pytest.mark.parametrize("combine", ["NONE", "ALL"])
def test_no_accounts_gives_one_empty_report(combine: str) -> None:
    data = build(request(combine_accounts=combine), [], {})
    assert data["reports"] == [
        {
            "type": "CATEGORIZED_TRANSACTIONS",
            "insights_consumer_id": CONSUMER,
            "insights_account_ids": [],
            "transactions": [],
            "from_date": "2024-06-01",
            "to_date": "2024-06-30",
            "refreshed_at": None,
            "data_availability": "NONE",
        }
    ]


def test_all_accounts_excluded_gives_one_empty_report() -> None:
    data = build(request(excluded_insights_account_ids=["a1", "a2"]), [txn("t", account="a1")])
    assert [r["insights_account_ids"] for r in data["reports"]] == [[]]
    assert ids(data) == []


def test_combined_refreshed_at_is_the_stalest() -> None:
    old = datetime(2024, 6, 1, 7, 30, 0, 250000, tzinfo=UTC)
    accounts = {"a1": full("a1"), "a2": full("a2", old)}
    data = build(request(combine_accounts="ALL"), [], accounts)
    assert data["reports"][0]["refreshed_at"] == "2024-06-01T07:30:00.250Z"


# --- data availability ------------------------------------------------------------------


def partial(account: str) -> AccountCoverage:
    return AccountCoverage(account, date(2024, 6, 15), TODAY, REFRESHED)


def test_default_requirement_is_complete() -> None:
    req = CategorizedReportRequest.model_validate({"insights_consumer_id": CONSUMER})
    with pytest.raises(DataAvailabilityNotMet) as info:
        build_categorized_reports(req, TF, [], {"a1": partial("a1")})
    err = info.value
    assert (err.status, err.code) == (422, "DATA_AVAILABILITY_NOT_MET")
    assert [e.loc for e in err.errors] == ["insights_account_ids[a1]"]
    msg = err.errors[0].msg
    for fragment in ("COMPLETE", "PARTIAL", "2024-06-15..2024-06-30", "2024-06-01..2024-06-30"):
        assert fragment in msg


@pytest.mark.parametrize(
    ("required", "coverages", "failing"),
    [
        ("COMPLETE", {"a1": "full", "a2": "partial"}, ["a2"]),
        ("COMPLETE", {"a1": "partial", "a2": "none"}, ["a1", "a2"]),
        ("PARTIAL", {"a1": "partial", "a2": "none"}, ["a2"]),
        ("PARTIAL", {"a1": "full", "a2": "partial"}, []),
        ("NONE", {"a1": "none", "a2": "none"}, []),
    ],
)
def test_requirement_per_account(required: str, coverages: dict[str, str], failing: list[str]) -> None:
    make = {
        "full": full,
        "partial": partial,
        "none": lambda a: AccountCoverage(a, None, None, None),
    }
    accounts = {a: make[kind](a) for a, kind in coverages.items()}
    req = request(required_data_availability=required)
    if not failing:
        assert len(build(req, [], accounts)["reports"]) == 2
        return
    with pytest.raises(DataAvailabilityNotMet) as info:
        build(req, [], accounts)
    assert [e.loc for e in info.value.errors] == [f"insights_account_ids[{a}]" for a in failing]


def test_combined_report_fails_only_when_the_combination_falls_short() -> None:
    accounts = {"a1": full("a1"), "a2": AccountCoverage("a2", None, None, None)}
    # combined availability is PARTIAL: enough for PARTIAL ...
    data = build(request(required_data_availability="PARTIAL", combine_accounts="ALL"), [], accounts)
    assert data["reports"][0]["data_availability"] == "PARTIAL"
    # ... but separately a2 alone is NONE
    with pytest.raises(DataAvailabilityNotMet) as info:
        build(request(required_data_availability="PARTIAL"), [], accounts)
    assert [e.loc for e in info.value.errors] == ["insights_account_ids[a2]"]
    # and COMPLETE names the account that is short
    with pytest.raises(DataAvailabilityNotMet) as info:
        build(request(required_data_availability="COMPLETE", combine_accounts="ALL"), [], accounts)
    assert [e.loc for e in info.value.errors] == ["insights_account_ids[a2]"]
    assert "nothing recorded" not in info.value.errors[0].msg


def test_unknown_requested_account_fails_a_requirement() -> None:
    with pytest.raises(DataAvailabilityNotMet) as info:
        build(request(insights_account_ids=["a1", "ghost"], required_data_availability="PARTIAL"), [])
    assert [e.loc for e in info.value.errors] == ["insights_account_ids[ghost]"]
    assert "nothing recorded" in info.value.errors[0].msg


def test_availability_is_checked_before_filtering() -> None:
    req = request(required_data_availability="COMPLETE", insights_transaction_ids=[])
    with pytest.raises(DataAvailabilityNotMet):
        build(req, [txn("t")], {"a1": partial("a1")})


@pytest.mark.parametrize(
    ("fields", "accounts", "loc"),
    [
        ({}, {}, "insights_consumer_id"),
        ({"excluded_insights_account_ids": ["a1"]}, {"a1": full("a1")}, "excluded_insights_account_ids"),
    ],
)
def test_no_selected_account_fails_a_requirement(
    fields: dict[str, Any], accounts: dict[str, AccountCoverage], loc: str
) -> None:
    with pytest.raises(DataAvailabilityNotMet) as info:
        build(request(required_data_availability="PARTIAL", **fields), [], accounts)
    assert [e.loc for e in info.value.errors] == [loc]


# --- property tests against a naive reference ----------------------------------------------

POOL_ACCOUNTS = ["a1", "a2", "a3"]
BASE = date(2024, 6, 1)
CATEGORY_POOL = [("c1", "food"), ("c2", "Food"), ("c3", "travel"), ("c4", "Zoo"), ("c5", "apple")]
BRAND_POOL = [("b1", "Rewe"), ("b2", "aldi"), ("b3", "ALDI"), ("b4", "esprit")]
LABEL_KEYS = ["k1", "k2"]
LABEL_VALUES = ["1", "2", "3"]
ID_PREFIXES = ["t0", "t1", "t2"]


def iso(offset: int) -> str:
    return (BASE + timedelta(days=offset)).isoformat()


@st.composite
def stored_transactions(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=0, max_value=30))
    result = []
    for i in range(n):
        t: dict[str, Any] = {
            "insights_transaction_id": f"{draw(st.sampled_from(ID_PREFIXES))}-{i}",
            "insights_account_id": draw(st.sampled_from(POOL_ACCOUNTS)),
            "amount": {"amount": draw(st.sampled_from([0, 50, 100, 150, 250, 300])), "currency": "EUR"},
            "type": draw(st.sampled_from(["DEBIT", "CREDIT"])),
        }
        which = draw(st.sampled_from(["booking", "value", "both"]))
        if which in ("booking", "both"):
            t["booking_date"] = iso(draw(st.integers(-3, 10)))
        if which in ("value", "both"):
            t["value_date"] = iso(draw(st.integers(-3, 10)))
        if draw(st.booleans()):
            t["state"] = draw(st.sampled_from(["PROCESSED", "PENDING", "CANCELED", "FAILED", "UNKNOWN"]))
        if draw(st.booleans()):
            cats = draw(st.lists(st.sampled_from(CATEGORY_POOL), max_size=3, unique=True))
            t["categories"] = [{"id": cid, "name": name} for cid, name in cats]
        if draw(st.booleans()):
            bid, name = draw(st.sampled_from(BRAND_POOL))
            t["brand"] = {"id": bid, "name": name}
        if draw(st.booleans()):
            t["labels"] = draw(
                st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2)
            )
        result.append(t)
    return result


REFRESH_TIMES = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2024, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))]),
)


@st.composite
def coverages(draw: st.DrawFn) -> dict[str, AccountCoverage]:
    accounts = {}
    for account in draw(st.lists(st.sampled_from(POOL_ACCOUNTS), unique=True)):
        # None: no data at all / open-ended; the rest straddle the generated timeframes
        start = draw(st.sampled_from([None, -6, -3, -2, 0, 3, 6, 9]))
        end = draw(st.sampled_from([None, -1, 2, 5, 8, 12, 15, 20]))
        refreshed = draw(st.none() | REFRESH_TIMES)
        accounts[account] = AccountCoverage(
            account,
            None if start is None else BASE + timedelta(days=start),
            None if end is None else BASE + timedelta(days=end),
            refreshed,
        )
    return accounts


LABEL = st.builds(
    lambda k, v: {"key": k, "value": v}, st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES)
)
ORDER_BY = st.builds(
    lambda f, o: {"field": f} if o is None else {"field": f, "order": o},
    st.sampled_from(["AMOUNT", "DATE", "CATEGORY", "BRAND", "AMOUNT_WITH_TYPE"]),
    st.none() | st.sampled_from(["ASC", "DESC"]),
)
AMOUNT_BOUND = st.integers(-350, 350)
# Named filters, each a strategy of the request fields it sets. A request draws at most two,
# so that reports are usually non-empty.
FILTERS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "min_amount": AMOUNT_BOUND.map(lambda v: {"min_amount": v}),
    "max_amount": AMOUNT_BOUND.map(lambda v: {"max_amount": v}),
    "amount_range": st.tuples(AMOUNT_BOUND, AMOUNT_BOUND).map(
        lambda p: {"min_amount": min(p), "max_amount": max(p)}
    ),
    "transaction_type": st.sampled_from(["DEBIT", "CREDIT", "DEBIT_AND_ZERO"]).map(
        lambda v: {"transaction_type": v}
    ),
    "states": st.lists(
        st.sampled_from(["PROCESSED", "PENDING", "CANCELED", "FAILED", "UNKNOWN"]),
        min_size=1, max_size=4,
    ).map(lambda v: {"states": v}),
    "insights_transaction_ids": st.lists(
        st.builds("{}-{}".format, st.sampled_from(ID_PREFIXES), st.integers(0, 12)),
        min_size=1, max_size=12,
    ).map(lambda v: {"insights_transaction_ids": v}),
    "category_ids": st.lists(
        st.sampled_from([c for c, _ in CATEGORY_POOL]), min_size=1, max_size=4
    ).map(lambda v: {"category_ids": v}),
    "brand_ids": st.lists(st.sampled_from([b for b, _ in BRAND_POOL]), min_size=1, max_size=3).map(
        lambda v: {"brand_ids": v}
    ),
    "labels": st.lists(LABEL, min_size=1, max_size=5).map(lambda v: {"labels": v}),
    "excluded_labels": st.lists(LABEL, min_size=1, max_size=2).map(
        lambda v: {"excluded_labels": v}
    ),
    "labels_and_excluded": st.tuples(
        st.lists(LABEL, min_size=1, max_size=5), st.lists(LABEL, min_size=1, max_size=2)
    ).map(lambda p: {"labels": p[0], "excluded_labels": p[1]}),
    # an explicitly empty list: matches nothing (excluded_labels: excludes nothing)
    "empty_list": st.sampled_from(
        ["states", "insights_transaction_ids", "category_ids", "brand_ids", "labels", "excluded_labels"]
    ).map(lambda name: {name: []}),
}


@st.composite
def requests(draw: st.DrawFn) -> CategorizedReportRequest:
    account_ids = st.lists(st.sampled_from([*POOL_ACCOUNTS, "ghost"]), max_size=3)
    body: dict[str, Any] = {"insights_consumer_id": CONSUMER}
    selection = draw(st.sampled_from(["none", "include", "exclude"]))
    if selection == "include":
        body["insights_account_ids"] = draw(account_ids)
    elif selection == "exclude":
        body["excluded_insights_account_ids"] = draw(account_ids)
    for name in draw(st.lists(st.sampled_from(sorted(FILTERS)), max_size=2, unique=True)):
        body.update(draw(FILTERS[name]))
    if body.get("min_amount", -1000) > body.get("max_amount", 1000):
        body["min_amount"], body["max_amount"] = body["max_amount"], body["min_amount"]
    body["only_main_category"] = draw(st.booleans())
    body["combine_accounts"] = draw(st.sampled_from(["NONE", "ALL"]))
    body["required_data_availability"] = draw(st.sampled_from(["NONE"] * 8 + ["PARTIAL", "COMPLETE"]))
    if draw(st.sampled_from([True, True, True, False])):
        body["order"] = draw(st.lists(ORDER_BY, max_size=4))
    if draw(st.sampled_from([False, False, True])):
        body["size"] = draw(st.integers(0, 8))
    if draw(st.sampled_from([False, False, True])):
        body["offset"] = draw(st.integers(0, 4))
    return CategorizedReportRequest.model_validate(body)


@st.composite
def timeframes(draw: st.DrawFn) -> Timeframe:
    start = draw(st.integers(-2, 4))
    length = draw(st.integers(0, 10))
    return Timeframe(BASE + timedelta(days=start), BASE + timedelta(days=start + length))


# The reference: written for obviousness, not speed. Loops, day-by-day availability, a
# comparison function for the order.


def ref_day(t: Mapping[str, Any]) -> str:
    return t["booking_date"] if "booking_date" in t else t["value_date"]


def ref_signed(t: Mapping[str, Any]) -> int:
    if t["type"] == "DEBIT":
        return -t["amount"]["amount"]
    return t["amount"]["amount"]


def ref_value(t: Mapping[str, Any], field: str) -> Any:
    if field == "AMOUNT":
        return t["amount"]["amount"]
    if field == "AMOUNT_WITH_TYPE":
        return ref_signed(t)
    if field == "DATE":
        return ref_day(t)
    if field == "CATEGORY":
        return t["categories"][0]["name"].lower() if t.get("categories") else None
    return t["brand"]["name"].lower() if "brand" in t else None


def ref_compare(order: list[tuple[str, str]]):
    def compare(x: Mapping[str, Any], y: Mapping[str, Any]) -> int:
        for field, direction in order:
            a, b = ref_value(x, field), ref_value(y, field)
            if a == b:
                continue
            if a is None:
                return 1
            if b is None:
                return -1
            result = -1 if a < b else 1
            return result if direction == "ASC" else -result
        xi, yi = x["insights_transaction_id"], y["insights_transaction_id"]
        return (xi > yi) - (xi < yi)

    return compare


def ref_availability(covs: list[AccountCoverage], tf: Timeframe) -> str:
    days = []
    d = tf.from_date
    while d <= tf.to_date:
        days.append(d)
        d += timedelta(days=1)
    held = 0
    for c in covs:
        for d in days:
            if c.available_from is not None and c.available_from <= d and (
                c.available_to is None or d <= c.available_to
            ):
                held += 1
    if covs and held == len(covs) * len(days):
        return "COMPLETE"
    return "PARTIAL" if held > 0 else "NONE"


def ref_refreshed(covs: list[AccountCoverage]) -> str | None:
    stamps = [c.refreshed_at for c in covs if c.refreshed_at is not None]
    if not stamps:
        return None
    oldest = sorted(stamps)[0].astimezone(UTC)
    return oldest.isoformat(timespec="milliseconds").replace("+00:00", "Z")


RANK = {"NONE": 0, "PARTIAL": 1, "COMPLETE": 2}


def ref_matches(req: CategorizedReportRequest, tf: Timeframe, t: Mapping[str, Any]) -> bool:
    day = ref_day(t)
    if not (tf.from_date.isoformat() <= day <= tf.to_date.isoformat()):
        return False
    if req.min_amount is not None and ref_signed(t) < req.min_amount:
        return False
    if req.max_amount is not None and ref_signed(t) > req.max_amount:
        return False
    if req.transaction_type == "DEBIT" and t["type"] != "DEBIT":
        return False
    if req.transaction_type == "CREDIT" and t["type"] != "CREDIT":
        return False
    if req.transaction_type == "DEBIT_AND_ZERO" and not (
        t["type"] == "DEBIT" or t["amount"]["amount"] == 0
    ):
        return False
    if req.states is not None and t.get("state", "UNKNOWN") not in req.states:
        return False
    if req.insights_transaction_ids is not None and (
        t["insights_transaction_id"] not in req.insights_transaction_ids
    ):
        return False
    if req.brand_ids is not None and ("brand" not in t or t["brand"]["id"] not in req.brand_ids):
        return False
    if req.category_ids is not None:
        cats = t.get("categories", [])
        if req.only_main_category:
            cats = cats[:1]
        if not [c for c in cats if c["id"] in req.category_ids]:
            return False
    labels = t.get("labels", {})
    if req.labels is not None:
        found = False
        for label in req.labels:
            if labels.get(label.key) == label.value:
                found = True
        if not found:
            return False
    if req.excluded_labels is not None:
        for label in req.excluded_labels:
            if labels.get(label.key) == label.value:
                return False
    return True


def reference(req, tf, txns, accounts) -> dict[str, Any]:
    if req.insights_account_ids:
        selected = sorted(set(req.insights_account_ids))
    else:
        known = list(accounts)
        for t in txns:
            if t["insights_account_id"] not in known:
                known.append(t["insights_account_id"])
        excluded = req.excluded_insights_account_ids or []
        selected = sorted(a for a in known if a not in excluded)
    if not selected:
        groups = [[]]
    elif req.combine_accounts == "ALL":
        groups = [selected]
    else:
        groups = [[a] for a in selected]
    none = lambda a: AccountCoverage(a, None, None, None)  # noqa: E731
    failing = []
    for group in groups:
        covs = [accounts.get(a, none(a)) for a in group]
        if RANK[ref_availability(covs, tf)] < RANK[req.required_data_availability]:
            failing += [
                a for a in group
                if RANK[ref_availability([accounts.get(a, none(a))], tf)] < RANK[req.required_data_availability]
            ] or ["<no account>"]
    if failing:
        raise DataAvailabilityNotMet("reference", failing)  # type: ignore[arg-type]
    order = [(o.field, o.order) for o in (req.order or [])] or [("DATE", "DESC")]
    reports = []
    for group in groups:
        covs = [accounts.get(a, none(a)) for a in group]
        chosen = [t for t in txns if t["insights_account_id"] in group and ref_matches(req, tf, t)]
        chosen = sorted(chosen, key=functools.cmp_to_key(ref_compare(order)))
        chosen = chosen[req.offset:]
        if req.size is not None:
            chosen = chosen[: req.size]
        reports.append(
            {
                "type": "CATEGORIZED_TRANSACTIONS",
                "insights_consumer_id": CONSUMER,
                "insights_account_ids": group,
                "transactions": chosen,
                "from_date": tf.from_date.isoformat(),
                "to_date": tf.to_date.isoformat(),
                "refreshed_at": ref_refreshed(covs),
                "data_availability": ref_availability(covs, tf),
            }
        )
    return {"reports": reports}


def check_against_reference(req, tf, txns, accounts) -> None:
    before = copy.deepcopy(txns)
    try:
        expected = reference(req, tf, txns, accounts)
    except DataAvailabilityNotMet as ref_err:
        with pytest.raises(DataAvailabilityNotMet) as info:
            build_categorized_reports(req, tf, txns, accounts)
        locs = [e.loc for e in info.value.errors]
        assert [loc.removeprefix("insights_account_ids[").removesuffix("]") for loc in locs
                if loc.startswith("insights_account_ids[")] == [
            a for a in ref_err.errors if a != "<no account>"
        ]
        assert len(locs) == len(ref_err.errors)
    else:
        actual = build_categorized_reports(req, tf, txns, accounts)
        assert actual == expected
        CategorizedReportResponse.model_validate(actual)
    assert txns == before


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(), timeframes(), stored_transactions(), coverages())
def test_matches_reference(req, tf, txns, accounts) -> None:
    """Everything at once: accounts, availability, filters, order, paging, combining."""
    check_against_reference(req, tf, txns, accounts)


# A timeframe holding every generated date, and accounts without data: nothing is dropped
# for lack of availability or date, so these tests exercise one concern each in depth.
WIDE = Timeframe(BASE + timedelta(days=-3), BASE + timedelta(days=10))
NO_DATA = {a: AccountCoverage(a, None, None, None) for a in POOL_ACCOUNTS}


def base_request(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "insights_consumer_id": CONSUMER,
        "required_data_availability": "NONE",
        "combine_accounts": draw(st.sampled_from(["NONE", "ALL"])),
        "only_main_category": draw(st.booleans()),
    }


@st.composite
def single_filter_requests(draw: st.DrawFn) -> CategorizedReportRequest:
    body = base_request(draw)
    body.update(draw(FILTERS[draw(st.sampled_from(sorted(FILTERS)))]))
    return CategorizedReportRequest.model_validate(body)


@st.composite
def order_requests(draw: st.DrawFn) -> CategorizedReportRequest:
    body = base_request(draw)
    body["order"] = draw(st.lists(ORDER_BY, min_size=1, max_size=5))
    body["size"] = draw(st.none() | st.integers(0, 12))
    body["offset"] = draw(st.integers(0, 6))
    return CategorizedReportRequest.model_validate(body)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(single_filter_requests(), stored_transactions())
def test_each_filter_matches_reference(req, txns) -> None:
    check_against_reference(req, WIDE, txns, NO_DATA)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order_requests(), stored_transactions())
def test_order_and_paging_match_reference(req, txns) -> None:
    check_against_reference(req, WIDE, txns, NO_DATA)


@st.composite
def availability_requests(draw: st.DrawFn) -> CategorizedReportRequest:
    body = base_request(draw)
    body["required_data_availability"] = draw(st.sampled_from(["NONE", "PARTIAL", "COMPLETE"]))
    account_ids = st.lists(st.sampled_from([*POOL_ACCOUNTS, "ghost"]), max_size=4)
    selection = draw(st.sampled_from(["none", "include", "exclude"]))
    if selection != "none":
        key = "insights_account_ids" if selection == "include" else "excluded_insights_account_ids"
        body[key] = draw(account_ids)
    return CategorizedReportRequest.model_validate(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(availability_requests(), timeframes(), stored_transactions(), coverages())
def test_accounts_and_availability_match_reference(req, tf, txns, accounts) -> None:
    check_against_reference(req, tf, txns, accounts)


@settings(max_examples=75, deadline=None)
@given(requests(), timeframes(), stored_transactions())
def test_combined_report_is_the_merge_of_separate_reports(req, tf, txns) -> None:
    """Without paging, ALL holds exactly the union of the per-account reports."""
    accounts = {a: AccountCoverage(a, None, None, None) for a in POOL_ACCOUNTS}
    fields = req.model_dump(exclude={"size", "offset", "combine_accounts", "required_data_availability"})
    separate_req = CategorizedReportRequest.model_validate({**fields, "required_data_availability": "NONE"})
    combined_req = separate_req.model_copy(update={"combine_accounts": "ALL"})
    separate = build_categorized_reports(separate_req, tf, txns, accounts)
    combined = build_categorized_reports(combined_req, tf, txns, accounts)
    merged = sorted(t["insights_transaction_id"] for r in separate["reports"] for t in r["transactions"])
    assert sorted(ids(combined)) == merged
    assert combined["reports"][0]["insights_account_ids"] == sorted(
        a for r in separate["reports"] for a in r["insights_account_ids"]
    )
