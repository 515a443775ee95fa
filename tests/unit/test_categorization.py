"""The categories reports show (workers/domain/categorization.py) and enrichment at ingestion
(workers/domain/history.py with an Enricher), over DictStores: stored enrichment, transfers
between own accounts, corrections (direct, similar, later only, idempotent, bounded), stale
enrichment enriched again on read and rewritten by `refresh_enrichment`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest

from schemas.categorized import CategorizedReportRequest
from schemas.contract import TransactionEvent
from schemas.feedback import CategorizationFeedback
from workers.domain.categorization import Corrections, FeedbackOutcome
from workers.domain.consumer_state import ConsumerState
from workers.domain.enrichment import ENRICHER, ENRICHMENT_VERSION, enrich, taxonomy
from workers.domain.history import ENRICHMENT, DictStore, SourcePosition, record_key
from workers.reports import categorized_report

CONSUMER = "6c03aff-8fa0046-ffae74-b0cbc-4d5fd1"
SOURCE = "insights.transactions.v1:0"
GROCERIES = taxonomy.by_key("food/groceries").id
CLOTHES = taxonomy.by_key("shopping/clothes").id
OWN_ACCOUNTS = taxonomy.by_key("transfers/own_accounts").id
NETFLIX_TEXT = "NETFLIX.COM 866-579-7172"


def event(txn_id: str, day: str = "2024-03-01", *, reference: str = NETFLIX_TEXT,
          account: str = "acc-1", kind: str = "DEBIT", amount: int = 1599,
          **extra: Any) -> dict:
    raw = {"insights_consumer_id": CONSUMER, "insights_account_id": account,
           "insights_transaction_id": txn_id, "booking_date": day,
           "amount": {"amount": amount, "currency": "EUR"}, "type": kind,
           "reference": reference, **extra}
    return TransactionEvent.model_validate_json(orjson.dumps(raw)).model_dump(
        mode="json", exclude_none=True)


def feedback(txn_id: str, category: str, *, feedback_id: str | None = None,
             scope: str = "SIMILAR", created_at: str = "2024-04-01T10:00:00Z") -> dict:
    raw = {"feedback_id": feedback_id or f"fb-{txn_id}-{category[:4]}",
           "insights_consumer_id": CONSUMER, "insights_transaction_id": txn_id,
           "category_id": category, "scope": scope, "created_at": created_at}
    return CategorizationFeedback.model_validate_json(orjson.dumps(raw)).model_dump(
        mode="json", exclude_none=True)


def state_with(*events: dict) -> ConsumerState:
    state = ConsumerState.in_memory()
    for offset, item in enumerate(events):
        state.apply_transaction(item, SourcePosition(SOURCE, offset))
    return state


def shown(state: ConsumerState, **request: Any) -> dict[str, dict]:
    """Transaction id -> the transaction as the Categorized Transactions Report shows it."""
    body = {"insights_consumer_id": CONSUMER, "from_date": "2024-01-01",
            "to_date": "2024-12-31", "required_data_availability": "NONE",
            "combine_accounts": "ALL", **request}
    data = categorized_report(CategorizedReportRequest.model_validate(body), state,
                              date(2024, 12, 31))
    return {t["insights_transaction_id"]: orjson.loads(orjson.dumps(t))
            for report in data["reports"] for t in report["transactions"]}


def category_ids(transaction: dict) -> list[str]:
    return [c["id"] for c in transaction["categories"]]


def test_transactions_are_stored_enriched_with_the_version() -> None:
    state = state_with(event("t1"))
    record = state.history.record_of(CONSUMER, "t1")
    assert record[ENRICHMENT] == ENRICHMENT_VERSION
    expected = enrich(event("t1"))
    assert record["categories"] == expected["categories"]
    assert record["brand"]["name"] == "Netflix"
    [txn] = shown(state).values()
    assert txn["categories"] == expected["categories"] and txn["brand"] == expected["brand"]
    assert ENRICHMENT not in txn


def test_a_transfer_between_own_accounts_gets_its_category_on_both_sides() -> None:
    out = event("out", "2024-03-01", reference="Transfer", amount=50000)
    back = event("in", "2024-03-03", reference="Transfer", account="acc-2", kind="CREDIT",
                 amount=50000)
    card = event("card", "2024-03-02", reference="Transfer", account="acc-2", kind="CREDIT",
                 amount=50000, method="CARD")
    state = state_with(out, card)
    assert category_ids(shown(state)["out"])[0] != OWN_ACCOUNTS  # the card payment is no side
    state.apply_transaction(back, SourcePosition(SOURCE, 5))
    txns = shown(state)
    assert category_ids(txns["out"])[0] == OWN_ACCOUNTS
    assert category_ids(txns["in"])[0] == OWN_ACCOUNTS
    assert category_ids(txns["card"])[0] != OWN_ACCOUNTS
    # The stored records keep what enrichment gave them: the rule is applied where reports read.
    assert state.history.record_of(CONSUMER, "out")["categories"][0]["id"] != OWN_ACCOUNTS
    assert list(shown(state, category_ids=[OWN_ACCOUNTS], only_main_category=True)) == [
        "in", "out"]


def test_a_correction_applies_to_its_transaction_and_later_similar_ones() -> None:
    state = state_with(event("jan", "2024-01-10"), event("feb", "2024-02-10"),
                       event("mar", "2024-03-10"), event("other", "2024-03-11",
                                                         reference="REWE Markt 4711"))
    assert state.apply_feedback(feedback("feb", CLOTHES)) == FeedbackOutcome.APPLIED
    txns = shown(state)
    assert category_ids(txns["feb"]) == [CLOTHES, taxonomy.by_key("shopping").id]
    assert category_ids(txns["mar"])[0] == CLOTHES  # later, same brand
    assert category_ids(txns["jan"])[0] != CLOTHES  # earlier
    assert category_ids(txns["other"])[0] != CLOTHES  # another brand
    assert txns["feb"]["brand"]["name"] == "Netflix"  # the brand stays
    # A similar transaction arriving after the correction follows it too.
    state.apply_transaction(event("apr", "2024-04-10"), SourcePosition(SOURCE, 9))
    assert category_ids(shown(state)["apr"])[0] == CLOTHES
    assert sorted(shown(state, category_ids=[CLOTHES])) == ["apr", "feb", "mar"]


def test_a_transaction_scoped_correction_changes_only_that_transaction() -> None:
    state = state_with(event("feb", "2024-02-10"), event("mar", "2024-03-10"))
    state.apply_feedback(feedback("feb", CLOTHES, scope="TRANSACTION"))
    txns = shown(state)
    assert category_ids(txns["feb"])[0] == CLOTHES
    assert category_ids(txns["mar"])[0] != CLOTHES


def test_feedback_is_idempotent_and_the_newest_correction_wins() -> None:
    state = state_with(event("feb", "2024-02-10"))
    newer = feedback("feb", GROCERIES, feedback_id="b", created_at="2024-05-01T00:00:00Z")
    older = feedback("feb", CLOTHES, feedback_id="a", created_at="2024-04-01T00:00:00Z")
    assert state.apply_feedback(newer) == FeedbackOutcome.APPLIED
    stored = dict(state.corrections.store)
    assert state.apply_feedback(newer) == FeedbackOutcome.UNCHANGED
    assert state.apply_feedback(older) == FeedbackOutcome.UNCHANGED  # late, older
    assert dict(state.corrections.store) == stored
    assert category_ids(shown(state)["feb"])[0] == GROCERIES


def test_a_correction_before_its_transaction_applies_once_it_arrives() -> None:
    state = state_with(event("jan", "2024-01-10"))
    state.apply_feedback(feedback("feb", CLOTHES))
    state.apply_transaction(event("feb", "2024-02-10"), SourcePosition(SOURCE, 3))
    state.apply_transaction(event("mar", "2024-03-10"), SourcePosition(SOURCE, 4))
    txns = shown(state)
    assert category_ids(txns["feb"])[0] == CLOTHES
    assert category_ids(txns["mar"])[0] == CLOTHES
    assert category_ids(txns["jan"])[0] != CLOTHES


def test_corrections_are_bounded_per_consumer_keeping_the_newest() -> None:
    state = ConsumerState.in_memory()
    state.corrections.max_per_consumer = 3
    for day in (1, 2, 3, 4):
        outcome = state.apply_feedback(feedback(f"t{day}", CLOTHES,
                                                created_at=f"2024-04-0{day}T00:00:00Z"))
        assert outcome == FeedbackOutcome.APPLIED
    assert sorted(r.transaction_id for r in state.corrections.rules(CONSUMER)) == [
        "t2", "t3", "t4"]
    # Older than everything kept: changes nothing, also when delivered again.
    assert state.apply_feedback(feedback("t0", CLOTHES, created_at="2024-03-01T00:00:00Z")) \
        == FeedbackOutcome.OVER_LIMIT
    assert state.apply_feedback(feedback("t1", CLOTHES, created_at="2024-04-01T00:00:00Z")) \
        == FeedbackOutcome.OVER_LIMIT
    assert len(state.corrections.store) == 3


def test_corrections_survive_a_rebuild() -> None:
    state = state_with(event("feb", "2024-02-10"), event("mar", "2024-03-10"))
    state.apply_feedback(feedback("feb", CLOTHES))
    before = shown(state)
    rebuilt = Corrections(state.corrections.store)
    rebuilt.rebuild(state.corrections.store.items())
    assert rebuilt.rules(CONSUMER) == state.corrections.rules(CONSUMER)
    state.corrections = rebuilt
    state.categories.corrections = rebuilt
    assert shown(state) == before


class _NewRules:
    """An enricher of another version that calls every Netflix payment groceries."""

    version = "test-2"

    @staticmethod
    def enrich(transaction):
        result = dict(ENRICHER.enrich(transaction))  # the shared result stays as it is
        if result.get("brand", {}).get("name") == "Netflix":
            result["categories"] = [{"id": GROCERIES, "name": "Groceries"}]
            result.pop("brand")
        return result


def test_stale_records_are_enriched_again_on_read_and_then_rewritten() -> None:
    old = state_with(event("t1"), event("t2", "2024-03-02"))
    stores = (old.history.transactions, old.history.accounts, old.recurring.store,
              old.corrections.store)
    upgraded = ConsumerState(*stores, enricher=_NewRules())
    upgraded.history.rebuild(stores[0].items(), stores[1].items())
    upgraded.recurring.rebuild(stores[2].items())
    assert upgraded.history.stale_transactions(CONSUMER) == ["t1", "t2"]
    txns = shown(upgraded)
    assert category_ids(txns["t1"]) == [GROCERIES] and "brand" not in txns["t1"]
    assert list(shown(upgraded, brand_ids=[enrich(event("t1"))["brand"]["id"]])) == []

    assert upgraded.refresh_enrichment(limit=1) == 1
    assert upgraded.refresh_enrichment(limit=10) == 1
    assert upgraded.history.stale_transactions(CONSUMER) == []
    record = upgraded.history.record_of(CONSUMER, "t1")
    assert record[ENRICHMENT] == "test-2" and "brand" not in record
    assert record["_off"] == 0  # the position of the event that wrote it is kept
    assert shown(upgraded) == txns
    # The brand left, so both payments moved to another recurring bucket.
    assert upgraded.recurring.verify(upgraded.history) == []
    assert [s["counterparty"].split(":")[0] for s in upgraded.recurring.states(CONSUMER)] == [
        "reference"]


def test_a_replayed_event_stays_replayed_after_a_refresh() -> None:
    state = state_with(event("t1"))
    upgraded = ConsumerState(state.history.transactions, DictStore(), DictStore(), DictStore(),
                             enricher=_NewRules())
    upgraded.history.rebuild(state.history.transactions.items())
    upgraded.refresh_enrichment(limit=10)
    assert upgraded.apply_transaction(event("t1"), SourcePosition(SOURCE, 0)) == "replayed"


@pytest.mark.parametrize("deleted_account", [True, False])
def test_a_deleted_accounts_transactions_are_not_transfer_sides(deleted_account: bool) -> None:
    out = event("out", "2024-03-01", reference="Transfer", amount=50000)
    back = event("in", "2024-03-02", reference="Transfer", account="acc-2", kind="CREDIT",
                 amount=50000)
    state = state_with(out, back)
    if deleted_account:
        state.apply_account({"insights_consumer_id": CONSUMER, "insights_account_id": "acc-2",
                             "deleted": True}, SourcePosition("accounts:0", 0))
    overrides = state.categories.overrides(CONSUMER)
    assert ("out" in overrides) is not deleted_account
    assert record_key(CONSUMER, "in") in state.history.transactions
