"""Incrementally maintained recurring state: one plain JSON dict per (consumer, bucket).

A *bucket* holds a consumer's transactions with one counterparty, in one direction (DEBIT or
CREDIT) and one currency, over all the consumer's accounts (a subscription that moves from one
card to another stays one series). `bucket_key` maps a transaction to its bucket; the wiring
keys its table `<consumer>\\x1f<bucket key>`. Every change of a transaction touches one or two
buckets (two when it moves), and a bucket's series are recomputed from that bucket alone, so
the cost of an event depends on the bucket's size (bounded, below), never on the consumer's
whole history.

State layout (docs/recurring.md, "State")::

    {"v": 1,
     "key": "D.EUR.iban.5f0c2a9e1b7d4c36",         # bucket_key of every member
     "type": "DEBIT", "currency": "EUR",
     "counterparty": "iban:DE89370400440532013000", # what the key was derived from (readable)
     "items": {"<account id>": {"<transaction id>": ["2024-03-01", 1599, "3f9c0a7d51e2"]}},
     "category_sets": {"3f9c0a7d51e2": ["<category id>", ...]},  # only when items have
     "category_names": {"<category id>": "Streaming"},           # categories
     "brand": {"id": "...", "name": "...", "url": "..."},  # only for brand buckets
     "groups": [{"interval": "MONTHLY", "ids": ["..."], "next_date": "2024-04-01",
                 "confidence": 0.93}],
     "trimmed": true}                                     # only once the cap evicted items

An item is `[day, amount]` or `[day, amount, category set key]`, the amount in minor units
without sign (the bucket's `type` gives the direction). A transaction's category ids (main
first) are stored once per bucket under a key derived from them (`category_set_key`), since
a shop's transactions mostly share their categories; that saves a quarter of a categorized
busy bucket's state. `groups` are derived from the items by `workers.domain.recurring.detect_series`
and stored so that a report only reads them.

Idempotence: membership is keyed by transaction id and nothing is counted per event, so
applying a change twice, or replaying any stretch of changes, leaves the state equal; the
groups depend only on the set of items, not on the order they came in. Functions never mutate
their input: they return a new dict, or the same object when nothing changed (the wiring can
skip the write then). Accounts and transaction ids are kept sorted, so equal states are equal
as JSON bytes too. Category sets and names nobody uses any more are dropped. `brand` and
`category_names` take the values of the latest upsert that carried them; enrichment derives
those ids from the names (UUIDv5), so an id keeps its name, and the groups never depend on
them.

Bounds: `prune` removes items dated before the retention cutoff (the wiring passes the
history's cutoff: newest date - INSIGHTS_RETENTION_DAYS), and a bucket keeps at most
`MAX_BUCKET_ITEMS` items, the newest by (date, id). The cap is only reached by counterparties
with several transactions a week (a supermarket, a café); weekly series fit in it with room
to spare (58 weeks in 400 days). Once the cap evicted an item, removing a newer one does not
bring the evicted one back; `trimmed` records that this happened. Below the cap the state is
exactly a function of the set of member transactions.

Which transactions take part (`takes_part`): every state except CANCELED and FAILED (PENDING
takes part: the booked version replaces it under the same id; a missing state counts as
UNKNOWN and takes part), with an amount above zero (card verifications of 0 do not recur),
not a cash withdrawal (`method` CASH: there is no counterparty to recur with, and round
amounts repeat by themselves) and with a counterparty that can be named (brand, IBAN, account
number, holder name or reference text).
"""

from __future__ import annotations

import hashlib
import heapq
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

from workers.domain.recurring import detect_series

STATE_VERSION = 1
#: Items kept per bucket at most (the newest by date, then id).
MAX_BUCKET_ITEMS = 160
#: Transaction states that never take part in recurring detection.
EXCLUDED_STATES = frozenset({"CANCELED", "FAILED"})
#: Length of the readable counterparty kept in the state.
MAX_LABEL_LENGTH = 80

