"""Per-consumer transaction history: idempotent upserts and deletes, retention, derived indexes.

Layout (docs/architecture.md, "State layout"):

* One record per transaction, key ``<consumer>\\x1f<transaction id>``, in a key-value store that
  the Faust wiring backs with a changelogged table. Applying an event writes exactly that one
  record, whatever the consumer's history holds, so the changelog cost per event is constant.
* One record per account event, key ``<consumer>\\x1f<account id>``.
* Every record carries the position of the event that wrote it (``_src``: source partition id,
  ``_off``: offset) so that a replay of any stretch of the input is recognised and skipped. The
  event that wrote a record redoes, when replayed, the writes that followed the record (the
  retention pruning), which a crash may have cut off from the changelog. This relies on the
  tables holding no more than their changelogs after a crash (workers/local_state.py).
  A deletion is kept as a tombstone record for the same reason; retention removes it later.
* Retention removes a record only once every version the transaction ever had is older than
  the window (``_max``: the latest day of any version, kept when it differs from the current
  day). Until then an out-of-window transaction is a tombstone, so that a replay of an earlier
  version dated inside the window is still recognised by the record's position.
* Deleting an account writes only the account's tombstone. Its transactions stay stored (until
  retention or their own deletion) and are hidden from every query while the account is
  deleted. Writing tombstones into the transactions instead would mix positions of two topics
  that Kafka does not order against each other, and replays could not be told apart.
* The per-consumer index (which transactions exist, their dates and accounts, the newest date,
  the deleted accounts) is derived from the records, held in memory and rebuilt from the store
  after recovery. It is never written to a changelog.
* With an `Enricher`, a live record also holds the transaction's `categories` and `brand` as
  enrichment computed them when the record was written, and that enrichment's version
  (``_ev``). A record of another version is *stale*: `stale_transactions` lists them and
  `refresh_enrichment` rewrites one (docs/enrichment.md, "The enrichment version").
* Every change of a live record is reported to a `TransactionListener` (the recurring groups
  of workers.domain.recurring_groups), with the record's recurring bucket before and after.

Nothing here imports Faust: the store is anything with ``get``, ``set`` and ``delete``.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import orjson

from workers.domain.availability import AccountCoverage
from workers.domain.enrichment.corrections import similarity_key
from workers.domain.enrichment.transfers import transfer_side
from workers.domain.recurring_state import bucket_key

KEY_SEPARATOR = "\x1f"

# Keys of bookkeeping fields inside stored records; never shown to clients.
SOURCE = "_src"
OFFSET = "_off"
TIMESTAMP = "_ts"
HIGH_WATER = "_hw"
DELETED = "_deleted"
MAX_DAY = "_max"
ENRICHMENT = "_ev"
BOOKKEEPING = (SOURCE, OFFSET, TIMESTAMP, HIGH_WATER, ENRICHMENT, DELETED, MAX_DAY)
#: The fields enrichment adds to a stored transaction (in the seed's CategorizedTransaction).
ENRICHED_FIELDS = ("categories", "brand")


class RecordStore(Protocol):
    """Where records live. The worker backs it with a Faust table, tests with a dict.

    A store may also offer ``get_raw_many(keys, prefix=None) -> list[bytes | None]``, the records
    as stored (their orjson documents); reports then copy records into replies without decoding
    them. `prefix`, when given, is the keys' common prefix and they are most of the records under
    it, so the store may read that range instead of the keys one by one.
    """

    def get(self, key: str) -> dict | None: ...

    def set(self, key: str, value: dict) -> None: ...

    def delete(self, key: str) -> None: ...


class Enricher(Protocol):
    """Categories and brand of a transaction (workers.domain.enrichment.ENRICHER)."""

    version: str

    def enrich(self, transaction: Mapping[str, Any]) -> dict[str, Any]:
        """`{"categories": [...], "brand": {...}}` (brand absent when none is recognised)."""
        ...


class TransactionListener(Protocol):
    """Told of every change of a consumer's live transactions, in the order they happen.

    `old_bucket` / `new_bucket` are the recurring bucket keys
    (workers.domain.recurring_state.bucket_key) of the version before and after, None when it
    took no part or did not exist; `record` is the new live version (None when the transaction
    was deleted, expired or moved out of the window).
    """

    def changed(self, consumer_id: str, txn_id: str, old_bucket: str | None,
                new_bucket: str | None, record: Mapping[str, Any] | None) -> None: ...


class DictStore(dict):
    """A RecordStore over a plain dict (tests, offline reference computations)."""

    def set(self, key: str, value: dict) -> None:
        self[key] = value

    def delete(self, key: str) -> None:
        self.pop(key, None)


@dataclass(frozen=True)
class SourcePosition:
    """Where an event was read: `source` names the topic partition, `offset` the position in it.

    Offsets are only compared within one source, where Kafka keeps them in order.
    """

    source: str
    offset: int
    timestamp_ms: int = 0


def record_key(consumer_id: str, item_id: str) -> str:
    return f"{consumer_id}{KEY_SEPARATOR}{item_id}"


def split_key(key: str) -> tuple[str, str]:
    consumer_id, _, item_id = key.partition(KEY_SEPARATOR)
    return consumer_id, item_id


def consumer_of_key(key: str) -> str:
    return key.partition(KEY_SEPARATOR)[0]


@dataclass(slots=True)
class _TxnMeta:
    """What the index keeps of a stored transaction: its bookkeeping, and the fields that the
    report's cheap filters and orderings read, so that a report reads only the records it
    returns (a TransactionRow of workers.domain.categorized_report)."""

    transaction_id: str
    day: str  # ISO date, compares correctly as a string
    account_id: str
    timestamp_ms: int
    source: str
    offset: int
    deleted: bool
    max_day: str  # the latest day of any version of the transaction; retention keeps it till then
    amount: int  # amount.amount (0 for a tombstone)
    type: str  # DEBIT or CREDIT ("" for a tombstone)
    state: str | None
    # Derived from the live record, for the rules that read a consumer's whole history
    # (workers.domain.categorization) and the recurring groups; None for a tombstone.
    bucket: str | None = None  # recurring bucket key, None when it takes no part
    similarity: str | None = None  # corrections' similarity key
    transfer_currency: str | None = None  # currency, when it may be a transfer between own accounts
    categories: tuple[str, ...] = ()  # stored category ids, main first
    stale: bool = False  # enriched by another version than the enricher's (or not at all)


@dataclass(slots=True)
class _ConsumerIndex:
    transactions: dict[str, _TxnMeta] = field(default_factory=dict)
    accounts: set[str] = field(default_factory=set)  # ids with an account record
    deleted_accounts: set[str] = field(default_factory=set)  # their transactions are hidden
    newest_day: str | None = None
    cutoff_day: str | None = None  # newest_day - retention, kept with it
    # (day, transaction id), a min-heap, so that retention finds the oldest records without
    # scanning the whole history; entries of moved or removed transactions are skipped.
    by_day: list[tuple[str, str]] = field(default_factory=list)
    #: Bumped on every change of the consumer's transactions or accounts: caches of values
    #: derived from the whole history compare it.
    version: int = 0
    stale: set[str] = field(default_factory=set)  # live records of another enrichment version

    def record(self, txn_id: str, meta: _TxnMeta) -> None:
        self.version += 1
        self.transactions[txn_id] = meta
        if meta.stale and not meta.deleted:
            self.stale.add(txn_id)
        else:
            self.stale.discard(txn_id)
        heapq.heappush(self.by_day, (meta.day, txn_id))
        if len(self.by_day) > 2 * len(self.transactions) + 64:
            self.by_day = [(m.day, t) for t, m in self.transactions.items()]
            heapq.heapify(self.by_day)

    def advance(self, day: str, retention: timedelta) -> bool:
        """Move the newest date forward to `day`; True when it moved."""
        if self.newest_day is not None and day <= self.newest_day:
            return False
        self.newest_day = day
        self.cutoff_day = (date.fromisoformat(day) - retention).isoformat()
        return True


class Outcome:
    """What applying one event did (used for metrics and tests)."""

    APPLIED = "applied"
    DELETED = "deleted"
    REPLAYED = "replayed"  # an event at or before the stored position: skipped
    UNCHANGED = "unchanged"  # same content as stored: nothing written
    EXPIRED = "expired"  # older than the retention window


def _newer(meta_source: str, meta_offset: int, position: SourcePosition) -> bool:
    """True when the stored record was written by this event or a later one of the same source."""
    return meta_source == position.source and meta_offset >= position.offset


def stored_transaction(event: Mapping[str, Any]) -> dict:
    """The client-visible stored form of a TransactionEvent: no nulls, no consumer id, no flag."""
    out: dict[str, Any] = {}
    for key, value in event.items():
        if value is None or key in ("insights_consumer_id", "deleted"):
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
        out[key] = value
    return out


def client_view(record: Mapping[str, Any]) -> dict:
    """A stored record without its bookkeeping fields."""
    return {k: v for k, v in record.items() if k not in BOOKKEEPING}


#: Fields that replace a transaction's stored ones in reports (workers.domain.categorization):
#: `categories`, and `brand` (None: no brand).
Override = dict[str, Any]


def apply_override(view: dict[str, Any], override: Override | None) -> dict[str, Any]:
    """A transaction's client view with its override applied (the view itself when none)."""
    if not override:
        return view
    view = dict(view)
    for name, value in override.items():
        if value is None:
            view.pop(name, None)
        else:
            view[name] = value
    return view


