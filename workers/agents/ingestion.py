"""Agents applying TransactionEvents, AccountEvents and CategorizationFeedback to the
per-consumer state, and the refresh of records enriched by an earlier enrichment version.

Each contract topic has two agents: one for the topic itself and one for its internal re-key
topic, which carries records that arrived on a partition not owning their consumer.
"""

from __future__ import annotations

import logging

from faust.exceptions import ConsumerNotStarted
from faust.types import TP

from schemas.contract import AccountEvent, TransactionEvent
from schemas.feedback import CategorizationFeedback
from workers.app import app, settings
from workers.ingestion import (
    Ingestion,
    ingest_rekeyed_record,
    ingest_source_record,
    ingestion_counts,
)
from workers.partitioning import partition_for
from workers.state import (
    consumer_state,
    hand_off_changes,
    history,
    owned_partitions,
    recurring_settles,
    writing_for,
)
from workers.topics import (
    accounts_rekeyed_topic,
    accounts_topic,
    categorization_feedback_rekeyed_topic,
    categorization_feedback_topic,
    enrichment_refresh_ticks_topic,
    transactions_rekeyed_topic,
    transactions_topic,
)

log = logging.getLogger(__name__)


async def _apply_batches(stream, ingestion: Ingestion, ingest_record,
                         paces_recurring: bool = False) -> None:
    # A batch is applied without an await in between; its table changes go to the producer
    # before take_events acknowledges its events, so no commit can cover a change not handed
    # over (workers/state.py, TableStore).
    size = settings.ingest_batch_size
    async for events in stream.take_events(size, within=settings.ingest_batch_seconds):
        try:
            for event in events:
                with writing_for(event):
                    ingest_record(ingestion, event)
        finally:
            # Only the main transactions stream tells whether ingestion has caught up: the
            # others (re-keyed records, accounts, corrections) carry little.
            recurring_settles.after_batch(
                caught_up=not paces_recurring or not _behind(events, size))
            await hand_off_changes()


def _behind(events, backlog: int) -> bool:
    """Whether a partition of the batch has more than `backlog` records after the batch's
    last one (its high watermark from the latest fetch)."""
    last: dict[TP, int] = {}
    for event in events:
        msg = event.message
        last[msg.tp] = msg.offset
    consumer = app.consumer
    for tp, offset in last.items():
        try:
            highwater = consumer.highwater(tp)
        except ConsumerNotStarted:  # no fetch yet (or a test context): nothing is known
            return False
        if highwater is not None and highwater - offset - 1 > backlog:
            return True
    return False


def _declare_agents(ingestion: Ingestion, source_topic):
    async def ingest(stream):
        await _apply_batches(stream, ingestion, ingest_source_record,
                             paces_recurring=ingestion.kind == "transactions")

    async def ingest_rekeyed(stream):
        await _apply_batches(stream, ingestion, ingest_rekeyed_record)

    ingest.__doc__ = f"Validate, route and apply every record of {source_topic.get_topic_name()}."
    ingest_rekeyed.__doc__ = f"Apply {ingestion.kind} forwarded from a non-owning partition."
    return (app.agent(source_topic, name=f"ingest-{ingestion.kind}")(ingest),
            app.agent(ingestion.rekeyed_topic, name=f"ingest-rekeyed-{ingestion.kind}")(
                ingest_rekeyed))


TRANSACTIONS = Ingestion("transactions", TransactionEvent, history.apply_transaction,
                         transactions_rekeyed_topic)
ACCOUNTS = Ingestion("accounts", AccountEvent, history.apply_account, accounts_rekeyed_topic)

FEEDBACK = Ingestion("feedback", CategorizationFeedback,
                     lambda document, _position: consumer_state.apply_feedback(document),
                     categorization_feedback_rekeyed_topic)

ingest_transactions, ingest_rekeyed_transactions = _declare_agents(TRANSACTIONS,
                                                                   transactions_topic)
ingest_accounts, ingest_rekeyed_accounts = _declare_agents(ACCOUNTS, accounts_topic)
ingest_feedback, ingest_rekeyed_feedback = _declare_agents(FEEDBACK,
                                                           categorization_feedback_topic)


