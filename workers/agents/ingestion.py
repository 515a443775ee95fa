"""Agents applying TransactionEvents and AccountEvents to the per-consumer history.

Each contract topic has two agents: one for the topic itself and one for its internal re-key
topic, which carries records that arrived on a partition not owning their consumer.
"""

from __future__ import annotations

import logging

from schemas.contract import AccountEvent, TransactionEvent
from workers.app import app, settings
from workers.ingestion import (
    Ingestion,
    ingest_rekeyed_record,
    ingest_source_record,
    ingestion_counts,
)
from workers.state import hand_off_changes, history, writing_for
from workers.topics import (
    accounts_rekeyed_topic,
    accounts_topic,
    transactions_rekeyed_topic,
    transactions_topic,
)

log = logging.getLogger(__name__)


async def _apply_batches(stream, ingestion: Ingestion, ingest_record) -> None:
    # A batch is applied without an await in between; its table changes go to the producer
    # before take_events acknowledges its events, so no commit can cover a change not handed
    # over (workers/state.py, TableStore).
    async for events in stream.take_events(settings.ingest_batch_size,
                                           within=settings.ingest_batch_seconds):
        try:
            for event in events:
                with writing_for(event):
                    ingest_record(ingestion, event)
        finally:
            await hand_off_changes()


def _declare_agents(ingestion: Ingestion, source_topic):
    async def ingest(stream):
        await _apply_batches(stream, ingestion, ingest_source_record)

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

ingest_transactions, ingest_rekeyed_transactions = _declare_agents(TRANSACTIONS,
                                                                   transactions_topic)
ingest_accounts, ingest_rekeyed_accounts = _declare_agents(ACCOUNTS, accounts_topic)


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
    replays, which the history skips.
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