def _bookkeeping_tail() -> re.Pattern[bytes]:
    string, integer = rb'"[^"\\]*"', rb"-?[0-9]+"
    fields = [(SOURCE, string), (OFFSET, integer), (TIMESTAMP, integer),
              (HIGH_WATER, rb"(?:" + string + rb"|null)")]
    tail = b"".join(b',"' + name.encode() + b'":' + value for name, value in fields)
    optional = [(ENRICHMENT, string), (MAX_DAY, string), (DELETED, b"true")]
    tail += b"".join(b'(?:,"' + name.encode() + b'":' + value + b")?" for name, value in optional)
    return re.compile(tail + b"}")


#: The end of a live record's orjson document: the bookkeeping fields in the order
#: `_stamp` writes them after the client view.
_BOOKKEEPING_TAIL = _bookkeeping_tail()
_TAIL_START = b',"' + SOURCE.encode() + b'":'


def client_view_json(raw: bytes) -> orjson.Fragment:
    """The client view of a stored record (its orjson bytes) as JSON, without decoding it.

    The view is the document up to the bookkeeping fields. A record that does not end with
    exactly the bookkeeping fields `_stamp` writes is decoded and encoded again instead, so
    the result always equals `client_view`.
    """
    return client_views_json((raw,))[0]


def client_views_json(raws: Iterable[bytes | None]) -> list[orjson.Fragment]:
    """`client_view_json` of each record (None entries left out), in one loop: this is the
    inner loop of a full report."""
    fullmatch, tail_start, fragment = _BOOKKEEPING_TAIL.fullmatch, _TAIL_START, orjson.Fragment
    views = []
    for raw in raws:
        if raw is None:
            continue
        cut = raw.rfind(tail_start)
        if cut > 0 and fullmatch(raw, cut):
            views.append(fragment(raw[:cut] + b"}"))
        else:
            views.append(fragment(orjson.dumps(client_view(orjson.loads(raw)),
                                               option=orjson.OPT_NON_STR_KEYS)))
    return views