_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_HAS_DIGIT = re.compile(r"[0-9]")
# Month names and abbreviations in the service's languages: references such as
# "Miete Januar" / "Miete Februar" name one counterparty.
_MONTH_WORDS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "januar", "februar", "marz", "maerz", "mai", "juni", "juli",
    "oktober", "dezember", "okt", "dez", "januari", "februari", "mars", "maj", "augusti",
    "desember",
})


class RecurringInputError(ValueError):
    """A transaction that lacks what the recurring state needs (id, date, amount, type)."""


# --- buckets ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """Casefolded words without accents, digits-bearing tokens or month names."""
    if not isinstance(value, str):
        return ""
    plain = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    words = [w for w in _NON_ALNUM.split(plain)
             if w and not _HAS_DIGIT.search(w) and w not in _MONTH_WORDS]
    return " ".join(words)


def _identifier(value: Any) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value).upper() if isinstance(value, str) else ""


def counterparty(txn: Mapping[str, Any]) -> tuple[str, str] | None:
    """(kind, normalized value) naming the other side of a transaction, or None.

    In order: the brand id; the counterparty IBAN (spaces removed, upper case); its account
    number (with the bank code when given); its holder name; the reference text (the
    structured or unstructured bank reference, else `reference`). Names and texts are
    casefolded, accents, punctuation, words with digits (invoice numbers, dates) and month
    names dropped, so "Vodafone GmbH Rechnung 202401" and "... 202402" name one counterparty.
    """
    brand = txn.get("brand")
    if isinstance(brand, Mapping) and isinstance(brand.get("id"), str) and brand["id"]:
        return "brand", brand["id"]
    party = txn.get("counter_party")
    if isinstance(party, Mapping):
        iban = _identifier(party.get("iban"))
        if _IBAN.fullmatch(iban):
            return "iban", iban
        number = _identifier(party.get("account_number")) or iban
        if number:
            bank = _identifier(party.get("bank_code"))
            return "account", f"{bank}/{number}" if bank else number
        name = _text(party.get("holder_name"))
        if name:
            return "name", name
    references = txn.get("bank_references")
    texts = [txn.get("reference")]
    if isinstance(references, Mapping):
        texts = [references.get("structured"), references.get("unstructured"), *texts]
    for text in texts:
        words = _text(text)
        if words:
            return "reference", words
    return None


def _day(txn: Mapping[str, Any]) -> str | None:
    day = txn.get("booking_date") or txn.get("value_date")
    if isinstance(day, date):
        return day.isoformat()
    return day[:10] if isinstance(day, str) else None


def takes_part(txn: Mapping[str, Any]) -> bool:
    """Whether the transaction takes part in recurring detection (see the module docstring)."""
    return bucket_key(txn) is not None


def bucket_key(txn: Mapping[str, Any]) -> str | None:
    """The key of the bucket the transaction belongs to, or None when it takes no part.

    `<D|C>.<currency>.<kind>.<16 hex digits of a BLAKE2b digest of the counterparty>`, e.g.
    `D.EUR.iban.5f0c2a9e1b7d4c36`: short, printable, free of the table's key separator. When a
    new version of a transaction has another key (its brand was found, its state became
    FAILED), the wiring removes it from the old bucket and upserts it into the new one.
    """
    if txn.get("deleted") or txn.get("state") in EXCLUDED_STATES:
        return None
    if txn.get("method") == "CASH":
        return None
    amount = txn.get("amount")
    if not isinstance(amount, Mapping) or not isinstance(amount.get("amount"), int):
        return None
    if amount["amount"] <= 0 or not isinstance(amount.get("currency"), str):
        return None
    kind = txn.get("type")
    if kind not in ("DEBIT", "CREDIT") or _day(txn) is None:
        return None
    party = counterparty(txn)
    if party is None:
        return None
    digest = hashlib.blake2b(party[1].encode(), digest_size=8).hexdigest()
    return f"{kind[0]}.{amount['currency']}.{party[0]}.{digest}"


# --- reading ----------------------------------------------------------------------------------


def groups(state: Mapping[str, Any] | None) -> list[dict]:
    """The bucket's recurring groups as stored: `interval`, `ids` (date order), `next_date`,
    `confidence`. Empty for no state."""
    return list(state.get("groups", ())) if state else []


