"""Report configurations through a real broker and worker processes: CRUD, authorization,
idempotent redelivery, re-keying, and report jobs once per period with two workers and restarts."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import jwt
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.configs import ConfigReply, ReportJob
from tests.support import (
    REPO,
    bearer_token,
    config_env,
    wait_until,
    wait_until_configs_served,
)
from workers.clock import set_clock_file
from workers.config_client import ConfigClient
from workers.domain.schedules import due_runs, job_id
from workers.partitioning import partition_for

pytestmark = pytest.mark.integration

AID = "P00000001"
OTHER = "T00000002"
CONFIG = {"dataType": "checkout/transactions", "name": "Monthly settlement", "language": "en",
          "schedule": "monthly", "reportFilters": [{"filter": "store_id", "value": "P00000001.s1"}],
          "contentTypes": ["application/pdf", "text/csv"], "emails": ["finance@example.com"]}


def checked(reply: dict) -> dict:
    """The reply, after checking it against the contract model."""
    ConfigReply.model_validate_json(orjson.dumps(reply))
    return reply


async def test_crud_authorization_and_redelivery(worker_factory):
    worker = worker_factory(**config_env()).start()
    writer = bearer_token(AID, "write:insight", subject="merchant-user-1")
    async with ConfigClient(worker.settings, authorization=writer) as client:
        await wait_until_configs_served(client, worker, AID)

        created = checked(await client.command("create", AID, config=CONFIG))
        assert created["status"] == 200, created
        stored = created["data"]
        assert stored["accountId"] == AID and stored["created_by"] == "merchant-user-1"
        assert {k: stored[k] for k in CONFIG} == CONFIG
        assert stored["next_run_at"].endswith("T06:00:00.000+01:00") or \
            stored["next_run_at"].endswith("T06:00:00.000+02:00")
        config_id = stored["id"]

        assert checked(await client.command("get", AID, config_id=config_id))["data"] == stored
        assert checked(await client.command("list", AID))["data"] == [stored]

        duplicate = checked(await client.command("create", AID, config={
            **CONFIG, "name": "another name", "emails": ["other@example.com"],
            "contentTypes": ["text/csv", "application/pdf"]}))
        assert duplicate["status"] == 409 and duplicate["error"]["code"] == "CONFLICT"

        weekly = {**CONFIG, "schedule": "weekly", "name": "Weekly"}
        updated = checked(await client.command("update", AID, config_id=config_id,
                                               config=weekly))
        assert updated["status"] == 200, updated
        assert updated["data"]["id"] == config_id
        assert updated["data"]["created_at"] == stored["created_at"]
        assert updated["data"]["updated_by"] == "merchant-user-1"
        assert updated["data"]["schedule"] == "weekly"

        unknown = "00000000-0000-4000-8000-000000000000"
        for operation, extra in (("get", {}), ("delete", {}), ("update", {"config": CONFIG})):
            missing = checked(await client.command(operation, AID, config_id=unknown, **extra))
            assert missing["status"] == 404, missing

        invalid = checked(await client.command("create", AID, config={
            **CONFIG, "schedule": "twice-a-month", "colour": "red",
            "emails": ["not an address"]}))
        assert invalid["status"] == 400
        assert {e["loc"] for e in invalid["error"]["errors"]} == {
            "config.schedule", "config.colour", "config.emails[0]"}

        # Idempotence: the same command delivered twice is applied once, with the same reply.
        second = {**CONFIG, "schedule": "daily", "name": "Daily"}
        first_reply = await client.command("create", AID, config=second, correlation_id="dup-1")
        again = await client.command("create", AID, config=second, correlation_id="dup-1")
        assert first_reply["status"] == 200 and again == first_reply
        # A retry with a fresh token is the same command; another command under the same
        # correlation id is refused.
        retry = await client.command("create", AID, config=second, correlation_id="dup-1",
                                     authorization=bearer_token(AID, "admin:insight"))
        assert retry == first_reply
        reused = await client.command("create", AID, config=CONFIG, correlation_id="dup-1")
        assert reused["status"] == 409 and reused["error"]["code"] == "CORRELATION_ID_REUSED"
        listed = await client.command("list", AID)
        assert [c["name"] for c in listed["data"]] == ["Weekly", "Daily"]

        # A record keyed by something else reaches the owner of the account through re-keying.
        rekeyed = await client.command("get", AID, config_id=config_id, key=b"not-the-aid")
        assert rekeyed["status"] == 200 and rekeyed["data"]["schedule"] == "weekly"

        deleted = checked(await client.command("delete", AID, config_id=config_id))
        assert deleted["status"] == 200 and deleted["data"]["id"] == config_id
        assert (await client.command("get", AID, config_id=config_id))["status"] == 404
        assert [c["name"] for c in (await client.command("list", AID))["data"]] == ["Daily"]


async def test_authentication_and_authorization_failures(worker_factory):
    worker = worker_factory(**config_env()).start()
    async with ConfigClient(worker.settings) as client:
        await wait_until_configs_served(client, worker, AID)
        payload = {"sub": "u", "aud": "account-insights", "aid": AID, "scope": "admin:insight",
                   "exp": datetime.now(UTC) + timedelta(minutes=5)}
        unauthenticated = {
            "missing": None,
            "not bearer": "Basic dXNlcjpwYXNz",
            "malformed": "Bearer not.a.jwt",
            "expired": bearer_token(AID, "write:insight",
                                    now=datetime.now(UTC) - timedelta(hours=2)),
            "wrong signature": "Bearer " + jwt.encode(payload, "another-secret-" + "x" * 32,
                                                      algorithm="HS256"),
            "alg none": "Bearer " + jwt.encode(payload, None, algorithm="none"),
            "wrong audience": "Bearer " + jwt.encode(
                {**payload, "aud": "someone-else"},
                "test-secret-for-report-configurations-0123456789", algorithm="HS256"),
        }
        for case, token in unauthenticated.items():
            reply = checked(await client.command("create", AID, config=CONFIG,
                                                 authorization=token or ""))
            assert reply["status"] == 401, (case, reply)
            assert reply["error"]["code"] == "UNAUTHORIZED"

        forbidden = {
            "read scope cannot create": ("create", AID, bearer_token(AID, "read:insight")),
            "no scope": ("list", AID, bearer_token(AID)),
            "another account": ("list", OTHER, bearer_token(AID, "write:insight")),
        }
        for case, (operation, aid, token) in forbidden.items():
            reply = checked(await client.command(
                operation, aid, authorization=token,
                config=CONFIG if operation == "create" else None))
            assert reply["status"] == 403, (case, reply)

        admin = bearer_token(None, "admin:insight", subject="support")
        created = await client.command("create", OTHER, config=CONFIG, authorization=admin)
        assert created["status"] == 200 and created["data"]["created_by"] == "support"
        reader = await client.command("list", OTHER,
                                      authorization=bearer_token(OTHER, "read:insight"))
        assert [c["id"] for c in reader["data"]] == [created["data"]["id"]]


# --- schedules -----------------------------------------------------------------------------

OSLO = ZoneInfo("Europe/Oslo")
START = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
SCHEDULED = [
    ("P10000001", {"dataType": "checkout/transactions", "language": "no", "schedule": "daily"}),
    ("P10000002", {"dataType": "wallets/transactions", "language": "en", "schedule": "weekly"}),
    ("P10000003", {"dataType": "checkout/transactions/open", "language": "en",
                   "schedule": "monthly",
                   "reportFilters": [{"filter": "older_than_days", "value": "30"}]}),
    ("P10000004", {"dataType": "orders/orderoperations", "language": "no",
                   "schedule": "twice-a-month"}),
    ("T10000005", {"dataType": "checkout/transactions", "language": "en", "schedule": "daily",
                   "contentTypes": ["application/pdf"]}),
]


class JobCollector:
    """Reads every ReportJob of the jobs topic from the beginning."""

    def __init__(self, settings) -> None:
        self.settings, self.jobs = settings, []
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> JobCollector:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.settings.bootstrap_servers,
                                         enable_auto_commit=False, fetch_max_wait_ms=50)
        await self.consumer.start()
        topic = self.settings.topic("insights.report-jobs.v1")
        partitions = [TopicPartition(topic, p) for p in range(self.settings.partitions)]
        self.consumer.assign(partitions)
        await self.consumer.seek_to_beginning(*partitions)
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    job = ReportJob.model_validate_json(record.value)
                    assert record.key == job.aid.encode()
                    self.jobs.append(job)

    async def __aexit__(self, *exc_info) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.consumer.stop()


def expected_jobs(configs: dict[str, dict], until: datetime) -> dict[str, tuple]:
    """job_id -> (configuration id, from, to) of every period due by `until`."""
    expected = {}
    for config_id, config in configs.items():
        for period in due_runs(config["schedule"], START, until, OSLO, limit=1000):
            expected[job_id(config_id, period)] = (config_id, period.from_date.isoformat(),
                                                   period.to_date.isoformat())
    return expected


def check_once_per_period(jobs: list[ReportJob], expected: dict[str, tuple]) -> None:
    """One job id per period, each sent once on its first attempt; resends flagged."""
    assert {j.job_id for j in jobs} == set(expected)
    for job in jobs:
        assert (job.configuration_id, job.period.from_date, job.period.to_date) == \
            expected[job.job_id]
    first_attempts = Counter(j.job_id for j in jobs if j.attempt == 1)
    assert all(count <= 1 for count in first_attempts.values()), first_attempts


async def _wait_for_jobs(collector: JobCollector, expected: dict, workers) -> None:
    async def complete() -> bool:
        return {j.job_id for j in collector.jobs} >= set(expected)

    try:
        await wait_until(complete, timeout=90, interval=0.5, message="report jobs")
    except AssertionError:
        logs = "\n".join(w.log_tail(3000) for w in workers)
        raise AssertionError(f"have {len(collector.jobs)} jobs, expected {len(expected)}:\n"
                             f"{logs}") from None
    await asyncio.sleep(2)  # late duplicates would show up here


async def test_report_jobs_once_per_period_with_two_workers_and_restarts(worker_factory,
                                                                          tmp_path):
    clock = tmp_path / "clock"
    set_clock_file(clock, START)
    env = config_env(clock_file=clock)
    first, second = worker_factory(**env).start(), worker_factory(**env).start()
    admin = bearer_token(None, "admin:insight")
    async with ConfigClient(first.settings, authorization=admin) as client, \
            JobCollector(first.settings) as collector:
        for aid, _ in SCHEDULED:
            await wait_until_configs_served(client, first, aid)
        assert len({partition_for(aid, first.settings.partitions) for aid, _ in SCHEDULED}) > 1
        configs = {}
        for aid, config in SCHEDULED:
            reply = await client.command("create", aid, config=config)
            assert reply["status"] == 200, reply
            configs[reply["data"]["id"]] = config
            assert reply["data"]["next_run_at"].startswith(
                {"daily": "2025-01-11", "weekly": "2025-01-13", "monthly": "2025-02-01",
                 "twice-a-month": "2025-01-16"}[config["schedule"]])
        await asyncio.sleep(2)
        assert collector.jobs == []  # nothing is due at the start

        # Both workers run: every period up to the new time is emitted exactly once.
        now = START + timedelta(days=3)
        set_clock_file(clock, now)
        await _wait_for_jobs(collector, expected_jobs(configs, now), [first, second])
        check_once_per_period(collector.jobs, expected_jobs(configs, now))

        # One worker stops; the other takes over its partitions and catches up.
        first.stop()
        now = datetime(2025, 2, 1, 12, tzinfo=UTC)
        set_clock_file(clock, now)
        await _wait_for_jobs(collector, expected_jobs(configs, now), [second])
        check_once_per_period(collector.jobs, expected_jobs(configs, now))

        # It comes back; the partitions are shared again and time moves on.
        first.start()
        await asyncio.sleep(8)
        now = datetime(2025, 2, 17, 12, tzinfo=UTC)
        set_clock_file(clock, now)
        await _wait_for_jobs(collector, expected_jobs(configs, now), [first, second])
        expected = expected_jobs(configs, now)
        check_once_per_period(collector.jobs, expected)
        per_config = defaultdict(int)
        for config_id, _, _ in expected.values():
            per_config[configs[config_id]["schedule"]] += 1
        # 2025-01-10 .. 2025-02-17: two daily configurations, Mondays, Feb 1, Jan 16/Feb 1/16.
        assert dict(per_config) == {"daily": 2 * 38, "weekly": 6, "monthly": 1,
                                    "twice-a-month": 3}


async def test_the_config_and_token_commands(worker_factory, tmp_path):
    worker = worker_factory(**config_env()).start()
    env = dict(os.environ, **worker.env)
    env.pop("INSIGHTS_TOKEN", None)

    def insights(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "workers", *args], cwd=REPO,
                              env={**env, **extra_env}, capture_output=True, text=True,
                              timeout=120)

    async with ConfigClient(worker.settings) as client:
        await wait_until_configs_served(client, worker, AID)
    minted = insights("token", "--aid", AID, "--scope", "write:insight", "--subject", "cli")
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()
    config_file = tmp_path / "config.json"
    config_file.write_bytes(orjson.dumps(CONFIG))
    created = insights("config", "create", "--aid", AID, "--file", str(config_file),
                       "--token", token)
    assert created.returncode == 0, created.stdout + created.stderr
    stored = orjson.loads(created.stdout)["data"]
    assert stored["created_by"] == "cli" and stored["name"] == CONFIG["name"]
    flags = insights("config", "create", "--aid", AID, "--data-type", "checkout/transactions/open",
                     "--schedule", "weekly", "--language", "no", "--filters",
                     "older_than_days=30", "store_id=s1", "--emails", "a@example.com",
                     INSIGHTS_TOKEN=token)
    assert flags.returncode == 0, flags.stdout + flags.stderr
    assert orjson.loads(flags.stdout)["data"]["reportFilters"] == [
        {"filter": "older_than_days", "value": "30"}, {"filter": "store_id", "value": "s1"}]
    listed = insights("config", "list", "--aid", AID, INSIGHTS_TOKEN=token)
    assert [c["id"] for c in orjson.loads(listed.stdout)["data"]][0] == stored["id"]
    got = insights("config", "get", "--aid", AID, "--id", stored["id"], INSIGHTS_TOKEN=token)
    assert orjson.loads(got.stdout)["data"] == stored
    unauthorized = insights("config", "list", "--aid", AID)
    assert unauthorized.returncode == 1 and '"status": 401' in unauthorized.stdout
    deleted = insights("config", "delete", "--aid", AID, "--id", stored["id"],
                       INSIGHTS_TOKEN=token)
    assert deleted.returncode == 0
    assert insights("config", "create", "--aid", AID, INSIGHTS_TOKEN=token).returncode == 2
