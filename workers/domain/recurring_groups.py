"""A consumer's recurring groups kept in step with the history: pure code over a RecordStore.

`RecurringGroups` is the history's `TransactionListener`. Every change of a live transaction
(insert, new version, deletion, retention) queues the transaction's id under its old and its
new bucket (workers.domain.recurring_state); `settle` applies the queued changes, one
`recurring_state.apply` (one detection) per bucket however many of its transactions changed,
with each transaction's version as the history holds it then (removed from every queued bucket
but its current one), and writes each changed bucket state once, under the key
``<consumer>\\x1f<bucket key>``. Only ids are queued, so a long queue costs little memory; the
wiring settles when ingestion has caught up (and before a consumer's recurring report), so a
backfill that touches a bucket many times pays for one detection.

The bucket states are derived data: the history's records are the truth. After a crash the
two changelogs (transactions and recurring) each hold a prefix of their writes, cut at
different points, so `verify` compares every bucket state with what the history's index says
its members are (day, amount, categories) and `heal` rebuilds the buckets that differ from
their member records. The wiring runs both after every recovery, before any event is
processed; a clean run finds nothing to heal.

The bucket cap (`recurring_state.MAX_BUCKET_ITEMS`) keeps the newest items; an item the cap
evicted is not brought back when a newer one is removed. `verify` accepts such a state: a
member missing from a trimmed bucket that is older than everything the bucket kept is not a
difference.

Storage layout. Every table write sends the whole value to the changelog, and a busy bucket
(a supermarket visited several times a week: up to 160 items, ~12 KB) would be rewritten whole
by each of its transactions. A bucket of more than `INLINE_ITEMS` items is therefore stored
as a *head* under ``<consumer>\x1f<bucket key>`` (the state without `items`, plus `months`:
month -> digest of that month's items) and one *month record* per calendar month of its items
under ``<consumer>\x1f<bucket key>@<YYYY-MM>``. A change writes the month records whose
items changed (one for a new transaction) and then the head; a small bucket stays one record,
so recovery does not read more records for the many buckets that never grow. The head is
written last and names the digest of every month record it was computed from: after a crash
between the two writes, a month record that does not match its head (or one the head does not
name) makes `verify` report the bucket, and `heal` rewrites it whole.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from workers.domain import recurring_state
from workers.domain.history import (
    RecordStore,
    TransactionHistory,
    client_view,
    record_key,
    split_key,
)

log = logging.getLogger(__name__)

#: Queued changes: consumer -> bucket key -> ids of the transactions that entered or left it.
Pending = dict[str, dict[str, set[str]]]

#: Buckets of up to this many items are stored as one record (~2.5 KB at most); larger ones
#: as a head and one record per month of items (see the module doc).
INLINE_ITEMS = 32

#: Between a bucket key and the month of one of its month records.
MONTH_SEPARATOR = "@"


class RecurringGroups:
    """The recurring bucket states of every consumer, over a RecordStore (see the module doc)."""

    def __init__(self, store: RecordStore, inline_items: int = INLINE_ITEMS) -> None:
        self.store = store
        #: Buckets of more items are stored as a head and month records.
        self.inline_items = inline_items
        self._pending: Pending = {}
        self._queued = 0
        self._buckets: dict[str, set[str]] = {}  # consumer -> keys of its stored buckets
        # (consumer, bucket) -> months of the month records found by `rebuild`, until
        # `verify` or `heal` has compared them with the bucket's head.
        self._recovered_months: dict[tuple[str, str], set[str]] = {}

    # ---- changes ---------------------------------------------------------------------------

    def changed(self, consumer_id: str, txn_id: str, old_bucket: str | None,
                new_bucket: str | None, record: Mapping[str, Any] | None) -> None:
        """Queue a change of one transaction (the history's TransactionListener)."""
        buckets = self._pending.get(consumer_id)
        if buckets is None:
            buckets = self._pending[consumer_id] = {}
        for bucket in (old_bucket, new_bucket):
            if bucket is not None:
                queued = buckets.get(bucket)
                if queued is None:
                    queued = buckets[bucket] = set()
                if txn_id not in queued:
                    queued.add(txn_id)
                    self._queued += 1

    @property
    def queued(self) -> int:
        """(bucket, transaction) changes queued since the last `settle`."""
        return self._queued

    def settle(self, history: TransactionHistory, consumer_ids: Iterable[str] | None = None,
               max_buckets: int | None = None) -> int:
        """Apply the queued changes (of `consumer_ids` only, when given; of at most
        `max_buckets` buckets, when given, the rest staying queued); returns the number of
        bucket states written or deleted.

        A bucket whose changes cannot be applied (a bug, never bad input: the history hands
        in validated records) is logged and rebuilt at the next `verify`; the other buckets
        are applied.
        """
        wanted = list(self._pending) if consumer_ids is None else [
            c for c in consumer_ids if c in self._pending]
        budget = max_buckets
        written = 0
        for consumer_id in wanted:
            buckets = self._pending[consumer_id]
            while buckets and (budget is None or budget > 0):
                bucket, txn_ids = buckets.popitem()
                self._queued -= len(txn_ids)
                if budget is not None:
                    budget -= 1
                written += self._settle_bucket(history, consumer_id, bucket, txn_ids)
            if not buckets:
                del self._pending[consumer_id]
            if budget == 0:
                break
        return written

    def _settle_bucket(self, history: TransactionHistory, consumer_id: str, bucket: str,
                       txn_ids: set[str]) -> int:
        changes = {}
        for txn_id in sorted(txn_ids):
            meta = history.meta(consumer_id, txn_id)
            changes[txn_id] = (history.record_of(consumer_id, txn_id)
                               if meta is not None and meta.bucket == bucket else None)
        try:
            return self.apply_changes(consumer_id, bucket, changes)
        except recurring_state.RecurringInputError:
            log.exception("recurring bucket %s of %s not updated", bucket, consumer_id)
            return 0

    def discard_pending(self) -> None:
        """Forget queued changes (a rebalance: the next `verify` repairs what they held)."""
        self._pending, self._queued = {}, 0

    def apply_changes(self, consumer_id: str, bucket: str,
                      changes: Mapping[str, Mapping[str, Any] | None]) -> int:
        """Apply transaction id -> newest record (None: it left the bucket) to one bucket
        and write what changed; returns 1 when the bucket was written, else 0."""
        head = self.store.get(record_key(consumer_id, bucket))
        state, _, loaded = self._load(consumer_id, bucket, head, check=False)
        updated = recurring_state.apply(state, changes)
        if updated is state:
            return 0
        if loaded and updated is not None and recurring_state.size(updated) > self.inline_items:
            self._put(consumer_id, bucket, updated, _months_of(head),
                      *_months_after(loaded, updated, changes.keys()))
        else:
            self._put(consumer_id, bucket, updated, _months_of(head))
        return 1

    def _put(self, consumer_id: str, bucket: str, state: dict | None,
             stored_months: Mapping[str, str], months: dict[str, dict] | None = None,
             touched: set[str] | None = None, rewrite: bool = False) -> None:
        """Write `state` (None: delete the bucket). `stored_months`: month -> digest of the
        month records its head names. `months` / `touched`: the state's month records and
        the months whose record may differ from the stored one, when the caller derived them
        from the change (the others keep their record and digest unread); else all are
        derived from the state and compared by digest. Only records that differ are written,
        all of them with `rewrite`; month records nobody names any more are deleted."""
        key = record_key(consumer_id, bucket)
        keys = self._buckets.setdefault(consumer_id, set())
        stored = dict(stored_months)
        for month in self._recovered_months.pop((consumer_id, bucket), ()):
            stored.setdefault(month, "")
        if state is None or recurring_state.size(state) <= self.inline_items:
            months, touched = {}, None
        elif months is None:
            months, touched = _month_records(state), None
        digests = {}
        for month, items in months.items():
            if touched is not None and month not in touched and month in stored:
                digests[month] = stored[month]
                continue
            digests[month] = digest = _digest(items)
            if rewrite or stored.get(month) != digest:
                self.store.set(_month_key(key, month), {"items": items})
        for month in stored.keys() - months.keys():
            self.store.delete(_month_key(key, month))
        if state is None:
            self.store.delete(key)
            keys.discard(bucket)
            if not keys:
                del self._buckets[consumer_id]
        else:
            # The head last: it names the month records it was computed from.
            if months:
                head = {k: v for k, v in state.items() if k != "items"}
                head["months"] = digests
            else:
                head = state
            self.store.set(key, head)
            keys.add(bucket)

    def _assemble(self, consumer_id: str, bucket: str,
                  head: Mapping[str, Any] | None) -> dict | None:
        """The bucket's state from its head and month records."""
        return self._load(consumer_id, bucket, head, check=False)[0]

    def _load(self, consumer_id: str, bucket: str, head: Mapping[str, Any] | None,
              check: bool) -> tuple[dict | None, bool, dict[str, dict]]:
        """The bucket's state; with `check`, whether its stored month records are exactly
        those the head was computed from (always True without `check`); and month -> the
        items read from each month record."""
        consistent = not check or not (self._recovered_months.get((consumer_id, bucket), set())
                                       - _months_of(head).keys())
        if head is None or "months" not in head:
            return head, consistent, {}  # type: ignore[return-value]
        key = record_key(consumer_id, bucket)
        get = self.store.get
        loaded: dict[str, dict] = {}
        members_of: dict[str, dict[str, list]] = {}
        for month, digest in head["months"].items():  # written in month order
            record = get(_month_key(key, month))
            items = loaded[month] = record.get("items", {}) if record else {}
            if check and (record is None or _digest(items) != digest):
                consistent = False
            for account_id, members in items.items():
                into = members_of.get(account_id)
                if into is None:
                    members_of[account_id] = dict(members)
                else:
                    into.update(members)
        state = {k: v for k, v in head.items() if k != "months"}
        # Accounts sorted, ids in month order: the state equals the one written (dicts compare
        # without order), and the month records are written sorted by `_months_after` /
        # `_month_records`, so sorting all ids here again would only cost time.
        state["items"] = (members_of if len(members_of) == 1
                          else dict(sorted(members_of.items())))
        return state, consistent, loaded

    # ---- reading ---------------------------------------------------------------------------

    def bucket_keys(self, consumer_id: str) -> list[str]:
        return sorted(self._buckets.get(consumer_id, ()))

    def states(self, consumer_id: str) -> list[dict]:
        """The consumer's bucket states, in bucket key order."""
        states = []
        for bucket in self.bucket_keys(consumer_id):
            state = self._assemble(consumer_id, bucket,
                                   self.store.get(record_key(consumer_id, bucket)))
            if state is not None:
                states.append(state)
        return states

    def consumers(self) -> list[str]:
        return sorted(self._buckets)

    # ---- recovery --------------------------------------------------------------------------

    def rebuild(self, items: Iterable[tuple[str, Any]], keep_consumer=None) -> None:
        """Rebuild the index of bucket keys from the stored states (keys only are read)."""
        self._buckets.clear()
        self._recovered_months.clear()
        self.discard_pending()
        for key, _ in items:
            consumer_id, bucket = split_key(key)
            if keep_consumer is None or keep_consumer(consumer_id):
                bucket, _, month = bucket.partition(MONTH_SEPARATOR)
                if month:
                    self._recovered_months.setdefault((consumer_id, bucket), set()).add(month)
                else:
                    self._buckets.setdefault(consumer_id, set()).add(bucket)

    def verify(self, history: TransactionHistory,
               consumer_ids: Iterable[str] | None = None) -> list[tuple[str, str]]:
        """(consumer, bucket) of every stored or expected bucket whose state differs from
        its members in the history (see the module doc)."""
        if consumer_ids is None:
            consumer_ids = sorted(set(history.consumers()) | set(self._buckets))
        recovered: dict[str, set[str]] = {}
        for consumer_id, bucket in self._recovered_months:
            recovered.setdefault(consumer_id, set()).add(bucket)
        differing: list[tuple[str, str]] = []
        for consumer_id in consumer_ids:
            expected = _members_by_bucket(history, consumer_id)
            for bucket in sorted(set(expected) | self._buckets.get(consumer_id, set())
                                 | recovered.get(consumer_id, set())):
                state, consistent, _ = self._load(
                    consumer_id, bucket, self.store.get(record_key(consumer_id, bucket)), True)
                if consistent and _agrees(state, expected.get(bucket, {})):
                    self._recovered_months.pop((consumer_id, bucket), None)
                else:
                    differing.append((consumer_id, bucket))
        return differing

    def heal(self, history: TransactionHistory, differing: Iterable[tuple[str, str]]) -> int:
        """Rebuild the given buckets from their member records; returns how many."""
        healed = 0
        for consumer_id, bucket in differing:
            members = [client_view(record) for meta in history.metas(consumer_id)
                       if meta.bucket == bucket and not meta.deleted
                       for record in [history.record_of(consumer_id, meta.transaction_id)]
                       if record is not None]
            state = recurring_state.rebuild(members) if members else None
            head = self.store.get(record_key(consumer_id, bucket))
            stored, consistent, _ = self._load(consumer_id, bucket, head, check=True)
            if state != stored or not consistent:
                self._put(consumer_id, bucket, state, _months_of(head), rewrite=True)
                healed += 1
            self._recovered_months.pop((consumer_id, bucket), None)
        return healed


def _members_by_bucket(history: TransactionHistory,
                       consumer_id: str) -> dict[str, dict[str, tuple[str, int, tuple]]]:
    """bucket -> transaction id -> (day, amount, category ids) of the live records."""
    members: dict[str, dict[str, tuple[str, int, tuple]]] = {}
    for meta in history.metas(consumer_id):
        if meta.bucket is not None and not meta.deleted:
            members.setdefault(meta.bucket, {})[meta.transaction_id] = (
                meta.day, meta.amount, meta.categories)
    return members


def _agrees(state: Mapping[str, Any] | None,
            members: Mapping[str, tuple[str, int, tuple]]) -> bool:
    if state is None:
        return not members
    kept: dict[str, str] = {}
    for _, txn_id, item in recurring_state.items(state):
        member = members.get(txn_id)
        if (member is None or item[0] != member[0] or item[1] != member[1]
                or tuple(recurring_state.categories_of_item(state, item)) != member[2]):
            return False
        kept[txn_id] = item[0]
    if len(kept) == len(members):
        return True
    if not state.get("trimmed") or not kept:
        return False
    # Members the cap evicted are older than everything the bucket kept.
    oldest = min((day, txn_id) for txn_id, day in kept.items())
    return all((day, txn_id) < oldest for txn_id, (day, _, _) in members.items()
               if txn_id not in kept)


def _month_key(key: str, month: str) -> str:
    return f"{key}{MONTH_SEPARATOR}{month}"


def _months_of(head: Mapping[str, Any] | None) -> dict[str, str]:
    """Month -> digest of the month records a stored head names (none for an inline one)."""
    return dict(head.get("months", {})) if head else {}


def _month_records(state: Mapping[str, Any]) -> dict[str, dict[str, dict[str, list]]]:
    """The state's items by calendar month (`YYYY-MM` of the item's day), accounts and ids
    sorted, so equal items give equal records."""
    months: dict[str, dict[str, dict[str, list]]] = {}
    for account_id, members in state["items"].items():
        for txn_id, item in members.items():
            month = item[0][:7]
            accounts = months.get(month)
            if accounts is None:
                accounts = months[month] = {}
            in_account = accounts.get(account_id)
            if in_account is None:
                in_account = accounts[account_id] = {}
            in_account[txn_id] = item
    return {month: {a: dict(sorted(m.items())) for a, m in sorted(accounts.items())}
            for month, accounts in sorted(months.items())}


def _months_after(loaded: Mapping[str, dict[str, dict[str, list]]], state: Mapping[str, Any],
                  changed: Iterable[str]) -> tuple[dict[str, dict], set[str]]:
    """The month records of `state` and the months whose record changed, from the records
    `loaded` of the state it was changed from and the ids of the changed transactions: a
    month changes where a changed transaction was or is now, and where the cap evicted items
    (the oldest: they sit in the months up to the first one that keeps an item). Untouched
    months keep their loaded record; the work is proportional to the months touched, not to
    the bucket's size."""
    changed = set(changed)
    members_of = state["items"]
    touched: set[str] = set()
    for month, accounts in loaded.items():
        if any(not changed.isdisjoint(members) for members in accounts.values()):
            touched.add(month)
    arrived: dict[str, dict[str, dict[str, list]]] = {}
    for txn_id in changed:
        for account_id, members in members_of.items():
            item = members.get(txn_id)
            if item is not None:
                month = item[0][:7]
                touched.add(month)
                arrived.setdefault(month, {}).setdefault(account_id, {})[txn_id] = item
                break
    if state.get("trimmed"):
        for month in loaded:  # in month order
            present = [txn_id in members_of.get(account_id, ())
                       for account_id, members in loaded[month].items() for txn_id in members]
            if not all(present):
                touched.add(month)
            if any(present):
                break
    months = dict(loaded)
    new_month = not touched.issubset(loaded)
    for month in touched:
        record: dict[str, dict[str, list]] = {}
        for account_id, members in loaded.get(month, {}).items():
            now = members_of.get(account_id, {})
            kept = {t: item for t, item in members.items() if t not in changed and t in now}
            if kept:
                record[account_id] = kept
        for account_id, members in arrived.get(month, {}).items():
            record.setdefault(account_id, {}).update(members)
        if record:
            months[month] = {a: dict(sorted(m.items())) for a, m in sorted(record.items())}
        else:
            months.pop(month, None)
    return (dict(sorted(months.items())) if new_month else months), touched


def _digest(items: Mapping[str, Any]) -> str:
    return hashlib.blake2b(orjson.dumps(items, option=orjson.OPT_SORT_KEYS),
                           digest_size=6).hexdigest()
