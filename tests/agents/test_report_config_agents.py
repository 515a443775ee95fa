"""The configuration and schedule agents (workers/agents/report_configs.py) without a broker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import orjson
import pytest

from schemas.configs import ConfigReply, ReportJob
from workers.agents import report_configs as agents
from workers.app import settings
from workers.domain.authorization import TokenVerifier, mint_token
from workers.partitioning import partition_for
from workers.tables import report_config_replies_table, report_configs_table
from workers.topics import REPORT_CONFIG_REPLIES, REPORT_CONFIGS

from .conftest import Replies, Sent, assert_dead_letter, sent_value, until

AID = "P00000001"
SECRET = "agent-test-secret-0123456789-0123456789"
CONFIG = {"dataType": "checkout/transactions", "language": "en", "schedule": "daily"}


def owner(aid: str = AID) -> int:
    return partition_for(aid, settings.partitions)


class Clock:
    instant = datetime(2025, 1, 10, 12, tzinfo=UTC)

    def now(self) -> datetime:
        return self.instant


@pytest.fixture
def service(sent: Sent, replies: Replies) -> Iterator[mock.Mock]:
    """Empty configuration tables, a known token secret and clock; returns the flush mock."""
    def reset() -> None:
        report_configs_table.data.clear()
        report_config_replies_table.data.clear()
        agents.registry.due.clear()

    reset()
    order = mock.Mock()
    clock = Clock()
    with mock.patch.object(agents.commands, "verifier",
                           TokenVerifier(SECRET, "HS256", "account-insights")), \
            mock.patch.object(agents.commands, "clock", clock), \
            mock.patch.object(agents, "clock", clock), \
            mock.patch.object(agents, "flush_writes", mock.AsyncMock()) as flush, \
            mock.patch.object(agents.report_jobs_topic, "send_soon") as jobs, \
            mock.patch.object(agents.report_configs_rekeyed_topic, "send_soon") as rekeyed:
        order.attach_mock(flush, "flush")
        order.attach_mock(jobs, "job")
        order.attach_mock(replies.topic(REPORT_CONFIG_REPLIES).send_soon, "reply")
        order.clock, order.jobs, order.rekeyed = clock, jobs, rekeyed
        yield order
    reset()


def command(operation: str = "create", correlation_id: str = "c-1", **fields: Any) -> bytes:
    document = {"correlation_id": correlation_id, "operation": operation, "aid": AID,
                "authorization": "Bearer " + mint_token(
                    SECRET, "HS256", subject="agent-user", scopes=["write:insight"], aid=AID,
                    audience="account-insights")}
    if operation == "create":
        document["config"] = CONFIG
    document.update(fields)
    return orjson.dumps(document)


def replies_on(replies: Replies) -> list[dict]:
    return [ConfigReply.model_validate(sent_value(c)).model_dump(exclude_none=True)
            for c in replies.on(REPORT_CONFIG_REPLIES)]


async def test_a_command_is_applied_flushed_then_answered(service, replies: Replies):
    async with agents.answer_config_commands.test_context() as ctx:
        await ctx.put(value=command(), key=AID.encode(), partition=owner())
        await until(lambda: replies.count() == 1, what="a reply")
    [reply] = replies_on(replies)
    assert reply["status"] == 200 and reply["data"]["created_by"] == "agent-user"
    assert [name for name, *_ in service.mock_calls] == ["flush", "reply"]
    call = replies.on(REPORT_CONFIG_REPLIES)[0]
    assert call.kwargs["key"] == b"c-1"
    assert list(report_configs_table.data) == [AID]


async def test_a_redelivered_command_gets_the_same_reply(service, replies: Replies):
    async with agents.answer_config_commands.test_context() as ctx:
        for _ in range(2):
            await ctx.put(value=command(), key=AID.encode(), partition=owner())
        await until(lambda: replies.count() == 2, what="two replies")
    first, second = (sent_value(c) for c in replies.on(REPORT_CONFIG_REPLIES))
    assert first == second
    assert len(report_configs_table.data[AID]["configs"]) == 1


async def test_a_command_on_another_partition_is_forwarded_to_the_owner(service,
                                                                        replies: Replies):
    raw = command()
    async with agents.answer_config_commands.test_context() as ctx:
        await ctx.put(value=raw, key=b"wrong", partition=(owner() + 1) % settings.partitions)
        await until(lambda: service.rekeyed.call_count == 1, what="a forwarded command")
    assert service.rekeyed.call_args.kwargs == {"key": AID.encode(), "partition": owner(),
                                                "value": raw}
    assert replies.count() == 0
    async with agents.answer_rekeyed_config_commands.test_context() as ctx:
        await ctx.put(value=raw, key=AID.encode(), partition=owner())
        await until(lambda: replies.count() == 1, what="a reply")
    assert replies_on(replies)[0]["status"] == 200


async def test_an_invalid_aid_is_answered_where_it_arrived(service, replies: Replies):
    async with agents.answer_config_commands.test_context() as ctx:
        await ctx.put(value=command(operation="list", aid="P1"), key=b"P1", partition=0)
        await until(lambda: replies.count() == 1, what="a reply")
    assert replies_on(replies)[0]["status"] == 400
    assert service.rekeyed.call_count == 0


@pytest.mark.parametrize("value, code", [
    (b"", "INVALID_JSON"), (b"{not json", "INVALID_JSON"), (b"[1]", "INVALID_ENVELOPE"),
    (orjson.dumps({"operation": "list", "aid": AID}), "INVALID_ENVELOPE")])
async def test_records_without_a_correlation_id_are_dead_lettered(service, sent: Sent,
                                                                  replies: Replies, value, code):
    async with agents.answer_config_commands.test_context() as ctx:
        await ctx.put(value=value, key=AID.encode(), partition=owner())
        await until(lambda: sent.dead_letters.call_count == 1, what="a dead letter")
    assert_dead_letter(sent.dead_letters.call_args, code=code, topic=REPORT_CONFIGS,
                       partition=owner(), offset=0, key=AID.encode(), value=value)
    assert replies.count() == 0


async def test_a_tick_emits_due_jobs_once_and_records_them(service, replies: Replies):
    async with agents.answer_config_commands.test_context() as ctx:
        await ctx.put(value=command(), key=AID.encode(), partition=owner())
        await until(lambda: replies.count() == 1, what="a reply")
    service.reset_mock()
    service.clock.instant = datetime(2025, 1, 13, 7, tzinfo=UTC)
    async with agents.emit_report_jobs.test_context() as ticks:
        await ticks.put(value=b"{}", key=b"tick", partition=(owner() + 1) % settings.partitions)
        await ticks.put(value=b"{}", key=b"tick", partition=owner())
        await until(lambda: service.jobs.call_count == 3, what="three jobs")
        await ticks.put(value=b"{}", key=b"tick", partition=owner())
    names = [name for name, *_ in service.mock_calls if name in ("flush", "job")]
    assert names == ["flush", "job", "job", "job", "flush"]
    jobs = [ReportJob.model_validate(sent_value(c)) for c in service.jobs.call_args_list]
    assert [j.period.from_date for j in jobs] == ["2025-01-10", "2025-01-11", "2025-01-12"]
    assert all(c.kwargs["key"] == AID.encode() for c in service.jobs.call_args_list)
    record = report_configs_table.data[AID]
    assert record["pending"] == []
    assert record["configs"][0]["_schedule"]["last_run_at"] == "2025-01-13T06:00:00.000+01:00"


async def test_jobs_stay_pending_when_a_rebalance_interrupts_the_emission(service,
                                                                         replies: Replies):
    async with agents.answer_config_commands.test_context() as ctx:
        await ctx.put(value=command(), key=AID.encode(), partition=owner())
        await until(lambda: replies.count() == 1, what="a reply")
    service.clock.instant = datetime(2025, 1, 12, 7, tzinfo=UTC)

    async def rebalance_during_flush() -> None:
        agents.app.rebalancing_count += 1

    service.flush.side_effect = rebalance_during_flush
    async with agents.emit_report_jobs.test_context() as ticks:
        await ticks.put(value=b"{}", key=b"tick", partition=owner())
        await until(lambda: service.jobs.call_count == 2, what="two jobs")
    record = report_configs_table.data[AID]
    assert [j["attempt"] for j in record["pending"]] == [1, 1]
    assert record["configs"][0]["_schedule"]["last_run_at"] is None