def items(state: Mapping[str, Any] | None) -> Iterator[tuple[str, str, list]]:
    """(account id, transaction id, item) of every member of the bucket."""
    if not state:
        return
    for account_id, members in state["items"].items():
        for txn_id, item in members.items():
            yield account_id, txn_id, item


def item_index(state: Mapping[str, Any]) -> dict[str, tuple[str, list]]:
    """Transaction id -> (account id, item)."""
    return {txn_id: (account_id, item) for account_id, txn_id, item in items(state)}


def size(state: Mapping[str, Any] | None) -> int:
    """Number of transactions in the bucket."""
    return sum(len(members) for members in state["items"].values()) if state else 0


# --- changes ----------------------------------------------------------------------------------


def _categories_of(txn: Mapping[str, Any]) -> list[str]:
    return [c["id"] for c in txn.get("categories") or ()
            if isinstance(c, Mapping) and isinstance(c.get("id"), str) and c["id"]]


def category_set_key(category_ids: list[str]) -> str:
    """The key under which a list of category ids is stored in `category_sets`: 12 hex
    digits of a BLAKE2b digest of the ids in order (a collision within one bucket is
    astronomically unlikely)."""
    return hashlib.blake2b("\x1f".join(category_ids).encode(), digest_size=6).hexdigest()


def categories_of_item(state: Mapping[str, Any], item: list) -> list[str]:
    """The category ids of a stored item, main first (empty when it has none)."""
    return state["category_sets"][item[2]] if len(item) > 2 else []


def _item(txn: Mapping[str, Any]) -> list:
    item: list = [_day(txn), txn["amount"]["amount"]]
    categories = _categories_of(txn)
    if categories:
        item.append(category_set_key(categories))
    return item


def _collect_categories(state: dict, members_of: Mapping[str, Mapping[str, list]],
                        dropped: set[str] | None) -> None:
    """Drop category sets no item uses any more and names no set uses. `dropped` are the set
    keys of items removed or replaced (None: check every set); a shop's items mostly share
    one set, so the check usually ends at the first item."""
    sets = state.get("category_sets")
    if not sets:
        return
    candidates = set(sets) if dropped is None else dropped & set(sets)
    if not candidates:
        return
    for members in members_of.values():
        for item in members.values():
            if len(item) > 2 and item[2] in candidates:
                candidates.discard(item[2])
                if not candidates:
                    return
    sets = {k: v for k, v in sets.items() if k not in candidates}
    ids = {c for ids in sets.values() for c in ids}
    names = {k: v for k, v in state.get("category_names", {}).items() if k in ids}
    for field, value in (("category_sets", sets), ("category_names", names)):
        if value:
            state[field] = value
        else:
            state.pop(field, None)


def _label(party: tuple[str, str]) -> str:
    return f"{party[0]}:{party[1]}"[:MAX_LABEL_LENGTH]


def upsert(state: Mapping[str, Any] | None, txn: Mapping[str, Any]) -> dict:
    """Add or replace one transaction (a stored transaction dict) in its bucket.

    `state` is the bucket's current state or None for a new bucket. Raises RecurringInputError
    when the transaction takes no part or belongs to another bucket (remove it from the old
    bucket instead). Returns `state` itself when nothing changed.
    """
    txn_id = txn.get("insights_transaction_id")
    if not isinstance(txn_id, str):
        raise RecurringInputError("a transaction needs insights_transaction_id")
    return apply(state, {txn_id: txn})  # type: ignore[return-value]


def remove(state: Mapping[str, Any] | None, txn_id: str) -> dict | None:
    """Remove one transaction. None when the bucket became empty (delete its record); `state`
    itself when the transaction was not in it."""
    return apply(state, {txn_id: None})


