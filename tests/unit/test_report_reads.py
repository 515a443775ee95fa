"""How reports read the history (workers/domain/history.py, StoredTransactions): from the
index first, the records of the page alone, copied into the reply as stored.

The property test compares reports built that way, over a store holding orjson bytes like the
worker's tables, with reports built from the decoded client views (the path the reference
tests in test_categorized_report.py check), for the same history and request.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.categorized import CategorizedReportRequest, CategorizedReportResponse
from schemas.contract import TransactionEvent
from tests.unit.test_categorized_report import (
    CONSUMER,
    POOL_ACCOUNTS,
    coverages,
    request,
    requests,
    stored_transactions,
    timeframes,
)
from workers.domain.categorized_report import Timeframe, build_categorized_reports
from workers.domain.consumer_state import ConsumerState
from workers.domain.enrichment import enrich, taxonomy
from workers.domain.errors import DataAvailabilityNotMet
from workers.domain.history import (
    DictStore,
    Outcome,
    SourcePosition,
    TransactionHistory,
    client_view,
    client_view_json,
    record_key,
)
from workers.reports import categorized_report
from workers.sample_data import generate_sample_data


class BytesStore:
    """A RecordStore holding orjson bytes, like the worker's tables, counting its reads."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.decoded: list[str] = []
        self.raw: list[str] = []
        self.scans = 0

    def get(self, key: str) -> dict | None:
        self.decoded.append(key)
        raw = self.data.get(key)
        return None if raw is None else orjson.loads(raw)

    def get_raw_many(self, keys: list[str], prefix: str | None = None) -> list[bytes | None]:
        self.raw.extend(keys)
        if prefix is not None:
            assert all(key.startswith(prefix) for key in keys)
            self.scans += 1
        return [self.data.get(key) for key in keys]

    def set(self, key: str, value: dict) -> None:
        self.data[key] = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def _event(txn: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**txn, "insights_consumer_id": CONSUMER, **changes}


def _history(store, txns: list[dict[str, Any]], changes: list[tuple[int, str]] = (),
             deleted_account: str | None = None) -> TransactionHistory:
    history = TransactionHistory(store, DictStore(), retention_days=100_000)
    offset = 0
    for txn in txns:
        history.apply_transaction(_event(txn), SourcePosition("s:0", offset, 1_717_000_000_000))
        offset += 1
    for index, change in changes:
        if not txns:
            break
        txn = txns[index % len(txns)]
        event = _event(txn, deleted=True) if change == "delete" else _event(
            txn, state="CANCELED", amount={"amount": 7, "currency": "EUR"})
        history.apply_transaction(event, SourcePosition("s:0", offset, 1_717_000_000_000))
        offset += 1
    if deleted_account is not None:
        history.apply_account({"insights_consumer_id": CONSUMER,
                               "insights_account_id": deleted_account, "deleted": True},
                              SourcePosition("a:0", 0))
    return history


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(), timeframes(), stored_transactions(), coverages(),
       st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["delete", "update"])),
                max_size=4),
       st.none() | st.sampled_from(POOL_ACCOUNTS))
def test_reports_from_the_index_and_stored_bytes_equal_reports_from_decoded_records(
        req, tf, txns, accounts, changes, deleted_account) -> None:
    history = _history(BytesStore(), txns, changes, deleted_account)
    from_day, to_day = tf.from_date.isoformat(), tf.to_date.isoformat()
    views = list(history.transactions_between(CONSUMER, from_day, to_day))
    try:
        expected = build_categorized_reports(req, tf, views, accounts)
    except DataAvailabilityNotMet as error:
        with pytest.raises(DataAvailabilityNotMet) as info:
            build_categorized_reports(req, tf, history.transactions_in(CONSUMER, from_day, to_day),
                                      accounts)
        assert info.value.errors == error.errors
        return
    lazy = build_categorized_reports(req, tf, history.transactions_in(CONSUMER, from_day, to_day),
                                     accounts)
    actual = orjson.loads(orjson.dumps(lazy))
    assert actual == orjson.loads(orjson.dumps(expected))
    CategorizedReportResponse.model_validate(actual)


