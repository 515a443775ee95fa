"""The labeled histories of workers/recurring_data.py and the evaluation bench/recurring.py
prints: deterministic, covering every interval and hard case, and the detector meeting its
targets on a set of its own (the figures in bench/README.md come from a larger set)."""

from __future__ import annotations

from collections import Counter

import orjson

from schemas.contract import TransactionEvent
from workers.domain.recurring import INTERVALS
from workers.domain.recurring_state import bucket_key
from workers.recurring_data import evaluate, generate_labeled_histories


def test_the_same_arguments_give_the_same_histories():
    first = generate_labeled_histories(5, seed=3)
    second = generate_labeled_histories(5, seed=3)
    assert [h.transactions for h in first] == [h.transactions for h in second]
    assert [h.series for h in first] == [h.series for h in second]
    assert [h.transactions for h in generate_labeled_histories(5, seed=4)] != [
        h.transactions for h in first]


def test_histories_are_valid_stored_transactions_with_consistent_labels():
    histories = generate_labeled_histories(20, seed=5)
    for history in histories:
        by_id = {t["insights_transaction_id"]: t for t in history.transactions}
        assert len(by_id) == len(history.transactions)
        for txn in history.transactions[:50]:
            TransactionEvent.model_validate_json(orjson.dumps(
                {**txn, "insights_consumer_id": history.consumer_id}))
        for series in history.series:
            members = [by_id[i] for i in series.ids]
            assert all(m["state"] not in ("FAILED", "CANCELED") for m in members)
            assert len({bucket_key(m) for m in members}) == 1, series.name
            assert [m["booking_date"] for m in members] == sorted(m["booking_date"]
                                                                  for m in members)


def test_every_interval_and_the_hard_cases_are_covered():
    histories = generate_labeled_histories(60, seed=11)
    intervals = Counter(s.interval for h in histories for s in h.series)
    assert set(intervals) == set(INTERVALS)
    names = {s.name.partition(":")[0] for h in histories for s in h.series}
    assert {"salary", "pension", "rent", "streaming", "phone", "power", "insurance", "loan",
            "account-only", "usd-subscription", "savings", "amazon-prime"} <= names
    assert any(not s.active for h in histories for s in h.series)
    states = Counter(t["state"] for h in histories for t in h.transactions)
    assert {"PENDING", "FAILED", "CANCELED"} <= set(states)
    currencies = {t["amount"]["currency"] for h in histories for t in h.transactions}
    assert {"EUR", "NOK", "SEK", "USD"} <= currencies
    assert max(len(h.account_ids) for h in histories) >= 3


def test_the_detector_meets_its_targets_on_labeled_histories():
    result = evaluate(generate_labeled_histories(60, seed=23))
    assert result.scores()[2] >= 0.95
    for interval in INTERVALS:
        if result.truth[interval] >= 10:
            assert result.scores(interval)[2] >= 0.9, interval
    assert result.same_interval / result.matched >= 0.98
