"""The categories reports show: pure code over the history and a store of corrections.

A stored transaction carries the enrichment computed when it was written (its own fields:
`categories`, `brand`; workers.domain.history). Two rules need more than the transaction
itself, and a third case needs the current categorizer:

* **transfers between own accounts** (workers.domain.enrichment.transfers): a pair of
  transactions on two of the consumer's accounts;
* **corrections** (CategorizationFeedback): a consumer's category for one transaction and,
  with scope SIMILAR, for that consumer's later similar transactions
  (workers.domain.enrichment.corrections);
* **stale enrichment**: a record written by an earlier enrichment version is enriched again
  until the background refresh rewrites it (`TransactionHistory.refresh_enrichment`).

These are applied where the reports read, not written into the records: both rules depend on
other transactions (a correction reaches transactions stored before it and arriving after it;
a transfer's other side may arrive days later), and a derived view cannot drift from the
records it is derived from, also after a crash. `CategoryView.overrides(consumer)` gives, per
transaction whose categories or brand differ from its stored ones, the fields that replace
them; it reads only the history's in-memory index (plus the records of stale transactions)
and is cached until the consumer's transactions, accounts or corrections change.

Corrections are stored one record per corrected transaction, key
``<consumer>\\x1f<transaction id>``, value the CorrectionRule as a dict: each message writes
one small record. A consumer keeps at most `MAX_CORRECTIONS` corrections, the newest by
`created_at`; applying a message is idempotent (its `feedback_id` or an older `created_at` for
the same transaction change nothing).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from workers.domain.enrichment import OWN_ACCOUNTS_CATEGORY_ID
from workers.domain.enrichment.corrections import (
    CorrectionBook,
    CorrectionRule,
    recategorize,
    rule_of,
    supersedes,
)
from workers.domain.enrichment.transfers import pair_transfers
from workers.domain.history import (
    Override,
    RecordStore,
    TransactionHistory,
    record_key,
    split_key,
)

#: Corrections kept per consumer (the newest by created_at).
MAX_CORRECTIONS = 1000
#: Consumers whose overrides are cached.
CACHED_CONSUMERS = 2048


class FeedbackOutcome:
    """What applying one CategorizationFeedback did."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"  # the same feedback again, or older than the stored correction
    OVER_LIMIT = "over_limit"  # older than every correction of a consumer at MAX_CORRECTIONS


def _order(rule: CorrectionRule) -> tuple[str, str]:
    return rule.created_at, rule.feedback_id


class Corrections:
    """Every consumer's category corrections over a RecordStore (see the module doc)."""

    def __init__(self, store: RecordStore, max_per_consumer: int = MAX_CORRECTIONS) -> None:
        self.store = store
        self.max_per_consumer = max_per_consumer
        self._rules: dict[str, dict[str, CorrectionRule]] = {}
        self._versions: dict[str, int] = {}

    def apply_feedback(self, feedback: Mapping[str, Any], history: TransactionHistory) -> str:
        """Store one validated CategorizationFeedback (as a dict in JSON form).

        The rule records the corrected transaction's date and similarity key when the history
        has the transaction (unknown yet: both are filled in at read time once it arrives).
        Returns a FeedbackOutcome value.
        """
        consumer_id = feedback["insights_consumer_id"]
        txn_id = feedback["insights_transaction_id"]
        meta = history.meta(consumer_id, txn_id)
        live = meta is not None and not meta.deleted
        rule = rule_of(feedback, meta.day if live else None, meta.similarity if live else None)
        rules = self._rules.setdefault(consumer_id, {})
        existing = rules.get(txn_id)
        if existing is not None and not supersedes(rule, existing):
            return FeedbackOutcome.UNCHANGED
        if existing is None and len(rules) >= self.max_per_consumer:
            oldest = min(rules.values(), key=_order)
            if _order(rule) < _order(oldest):
                return FeedbackOutcome.OVER_LIMIT
            self.store.delete(record_key(consumer_id, oldest.transaction_id))
            del rules[oldest.transaction_id]
        self.store.set(record_key(consumer_id, txn_id), rule.to_dict())
        rules[txn_id] = rule
        self._versions[consumer_id] = self._versions.get(consumer_id, 0) + 1
        return FeedbackOutcome.APPLIED

    def rules(self, consumer_id: str) -> list[CorrectionRule]:
        """The consumer's corrections, in transaction id order."""
        return [rule for _, rule in sorted(self._rules.get(consumer_id, {}).items())]

    def version(self, consumer_id: str) -> int:
        """Changes whenever the consumer's corrections change."""
        return self._versions.get(consumer_id, 0)

    def rebuild(self, items: Iterable[tuple[str, Mapping[str, Any]]], keep_consumer=None) -> None:
        """Load the stored corrections (after recovery)."""
        self._rules.clear()
        bumped = {c: v + 1 for c, v in self._versions.items()}
        for key, value in items:
            consumer_id, txn_id = split_key(key)
            if keep_consumer is None or keep_consumer(consumer_id):
                self._rules.setdefault(consumer_id, {})[txn_id] = CorrectionRule.from_dict(value)
                bumped[consumer_id] = bumped.get(consumer_id, 0) + 1
        self._versions = bumped