def _page_history() -> tuple[TransactionHistory, BytesStore]:
    store = BytesStore()
    txns = [{"insights_transaction_id": f"t{i:02d}", "insights_account_id": "a1",
             "booking_date": f"2024-06-{1 + i % 28:02d}", "type": "DEBIT" if i % 3 else "CREDIT",
             "amount": {"amount": 100 + i, "currency": "EUR"},
             "labels": {"k": "odd" if i % 2 else "even"}} for i in range(40)]
    return _history(store, txns), store


def test_a_page_reads_only_its_own_records() -> None:
    history, store = _page_history()
    tf = Timeframe(date(2024, 6, 1), date(2024, 6, 30))
    req = request(size=5, offset=3, order=[{"field": "AMOUNT", "order": "DESC"}],
                  transaction_type="DEBIT", min_amount=-130)
    data = build_categorized_reports(req, tf, history.transactions_in(CONSUMER, "2024-06-01",
                                                                      "2024-06-30"), {})
    got = [t["insights_transaction_id"] for t in orjson.loads(orjson.dumps(data))["reports"][0][
        "transactions"]]
    # DEBITs are i % 3 != 0; signed amount >= -130 keeps i <= 30; AMOUNT DESC, skip 3, take 5.
    wanted = sorted((i for i in range(31) if i % 3), reverse=True)[3:8]
    assert got == [f"t{i:02d}" for i in wanted]
    assert store.decoded == []
    assert store.raw == [record_key(CONSUMER, t) for t in got]
    assert store.scans == 0  # five records are looked up, not the consumer's whole range


def test_a_report_of_most_records_reads_the_consumers_range_in_one_pass() -> None:
    history, store = _page_history()
    tf = Timeframe(date(2024, 6, 1), date(2024, 6, 30))
    data = build_categorized_reports(request(), tf, history.transactions_in(
        CONSUMER, "2024-06-01", "2024-06-30"), {})
    got = [t["insights_transaction_id"] for t in orjson.loads(orjson.dumps(data))["reports"][0][
        "transactions"]]
    assert sorted(got) == [f"t{i:02d}" for i in range(40)]
    assert store.scans == 1 and store.decoded == []


def test_label_filters_read_the_records_left_after_the_cheap_filters() -> None:
    history, store = _page_history()
    tf = Timeframe(date(2024, 6, 1), date(2024, 6, 30))
    req = request(size=2, transaction_type="CREDIT", labels=[{"key": "k", "value": "odd"}])
    data = build_categorized_reports(req, tf, history.transactions_in(CONSUMER, "2024-06-01",
                                                                      "2024-06-30"), {})
    credits = [i for i in range(40) if i % 3 == 0]
    assert sorted(store.decoded) == [record_key(CONSUMER, f"t{i:02d}") for i in credits]
    got = [t["insights_transaction_id"] for t in orjson.loads(orjson.dumps(data))["reports"][0][
        "transactions"]]
    assert len(got) == 2 and all(int(t[1:]) % 2 for t in got)


# --- client_view_json ---------------------------------------------------------------------

TRICKY = st.lists(st.sampled_from(['"', "\\", '_src":', ',"_off":1}', ",", ":", "{", "}", "é",
                                   "a", "\u2028", "\n"]), max_size=8).map("".join)