def apply(state: Mapping[str, Any] | None,
          changes: Mapping[str, Mapping[str, Any] | None]) -> dict | None:
    """Apply several changes to one bucket with a single detection.

    `changes` maps a transaction id to its new version (a stored transaction of this bucket)
    or to None to remove it; give each id its latest version (for example the last event of
    a batch). Returns None when the bucket became empty, `state` itself when nothing changed.
    Raises RecurringInputError like `upsert`, before anything is applied.
    """
    draft: _Draft | None = None
    for txn_id, txn in changes.items():
        current = draft.state if draft is not None else state
        if txn is None:
            if current is None or _find(current, txn_id) is None:
                continue
            draft = draft or _Draft(state)  # type: ignore[arg-type]
            draft.drop(txn_id)
            continue
        found_id, account_id, key = _checked(txn, current)
        if found_id != txn_id:
            raise RecurringInputError(f"change for {txn_id} carries transaction {found_id}")
        if current is not None and _unchanged(current, txn, txn_id, account_id):
            continue
        draft = draft or _Draft(state if state is not None else _empty(txn, key))
        draft.put(txn, txn_id, account_id)
    if draft is None:
        return state  # type: ignore[return-value]
    return _settle(draft.state, draft.dropped_sets, draft.touched, state)


def rebuild(transactions: Iterable[Mapping[str, Any]]) -> dict | None:
    """The state of one bucket built from its transactions in one step (all must have the
    same bucket key; a repeated id keeps its last version); equal to upserting them one by
    one, at the cost of one detection."""
    return apply(None, {txn["insights_transaction_id"]: txn for txn in transactions})


def build_states(transactions: Iterable[Mapping[str, Any]]) -> dict[str, dict]:
    """Bucket key -> state for a consumer's transactions (those that take part), each bucket
    built in one step: the reference the incremental states must equal."""
    buckets: dict[str, list[Mapping[str, Any]]] = {}
    for txn in transactions:
        key = bucket_key(txn)
        if key is not None:
            buckets.setdefault(key, []).append(txn)
    return {key: rebuild(members) for key, members in sorted(buckets.items())}  # type: ignore[misc]


def prune(state: Mapping[str, Any] | None, cutoff_day: str) -> dict | None:
    """Remove the transactions dated before `cutoff_day` (ISO). None when nothing is left;
    `state` itself when nothing was older."""
    if state is None:
        return None
    return apply(state, {txn_id: None for _, txn_id, item in items(state) if item[0] < cutoff_day})


class _Draft:
    """A changed copy of a state under construction: the item dicts of `state` are shared
    until an account's members change, then copied once."""

    def __init__(self, state: Mapping[str, Any]) -> None:
        self.state = dict(state)
        self.state["items"] = dict(state["items"])
        self.touched: set[str] = set()  # accounts whose members were copied and changed
        self.dropped_sets: set[str] = set()  # category set keys of removed items

    def _members(self, account_id: str) -> dict[str, list]:
        members = self.state["items"].get(account_id, {})
        if account_id not in self.touched:
            members = dict(members)
            self.state["items"][account_id] = members
            self.touched.add(account_id)
        return members

    def _take(self, txn_id: str) -> list | None:
        for account_id, members in self.state["items"].items():
            if txn_id in members:
                return self._members(account_id).pop(txn_id)
        return None

    def drop(self, txn_id: str) -> None:
        item = self._take(txn_id)
        if item is not None and len(item) > 2:
            self.dropped_sets.add(item[2])

    def put(self, txn: Mapping[str, Any], txn_id: str, account_id: str) -> None:
        item = _item(txn)
        old = self._take(txn_id)
        # Only categories the new version lacks may leave a name unused.
        if old is not None and len(old) > 2:
            self.dropped_sets.add(old[2])
        self._members(account_id)[txn_id] = item
        brand = _brand(txn)
        if brand is not None:
            self.state["brand"] = brand
        categories = _categories_of(txn)
        if categories and item[2] not in self.state.get("category_sets", {}):
            self.state["category_sets"] = {**self.state.get("category_sets", {}),
                                           item[2]: categories}
        names = _names(txn)
        if names:
            self.state["category_names"] = {**self.state.get("category_names", {}), **names}


def _find(state: Mapping[str, Any], txn_id: str) -> list | None:
    for members in state["items"].values():
        item = members.get(txn_id)
        if item is not None:
            return item
    return None


