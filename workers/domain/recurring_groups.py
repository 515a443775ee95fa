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

The bucket states are derived data: the history's records are the truth. After a restart the
store may hold nothing (the worker keeps this table local, without a changelog, and after a
crash or on a newly assigned partition starts it empty), a clean stop's copy that lacks the
changes still queued then, or, where a store is changelogged, a prefix of its writes cut at
another point than the history's. `verify` compares every bucket state with what the history's
index says its members are (day, amount, categories) and `heal` rebuilds the buckets that
differ from their member records. After every recovery the wiring marks every consumer
(`defer_check`); each is checked before its queued changes are settled or its report reads
its buckets, and `check` works through the rest in the background. A clean run finds nothing
to heal.

The bucket cap (`recurring_state.MAX_BUCKET_ITEMS`) keeps the newest items; an item the cap
evicted is not brought back when a newer one is removed. `verify` accepts such a state: a
member missing from a trimmed bucket that is older than everything the bucket kept is not a
difference.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

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


class RecurringGroups:
    """The recurring bucket states of every consumer, over a RecordStore (see the module doc)."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        self._pending: Pending = {}
        self._queued = 0
        self._buckets: dict[str, set[str]] = {}  # consumer -> keys of its stored buckets
        # Consumers whose buckets have not been compared with the history since a recovery
        # (`defer_check`): checked before their buckets are next settled or reported, or by
        # `check` in the background.
        self._unchecked: set[str] = set()

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
        if consumer_ids is not None:
            consumer_ids = list(consumer_ids)
            self.check(history, consumer_ids)
        wanted = list(self._pending) if consumer_ids is None else [
            c for c in consumer_ids if c in self._pending]
        budget = max_buckets
        written = 0
        for consumer_id in wanted:
            if consumer_id in self._unchecked:
                checked = self.check(history, [consumer_id])
                written += checked
                if budget is not None:
                    budget = max(0, budget - checked)
                if budget == 0:
                    break
                continue
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

    def defer_check(self, consumer_ids: Iterable[str]) -> None:
        """Mark consumers whose stored buckets may differ from the history (after a recovery):
        each is checked and repaired (`verify` / `heal`) before its buckets are settled or its
        report is built, or by `check`, whichever comes first."""
        self._unchecked = set(consumer_ids)

    @property
    def unchecked(self) -> int:
        """Consumers still to be checked since `defer_check`."""
        return len(self._unchecked)

    def check(self, history: TransactionHistory, consumer_ids: Iterable[str] | None = None,
              max_consumers: int | None = None) -> int:
        """Check and repair the unchecked consumers among `consumer_ids` (all when None; at
        most `max_consumers`); returns the buckets rebuilt. A checked consumer's queued
        changes are dropped: its buckets were rebuilt from the history as it is now."""
        if not self._unchecked:
            return 0
        candidates = (list(self._unchecked) if consumer_ids is None
                      else [c for c in consumer_ids if c in self._unchecked])
        if max_consumers is not None:
            candidates = candidates[:max_consumers]
        healed = 0
        for consumer_id in candidates:
            self._unchecked.discard(consumer_id)
            dropped = self._pending.pop(consumer_id, {})
            self._queued -= sum(map(len, dropped.values()))
            healed += self.heal(history, self.verify(history, [consumer_id]))
        return healed

    def discard_pending(self) -> None:
        """Forget queued changes (a rebalance: the next `verify` repairs what they held)."""
        self._pending, self._queued = {}, 0

    def apply_changes(self, consumer_id: str, bucket: str,
                      changes: Mapping[str, Mapping[str, Any] | None]) -> int:
        """Apply transaction id -> newest record (None: it left the bucket) to one bucket
        and write it when it changed; returns 1 when the bucket was written, else 0."""
        key = record_key(consumer_id, bucket)
        state = self.store.get(key)
        updated = recurring_state.apply(state, changes)
        if updated is state:
            return 0
        self._put(consumer_id, bucket, updated)
        return 1

    def _put(self, consumer_id: str, bucket: str, state: dict | None) -> None:
        key = record_key(consumer_id, bucket)
        keys = self._buckets.setdefault(consumer_id, set())
        if state is None:
            self.store.delete(key)
            keys.discard(bucket)
            if not keys:
                del self._buckets[consumer_id]
        else:
            self.store.set(key, state)
            keys.add(bucket)

    # ---- reading ---------------------------------------------------------------------------

    def bucket_keys(self, consumer_id: str) -> list[str]:
        return sorted(self._buckets.get(consumer_id, ()))

    def states(self, consumer_id: str) -> list[dict]:
        """The consumer's bucket states, in bucket key order."""
        states = []
        for bucket in self.bucket_keys(consumer_id):
            state = self.store.get(record_key(consumer_id, bucket))
            if state is not None:
                states.append(state)
        return states

    def consumers(self) -> list[str]:
        return sorted(self._buckets)

    # ---- recovery --------------------------------------------------------------------------

    def rebuild(self, items: Iterable[tuple[str, Any]], keep_consumer=None) -> None:
        """Rebuild the index of bucket keys from the stored states (keys only are read)."""
        self._buckets.clear()
        self._unchecked.clear()
        self.discard_pending()
        for key, _ in items:
            consumer_id, bucket = split_key(key)
            if keep_consumer is None or keep_consumer(consumer_id):
                self._buckets.setdefault(consumer_id, set()).add(bucket)

    def verify(self, history: TransactionHistory,
               consumer_ids: Iterable[str] | None = None) -> list[tuple[str, str]]:
        """(consumer, bucket) of every stored or expected bucket whose state differs from
        its members in the history (see the module doc)."""
        if consumer_ids is None:
            consumer_ids = sorted(set(history.consumers()) | set(self._buckets))
        differing: list[tuple[str, str]] = []
        for consumer_id in consumer_ids:
            expected = _members_by_bucket(history, consumer_id)
            for bucket in sorted(set(expected) | self._buckets.get(consumer_id, set())):
                state = self.store.get(record_key(consumer_id, bucket))
                if not _agrees(state, expected.get(bucket, {})):
                    differing.append((consumer_id, bucket))
        return differing

    def heal(self, history: TransactionHistory, differing: Iterable[tuple[str, str]]) -> int:
        """Rebuild the given buckets from their member records; returns how many."""
        healed = 0
        member_ids: dict[str, dict[str, list[str]]] = {}  # consumer -> bucket -> ids
        for consumer_id, bucket in differing:
            buckets = member_ids.get(consumer_id)
            if buckets is None:
                buckets = member_ids[consumer_id] = {}
                for meta in history.metas(consumer_id):
                    if meta.bucket is not None and not meta.deleted:
                        buckets.setdefault(meta.bucket, []).append(meta.transaction_id)
            members = [client_view(record) for txn_id in buckets.get(bucket, ())
                       for record in [history.record_of(consumer_id, txn_id)]
                       if record is not None]
            state = recurring_state.rebuild(members) if members else None
            if state != self.store.get(record_key(consumer_id, bucket)):
                self._put(consumer_id, bucket, state)
                healed += 1
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
