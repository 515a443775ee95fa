"""Per-consumer category corrections: plain rules and a pure function that applies them.

A correction (a CategorizationFeedback message) names one transaction of one consumer and a
category. It becomes a `CorrectionRule` once the corrected transaction is known: the rule
records that transaction's date (the *anchor date*) and its *similarity key*:

* ``brand:<id>`` when the transaction has a brand that is not a payment intermediary;
* else ``counterparty:<words>``: the words of `counter_party.holder_name` without digits and
  company forms (``GmbH``, ``AS``, ``Ltd`` ...), or, without a holder name, the first four such
  words of `reference`;
* else no key: the correction can only apply to its own transaction.

A rule applies to its own transaction always, and with scope ``SIMILAR`` (the default) also to
every *later* similar transaction of the same consumer: one with the same similarity key whose
date (booking date, else value date) is on or after the anchor date, whether it arrived before
or after the correction. Several rules may match: a rule for the transaction itself wins; among
the others the one with the latest anchor date, then the latest `created_at`, then the
greatest `feedback_id` wins. A newer correction of the same transaction replaces the older one.
The brand is never changed by a correction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from workers.domain.enrichment import taxonomy
from workers.domain.enrichment.brands import brands_by_id
from workers.domain.enrichment.text import COMPANY_FORMS, tokens
from workers.domain.enrichment.transfers import transaction_date

__all__ = [
    "SCOPES",
    "CorrectionBook",
    "CorrectionRule",
    "add_rule",
    "apply_corrections",
    "make_rule",
    "recategorize",
    "rule_of",
    "similarity_key",
    "supersedes",
]

#: TRANSACTION: only the corrected transaction; SIMILAR: it and later similar ones.
SCOPES = ("TRANSACTION", "SIMILAR")


@dataclass(frozen=True, slots=True)
class CorrectionRule:
    """A correction bound to its transaction: plain data, stored per consumer."""

    feedback_id: str
    transaction_id: str
    category_id: str
    scope: str
    anchor_date: str | None  # YYYY-MM-DD of the corrected transaction
    similarity_key: str | None
    created_at: str  # ISO 8601 UTC; orders corrections of the same transaction

    def to_dict(self) -> dict[str, Any]:
        """The rule as a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CorrectionRule:
        """The rule from `to_dict` output."""
        return cls(**{field: data.get(field) for field in cls.__slots__})


def similarity_key(transaction: Mapping[str, Any], enrichment: Mapping[str, Any]) -> str | None:
    """The key that makes two transactions of a consumer similar (see the module doc)."""
    brand = enrichment.get("brand")
    if isinstance(brand, Mapping):
        known = brands_by_id().get(brand.get("id"))
        if known is not None and not known.intermediary:
            return f"brand:{known.id}"
    counter_party = transaction.get("counter_party")
    holder = counter_party.get("holder_name") if isinstance(counter_party, Mapping) else None
    for text, limit in ((holder, None), (transaction.get("reference"), 4)):
        if isinstance(text, str):
            words = [w for w in tokens(text)
                     if len(w) > 1 and w.isalpha() and w not in COMPANY_FORMS]
            if words:
                return "counterparty:" + " ".join(words[:limit])
    return None


def make_rule(feedback: Mapping[str, Any], transaction: Mapping[str, Any],
              enrichment: Mapping[str, Any]) -> CorrectionRule:
    """The rule of a validated CategorizationFeedback (as a dict) for its stored transaction.

    ValueError when the feedback names another transaction, an unknown category or scope, or
    has no `created_at` with an offset.
    """
    if feedback.get("insights_transaction_id") != transaction.get("insights_transaction_id"):
        raise ValueError("the feedback names a different transaction")
    when = transaction_date(transaction)
    return rule_of(feedback, when.isoformat() if when else None,
                   similarity_key(transaction, enrichment))


def rule_of(feedback: Mapping[str, Any], anchor_date: str | None,
            similarity: str | None) -> CorrectionRule:
    """The rule of a validated CategorizationFeedback (as a dict) whose transaction is dated
    `anchor_date` and has the similarity key `similarity` (both None while the transaction is
    unknown: the rule then applies to that transaction alone). ValueError as `make_rule`."""
    category_id = feedback.get("category_id")
    if not taxonomy.is_category_id(category_id):
        raise ValueError(f"category_id {category_id!r} is not in the Category List")
    scope = feedback.get("scope") or "SIMILAR"
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    created = feedback.get("created_at")
    if isinstance(created, str):
        try:
            created = datetime.fromisoformat(created)
        except ValueError:
            created = None
    if not isinstance(created, datetime) or created.tzinfo is None:
        raise ValueError("created_at must be a date-time with a UTC offset")
    return CorrectionRule(
        feedback_id=str(feedback.get("feedback_id")),
        transaction_id=str(feedback.get("insights_transaction_id")),
        category_id=category_id,
        scope=scope,
        anchor_date=anchor_date,
        similarity_key=similarity if scope == "SIMILAR" else None,
        created_at=created.astimezone(UTC).isoformat(),  # one format: comparable as text
    )