class StoredTransactions:
    """A consumer's live transactions of a date range, as a report reads them (a
    TransactionSource of workers.domain.categorized_report): rows from the in-memory index,
    which carry the fields the cheap filters and orderings use; records only on demand.

    `render` gives the reply's transactions: the records' client views as raw JSON when the
    store hands out stored bytes (`get_raw_many`), so a report of 2,000 transactions neither
    decodes nor encodes them; otherwise the decoded client views.
    """

    def __init__(self, store: RecordStore, consumer_id: str, rows: list[_TxnMeta],
                 stored: int, overrides: Mapping[str, Override] | None = None) -> None:
        self._store = store
        self._consumer_id = consumer_id
        self._rows = rows
        self._stored = stored  # records the consumer has in the store
        self._overrides = overrides or {}

    def rows(self) -> list[_TxnMeta]:
        return self._rows

    def records(self, rows: Sequence[_TxnMeta]) -> list[dict | None]:
        """The client views of `rows` with their overrides, in order (None for a record
        missing from the store)."""
        get, consumer_id, overrides = self._store.get, self._consumer_id, self._overrides
        out: list[dict | None] = []
        for row in rows:
            record = get(record_key(consumer_id, row.transaction_id))
            out.append(None if record is None else
                       apply_override(client_view(record), overrides.get(row.transaction_id)))
        return out

    def render(self, rows: Sequence[_TxnMeta]) -> list[dict] | list[orjson.Fragment]:
        """The reply's transactions for `rows`, in order (records missing from the store are
        left out): raw JSON copied from the stored bytes, or the decoded client views; the
        records with an override are decoded and encoded again."""
        get_raw_many = getattr(self._store, "get_raw_many", None)
        if get_raw_many is None:
            return [record for record in self.records(rows) if record is not None]
        prefix = self._consumer_id + KEY_SEPARATOR
        keys = [prefix + row.transaction_id for row in rows]
        if keys and 2 * len(keys) >= self._stored:
            raws = get_raw_many(keys, prefix)
        else:
            raws = get_raw_many(keys)
        overrides = self._overrides
        if not overrides or not any(row.transaction_id in overrides for row in rows):
            return client_views_json(raws)
        views = []
        for row, raw in zip(rows, raws, strict=True):
            if raw is None:
                continue
            override = overrides.get(row.transaction_id)
            if override is None:
                views.extend(client_views_json((raw,)))
            else:
                view = apply_override(client_view(orjson.loads(raw)), override)
                views.append(orjson.Fragment(orjson.dumps(view, option=orjson.OPT_NON_STR_KEYS)))
        return views


