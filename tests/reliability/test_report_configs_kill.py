"""kill -9 a worker while it applies configuration commands and while it emits report jobs.

After each restart every configuration is there exactly once, commands sent again get the
reply they got before, and every schedule period has exactly one job id, sent on its first
attempt at most once (a job sent again after the crash carries attempt > 1). The first restart
reuses the worker's data directory, the second starts empty, so the tables are recovered from
their changelogs.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.integration.test_report_configs import (
    START,
    JobCollector,
    check_once_per_period,
    expected_jobs,
)
from tests.support import bearer_token, config_env, wait_until, wait_until_configs_served
from workers.clock import set_clock_file
from workers.config_client import ConfigClient

pytestmark = pytest.mark.reliability

AIDS = [f"P2{index:07d}" for index in range(50)]
KINDS = [
    {"dataType": "checkout/transactions", "language": "en", "schedule": "daily"},
    {"dataType": "checkout/transactions", "language": "no", "schedule": "weekly",
     "contentTypes": ["application/pdf"]},
    {"dataType": "orders/orderoperations", "language": "en", "schedule": "twice-a-month"},
    {"dataType": "wallets/transactions", "language": "en", "schedule": "monthly",
     "emails": ["finance@example.com"]},
]
COMMANDS = [(f"create-{aid}-{k}", aid, config) for aid in AIDS for k, config in enumerate(KINDS)]


async def _send_all(client: ConfigClient) -> dict[str, asyncio.Future]:
    futures = {}
    for correlation_id, aid, config in COMMANDS:
        _, futures[correlation_id] = await client.send_command(
            "create", aid, config=config, correlation_id=correlation_id)
    return futures


async def _listed(client: ConfigClient) -> dict[str, list[dict]]:
    listed = {}
    for aid in AIDS:
        reply = await client.command("list", aid, timeout=15)
        assert reply["status"] == 200, reply
        listed[aid] = reply["data"]
    return listed


def _without_next_run(listed: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {aid: [{k: v for k, v in c.items() if k != "next_run_at"} for c in configs]
            for aid, configs in listed.items()}


async def test_kill9_while_applying_commands_and_emitting_jobs(worker_factory, tmp_path):
    clock = tmp_path / "clock"
    set_clock_file(clock, START)
    env = {**config_env(clock_file=clock), "INSIGHTS_TABLE_STORE": "rocksdb://"}
    worker = worker_factory(**env).start()
    async with ConfigClient(worker.settings,
                            authorization=bearer_token(None, "admin:insight")) as client, \
            JobCollector(worker.settings) as collector:
        await wait_until_configs_served(client, worker, AIDS[0])

        # Round one: kill -9 while commands are applied, restart on the same data directory.
        futures = await _send_all(client)

        async def some_answered() -> bool:
            return sum(f.done() for f in futures.values()) >= 20

        await wait_until(some_answered, timeout=60, interval=0.01, message="first replies")
        worker.kill()
        before = {cid: f.result() for cid, f in futures.items() if f.done()}
        assert 20 <= len(before) <= len(COMMANDS)
        worker.start()
        await wait_until_configs_served(client, worker, AIDS[0])
        futures = await _send_all(client)  # a producer's retry: same correlation ids
        replies = {cid: await asyncio.wait_for(f, 60) for cid, f in futures.items()}
        assert all(r["status"] == 200 for r in replies.values()), [
            r for r in replies.values() if r["status"] != 200][:3]
        assert {cid: replies[cid] for cid in before} == before
        listed = await _listed(client)
        for aid in AIDS:
            ids = [replies[f"create-{aid}-{k}"]["data"]["id"] for k in range(len(KINDS))]
            assert [c["id"] for c in listed[aid]] == ids

        # Round two: kill -9 while jobs are emitted, restart with an empty data directory.
        now = START + timedelta(days=9)
        configs = {c["id"]: c for configs in listed.values() for c in configs}
        expected = expected_jobs(configs, now)
        set_clock_file(clock, now)

        async def some_jobs() -> bool:
            return len(collector.jobs) >= 50

        await wait_until(some_jobs, timeout=60, interval=0.01, message="first jobs")
        worker.kill()
        restarted = worker_factory(**env).start()
        await wait_until_configs_served(client, restarted, AIDS[0])

        async def all_jobs() -> bool:
            return {j.job_id for j in collector.jobs} >= set(expected)

        await wait_until(all_jobs, timeout=120, interval=0.5, message="every job")
        await asyncio.sleep(3)
        check_once_per_period(collector.jobs, expected)
        assert _without_next_run(await _listed(client)) == _without_next_run(listed)
        resent = sum(1 for j in collector.jobs if j.attempt > 1)
        print(f"{len(expected)} jobs, {len(collector.jobs)} records, {resent} sent again")