def supersedes(rule: CorrectionRule, other: CorrectionRule) -> bool:
    """Whether `rule` replaces `other` for the same transaction: a different feedback that
    is newer (by `created_at`, then `feedback_id`)."""
    return rule.feedback_id != other.feedback_id and _order(rule) > _order(other)


def _order(rule: CorrectionRule) -> tuple[str, str]:
    return rule.created_at, rule.feedback_id


def add_rule(rules: Iterable[CorrectionRule], rule: CorrectionRule) -> tuple[CorrectionRule, ...]:
    """`rules` with `rule` added: idempotent, one rule per transaction (the newest wins)."""
    kept: list[CorrectionRule] = []
    for existing in rules:
        if existing.transaction_id != rule.transaction_id:
            kept.append(existing)
        elif existing.feedback_id == rule.feedback_id or _order(existing) > _order(rule):
            return tuple(sorted(rules, key=lambda r: (r.transaction_id, _order(r))))
    kept.append(rule)
    return tuple(sorted(kept, key=lambda r: (r.transaction_id, _order(r))))


def recategorize(enrichment: Mapping[str, Any], category_id: str) -> dict[str, Any]:
    """A copy of `enrichment` whose categories are `category_id` and its main category."""
    category = taxonomy.by_id(category_id)
    categories = [{"id": category.id, "name": category.name}]
    if category.parent_key is not None:
        parent = taxonomy.by_key(category.parent_key)
        categories.append({"id": parent.id, "name": parent.name})
    result = dict(enrichment)
    result["categories"] = categories
    return result


class CorrectionBook:
    """A consumer's rules indexed for applying them to many transactions."""

    def __init__(self, rules: Sequence[CorrectionRule]) -> None:
        """Index `rules` by transaction id and by similarity key."""
        self._direct: dict[str, CorrectionRule] = {}
        self._similar: dict[str, list[CorrectionRule]] = {}
        for rule in rules:
            current = self._direct.get(rule.transaction_id)
            if current is None or _order(rule) > _order(current):
                self._direct[rule.transaction_id] = rule
        for rule in self._direct.values():
            if rule.scope == "SIMILAR" and rule.similarity_key and rule.anchor_date:
                self._similar.setdefault(rule.similarity_key, []).append(rule)
        for bucket in self._similar.values():
            bucket.sort(key=lambda r: (r.anchor_date, *_order(r)), reverse=True)

    def rule_for(self, transaction: Mapping[str, Any],
                 enrichment: Mapping[str, Any]) -> CorrectionRule | None:
        """The rule that decides `transaction`'s category, or None."""
        direct = self._direct.get(transaction.get("insights_transaction_id"))
        if direct is not None or not self._similar:
            return direct
        when = transaction_date(transaction)
        return self.rule_for_key(transaction.get("insights_transaction_id"),
                                 when.isoformat() if when else None,
                                 similarity_key(transaction, enrichment))

    def rule_for_key(self, transaction_id: Any, day: str | None,
                     key: str | None) -> CorrectionRule | None:
        """`rule_for` from what it reads: the transaction's id, date (ISO) and similarity key."""
        direct = self._direct.get(transaction_id)
        if direct is not None:
            return direct
        bucket = self._similar.get(key) if key else None
        if not bucket or day is None:
            return None
        for rule in bucket:  # newest anchor first
            if rule.anchor_date <= day:
                return rule
        return None

    def apply(self, transaction: Mapping[str, Any],
              enrichment: Mapping[str, Any]) -> Mapping[str, Any]:
        """`enrichment`, recategorized when a rule applies to `transaction`."""
        rule = self.rule_for(transaction, enrichment)
        if rule is None or not taxonomy.is_category_id(rule.category_id):
            return enrichment
        return recategorize(enrichment, rule.category_id)


def apply_corrections(transaction: Mapping[str, Any], enrichment: Mapping[str, Any],
                      rules: Sequence[CorrectionRule]) -> Mapping[str, Any]:
    """`enrichment` of `transaction` after the consumer's correction `rules`."""
    return CorrectionBook(rules).apply(transaction, enrichment)
