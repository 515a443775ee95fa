"""Recurring state per bucket (workers/domain/recurring_state.py): bucket keys, upserts,
removals, retention, the cap, and the promises the wiring relies on: replays change nothing,
and any order of changes reaching the same set of transactions gives the same state.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.domain import recurring_state as rs
from workers.domain.recurring_state import (
    MAX_BUCKET_ITEMS,
    RecurringInputError,
    apply,
    bucket_key,
    build_states,
    categories_of_item,
    category_set_key,
    counterparty,
    groups,
    item_index,
    prune,
    rebuild,
    remove,
    size,
    takes_part,
    upsert,
)

NETFLIX = {"id": "brand-netflix", "name": "Netflix"}
STREAMING = {"id": "cat-streaming", "name": "TV streaming subscriptions"}
ENTERTAINMENT = {"id": "cat-fun", "name": "Entertainment"}


def txn(tid: str, day: str, amount: int = 1599, *, account: str = "acc-1",
        type_: str = "DEBIT", currency: str = "EUR", **extra: Any) -> dict[str, Any]:
    t: dict[str, Any] = {
        "insights_transaction_id": tid, "insights_account_id": account,
        "booking_date": day, "value_date": day,
        "amount": {"amount": amount, "currency": currency}, "type": type_,
        "state": "PROCESSED",
        "counter_party": {"holder_name": "Netflix International B.V.",
                          "iban": "NL91 ABNA 0417 1643 00"},
    }
    t.update(extra)
    return t


def months(n: int, day: int = 5, start: date = date(2024, 1, 1), **extra: Any) -> list[dict]:
    out = []
    for i in range(n):
        y, m0 = divmod(start.month - 1 + i, 12)
        when = date(start.year + y, m0 + 1, day)
        out.append(txn(f"t{i:02d}", when.isoformat(), **extra))
    return out


# --- buckets ---------------------------------------------------------------------------------


def test_the_counterparty_prefers_brand_then_iban_account_number_name_reference():
    base = {"reference": "Rechnung 2024-01 Kd 123", "bank_references": {"unstructured": "x"}}
    assert counterparty({**base, "brand": NETFLIX,
                         "counter_party": {"iban": "DE89 3704 0044 0532 0130 00"}}) == (
        "brand", "brand-netflix")
    assert counterparty({"counter_party": {"iban": "de89 3704 0044 0532 0130 00",
                                           "holder_name": "Max"}}) == (
        "iban", "DE89370400440532013000")
    assert counterparty({"counter_party": {"account_number": "1234.56.78901",
                                           "bank_code": "NOR-1"}}) == (
        "account", "NOR1/12345678901")
    assert counterparty({"counter_party": {"account_number": "00-4711"}}) == ("account", "004711")
    assert counterparty({"counter_party": {"holder_name": "Müller & Söhne GmbH, 2024"}}) == (
        "name", "muller sohne gmbh")
    assert counterparty({"reference": "Miete Januar 2024 Whg. 3"}) == (
        "reference", "miete whg") == counterparty({"reference": "MIETE Februar 2024 Whg 3"})
    assert counterparty({"bank_references": {"structured": "VODAFONE RE 202401"},
                         "reference": "other"}) == ("reference", "vodafone re")
    assert counterparty({"reference": "2024-01-05 4711"}) is None
    assert counterparty({}) is None


def test_a_non_iban_in_the_iban_field_counts_as_an_account_number():
    assert counterparty({"counter_party": {"iban": "12345678"}}) == ("account", "12345678")


def test_bucket_keys_separate_direction_currency_and_counterparty():
    debit = bucket_key(txn("a", "2024-01-01"))
    assert debit is not None and debit.startswith("D.EUR.iban.")
    assert bucket_key(txn("a", "2024-01-01", type_="CREDIT")).startswith("C.EUR.iban.")
    assert bucket_key(txn("a", "2024-01-01", currency="USD")).startswith("D.USD.iban.")
    assert bucket_key(txn("a", "2024-01-01", brand=NETFLIX)).startswith("D.EUR.brand.")
    other = txn("a", "2024-01-01", counter_party={"iban": "DE89370400440532013000"})
    assert bucket_key(other) != debit
    # The same counterparty written differently is one bucket; the account does not matter.
    spaced = txn("b", "2024-03-01", account="acc-2",
                 counter_party={"iban": "nl91abna0417164300", "holder_name": "NETFLIX"})
    assert bucket_key(spaced) == debit
    assert "\x1f" not in debit and len(debit) < 40


@pytest.mark.parametrize("change", [
    {"state": "CANCELED"}, {"state": "FAILED"}, {"deleted": True}, {"method": "CASH"},
    {"amount": {"amount": 0, "currency": "EUR"}}, {"type": "SIDEWAYS"},
    {"booking_date": None, "value_date": None}, {"counter_party": {}, "reference": "1234"},
])
def test_what_takes_no_part(change):
    assert not takes_part({**txn("a", "2024-01-01"), **change})


@pytest.mark.parametrize("state", ["PROCESSED", "PENDING", "UNKNOWN", None])
def test_pending_and_unknown_states_take_part(state):
    assert takes_part({**txn("a", "2024-01-01"), "state": state})


# --- changes ----------------------------------------------------------------------------------


def test_upsert_builds_the_documented_layout():
    state = None
    for t in months(4, brand=NETFLIX, categories=[STREAMING, ENTERTAINMENT]):
        state = upsert(state, t)
    assert state["v"] == 1
    assert state["key"] == bucket_key(months(1, brand=NETFLIX)[0])
    assert (state["type"], state["currency"]) == ("DEBIT", "EUR")
    assert state["counterparty"] == "brand:brand-netflix"
    key = category_set_key(["cat-streaming", "cat-fun"])
    assert len(key) == 12
    assert state["items"] == {"acc-1": {
        f"t{i:02d}": [f"2024-0{i + 1}-05", 1599, key] for i in range(4)}}
    assert state["category_sets"] == {key: ["cat-streaming", "cat-fun"]}
    assert categories_of_item(state, state["items"]["acc-1"]["t00"]) == ["cat-streaming",
                                                                         "cat-fun"]
    assert state["category_names"] == {"cat-fun": "Entertainment",
                                       "cat-streaming": "TV streaming subscriptions"}
    assert state["brand"] == NETFLIX
    assert groups(state) == [{"interval": "MONTHLY", "ids": ["t00", "t01", "t02", "t03"],
                              "next_date": "2024-05-06", "confidence": groups(state)[0]["confidence"]}]
    assert orjson.loads(orjson.dumps(state)) == state
    assert "trimmed" not in state


def test_an_existing_id_is_replaced_and_the_same_change_twice_changes_nothing():
    state = rebuild(months(5))
    corrected = {**months(5)[2], "amount": {"amount": 1699, "currency": "EUR"},
                 "booking_date": "2024-03-07"}
    once = upsert(state, corrected)
    assert item_index(once)["t02"] == ("acc-1", ["2024-03-07", 1699])
    assert upsert(once, corrected) is once
    assert upsert(state, months(5)[2]) is state
    assert size(once) == 5


def test_functions_never_mutate_their_input():
    state = rebuild(months(6, categories=[STREAMING]))
    before = copy.deepcopy(state)
    upsert(state, txn("new", "2024-07-05", categories=[ENTERTAINMENT]))
    upsert(state, {**months(6)[0], "amount": {"amount": 1, "currency": "EUR"}})
    remove(state, "t03")
    prune(state, "2024-04-01")
    apply(state, {"t01": None, "x": txn("x", "2024-08-05")})
    assert state == before


def test_a_transaction_moving_between_accounts_stays_once():
    state = rebuild(months(4))
    moved = upsert(state, {**months(4)[1], "insights_account_id": "acc-2"})
    assert item_index(moved)["t01"][0] == "acc-2"
    assert size(moved) == 4
    assert sorted(moved["items"]) == ["acc-1", "acc-2"]


def test_remove_and_prune():
    state = rebuild(months(6))
    assert remove(state, "nope") is state
    smaller = remove(state, "t05")
    assert size(smaller) == 5 and "t05" not in item_index(smaller)
    assert remove(rebuild(months(1)), "t00") is None
    assert remove(None, "t00") is None
    assert prune(state, "2024-01-01") is state
    pruned = prune(state, "2024-03-06")
    assert sorted(item_index(pruned)) == ["t03", "t04", "t05"]
    on_the_cutoff = prune(state, "2024-03-05")  # the cutoff day itself is kept
    assert sorted(item_index(on_the_cutoff)) == ["t02", "t03", "t04", "t05"]
    assert groups(pruned) and all("t00" not in g["ids"] for g in groups(pruned))
    assert prune(state, "2025-01-01") is None
    assert prune(None, "2024-01-01") is None


def test_category_sets_and_names_follow_the_items_that_use_them():
    state = rebuild(months(3, categories=[STREAMING]))
    state = upsert(state, txn("extra", "2024-04-05", categories=[ENTERTAINMENT, STREAMING]))
    assert set(state["category_names"]) == {"cat-streaming", "cat-fun"}
    assert len(state["category_sets"]) == 2
    state = remove(state, "extra")
    assert set(state["category_names"]) == {"cat-streaming"}
    assert list(state["category_sets"].values()) == [["cat-streaming"]]
    uncategorized = upsert(state, {**months(3)[0]})
    assert set(uncategorized["category_names"]) == {"cat-streaming"}  # still used by t01, t02
    for t in months(3)[1:]:
        uncategorized = upsert(uncategorized, t)
    assert "category_names" not in uncategorized and "category_sets" not in uncategorized
    recategorized = upsert(state, {**months(3)[0], "categories": [ENTERTAINMENT]})
    assert sorted(map(sorted, recategorized["category_sets"].values())) == [
        ["cat-fun"], ["cat-streaming"]]


def test_wrong_input_is_refused_with_a_clear_error_and_the_state_untouched():
    state = rebuild(months(3))
    before = copy.deepcopy(state)
    with pytest.raises(RecurringInputError, match="takes no part"):
        upsert(state, {**months(3)[0], "state": "FAILED"})
    with pytest.raises(RecurringInputError, match="belongs to bucket"):
        upsert(state, txn("other", "2024-01-09", type_="CREDIT"))
    with pytest.raises(RecurringInputError, match="insights_transaction_id"):
        upsert(state, {k: v for k, v in months(1)[0].items() if k != "insights_transaction_id"})
    with pytest.raises(RecurringInputError, match="carries transaction"):
        apply(state, {"t00": months(3)[1]})
    with pytest.raises(RecurringInputError, match="belongs to bucket"):
        apply(state, {"ok": txn("ok", "2024-04-05"), "bad": txn("bad", "2024-04-05",
                                                                 currency="USD")})
    assert state == before


def test_apply_is_several_upserts_and_removals_with_one_detection():
    base = rebuild(months(6))
    batch = {"t00": None, "t07": txn("t07", "2024-08-05"), "t01": None,
             "t02": {**months(6)[2], "amount": {"amount": 1799, "currency": "EUR"}}}
    one_by_one = base
    for txn_id, version in batch.items():
        one_by_one = remove(one_by_one, txn_id) if version is None else upsert(one_by_one, version)
    assert apply(base, batch) == one_by_one
    assert apply(base, {}) is base
    assert apply(base, {"t00": months(6)[0]}) is base


def test_the_cap_keeps_the_newest_items_and_says_so():
    start = date(2023, 1, 1)
    many = [txn(f"d{i:03d}", (start + timedelta(days=2 * i)).isoformat(), 500 + i)
            for i in range(MAX_BUCKET_ITEMS + 10)]
    state = rebuild(many)
    assert size(state) == MAX_BUCKET_ITEMS
    assert state["trimmed"] is True
    kept = set(item_index(state))
    assert kept == {t["insights_transaction_id"] for t in many[10:]}
    incremental = None
    for t in many:
        incremental = upsert(incremental, t)
    assert incremental == state
    # A change to a transaction older than everything a full bucket keeps changes nothing.
    assert upsert(state, {**many[0], "amount": {"amount": 1, "currency": "EUR"}}) is state
    newer = upsert(state, txn("late", "2024-12-30", 700))
    assert size(newer) == MAX_BUCKET_ITEMS and "late" in item_index(newer)
    assert many[10]["insights_transaction_id"] not in item_index(newer)


def test_build_states_splits_a_consumer_by_bucket():
    salary = [txn(f"s{i}", f"2024-0{i + 1}-28", 300000, type_="CREDIT",
                  counter_party={"holder_name": "ACME GmbH", "iban": "DE02120300000000202051"})
              for i in range(4)]
    rent = [txn(f"r{i}", f"2024-0{i + 1}-01", 90000, counter_party={"holder_name": "Eva Berg"})
            for i in range(4)]
    cash = [txn("c", "2024-01-02", 5000, method="CASH")]
    states = build_states(salary + rent + cash)
    assert len(states) == 2
    assert {s["counterparty"] for s in states.values()} == {"iban:DE02120300000000202051",
                                                           "name:eva berg"}
    assert all(groups(s)[0]["interval"] == "MONTHLY" for s in states.values())


# --- properties ---------------------------------------------------------------------------------

POOL = [txn(f"p{i:02d}", (date(2024, 1, 3) + timedelta(days=30 * (i % 10) + i // 10)).isoformat(),
            [1599, 1599, 1699, 4500, 820][i % 5], account=f"acc-{i % 2}",
            categories=[STREAMING] if i % 3 else [STREAMING, ENTERTAINMENT])
        for i in range(24)]
VERSIONS = {t["insights_transaction_id"]: [t, {**t, "amount": {"amount": 999, "currency": "EUR"}},
                                           {**t, "insights_account_id": "acc-9"}]
            for t in POOL}


def _fold(ops: list[tuple[str, int]], state: dict | None = None) -> dict | None:
    for txn_id, version in ops:
        state = (remove(state, txn_id) if version < 0
                 else upsert(state, VERSIONS[txn_id][version]))
    return state


def _final(ops: list[tuple[str, int]]) -> dict[str, int]:
    last: dict[str, int] = {}
    for txn_id, version in ops:
        last[txn_id] = version
    return {k: v for k, v in last.items() if v >= 0}


operations = st.lists(st.tuples(st.sampled_from(sorted(VERSIONS)), st.integers(-1, 2)),
                      min_size=1, max_size=40)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations, st.randoms(use_true_random=False))
def test_any_order_reaching_the_same_set_gives_the_same_state(ops, rnd):
    final = _final(ops)
    state = _fold(ops)
    reference = rebuild([VERSIONS[t][v] for t, v in sorted(final.items())]) if final else None
    assert state == reference
    shuffled = [(t, v) for t, v in final.items()]
    rnd.shuffle(shuffled)
    assert _fold(shuffled) == reference
    if reference is not None:
        assert orjson.dumps(_fold(shuffled)) == orjson.dumps(reference)  # byte for byte


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations, st.integers(0, 40))
def test_replaying_changes_changes_nothing(ops, start):
    state = _fold(ops)
    # At-least-once delivery redelivers a suffix of the changes after a crash.
    assert _fold(ops[start:], state) == state
    # The same change twice: the second one returns the state itself (nothing to write).
    assert _fold(ops[-1:], state) is state


def test_module_exposes_a_small_api():
    public = {name for name in vars(rs) if not name.startswith("_")
              and callable(getattr(rs, name)) and getattr(rs, name).__module__ == rs.__name__}
    assert public == {"apply", "bucket_key", "build_states", "categories_of_item",
                      "category_set_key", "counterparty", "groups", "item_index", "items",
                      "prune", "rebuild", "remove", "size", "takes_part", "upsert",
                      "RecurringInputError"}
