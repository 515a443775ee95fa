"""Everything the service keeps per consumer, over four record stores: pure code, no Faust.

* `history`: transactions (enriched when written) and accounts (workers.domain.history);
* `recurring`: the recurring bucket states, kept in step with the history
  (workers.domain.recurring_groups);
* `corrections` and `categories`: category corrections and the categories reports show
  (workers.domain.categorization).

The worker backs the stores with Faust tables (workers/state.py); tests and offline reference
computations use DictStores (`ConsumerState.in_memory`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workers.domain.categorization import CategoryView, Corrections
from workers.domain.enrichment import ENRICHER
from workers.domain.history import (
    DictStore,
    Enricher,
    RecordStore,
    SourcePosition,
    TransactionHistory,
)
from workers.domain.recurring_groups import RecurringGroups


class ConsumerState:
    """The history, recurring groups and corrections of every consumer (see the module doc)."""

    def __init__(self, transactions: RecordStore, accounts: RecordStore, recurring: RecordStore,
                 corrections: RecordStore, retention_days: int = 400,
                 enricher: Enricher | None = ENRICHER) -> None:
        self.recurring = RecurringGroups(recurring)
        self.history = TransactionHistory(transactions, accounts, retention_days=retention_days,
                                          enricher=enricher, listener=self.recurring)
        self.corrections = Corrections(corrections)
        self.categories = CategoryView(self.history, self.corrections)

    @classmethod
    def in_memory(cls, retention_days: int = 400,
                  enricher: Enricher | None = ENRICHER) -> ConsumerState:
        """A state over DictStores."""
        return cls(DictStore(), DictStore(), DictStore(), DictStore(),
                   retention_days=retention_days, enricher=enricher)

    def apply_transaction(self, event: Mapping[str, Any], position: SourcePosition) -> str:
        """Apply one TransactionEvent and settle the recurring groups it changed."""
        outcome = self.history.apply_transaction(event, position)
        self.recurring.settle(self.history)
        return outcome

    def apply_account(self, event: Mapping[str, Any], position: SourcePosition) -> str:
        return self.history.apply_account(event, position)

    def apply_feedback(self, feedback: Mapping[str, Any]) -> str:
        return self.corrections.apply_feedback(feedback, self.history)

    def refresh_enrichment(self, limit: int, keep_consumer=None) -> int:
        """Rewrite up to `limit` stale records (enriched by an earlier enrichment version) of
        the consumers `keep_consumer` selects, and settle the recurring groups they moved;
        returns how many were rewritten."""
        done = 0
        for consumer_id in self.history.consumers_with_stale():
            if keep_consumer is not None and not keep_consumer(consumer_id):
                continue
            for txn_id in self.history.stale_transactions(consumer_id)[:limit - done]:
                done += self.history.refresh_enrichment(consumer_id, txn_id)
            if done >= limit:
                break
        self.recurring.settle(self.history)
        return done

    def settle_recurring(self, consumer_ids=None, max_buckets: int | None = None) -> int:
        """Apply the queued recurring changes (of `consumer_ids` only, when given; of at most
        `max_buckets` buckets, when given)."""
        return self.recurring.settle(self.history, consumer_ids, max_buckets)

    def verify_recurring(self, consumer_ids=None) -> int:
        """Rebuild every recurring bucket that differs from the history; returns how many."""
        return self.recurring.heal(self.history, self.recurring.verify(self.history,
                                                                        consumer_ids))

    def defer_recurring_check(self) -> None:
        """After a recovery: check every consumer's recurring buckets against the history
        before they are next settled or reported, or in the background (`check_recurring`),
        instead of all of them before the worker serves (docs/architecture.md)."""
        self.recurring.defer_check(set(self.history.consumers()) | set(self.recurring.consumers()))

    def check_recurring(self, max_consumers: int | None = None) -> int:
        """Check up to `max_consumers` of the consumers still unchecked; returns the buckets
        rebuilt."""
        return self.recurring.check(self.history, max_consumers=max_consumers)
