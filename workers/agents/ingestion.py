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
from workers.state import history, writing_for
from workers.topics import (
    accounts_rekeyed_topic,
    accounts_topic,
    transactions_rekeyed_topic,
    transactions_topic,
)

log = logging.getLogger(__name__)


def _declare_agents(ingestion: Ingestion, source_topic):
    async def ingest(stream):
        async for events in stream.take_events(settings.ingest_batch_size,
                                               within=settings.ingest_batch_seconds):
            for event in events:
                with writing_for(event):
                    ingest_source_record(ingestion, event)

    async def ingest_rekeyed(stream):
        async for events in stream.take_events(settings.ingest_batch_size,
                                               within=settings.ingest_batch_seconds):
            for event in events:
                with writing_for(event):
                    ingest_rekeyed_record(ingestion, event)

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


@app.timer(interval=10.0)
async def log_ingestion_progress() -> None:
    """Log what ingestion did since start (applied, replayed, dead letters, ...) when it moved;
    when it did not, log the consumer's flow state for the source partitions."""
    current = dict(ingestion_counts)
    if current != _last_logged:
        log.info("ingestion since start: %s", ", ".join(f"{k}={v}" for k, v in
                                                       sorted(current.items())))
        _last_logged.clear()
        _last_logged.update(current)
        return
    consumer = app.consumer
    sources = {transactions_topic.get_topic_name(), accounts_topic.get_topic_name()}

    def mine(tps) -> list[str]:
        return sorted(f"{tp.topic.rsplit('.', 2)[-2]}:{tp.partition}" for tp in tps or ()
                      if tp.topic in sources)

    lag = {}
    for tp in consumer.assignment():
        if tp.topic in sources:
            highwater = consumer.highwater(tp)
            position = consumer._committed_offset.get(tp)
            if highwater is not None and position is not None and highwater > position:
                lag[f"{tp.topic.rsplit('.', 2)[-2]}:{tp.partition}"] = highwater - position
    if lag:
        log.info("ingestion idle with lag %s; active %s paused %s buffered %s", lag,
                 mine(consumer._active_partitions), mine(consumer._paused_partitions),
                 mine(consumer._buffered_partitions))