class TransactionHistory:
    """Applies transaction and account events to stores and answers range queries.

    Every method is synchronous: the Faust wiring calls it inside the stream loop, so no other
    coroutine can interleave between reading and writing a record.
    """

    def __init__(self, transactions: RecordStore, accounts: RecordStore,
                 retention_days: int = 400, enricher: Enricher | None = None,
                 listener: TransactionListener | None = None) -> None:
        self.transactions = transactions
        self.accounts = accounts
        self.retention = timedelta(days=retention_days)
        #: Without one, records are stored as the events give them (no categories, no brand).
        self.enricher = enricher
        self.listener = listener
        self._index: dict[str, _ConsumerIndex] = {}

    # ---- derived index -------------------------------------------------------------------

    def rebuild(self, transaction_items: Iterable[tuple[str, Mapping[str, Any]]],
                account_items: Iterable[tuple[str, Mapping[str, Any]]] = (),
                keep_consumer=None) -> None:
        """Rebuild the in-memory index from stored transaction and account records.

        `keep_consumer(consumer_id) -> bool` selects the consumers this worker owns (after a
        rebalance the store may still hold records of partitions now owned elsewhere).
        """
        self._index.clear()
        for key, record in transaction_items:
            consumer_id, txn_id = split_key(key)
            if keep_consumer is not None and not keep_consumer(consumer_id):
                continue
            index = self._index.setdefault(consumer_id, _ConsumerIndex())
            meta = self._meta_of(txn_id, record)
            index.record(txn_id, meta)
            index.advance(max(meta.day, record.get(HIGH_WATER) or meta.day), self.retention)
        for key, record in account_items:
            consumer_id, account_id = split_key(key)
            if keep_consumer is not None and not keep_consumer(consumer_id):
                continue
            index = self._index.setdefault(consumer_id, _ConsumerIndex())
            index.accounts.add(account_id)
            if record.get(DELETED):
                index.deleted_accounts.add(account_id)

    def forget_consumers(self, keep_consumer) -> None:
        """Drop index entries of consumers this worker no longer owns."""
        for consumer_id in [c for c in self._index if not keep_consumer(c)]:
            del self._index[consumer_id]

    def consumers(self) -> list[str]:
        return sorted(self._index)

    def transaction_count(self, consumer_id: str, include_deleted: bool = False) -> int:
        """Transactions visible in reports; with include_deleted, every stored record."""
        index = self._index.get(consumer_id)
        if index is None:
            return 0
        if include_deleted:
            return len(index.transactions)
        hidden = index.deleted_accounts
        return sum(1 for meta in index.transactions.values()
                   if not meta.deleted and meta.account_id not in hidden)

    def newest_day(self, consumer_id: str) -> str | None:
        index = self._index.get(consumer_id)
        return index.newest_day if index else None

    def cutoff_day(self, consumer_id: str) -> str | None:
        """Transactions dated before this day are outside the retention window."""
        index = self._index.get(consumer_id)
        return index.cutoff_day if index else None

    # ---- transactions --------------------------------------------------------------------

    def apply_transaction(self, event: Mapping[str, Any], position: SourcePosition) -> str:
        """Upsert or delete one transaction. `event` is a validated TransactionEvent as a dict
        in JSON form (ISO date strings). Returns an Outcome value."""
        consumer_id = event["insights_consumer_id"]
        txn_id = event["insights_transaction_id"]
        key = record_key(consumer_id, txn_id)
        index = self._index.setdefault(consumer_id, _ConsumerIndex())
        existing = index.transactions.get(txn_id)
        if existing is not None and _newer(existing.source, existing.offset, position):
            if existing.offset == position.offset:
                # The event that wrote this record, delivered again after a crash. Its record
                # reached the changelog, the retention pruning that followed it may not have.
                self._prune(index, consumer_id)
            return Outcome.REPLAYED

        day = event.get("booking_date") or event["value_date"]
        cutoff = self.cutoff_day(consumer_id)
        if cutoff is not None and day < cutoff:
            if existing is not None and not existing.deleted:
                # Moved out of the window: hide it, but keep this position until retention
                # passes every day the transaction had, so a replay of it stays recognised.
                self._write_tombstone(index, consumer_id, txn_id, existing.account_id, day,
                                      existing.max_day, position)
            return Outcome.EXPIRED

        deleted = bool(event.get("deleted"))
        newest = index.newest_day if index.newest_day and index.newest_day > day else day
        if deleted:
            record: dict[str, Any] = {
                "insights_transaction_id": txn_id,
                "insights_account_id": event["insights_account_id"],
                "booking_date": day,
            }
        else:
            record = stored_transaction(event)
            if self.enricher is not None:
                record.update(self.enricher.enrich(record))
        if existing is not None and existing.deleted == deleted:
            current = self.transactions.get(key)
            if (current is not None and client_view(current) == client_view(record)
                    and current.get(ENRICHMENT) == self._version(deleted)):
                return Outcome.UNCHANGED

        max_day = max(existing.max_day, day) if existing is not None else day
        _stamp(record, position, newest, day, max_day, deleted, self._version(deleted))
        self._write(index, consumer_id, txn_id, record, existing)
        if index.advance(newest, self.retention):
            self._prune(index, consumer_id)
        return Outcome.DELETED if deleted else Outcome.APPLIED

    def _version(self, deleted: bool) -> str | None:
        return None if deleted or self.enricher is None else self.enricher.version

    def _write(self, index: _ConsumerIndex, consumer_id: str, txn_id: str, record: dict,
               previous: _TxnMeta | None) -> _TxnMeta:
        """Store a stamped record, index it and tell the listener."""
        self.transactions.set(record_key(consumer_id, txn_id), record)
        meta = self._meta_of(txn_id, record)
        index.record(txn_id, meta)
        self._tell(consumer_id, txn_id, previous, meta, None if meta.deleted else record)
        return meta

    def _tell(self, consumer_id: str, txn_id: str, previous: _TxnMeta | None,
              current: _TxnMeta | None, record: Mapping[str, Any] | None) -> None:
        old_bucket = previous.bucket if previous is not None else None
        new_bucket = current.bucket if current is not None else None
        if self.listener is not None and (old_bucket is not None or new_bucket is not None):
            self.listener.changed(consumer_id, txn_id, old_bucket, new_bucket, record)

    def _remove(self, index: _ConsumerIndex, consumer_id: str, txn_id: str) -> None:
        self.transactions.delete(record_key(consumer_id, txn_id))
        previous = index.transactions.pop(txn_id, None)
        index.version += 1
        index.stale.discard(txn_id)
        self._tell(consumer_id, txn_id, previous, None, None)

    def _prune(self, index: _ConsumerIndex, consumer_id: str) -> None:
        """Apply retention: the cost is that of the records leaving the window (the by_day heap
        yields the oldest first), not of the consumer's whole history."""
        cutoff = index.cutoff_day
        if cutoff is None:
            return
        revisit: list[tuple[str, str]] = []
        while index.by_day and index.by_day[0][0] < cutoff:
            _, txn_id = heapq.heappop(index.by_day)
            meta = index.transactions.get(txn_id)
            if meta is None or meta.day >= cutoff:
                continue  # removed already, or moved into the window (a newer entry covers it)
            if meta.max_day < cutoff:
                self._remove(index, consumer_id, txn_id)
                continue
            if not meta.deleted:
                # An earlier version is still inside the window (the date was moved back):
                # hide the transaction but keep its position (see the module docstring).
                self._write_tombstone(index, consumer_id, txn_id, meta.account_id, meta.day,
                                      meta.max_day, SourcePosition(meta.source, meta.offset,
                                                                   meta.timestamp_ms))
            revisit.append((meta.max_day, txn_id))  # removed once the window passes max_day
        for entry in revisit:
            heapq.heappush(index.by_day, entry)

    def _write_tombstone(self, index: _ConsumerIndex, consumer_id: str, txn_id: str,
                         account_id: str, day: str, max_day: str,
                         position: SourcePosition) -> None:
        record: dict[str, Any] = {
            "insights_transaction_id": txn_id, "insights_account_id": account_id,
            "booking_date": day,
        }
        _stamp(record, position, index.newest_day, day, max_day, deleted=True)
        self._write(index, consumer_id, txn_id, record, index.transactions.get(txn_id))

    # ---- enrichment ----------------------------------------------------------------------

    def stale_transactions(self, consumer_id: str) -> list[str]:
        """Ids of the consumer's live records enriched by another version than the enricher's."""
        index = self._index.get(consumer_id)
        return sorted(index.stale) if index is not None else []

    def consumers_with_stale(self) -> list[str]:
        """Consumers with at least one stale record."""
        return sorted(c for c, index in self._index.items() if index.stale)

    def refresh_enrichment(self, consumer_id: str, txn_id: str) -> bool:
        """Rewrite one stale record with the enricher's current result; False when there was
        nothing to do. The record keeps the position of the event that wrote it, so replays
        of that event are still recognised."""
        index = self._index.get(consumer_id)
        meta = index.transactions.get(txn_id) if index is not None else None
        if meta is None or meta.deleted or not meta.stale or self.enricher is None:
            return False
        current = self.transactions.get(record_key(consumer_id, txn_id))
        if current is None:
            return False
        record = client_view(current)
        for name in ENRICHED_FIELDS:
            record.pop(name, None)
        record.update(self.enricher.enrich(record))
        _stamp(record, SourcePosition(meta.source, meta.offset, meta.timestamp_ms),
               current.get(HIGH_WATER), meta.day, meta.max_day, False, self.enricher.version)
        self._write(index, consumer_id, txn_id, record, meta)
        return True

    def enrichment_of(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The enrichment fields of a live record as the enricher gives them now: the stored
        ones when the record has the enricher's version, else computed again."""
        if self.enricher is None or record.get(ENRICHMENT) == self.enricher.version:
            return {name: record[name] for name in ENRICHED_FIELDS if name in record}
        view = {k: v for k, v in record.items() if k not in ENRICHED_FIELDS}
        return self.enricher.enrich(view)

    def record_of(self, consumer_id: str, txn_id: str) -> dict | None:
        """The stored record of a transaction (bookkeeping included), or None."""
        return self.transactions.get(record_key(consumer_id, txn_id))

    def metas(self, consumer_id: str) -> Iterable[_TxnMeta]:
        """The index rows of every record the consumer has, tombstones included."""
        index = self._index.get(consumer_id)
        return index.transactions.values() if index is not None else ()

    def meta(self, consumer_id: str, txn_id: str) -> _TxnMeta | None:
        index = self._index.get(consumer_id)
        return index.transactions.get(txn_id) if index is not None else None

    def version_of(self, consumer_id: str) -> int:
        """Changes whenever the consumer's transactions or accounts change."""
        index = self._index.get(consumer_id)
        return index.version if index is not None else 0

    def hidden_accounts(self, consumer_id: str) -> frozenset[str]:
        """Deleted accounts: their transactions are in no report."""
        index = self._index.get(consumer_id)
        return frozenset(index.deleted_accounts) if index is not None else frozenset()

    def _meta_of(self, txn_id: str, record: Mapping[str, Any]) -> _TxnMeta:
        meta = _meta_of(txn_id, record)
        if not meta.deleted:
            meta.bucket = _interned(bucket_key(record))
            meta.similarity = _interned(similarity_key(record, record))
            side = transfer_side(record)
            meta.transfer_currency = _interned(side[1]) if side is not None else None
            meta.categories = _interned_ids(record.get("categories"))
            meta.stale = (self.enricher is not None
                          and record.get(ENRICHMENT) != self.enricher.version)
        return meta

    # ---- accounts ------------------------------------------------------------------------

    def apply_account(self, event: Mapping[str, Any], position: SourcePosition) -> str:
        """Upsert or delete one AccountEvent. A deleted account and its transactions are hidden
        from every query until an AccountEvent without `deleted` brings the account back."""
        consumer_id = event["insights_consumer_id"]
        account_id = event["insights_account_id"]
        key = record_key(consumer_id, account_id)
        current = self.accounts.get(key)
        if current is not None and _newer(current[SOURCE], current[OFFSET], position):
            return Outcome.REPLAYED
        deleted = bool(event.get("deleted"))
        record = {k: v for k, v in event.items()
                  if v is not None and k not in ("insights_consumer_id", "deleted")}
        if deleted:
            record = {"insights_account_id": account_id, DELETED: True}
        if current is not None and client_view(current) == client_view(record):
            return Outcome.UNCHANGED
        record.update({SOURCE: position.source, OFFSET: position.offset,
                       TIMESTAMP: position.timestamp_ms})
        self.accounts.set(key, record)
        index = self._index.setdefault(consumer_id, _ConsumerIndex())
        index.version += 1
        index.accounts.add(account_id)
        if deleted:
            index.deleted_accounts.add(account_id)
            return Outcome.DELETED
        index.deleted_accounts.discard(account_id)
        return Outcome.APPLIED

    # ---- queries -------------------------------------------------------------------------

    def transactions_between(self, consumer_id: str, from_day: str, to_day: str) -> Iterator[dict]:
        """The consumer's live transactions dated within [from_day, to_day], client view."""
        index = self._index.get(consumer_id)
        if index is None:
            return
        hidden = index.deleted_accounts
        for txn_id, meta in index.transactions.items():
            if meta.deleted or not (from_day <= meta.day <= to_day) or meta.account_id in hidden:
                continue
            record = self.transactions.get(record_key(consumer_id, txn_id))
            if record is not None:
                yield client_view(record)

    def transactions_in(self, consumer_id: str, from_day: str, to_day: str,
                        overrides: Mapping[str, Override] | None = None) -> StoredTransactions:
        """The consumer's live transactions dated within [from_day, to_day], read lazily;
        `overrides` replace fields of some of them (workers.domain.categorization)."""
        index = self._index.get(consumer_id)
        if index is None:
            return StoredTransactions(self.transactions, consumer_id, [], 0)
        hidden = index.deleted_accounts
        rows = [meta for meta in index.transactions.values()
                if not meta.deleted and from_day <= meta.day <= to_day
                and meta.account_id not in hidden]
        return StoredTransactions(self.transactions, consumer_id, rows, len(index.transactions),
                                  overrides)

    def account_coverages(self, consumer_id: str) -> dict[str, AccountCoverage]:
        """Coverage of every account the consumer has.

        An AccountEvent's range and refreshed_at win; an account with transactions but no
        AccountEvent covers its earliest to its latest transaction, refreshed at the broker
        timestamp of the newest event applied to it.
        """
        ranges: dict[str, list] = {}
        index = self._index.get(consumer_id)
        if index is not None:
            for meta in index.transactions.values():
                if meta.deleted:
                    continue
                entry = ranges.get(meta.account_id)
                if entry is None:
                    ranges[meta.account_id] = [meta.day, meta.day, meta.timestamp_ms]
                else:
                    if meta.day < entry[0]:
                        entry[0] = meta.day
                    if meta.day > entry[1]:
                        entry[1] = meta.day
                    if meta.timestamp_ms > entry[2]:
                        entry[2] = meta.timestamp_ms
        coverages: dict[str, AccountCoverage] = {}
        deleted_accounts: set[str] = set()
        account_ids = sorted(index.accounts) if index is not None else []
        for account_id in account_ids:
            record = self.accounts.get(record_key(consumer_id, account_id))
            if record is None:
                continue
            if record.get(DELETED):
                deleted_accounts.add(account_id)
                continue
            derived = ranges.get(account_id)
            available_from = record.get("data_available_from") or (derived[0] if derived else None)
            available_to = record.get("data_available_to") or (derived[1] if derived else None)
            refreshed = record.get("refreshed_at")
            coverages[account_id] = AccountCoverage(
                account_id=account_id,
                available_from=date.fromisoformat(available_from) if available_from else None,
                available_to=date.fromisoformat(available_to) if available_to else None,
                refreshed_at=(_parse_datetime(refreshed) if refreshed
                              else _from_millis(derived[2]) if derived else None),
            )
        for account_id, (first, last, timestamp_ms) in ranges.items():
            if account_id in coverages or account_id in deleted_accounts:
                continue
            coverages[account_id] = AccountCoverage(
                account_id=account_id,
                available_from=date.fromisoformat(first),
                available_to=date.fromisoformat(last),
                refreshed_at=_from_millis(timestamp_ms),
            )
        return coverages


def _stamp(record: dict[str, Any], position: SourcePosition, high_water: str | None, day: str,
           max_day: str, deleted: bool, enrichment_version: str | None = None) -> None:
    """Append the bookkeeping fields to a transaction record: always last, always in this
    order (client_view_json relies on it)."""
    record[SOURCE] = position.source
    record[OFFSET] = position.offset
    record[TIMESTAMP] = position.timestamp_ms
    record[HIGH_WATER] = high_water
    if enrichment_version is not None:
        record[ENRICHMENT] = enrichment_version
    if max_day != day:
        record[MAX_DAY] = max_day
    if deleted:
        record[DELETED] = True


def _meta_of(txn_id: str, record: Mapping[str, Any]) -> _TxnMeta:
    day = record.get("booking_date") or record["value_date"]
    deleted = bool(record.get(DELETED))
    return _TxnMeta(
        transaction_id=txn_id,
        day=day,
        account_id=record["insights_account_id"],
        timestamp_ms=record.get(TIMESTAMP) or 0,
        source=record.get(SOURCE, ""),
        offset=record.get(OFFSET, -1),
        deleted=deleted,
        max_day=max(day, record.get(MAX_DAY) or day),
        amount=0 if deleted else record["amount"]["amount"],
        type="" if deleted else record["type"],
        state=None if deleted else record.get("state"),
    )


_INTERNED: dict[Any, Any] = {}


def _interned(value: Any) -> Any:
    """One shared object per distinct value (bucket keys, currencies, category lists repeat
    across a consumer's transactions): the index then holds a pointer, not a copy. Bounded:
    the table is dropped when it grows past 200,000 entries."""
    if value is None:
        return None
    found = _INTERNED.get(value)
    if found is None:
        if len(_INTERNED) >= 200_000:
            _INTERNED.clear()
        found = _INTERNED[value] = value
    return found


def _interned_ids(categories: Any) -> tuple[str, ...]:
    if not categories:
        return ()
    return _interned(tuple(c["id"] for c in categories
                           if isinstance(c, Mapping) and isinstance(c.get("id"), str)))


def _from_millis(timestamp_ms: int) -> datetime | None:
    if not timestamp_ms:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)


def _parse_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
