"""The transaction history over the Faust tables, and the rebuild of its index after recovery."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
from aiokafka.structs import RecordMetadata
from faust.stores.rocksdb import Store as RocksDBStore
from faust.streams import current_event
from faust.types import TP, EventT

from workers.app import app, settings
from workers.codecs import dumps
from workers.domain.consumer_state import ConsumerState
from workers.domain.history import consumer_of_key
from workers.partitioning import partition_for
from workers.tables import accounts_table, corrections_table, recurring_table, transactions_table
from workers.topics import TRANSACTIONS

log = logging.getLogger(__name__)


class TableStore:
    """RecordStore over a Faust table: reads straight from the store, writes through Faust's
    table API (one changelog message per write, to the partition of Faust's current event).

    For tables written now and then (report configurations); the history's tables, written
    for every event, use BatchedTableStore.
    """

    #: The partition whose RocksDB database is read; None: that of Faust's current event.
    partition: int | None = None

    def __init__(self, table) -> None:
        self.table = table

    def get(self, key: str) -> dict | None:
        store = self.table.data
        if isinstance(store, RocksDBStore):
            db = self._database(store, key)
            raw = store._get(key.encode()) if db is None else db.get(key.encode())
            return orjson.loads(raw) if raw is not None else None
        return store.get(key)

    def get_raw_many(self, keys: list[str], prefix: str | None = None) -> list[bytes | None]:
        """The records as stored (orjson documents), in order: reports copy them into replies
        without decoding them. With `prefix` (the keys' common prefix, given when they are most
        of the records under it), RocksDB reads the prefix's range in one pass: half the cost of
        2,000 lookups."""
        store = self.table.data
        if isinstance(store, RocksDBStore):
            db = self._database(store, prefix or (keys[0] if keys else ""))
            if db is None:
                return [store._get(key.encode()) for key in keys]
            if prefix is not None:
                start = prefix.encode()
                found = {}
                for key, value in db.items(from_key=start):
                    if not key.startswith(start):
                        break
                    found[key] = value
                return [found.get(key.encode()) for key in keys]
            read = db.get
            return [read(key.encode()) for key in keys]
        values = [store.get(key) for key in keys]
        return [dumps(value) if value is not None else None for value in values]

    def _database(self, store: RocksDBStore, key: str):
        # The RocksDB database of the consumer's partition: that of the event being applied,
        # else the key's (`_partition_of_key`, the per-consumer tables), else that of the
        # current event (a report configuration command, on its account's partition); None
        # outside of all three. One lookup per record there; Faust's table API adds a
        # membership test, a second lookup, its serializer registry and a key-index update.
        partition = self.partition
        if partition is None:
            partition = self._partition_of_key(key)
        if partition is None:
            event = current_event()
            if event is None:
                return None
            partition = event.message.partition
        return store._db_for_partition(partition)

    def _partition_of_key(self, key: str) -> int | None:
        return None

    def set(self, key: str, value: dict) -> None:
        self.table[key] = value

    def delete(self, key: str) -> None:
        if key in self.table:
            del self.table[key]


class BatchedTableStore(TableStore):
    """RecordStore over a Faust table, with a lean write path.

    Faust's `table[key] = value` costs, per write, a changelog message through the producer
    buffer with its own future and callback, sensor and TTL bookkeeping, and two passes through
    the serializer registry. Here a write does what it must and no more:

    * the record goes to the local store at once: the RocksDB database of the partition of the
      event being applied (`writing_for`), or the memory store;
    * its changelog record (the same key and value bytes Faust writes: raw UTF-8 key, orjson
      value, None for a deletion) is queued for that partition;
    * `hand_off()`, at the end of each ingestion batch, gives the queued records of each
      partition to the producer as record batches (workers/transport.py, RecordBatchSender),
      whose flush before every offset commit waits for them;
    * when a batch is delivered, its last offset is stored as the persisted changelog offset of
      the partition, which is what Faust's own callback does per record.

    `changelogged=False` keeps a table local: derived state that recovery rebuilds from the
    other tables instead of reading it back (the recurring groups, see `rebuild_index`).
    """

    def __init__(self, table, changelogged: bool = True) -> None:
        super().__init__(table)
        #: Partition of the event being applied (set by `writing_for`); None outside of it.
        self.partition: int | None = None
        self.changelogged = changelogged
        self._queued: dict[int, list[tuple[bytes, bytes | None]]] = {}

    def _partition_of_key(self, key: str) -> int | None:
        # Outside of an event (recurring groups settled after a batch or by the timer, repairs
        # after recovery) the partition is that of the key's consumer: every record of a
        # consumer is written on the consumer's partition (its events are applied there,
        # re-keyed when they arrive elsewhere), so a read goes to that one database instead of
        # Faust's search through every partition's, and a write lands where recovery puts it.
        return partition_for(consumer_of_key(key), settings.partitions)

    def set(self, key: str, value: dict) -> None:
        partition = self._writing_partition(key)
        key_bytes = key.encode()
        value_bytes = dumps(value)
        store = self.table.data
        if isinstance(store, RocksDBStore):
            store._db_for_partition(partition).put(key_bytes, value_bytes)
        else:
            store[key] = value
        self._queue(partition, key_bytes, value_bytes)

    def delete(self, key: str) -> None:
        partition = self._writing_partition(key)
        key_bytes = key.encode()
        store = self.table.data
        if isinstance(store, RocksDBStore):
            db = store._db_for_partition(partition)
            if db.get(key_bytes) is None:
                return
            db.delete(key_bytes)
        else:
            if key not in store:
                return
            del store[key]
        self._queue(partition, key_bytes, None)

    def hand_off(self) -> None:
        """Give the changelog records queued since the last call to the producer."""
        if not self._queued:
            return
        queued, self._queued = self._queued, {}
        producer = self.table.app.producer
        topic = self.table.changelog_topic.get_topic_name()
        for partition, records in queued.items():
            producer.send_records_soon(topic, partition, records, self._on_sent)

    def _queue(self, partition: int, key: bytes, value: bytes | None) -> None:
        if not self.changelogged:
            return
        records = self._queued.get(partition)
        if records is None:
            records = self._queued[partition] = []
        records.append((key, value))

    def _writing_partition(self, key: str) -> int:
        return self.partition if self.partition is not None else self._partition_of_key(key)

    def _on_sent(self, metadata: RecordMetadata, count: int) -> None:
        # Faust's Collection._on_changelog_sent, once per batch with the batch's last offset.
        tp = TP(metadata.topic, metadata.partition)
        offset = metadata.offset + count - 1
        if self.table.app.in_transaction:
            self.table.app.tables.persist_offset_on_commit(self.table.data, tp, offset)
        else:
            self.table.data.set_persisted_offset(tp, offset)


transactions_store = BatchedTableStore(transactions_table)
accounts_store = BatchedTableStore(accounts_table)
# The recurring groups are derived from the transactions: after a crash or a rebalance they are
# rebuilt from the recovered history (`rebuild_index`), which costs less than Faust's recovery
# reading a changelog back record by record, so they write no changelog.
recurring_store = BatchedTableStore(recurring_table, changelogged=False)
corrections_store = BatchedTableStore(corrections_table)
_stores = (transactions_store, accounts_store, recurring_store, corrections_store)
#: Every consumer's state over the tables; `history` is its transaction history.
consumer_state = ConsumerState(transactions_store, accounts_store, recurring_store,
                               corrections_store, retention_days=settings.retention_days)
history = consumer_state.history

#: Back-pressure: an agent waits while the producer holds more record batches than this.
MAX_PENDING_RECORD_BATCHES = 64


@contextmanager
def writing_for(event: EventT) -> Iterator[None]:
    """Pin the table writes made while applying `event` to the event's partition.

    A table's changelog partition and RocksDB database are those of the event that changed
    it, and that event sits on its consumer's partition (directly or re-keyed). Batches from
    `take_events` mix partitions, so each event's writes are pinned to its own.
    """
    partition = event.message.partition
    for store in _stores:
        store.partition = partition
    try:
        yield
    finally:
        for store in _stores:
            store.partition = None


class RecurringSettlePolicy:
    """When the worker applies the queued recurring changes.

    Due at the end of a batch after which no partition of the batch has more than a batch of
    records waiting (ingestion has caught up with its input), and while ingestion is behind at
    the latest after INSIGHTS_RECURRING_MAX_PENDING queued changes or
    INSIGHTS_RECURRING_MAX_DELAY_SECONDS: a backfill then recomputes a bucket once instead
    of once per batch that touched it. A due queue is worked off `BUCKETS_PER_STEP` buckets at
    a time (after each batch, and every second while ingestion is idle), so the event loop is
    never held for long. Reports settle their consumer first, so no report misses a queued
    change. The queue holds only ids; after a crash or a rebalance it is gone, and the check
    after recovery repairs the buckets it held.
    """

    #: Buckets recomputed per step: ~0.1 s of detection.
    BUCKETS_PER_STEP = 2000
    #: The check after a recovery, in the background: consumers per step (~30 buckets each,
    #: ~0.05 s) and the share of each second it may take.
    CONSUMERS_PER_CHECK = 10
    CHECK_SECONDS_PER_TICK = 0.5

    def __init__(self) -> None:
        self._since: float | None = None
        self._due = False
        self._checked = 0  # buckets rebuilt by the background check since the recovery

    def after_batch(self, caught_up: bool) -> None:
        recurring = consumer_state.recurring
        if not recurring.queued:
            self._since, self._due = None, False
            return
        now = time.monotonic()
        if self._since is None:
            self._since = now
        self._due = self._due or (caught_up or recurring.queued >= settings.recurring_max_pending
                                  or now - self._since >= settings.recurring_max_delay_seconds)
        if self._due:
            self.step()

    def step(self) -> int:
        """Work off one step of a due queue; returns the buckets written."""
        recurring = consumer_state.recurring
        if not self._due or not recurring.queued:
            return 0
        queued = recurring.queued
        written = consumer_state.settle_recurring(max_buckets=self.BUCKETS_PER_STEP)
        log.debug("recurring groups: %d of %d queued changes settled, %d buckets written",
                  queued - recurring.queued, queued, written)
        if not recurring.queued:
            self._since, self._due = None, False
        return written

    async def check_in_background(self) -> int:
        """Check unchecked consumers' buckets (after a recovery) for up to
        `CHECK_SECONDS_PER_TICK`, yielding to other work between steps; returns the buckets
        rebuilt."""
        recurring = consumer_state.recurring
        if not recurring.unchecked:
            self._checked = 0  # settles and reports may have checked the last ones
            return 0
        deadline = time.monotonic() + self.CHECK_SECONDS_PER_TICK
        rebuilt = 0
        while recurring.unchecked and time.monotonic() < deadline and not app.rebalancing:
            rebuilt += consumer_state.check_recurring(self.CONSUMERS_PER_CHECK)
            await asyncio.sleep(0)
        self._checked += rebuilt
        if not recurring.unchecked:  # the last of them: also when nothing needed a rebuild
            log.warning("recurring groups checked after recovery: %d buckets rebuilt",
                        self._checked)
            self._checked = 0
        return rebuilt


recurring_settles = RecurringSettlePolicy()


async def hand_off_changes() -> None:
    """Give every table change made since the last call to the producer (the end of an
    ingestion batch), and wait while the producer is far behind."""
    for store in _stores:
        store.hand_off()
    producer = app.producer
    if producer.record_batches.pending > MAX_PENDING_RECORD_BATCHES:
        await producer.record_batches.wait_below(MAX_PENDING_RECORD_BATCHES)


def owned_partitions() -> set[int]:
    return {tp.partition for tp in app.consumer.assignment() if tp.topic == TRANSACTIONS}


def owns_consumer(consumer_id: str, partitions: set[int]) -> bool:
    return partition_for(consumer_id, settings.partitions) in partitions


@transactions_table.on_recover
async def rebuild_index() -> None:
    """Rebuild the derived indexes from the recovered records. Runs before any event of the
    new assignment is processed. The recurring groups (a local table, written without a
    changelog) are checked against the history consumer by consumer: before a consumer's
    buckets are next settled or its report is built, and in the background
    (`settle_recurring_groups`); workers/domain/recurring_groups.py."""
    started = time.monotonic()
    partitions = owned_partitions()

    def keep(consumer_id: str) -> bool:
        return owns_consumer(consumer_id, partitions)

    history.rebuild(transactions_table.items(), accounts_table.items(), keep_consumer=keep)
    consumer_state.recurring.rebuild(recurring_table.items(), keep_consumer=keep)
    consumer_state.corrections.rebuild(corrections_table.items(), keep_consumer=keep)
    consumer_state.defer_recurring_check()
    # The index lives until the next rebalance: keep the collector from scanning it again and
    # again (full collections over it were the tail of report latency).
    gc.collect()
    gc.freeze()
    log.warning("index rebuilt for partitions %s: %d consumers in %.3f s; their recurring "
                "groups are checked before first use and in the background",
                sorted(partitions), len(history.consumers()), time.monotonic() - started)
