"""Agents of report configurations: commands answered by the owner of the account's state, and
the schedule timer whose ticks make the owner emit the report jobs that are due.

Faust lets only stream events write to a table, so the timer does not emit jobs itself: every
worker sends a tick to each partition it owns, and the tick's agent, on the partition that holds
the accounts' state, records and emits the due jobs (docs/architecture.md, "Report schedules").
"""

from __future__ import annotations

import logging

from faust.types import EventT

from workers import reports
from workers.admin import is_reserved_topic
from workers.agents.report_requests import _reply
from workers.app import app, settings
from workers.clock import ServiceClock
from workers.codecs import dumps
from workers.domain.authorization import UncheckedVerifier, UnconfiguredVerifier
from workers.ingestion import send_dead_letter
from workers.partitioning import partition_for
from workers.report_configs import ConfigCommands, readable_aid, registry_from, verifier_from
from workers.state import TableStore
from workers.tables import report_config_replies_table, report_configs_table
from workers.topics import (
    REPORT_CONFIG_REPLIES,
    REPORT_CONFIGS,
    report_configs_rekeyed_topic,
    report_configs_topic,
    report_jobs_topic,
    report_schedule_ticks_topic,
)

log = logging.getLogger(__name__)

registry = registry_from(settings.configs, TableStore(report_configs_table),
                         TableStore(report_config_replies_table))
clock = ServiceClock(settings.configs.clock_file)
commands = ConfigCommands(registry, verifier_from(settings.configs), clock)

if isinstance(commands.verifier, UncheckedVerifier):
    log.warning("INSIGHTS_AUTH_DISABLED_FOR_LOCAL_DEVELOPMENT is set: configuration commands "
                "are NOT authenticated or authorized")
elif isinstance(commands.verifier, UnconfiguredVerifier):
    log.warning("no token verification key (INSIGHTS_JWT_HS256_SECRET or "
                "INSIGHTS_JWT_RS256_PUBLIC_KEY_FILE): configuration commands are refused")


def _is_reserved(name: str) -> bool:
    return name != REPORT_CONFIG_REPLIES and is_reserved_topic(settings, name)


def _owns(partition: int):
    return lambda aid: partition_for(aid, settings.partitions) == partition


def owned_partitions() -> set[int]:
    return {tp.partition for tp in app.consumer.assignment() if tp.topic == REPORT_CONFIGS}


async def flush_writes() -> None:
    """Wait until everything produced so far (table changes included) is acknowledged."""
    await app.producer.flush()


async def handle_command(event: EventT, *, route: bool) -> None:
    """Answer one command record, or forward it to the partition owning its account."""
    msg = event.message
    if msg.value is not None and len(msg.value) > settings.max_event_bytes:
        send_dead_letter(event, "OVERSIZED", f"value of {len(msg.value)} bytes")
        return
    try:
        peeked = reports.peek(msg.value, _is_reserved)
    except reports.Unreadable as exc:
        send_dead_letter(event, exc.code, exc.message, exc.errors)
        return
    aid = readable_aid(msg.value)
    if route and aid is not None:
        owner = partition_for(aid, settings.partitions)
        if msg.partition != owner:
            report_configs_rekeyed_topic.send_soon(key=aid.encode(), partition=owner,
                                                   value=msg.value)
            return
    body = commands.answer(msg.value, peeked)
    # The reply leaves only once the state it reports is in the changelog: a command
    # delivered again after a crash then finds its remembered reply instead of running twice.
    await flush_writes()
    reply_to = peeked.reply_to or REPORT_CONFIG_REPLIES
    try:
        await _reply(reply_to, peeked.correlation_id, body)
    except Exception as exc:  # noqa: BLE001 - an unusable reply topic must not stop the worker
        log.warning("reply %s to %s failed: %s", peeked.correlation_id, reply_to, exc)
        send_dead_letter(event, "REPLY_FAILED", f"could not reply to {reply_to!r}: {exc}")


async def emit_due_jobs(event: EventT) -> int:
    """Emit the report jobs due on the tick's partition; returns how many were sent.

    Jobs are recorded as pending and flushed before they are sent, and marked emitted after
    they are acknowledged. A crash in between leaves them pending, and they are sent again
    with a higher `attempt` (same `job_id`), never lost.
    """
    partition = event.message.partition
    generation = app.rebalancing_count
    now = clock.now()
    batches = [(aid, registry.begin_jobs(aid, now))
               for aid in registry.due_accounts(now, _owns(partition))]
    batches = [(aid, jobs) for aid, jobs in batches if jobs]
    if not batches:
        return 0
    await flush_writes()
    for aid, jobs in batches:
        for job in jobs:
            report_jobs_topic.send_soon(key=aid.encode(), value=dumps(job))
    await flush_writes()
    if app.rebalancing or app.rebalancing_count != generation:
        # The partition may have moved meanwhile; a write now could land behind the new
        # owner's. The jobs stay pending and are emitted again, flagged, by the owner.
        log.warning("rebalance during job emission: %d accounts left pending", len(batches))
        return 0
    for aid, jobs in batches:
        registry.finish_jobs(aid, jobs)
    sent = sum(len(jobs) for _, jobs in batches)
    log.info("emitted %d report jobs for %d accounts on partition %d", sent, len(batches),
             partition)
    return sent


@app.agent(report_configs_topic, name="report-configs")
async def answer_config_commands(stream):
    """Answer commands of insights.report-configs.v1 (re-keyed to the owner when needed)."""
    async for event in stream.events():
        await handle_command(event, route=True)


@app.agent(report_configs_rekeyed_topic, name="report-configs-rekeyed")
async def answer_rekeyed_config_commands(stream):
    """Answer commands forwarded to the partition that owns their account."""
    async for event in stream.events():
        await handle_command(event, route=False)


@app.agent(report_schedule_ticks_topic, name="report-schedules")
async def emit_report_jobs(stream):
    """On every tick, emit the report jobs due on the tick's partition."""
    async for event in stream.events():
        await emit_due_jobs(event)


@app.timer(interval=settings.configs.schedule_tick_seconds)
async def schedule_timer() -> None:
    """Send a tick to every partition this worker owns."""
    if app.rebalancing:
        return
    for partition in sorted(owned_partitions()):
        report_schedule_ticks_topic.send_soon(key=b"tick", partition=partition, value=b"{}")


@report_configs_table.on_recover
async def rebuild_schedule_index() -> None:
    """Rebuild the in-memory due index from the recovered configurations."""
    partitions = owned_partitions()
    registry.rebuild(report_configs_table.items(),
                     keep=lambda aid: partition_for(aid, settings.partitions) in partitions)
    log.info("schedule index rebuilt for partitions %s: %d accounts", sorted(partitions),
             len(registry.due))
