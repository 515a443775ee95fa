"""Rules over a consumer's history: own-account transfers, corrections, the feedback message."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.feedback import CategorizationFeedback
from workers.domain.enrichment import (
    OWN_ACCOUNTS_CATEGORY_ID,
    CorrectionBook,
    CorrectionRule,
    add_rule,
    apply_corrections,
    apply_history_rules,
    enrich,
    make_rule,
    own_account_transfers,
    similarity_key,
)
from workers.domain.enrichment.brands import brand_id
from workers.domain.enrichment.taxonomy import by_key

GROCERIES = by_key("food/groceries").id
RESTAURANTS = by_key("food/restaurants").id
HOBBIES = by_key("leisure/hobbies").id


def txn(tid: str, account: str, type_: str, amount: int, day: str, **extra) -> dict:
    return {"insights_transaction_id": tid, "insights_account_id": account, "type": type_,
            "amount": {"amount": amount, "currency": extra.pop("currency", "EUR")},
            "booking_date": day, **extra}


# --------------------------------------------------------------------------- own accounts


def test_a_debit_and_a_credit_of_the_same_amount_on_two_accounts_are_a_pair():
    history = [txn("out", "checking", "DEBIT", 50000, "2025-03-01", method="TRANSFER"),
               txn("in", "savings", "CREDIT", 50000, "2025-03-02"),
               txn("rent", "checking", "DEBIT", 90000, "2025-03-01")]
    assert own_account_transfers(history) == {"out", "in"}


@pytest.mark.parametrize("credit", [
    txn("in", "checking", "CREDIT", 50000, "2025-03-01"),  # same account
    txn("in", "savings", "CREDIT", 50001, "2025-03-01"),  # other amount
    txn("in", "savings", "CREDIT", 50000, "2025-03-01", currency="NOK"),
    txn("in", "savings", "CREDIT", 50000, "2025-03-05"),  # four days later
    txn("in", "savings", "CREDIT", 50000, "2025-03-01", state="FAILED"),
    txn("in", "savings", "CREDIT", 50000, "2025-03-01", method="CARD"),
])
def test_what_is_not_a_pair(credit):
    outgoing = txn("out", "checking", "DEBIT", 50000, "2025-03-01")
    assert own_account_transfers([outgoing, credit]) == set()


def test_zero_amounts_are_never_a_pair():
    assert own_account_transfers([txn("out", "a", "DEBIT", 0, "2025-03-01"),
                                  txn("in", "b", "CREDIT", 0, "2025-03-01")]) == set()


def test_the_window_is_inclusive_and_uses_the_value_date_without_a_booking_date():
    out = txn("out", "a", "DEBIT", 100, "2025-03-01")
    late = txn("in", "b", "CREDIT", 100, "2025-03-04")
    assert own_account_transfers([out, late]) == {"out", "in"}
    assert own_account_transfers([out, late], max_days=2) == set()
    by_value_date = {k: v for k, v in late.items() if k != "booking_date"} | {
        "value_date": "2025-03-02"}
    assert own_account_transfers([out, by_value_date]) == {"out", "in"}


def test_each_transaction_is_in_at_most_one_pair_the_closest():
    history = [txn("out1", "a", "DEBIT", 100, "2025-03-01"),
               txn("out2", "a", "DEBIT", 100, "2025-03-03"),
               txn("in_far", "b", "CREDIT", 100, "2025-03-03"),
               txn("in_near", "b", "CREDIT", 100, "2025-03-01")]
    assert own_account_transfers(history) == {"out1", "out2", "in_far", "in_near"}
    three = [txn("out", "a", "DEBIT", 100, "2025-03-02"),
             txn("in1", "b", "CREDIT", 100, "2025-03-01"),
             txn("in2", "c", "CREDIT", 100, "2025-03-02")]
    assert own_account_transfers(three) == {"out", "in2"}
    assert own_account_transfers(reversed(three)) == {"out", "in2"}


def test_malformed_transactions_are_skipped():
    history = [{"insights_transaction_id": "x"}, {"type": "DEBIT", "amount": "12"},
               txn("out", "a", "DEBIT", 100, "not a date"), {}]
    assert own_account_transfers(history) == set()


# --------------------------------------------------------------------------- corrections

REWE = {"reference": "REWE SAGT DANKE 4711", "type": "DEBIT",
        "amount": {"amount": 1000, "currency": "EUR"}}
CAFE = {"reference": "Kartenzahlung", "counter_party": {"holder_name": "Cafe Luna GmbH"},
        "type": "DEBIT", "amount": {"amount": 450, "currency": "EUR"}}


def shop(tid: str, day: str, base: dict = REWE) -> dict:
    return {**base, "insights_transaction_id": tid, "insights_account_id": "a",
            "booking_date": day}


def feedback(tid: str, category: str, fid: str = "fb-1", scope: str | None = None,
             created: str = "2025-03-10T12:00:00+00:00") -> dict:
    return {"feedback_id": fid, "insights_consumer_id": "c", "insights_transaction_id": tid,
            "category_id": category, "created_at": created, **({"scope": scope} if scope else {})}


def rule_for(transaction: dict, category: str, **kwargs) -> CorrectionRule:
    return make_rule(feedback(transaction["insights_transaction_id"], category, **kwargs),
                     transaction, enrich(transaction))


def category_of(transaction: dict, rules) -> str:
    return apply_corrections(transaction, enrich(transaction), rules)["categories"][0]["id"]


def test_similarity_keys():
    assert similarity_key(REWE, enrich(REWE)) == f"brand:{brand_id('Rewe')}"
    assert similarity_key(CAFE, enrich(CAFE)) == "counterparty:cafe luna"
    paypal = {"reference": "PAYPAL *KLEINERLADEN 12345", "type": "DEBIT"}
    assert similarity_key(paypal, enrich(paypal)) == "counterparty:paypal kleinerladen"
    assert similarity_key({"reference": "4711 0815"}, {}) is None


def test_a_correction_applies_to_its_transaction_and_later_similar_ones():
    corrected = shop("t2", "2025-03-05")
    rules = (rule_for(corrected, HOBBIES),)
    assert category_of(corrected, rules) == HOBBIES
    assert category_of(shop("t3", "2025-03-05"), rules) == HOBBIES  # same day counts as later
    assert category_of(shop("t4", "2025-06-01"), rules) == HOBBIES
    assert category_of(shop("t1", "2025-03-04"), rules) == GROCERIES  # earlier: unchanged
    assert category_of(shop("c1", "2025-06-01", CAFE), rules) == by_key("food/cafes").id


def test_the_similar_key_of_a_counterparty_without_brand():
    corrected = shop("c1", "2025-03-01", CAFE)
    rules = (rule_for(corrected, RESTAURANTS),)
    assert category_of(shop("c2", "2025-04-01", CAFE), rules) == RESTAURANTS


def test_scope_transaction_changes_only_that_transaction():
    corrected = shop("t2", "2025-03-05")
    rules = (rule_for(corrected, HOBBIES, scope="TRANSACTION"),)
    assert category_of(corrected, rules) == HOBBIES
    assert category_of(shop("t3", "2025-04-01"), rules) == GROCERIES


def test_the_latest_anchor_wins_and_a_direct_rule_wins_over_similar_ones():
    january = rule_for(shop("jan", "2025-01-10"), HOBBIES, fid="a")
    june = rule_for(shop("jun", "2025-06-10"), RESTAURANTS, fid="b",
                    created="2025-01-01T00:00:00+00:00")
    rules = (january, june)
    assert category_of(shop("mar", "2025-03-01"), rules) == HOBBIES
    assert category_of(shop("jul", "2025-07-01"), rules) == RESTAURANTS
    assert category_of(shop("jan", "2025-01-10"), rules) == HOBBIES


def test_corrected_categories_keep_the_brand_and_name_the_main_category():
    corrected = shop("t2", "2025-03-05")
    result = apply_corrections(corrected, enrich(corrected), (rule_for(corrected, HOBBIES),))
    assert result["brand"]["name"] == "Rewe"
    assert [c["name"] for c in result["categories"]] == ["Hobbies", "Leisure & Entertainment"]


def test_add_rule_is_idempotent_and_keeps_the_newest_correction_per_transaction():
    corrected = shop("t1", "2025-03-05")
    first = rule_for(corrected, HOBBIES, fid="a", created="2025-03-10T00:00:00+00:00")
    newer = rule_for(corrected, RESTAURANTS, fid="b", created="2025-03-11T00:00:00+00:00")
    other = rule_for(shop("t9", "2025-03-05"), HOBBIES, fid="c")
    rules = add_rule(add_rule((), first), other)
    assert add_rule(rules, first) == rules
    updated = add_rule(rules, newer)
    assert set(updated) == {newer, other}
    assert add_rule(updated, first) == updated  # an older correction arriving late is ignored
    assert category_of(corrected, updated) == RESTAURANTS


def test_created_at_is_kept_in_utc_so_rules_compare_in_time_order():
    corrected = shop("t1", "2025-03-05")
    rule = rule_for(corrected, HOBBIES, created="2025-03-10T12:30:00+01:00")
    assert rule.created_at == "2025-03-10T11:30:00+00:00"
    later = rule_for(corrected, RESTAURANTS, fid="b", created="2025-03-10T11:45:00Z")
    assert add_rule((rule,), later) == (later,)


def test_rules_are_plain_data():
    rule = rule_for(shop("t1", "2025-03-05"), HOBBIES)
    assert CorrectionRule.from_dict(rule.to_dict()) == rule
    assert rule.to_dict() == {
        "feedback_id": "fb-1", "transaction_id": "t1", "category_id": HOBBIES,
        "scope": "SIMILAR", "anchor_date": "2025-03-05",
        "similarity_key": f"brand:{brand_id('Rewe')}", "created_at": "2025-03-10T12:00:00+00:00"}


@pytest.mark.parametrize(("change", "message"), [
    ({"category_id": "not-a-category"}, "not in the Category List"),
    ({"insights_transaction_id": "other"}, "different transaction"),
    ({"scope": "ALL"}, "scope must be"),
    ({"created_at": "2025-03-10T12:00:00"}, "offset"),
    ({"created_at": "yesterday"}, "offset"),
])
def test_make_rule_refuses_bad_feedback(change, message):
    transaction = shop("t1", "2025-03-05")
    with pytest.raises(ValueError, match=message):
        make_rule({**feedback("t1", HOBBIES), **change}, transaction, enrich(transaction))


def test_a_book_applies_many_rules_by_index():
    rules = [rule_for(shop(f"t{i}", f"2025-03-{i + 1:02d}"), HOBBIES, fid=f"f{i}")
             for i in range(20)]
    book = CorrectionBook(rules)
    later = shop("x", "2025-04-01")
    assert book.rule_for(later, enrich(later)).feedback_id == "f19"
    assert book.rule_for(shop("y", "2024-01-01", CAFE), {}) is None


# --------------------------------------------------------------------------- history


def test_history_rules_own_transfers_then_corrections():
    out = txn("out", "checking", "DEBIT", 20000, "2025-03-01", reference="Sparen")
    back = txn("in", "savings", "CREDIT", 20000, "2025-03-01", reference="Übertrag")
    groceries = shop("g", "2025-03-02")
    history = [out, back, groceries]
    enriched = {"g": enrich(groceries)}  # the others are enriched on the way
    correction = make_rule(feedback("in", RESTAURANTS), back, enrich(back))
    result = apply_history_rules(history, enriched, [correction])
    assert result["out"]["categories"][0]["id"] == OWN_ACCOUNTS_CATEGORY_ID
    assert result["in"]["categories"][0]["id"] == RESTAURANTS  # the user's word wins
    assert result["g"] == enriched["g"]


# --------------------------------------------------------------------------- the message


def test_the_feedback_message():
    raw = ('{"feedback_id": "fb-1", "insights_consumer_id": "c", "insights_transaction_id": '
           f'"t1", "category_id": "{GROCERIES}", "created_at": "2025-03-10T12:00:00Z", '
           '"future_field": 1}')
    message = CategorizationFeedback.model_validate_json(raw)
    assert message.scope == "SIMILAR"
    assert message.created_at == datetime(2025, 3, 10, 12, tzinfo=UTC)
    rule = make_rule(message.model_dump(), shop("t1", "2025-03-05"),
                     enrich(shop("t1", "2025-03-05")))
    assert rule.created_at == "2025-03-10T12:00:00+00:00" and rule.category_id == GROCERIES


@pytest.mark.parametrize(("change", "location"), [
    ({"category_id": "4e9289f1-0000-0000-0000-000000000000"}, "category_id"),
    ({"created_at": "2025-03-10T12:00:00"}, None),
    ({"scope": "EVERYTHING"}, "scope"),
    ({"insights_consumer_id": ""}, "insights_consumer_id"),
])
def test_invalid_feedback_is_refused_with_the_field(change, location):
    body = {**feedback("t1", GROCERIES), **change}
    with pytest.raises(ValidationError) as error:
        CategorizationFeedback.model_validate_json(json.dumps(body))
    if location:
        assert error.value.errors()[0]["loc"] == (location,)
    if "category_id" in change:
        assert "Category List" in str(error.value)