@app.timer(interval=1.0)
async def settle_recurring_groups() -> None:
    """Work off a due queue of recurring changes while no batch arrives to do it, and the
    check of the recurring groups after a recovery."""
    if app.rebalancing:
        return
    written = recurring_settles.step()
    written += await recurring_settles.check_in_background()
    if written:
        await hand_off_changes()


@app.agent(enrichment_refresh_ticks_topic, name="enrichment-refresh")
async def refresh_enrichment(stream):
    """On every tick, rewrite up to INSIGHTS_ENRICHMENT_REFRESH_BATCH records of the tick's
    partition that an earlier enrichment version wrote (reports enrich them again on read
    meanwhile; docs/enrichment.md, "The enrichment version")."""
    async for event in stream.events():
        partition = event.message.partition
        with writing_for(event):
            done = consumer_state.refresh_enrichment(
                settings.enrichment_refresh_batch,
                keep_consumer=lambda c, p=partition: partition_for(c, settings.partitions) == p)
        await hand_off_changes()
        if done:
            log.info("re-enriched %d records on partition %d", done, partition)


@app.timer(interval=settings.enrichment_refresh_seconds)
async def enrichment_refresh_timer() -> None:
    """Send a refresh tick to every owned partition while stale records remain."""
    if app.rebalancing or not history.consumers_with_stale():
        return
    for partition in sorted(owned_partitions()):
        enrichment_refresh_ticks_topic.send_soon(key=b"tick", partition=partition, value=b"{}")


_last_logged: dict[str, int] = {}
#: Consecutive progress checks that found a source partition lagging while nothing moved.
_idle_checks_with_lag = 0
#: After this many such checks (10 s apart) the lagging partitions are re-sought.
STALLED_CHECKS = 3


@app.timer(interval=10.0)
async def watch_ingestion() -> None:
    """Log ingestion progress; restart the fetch of source partitions that stall.

    Seen on the embedded broker after a restart: a source partition, active and unpaused in
    Faust, with thousands of records behind its committed offset and no record delivered for
    minutes, although the broker served the partition to other clients. A seek to the
    committed offset resets the client's fetch state for it; records delivered twice are
    replays, which the history skips. Those stalls were a hole in the acknowledged offsets left
    by Faust's seek after a rebalance, now a barrier (SafeCommitConsumer, workers/transport.py);
    the watchdog stays as a safety net.
    """
    global _idle_checks_with_lag
    current = dict(ingestion_counts)
    if current != _last_logged:
        log.info("ingestion since start: %s", ", ".join(f"{k}={v}" for k, v in
                                                       sorted(current.items())))
        _last_logged.clear()
        _last_logged.update(current)
        _idle_checks_with_lag = 0
        return
    consumer = app.consumer
    sources = {transactions_topic.get_topic_name(), accounts_topic.get_topic_name()}
    lagging = {}
    for tp in consumer.assignment():
        if tp.topic in sources:
            highwater = consumer.highwater(tp)
            committed = consumer._committed_offset.get(tp)
            if highwater is not None and committed is not None and highwater > committed:
                lagging[tp] = (committed, highwater - committed)
    if not lagging:
        _idle_checks_with_lag = 0
        return
    _idle_checks_with_lag += 1
    log.info("ingestion idle with lag %s (check %d); active %s paused %s buffered %s",
             {f"{tp.topic}:{tp.partition}": lag for tp, (_, lag) in lagging.items()},
             _idle_checks_with_lag, _names(consumer._active_partitions, sources),
             _names(consumer._paused_partitions, sources),
             _names(consumer._buffered_partitions, sources))
    if _idle_checks_with_lag >= STALLED_CHECKS:
        _idle_checks_with_lag = 0
        for tp, (committed, lag) in lagging.items():
            log.warning("source partition %s:%d stalled with %d records behind offset %d: "
                        "seeking it to its committed offset", tp.topic, tp.partition, lag,
                        committed)
            await consumer.seek(tp, committed)


def _names(tps, sources) -> list[str]:
    return sorted(f"{tp.topic}:{tp.partition}" for tp in tps or () if tp.topic in sources)
