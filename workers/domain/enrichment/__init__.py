"""Enrichment: category and brand of a bank transaction (pure code, no Faust).

Public API:

* `enrich(transaction) -> {"categories": [...], "brand": {...}}` - one transaction, from its
  own fields, in the shape of the seed's CategorizedTransaction;
* `ENRICHMENT_VERSION` - changes whenever the brand list, the rules or the Category List do;
* `ENRICHER` - `enrich` and `ENRICHMENT_VERSION` as the history stores them;
* `own_account_transfers(transactions) -> set of ids` - transfers between the consumer's own
  accounts, which need the consumer's other transactions;
* `CorrectionRule`, `make_rule`, `add_rule`, `CorrectionBook`, `apply_corrections` -
  per-consumer category corrections;
* `apply_history_rules(transactions, enrichments, rules)` - both of the above over a history;
* `taxonomy` (the Category List) and `brands` (the brand list).

docs/enrichment.md describes the taxonomy, the brand data, the matching and the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from workers.domain.enrichment import taxonomy
from workers.domain.enrichment.corrections import (
    CorrectionBook,
    CorrectionRule,
    add_rule,
    apply_corrections,
    make_rule,
    recategorize,
    similarity_key,
)
from workers.domain.enrichment.engine import ENRICHMENT_VERSION, enrich, enrichment_inputs
from workers.domain.enrichment.transfers import own_account_transfers

__all__ = [
    "ENRICHER",
    "CachingEnricher",
    "ENRICHMENT_VERSION",
    "OWN_ACCOUNTS_CATEGORY_ID",
    "CorrectionBook",
    "CorrectionRule",
    "add_rule",
    "apply_corrections",
    "apply_history_rules",
    "enrich",
    "make_rule",
    "own_account_transfers",
    "recategorize",
    "similarity_key",
]

#: The category of both sides of a transfer between the consumer's own accounts.
OWN_ACCOUNTS_CATEGORY_ID: str = taxonomy.by_key("transfers/own_accounts").id


class CachingEnricher:
    """The categorizer as the history stores it (workers.domain.history.Enricher), remembering
    the results of the last `size` distinct inputs (`enrichment_inputs`): a subscription, a
    salary or a shop's terminal prints the same text again and again, and enrichment is the
    largest part of applying an event (bench/README.md). Bounded: the memo is dropped when
    full. Results are shared between calls: callers must not change them."""

    version = ENRICHMENT_VERSION

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._memo: dict[bytes, dict[str, Any]] = {}
        self.hits = self.misses = 0

    def enrich(self, transaction: Mapping[str, Any]) -> dict[str, Any]:
        key = enrichment_inputs(transaction)
        if key is None:
            return enrich(transaction)
        found = self._memo.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        if len(self._memo) >= self.size:
            self._memo.clear()
        found = self._memo[key] = enrich(transaction)
        return found


#: What the service enriches stored transactions with.
ENRICHER = CachingEnricher()


def apply_history_rules(transactions: Iterable[Mapping[str, Any]],
                        enrichments: Mapping[str, Mapping[str, Any]],
                        rules: Sequence[CorrectionRule] = ()) -> dict[str, Mapping[str, Any]]:
    """Transaction id -> enrichment after the rules that need the consumer's history.

    `enrichments` holds each transaction's `enrich` result by transaction id (a transaction
    without one is enriched here). Both sides of a transfer between own accounts get the
    category Transfers between own accounts; then the consumer's corrections apply, so a user's
    correction wins over the transfer rule.
    """
    history = list(transactions)
    own = own_account_transfers(history)
    book = CorrectionBook(rules)
    result: dict[str, Mapping[str, Any]] = {}
    for transaction in history:
        tid = transaction.get("insights_transaction_id")
        if not isinstance(tid, str):
            continue
        enrichment = enrichments.get(tid)
        if enrichment is None:
            enrichment = enrich(transaction)
        if tid in own:
            enrichment = recategorize(enrichment, OWN_ACCOUNTS_CATEGORY_ID)
        result[tid] = book.apply(transaction, enrichment)
    return result