def _unchanged(state: Mapping[str, Any], txn: Mapping[str, Any], txn_id: str,
               account_id: str) -> bool:
    known = state.get("category_names", {})
    return (state["items"].get(account_id, {}).get(txn_id) == _item(txn)
            and state.get("brand") == _brand(txn)
            and all(known.get(k) == v for k, v in _names(txn).items()))


def _checked(txn: Mapping[str, Any], state: Mapping[str, Any] | None) -> tuple[str, str, str]:
    txn_id = txn.get("insights_transaction_id")
    account_id = txn.get("insights_account_id")
    if not isinstance(txn_id, str) or not isinstance(account_id, str):
        raise RecurringInputError("a transaction needs insights_transaction_id and "
                                  "insights_account_id")
    key = bucket_key(txn)
    if key is None:
        raise RecurringInputError(f"transaction {txn_id} takes no part in recurring detection")
    if state is not None and state["key"] != key:
        raise RecurringInputError(f"transaction {txn_id} belongs to bucket {key}, "
                                  f"not {state['key']}")
    return txn_id, account_id, key


def _empty(txn: Mapping[str, Any], key: str) -> dict:
    party = counterparty(txn)
    return {"v": STATE_VERSION, "key": key, "type": txn["type"],
            "currency": txn["amount"]["currency"], "counterparty": _label(party),  # type: ignore[arg-type]
            "items": {}}


def _names(txn: Mapping[str, Any]) -> dict[str, str]:
    return {c["id"]: c["name"] for c in txn.get("categories") or ()
            if isinstance(c, Mapping) and c.get("id") and isinstance(c.get("name"), str)}


def _brand(txn: Mapping[str, Any]) -> dict | None:
    brand = txn.get("brand")
    if not isinstance(brand, Mapping) or not brand.get("id"):
        return None
    return {k: brand[k] for k in ("id", "name", "url") if brand.get(k) is not None}


def _settle(state: dict, dropped_sets: set[str] | None = None, touched: set[str] | None = None,
            original: Mapping[str, Any] | None = None) -> dict | None:
    """Drop empty accounts, apply the cap, forget category sets and names no item uses any
    more (`dropped_sets`: the set keys of removed or replaced items; None: check all),
    recompute groups. Returns `original` when the result has the same content (a change to
    a transaction the cap keeps out of a full bucket)."""
    # Sorted accounts and ids: equal states are equal as JSON bytes too, whatever the order
    # of the changes that built them. Members of untouched accounts are sorted already.
    members_of = {a: dict(sorted(m.items())) if touched is None or a in touched else m
                  for a, m in sorted(state["items"].items()) if m}
    count = sum(map(len, members_of.values()))
    if count == 0:
        return None
    if count > MAX_BUCKET_ITEMS:
        # Usually one item over the cap (a new transaction arrived): a linear scan, no sort.
        entries = ((item[0], txn_id, account_id) for account_id, members in members_of.items()
                   for txn_id, item in members.items())
        excess = count - MAX_BUCKET_ITEMS
        oldest = [min(entries)] if excess == 1 else heapq.nsmallest(excess, entries)
        dropped_sets = set() if dropped_sets is None else set(dropped_sets)
        for _, txn_id, account_id in oldest:
            members = members_of[account_id] = dict(members_of[account_id])
            item = members.pop(txn_id)
            if len(item) > 2:
                dropped_sets.add(item[2])
        members_of = {a: m for a, m in members_of.items() if m}
        state["trimmed"] = True
    state["items"] = members_of
    _collect_categories(state, members_of, dropped_sets)
    for field in ("category_sets", "category_names"):  # small; sorted for equal bytes
        if field in state:
            state[field] = dict(sorted(state[field].items()))
    if original is not None and all(state.get(k) == original.get(k)
                                    for k in state.keys() | original.keys() if k != "groups"):
        return original  # type: ignore[return-value]
    occurrences = [(txn_id, item[0], item[1]) for members in members_of.values()
                   for txn_id, item in members.items()]
    state["groups"] = [
        {"interval": series.interval, "ids": list(series.ids), "next_date": series.next_date,
         "confidence": series.confidence}
        for series in detect_series(occurrences)
    ]
    return state