@settings(max_examples=200, deadline=None)
@given(TRICKY, st.dictionaries(TRICKY, TRICKY, max_size=3), st.booleans(), st.booleans())
def test_the_view_cut_from_stored_bytes_equals_the_decoded_view(reference, labels, moved,
                                                                deleted) -> None:
    store = BytesStore()
    history = TransactionHistory(store, DictStore())
    event = {"insights_consumer_id": CONSUMER, "insights_account_id": "a1",
             "insights_transaction_id": "t1", "booking_date": "2024-06-10",
             "amount": {"amount": 5, "currency": "EUR"}, "type": "DEBIT",
             "reference": reference, "labels": {**labels, "_src": reference}}
    assert history.apply_transaction(event, SourcePosition("s:0", 1)) == Outcome.APPLIED
    if moved:  # a date moved back: the record keeps `_max`
        history.apply_transaction({**event, "booking_date": "2024-06-01"},
                                  SourcePosition("s:0", 2))
    if deleted:
        history.apply_transaction({**event, "deleted": True}, SourcePosition("s:0", 3))
    raw = store.data[record_key(CONSUMER, "t1")]
    expected = client_view(orjson.loads(raw))
    assert orjson.loads(orjson.dumps(client_view_json(raw))) == expected
    if not deleted:
        # The fast path: the stored bytes up to the bookkeeping fields.
        assert bytes(orjson.dumps(client_view_json(raw))) == orjson.dumps(expected)


def test_a_record_not_ending_in_bookkeeping_is_decoded_instead() -> None:
    odd = {"insights_transaction_id": "t1", "_src": "s:0", "_off": 1, "_ts": 0,
           "_hw": "2024-06-10", "categories": [{"id": "c", "name": "C"}]}
    raw = orjson.dumps(odd)
    assert orjson.loads(orjson.dumps(client_view_json(raw))) == {
        "insights_transaction_id": "t1", "categories": [{"id": "c", "name": "C"}]}


def _sample_state(store) -> ConsumerState:
    """The richest consumer of the sample data, with a correction, over `store`."""
    data = generate_sample_data(consumers=3, months=6, end_date=date(2024, 12, 31), seed=4)
    consumer = max({t["insights_consumer_id"] for t in data.transactions},
                   key=lambda c: sum(t["insights_consumer_id"] == c for t in data.transactions))
    state = ConsumerState(store, DictStore(), DictStore(), DictStore())
    events = [t for t in data.transactions if t["insights_consumer_id"] == consumer]
    for offset, event in enumerate(events):
        state.apply_transaction(TransactionEvent.model_validate_json(orjson.dumps(event))
                                .model_dump(mode="json", exclude_none=True),
                                SourcePosition("s:0", offset, 1_717_000_000_000))
    branded = next(e for e in events if not e.get("deleted") and enrich(e).get("brand"))
    state.apply_feedback({"feedback_id": "f1", "insights_consumer_id": consumer,
                          "insights_transaction_id": branded["insights_transaction_id"],
                          "category_id": taxonomy.by_key("shopping/clothes").id,
                          "scope": "SIMILAR", "created_at": "2024-01-01T00:00:00+00:00"})
    return state


@pytest.mark.parametrize("body", [
    {}, {"size": 7, "offset": 3},
    {"order": [{"field": "CATEGORY"}, {"field": "BRAND", "order": "DESC"}]},
    {"category_ids": [taxonomy.by_key("shopping/clothes").id,
                      taxonomy.by_key("transfers/own_accounts").id]},
    {"category_ids": [taxonomy.by_key("shopping/clothes").id], "only_main_category": True},
])
def test_overridden_categories_read_from_stored_bytes_equal_the_decoded_path(body) -> None:
    raw, decoded = _sample_state(BytesStore()), _sample_state(DictStore())
    consumer = raw.history.consumers()[0]
    assert raw.categories.overrides(consumer)  # transfers between own accounts, the correction
    req = CategorizedReportRequest.model_validate(
        {"insights_consumer_id": consumer, "from_date": "2024-01-01", "to_date": "2024-12-31",
         "required_data_availability": "NONE", **body})
    actual = orjson.loads(orjson.dumps(categorized_report(req, raw, date(2024, 12, 31))))
    expected = orjson.loads(orjson.dumps(categorized_report(req, decoded, date(2024, 12, 31))))
    assert actual == expected
    assert any(r["transactions"] for r in actual["reports"])
