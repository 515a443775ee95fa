"""Transfers between a consumer's own accounts, found over the consumer's transactions.

One transaction cannot tell whether money went to the consumer's own account, so this runs
where the consumer's history is available (at report time). The rule:

* a DEBIT on one account and a CREDIT on another account of the same consumer,
* with the same amount (> 0) and currency,
* dated at most `max_days` apart (booking date, else value date; default 3 days),
* neither FAILED nor CANCELED, neither paid by card or in cash (method CARD or CASH),

form a pair. Pairs are chosen greedily and deterministically: debits in (date, id) order,
each taking the unpaired credit with the smallest date difference (ties: earlier date, then
smaller id). Every transaction belongs to at most one pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

__all__ = ["DEFAULT_MAX_DAYS", "own_account_transfers", "pair_transfers", "transaction_date",
           "transfer_side"]

DEFAULT_MAX_DAYS = 3
_EXCLUDED_STATES = frozenset({"FAILED", "CANCELED"})
_EXCLUDED_METHODS = frozenset({"CARD", "CASH", "ATM"})


def transaction_date(transaction: Mapping[str, Any]) -> date | None:
    """The booking date, else the value date (ISO string or date); None when neither is valid."""
    for field in ("booking_date", "value_date"):
        value = transaction.get(field)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                continue
    return None


#: (type, currency, amount, date, account id, transaction id) of a possible side of a transfer.
TransferSide = tuple[str, str, int, date, str, str]


def transfer_side(transaction: Mapping[str, Any]) -> TransferSide | None:
    """(type, currency, amount, date, account, id) of a transaction that may be one side of a
    transfer between own accounts, or None."""
    kind = transaction.get("type")
    amount = transaction.get("amount")
    tid = transaction.get("insights_transaction_id")
    account = transaction.get("insights_account_id")
    if kind not in ("DEBIT", "CREDIT") or not isinstance(amount, Mapping):
        return None
    value, currency = amount.get("amount"), amount.get("currency")
    if (not isinstance(value, int) or isinstance(value, bool) or value <= 0
            or not isinstance(currency, str) or not isinstance(tid, str)
            or not isinstance(account, str) or transaction.get("deleted") is True):
        return None
    if transaction.get("state") in _EXCLUDED_STATES:
        return None
    method = transaction.get("method")
    if isinstance(method, str) and method.upper() in _EXCLUDED_METHODS:
        return None
    when = transaction_date(transaction)
    if when is None:
        return None
    return kind, currency, value, when, account, tid


def own_account_transfers(transactions: Iterable[Mapping[str, Any]],
                          max_days: int = DEFAULT_MAX_DAYS) -> set[str]:
    """Ids of the transactions that are one side of a transfer between own accounts."""
    return pair_transfers((transfer_side(t) for t in transactions), max_days)


def pair_transfers(sides: Iterable[TransferSide | None],
                   max_days: int = DEFAULT_MAX_DAYS) -> set[str]:
    """Ids of the sides (`transfer_side` results; None entries are skipped) that form a
    transfer between own accounts, paired as the module doc says."""
    debits: dict[tuple[str, int], list[tuple]] = {}
    credits: dict[tuple[str, int], list[tuple]] = {}
    for found in sides:
        if found is None:
            continue
        kind, currency, value, when, account, tid = found
        side = debits if kind == "DEBIT" else credits
        side.setdefault((currency, value), []).append((when, tid, account))
    paired: set[str] = set()
    for key, outgoing in debits.items():
        incoming = sorted(credits.get(key, ()))
        if not incoming:
            continue
        used = [False] * len(incoming)
        for when, tid, account in sorted(outgoing):
            best, best_rank = -1, None
            for position, (other_when, other_tid, other_account) in enumerate(incoming):
                if used[position] or other_account == account:
                    continue
                gap = abs((other_when - when).days)
                if gap > max_days:
                    continue
                rank = (gap, other_when, other_tid)
                if best_rank is None or rank < best_rank:
                    best, best_rank = position, rank
            if best >= 0:
                used[best] = True
                paired.add(tid)
                paired.add(incoming[best][1])
    return paired