class CategoryView:
    """The categories and brand every report shows (see the module doc)."""

    def __init__(self, history: TransactionHistory, corrections: Corrections) -> None:
        self.history = history
        self.corrections = corrections
        self._cache: OrderedDict[str, tuple[tuple[int, int], dict[str, Override]]] = \
            OrderedDict()

    def overrides(self, consumer_id: str) -> dict[str, Override]:
        """Transaction id -> the fields that replace its stored `categories` / `brand`, for
        the consumer's live transactions that need it (a deleted account's are left out)."""
        stamp = (self.history.version_of(consumer_id), self.corrections.version(consumer_id))
        cached = self._cache.get(consumer_id)
        if cached is not None and cached[0] == stamp:
            self._cache.move_to_end(consumer_id)
            return cached[1]
        result = self._compute(consumer_id)
        self._cache[consumer_id] = (stamp, result)
        if len(self._cache) > CACHED_CONSUMERS:
            self._cache.popitem(last=False)
        return result

    def _compute(self, consumer_id: str) -> dict[str, Override]:
        history = self.history
        hidden = history.hidden_accounts(consumer_id)
        live = [meta for meta in history.metas(consumer_id)
                if not meta.deleted and meta.account_id not in hidden]
        own = pair_transfers(
            (meta.type, meta.transfer_currency, meta.amount, date.fromisoformat(meta.day),
             meta.account_id, meta.transaction_id)
            for meta in live if meta.transfer_currency is not None)
        book = CorrectionBook(self._rules(consumer_id))
        result: dict[str, Override] = {}
        for meta in live:
            txn_id = meta.transaction_id
            rule = book.rule_for_key(txn_id, meta.day, meta.similarity)
            if not (meta.stale or rule is not None or txn_id in own):
                continue
            fields: Override = {}
            if meta.stale:
                record = history.record_of(consumer_id, txn_id)
                if record is None:
                    continue
                fresh = history.enrichment_of(record)
                fields = {"categories": fresh.get("categories", []),
                          "brand": fresh.get("brand")}
            category = (rule.category_id if rule is not None
                        else OWN_ACCOUNTS_CATEGORY_ID if txn_id in own else None)
            if category is not None:
                fields["categories"] = recategorize({}, category)["categories"]
            result[txn_id] = fields
        return result

    def _rules(self, consumer_id: str) -> list[CorrectionRule]:
        """The consumer's corrections, each with the current date and similarity key of its
        transaction while the history has it (they follow a moved date or a new brand)."""
        rules = []
        for rule in self.corrections.rules(consumer_id):
            meta = self.history.meta(consumer_id, rule.transaction_id)
            if meta is not None and not meta.deleted:
                similarity = meta.similarity if rule.scope == "SIMILAR" else None
                if (rule.anchor_date, rule.similarity_key) != (meta.day, similarity):
                    rule = replace(rule, anchor_date=meta.day, similarity_key=similarity)
            rules.append(rule)
        return rules
