"""Test helpers: a broker for the session, worker processes, offline reference computations."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from schemas.categorized import CategorizedReportRequest
from schemas.contract import AccountEvent, TransactionEvent
from schemas.feedback import CategorizationFeedback
from schemas.recurring import RecurringReportRequest
from workers.broker import EmbeddedBroker
from workers.client import ReportClient, RequestTimeout
from workers.domain.consumer_state import ConsumerState
from workers.domain.history import SourcePosition
from workers.reports import categorized_report, recurring_report
from workers.settings import Settings

REPO = Path(__file__).resolve().parent.parent


@dataclass
class BrokerInfo:
    bootstrap_servers: str
    profile: str  # "embedded" or "kafka"
    kind: str  # "embedded", "testcontainers", "external"


def _docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class SessionBroker:
    """KAFKA_BOOTSTRAP_SERVERS if set, else testcontainers Kafka if Docker answers, else Tansu."""

    def __init__(self) -> None:
        self._embedded: EmbeddedBroker | None = None
        self._container = None

    def start(self, log_dir: Path) -> BrokerInfo:
        external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if external:
            return BrokerInfo(external, os.environ.get("INSIGHTS_BROKER_PROFILE", "kafka"),
                              "external")
        if os.environ.get("INSIGHTS_TEST_DOCKER", "1") != "0" and _docker_available():
            from testcontainers.kafka import KafkaContainer

            self._container = KafkaContainer().with_kraft()
            self._container.start()
            return BrokerInfo(self._container.get_bootstrap_server(), "kafka", "testcontainers")
        self._embedded = EmbeddedBroker(log_path=log_dir / "broker.log").start()
        return BrokerInfo(self._embedded.bootstrap_servers, "embedded", "embedded")

    def stop(self) -> None:
        if self._embedded is not None:
            self._embedded.stop()
        if self._container is not None:
            self._container.stop()


@dataclass
class WorkerProcess:
    """One `insights worker` child process with its own topic prefix and data directory."""

    broker: BrokerInfo
    prefix: str
    app_id: str
    data_dir: Path
    log_path: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
            "INSIGHTS_BROKER_PROFILE": self.broker.profile,
            "INSIGHTS_TOPIC_PREFIX": self.prefix,
            "INSIGHTS_APP_ID": self.app_id,
            "INSIGHTS_DATA_DIR": str(self.data_dir),
            "INSIGHTS_TABLE_STORE": "memory://",
            "INSIGHTS_LOG_LEVEL": "INFO",
        }
        env.update(self.env_overrides)
        return env

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env)

    def start(self) -> WorkerProcess:
        env = dict(os.environ)
        env.update(self.env)
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen([sys.executable, "-m", "workers", "worker"], env=env,
                                        stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, cwd=REPO)
        log.close()
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, no commit."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 20.0) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""


def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float,
                     interval: float = 0.25, message: str = "condition") -> None:
    """Poll `predicate` until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if await predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")
        await asyncio.sleep(interval)


async def wait_until_serving(client: ReportClient, worker: WorkerProcess,
                             timeout: float = 90.0) -> None:
    """Wait until the worker answers a request (its topics exist and it joined the group)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not worker.alive():
            raise AssertionError(f"worker exited:\n{worker.log_tail()}")
        try:
            reply = await client.request("categorization", {
                "insights_consumer_id": "readiness-probe",
                "required_data_availability": "NONE"}, timeout=3)
        except RequestTimeout:
            continue
        if reply["status"] == 200:
            return
    raise AssertionError(f"worker not serving after {timeout:.0f} s:\n{worker.log_tail()}")


def offline_state(transactions: list[dict], accounts: list[dict] = (),
                  retention_days: int = 400, feedback: list[dict] = ()) -> ConsumerState:
    """The state a worker must reach, computed without a broker from the same events.

    Events are applied in the order a consumer's partition delivers them (input order per
    consumer: accounts, then transactions, then corrections); invalid events are skipped as
    the worker dead-letters them.
    """
    state = ConsumerState.in_memory(retention_days=retention_days)
    for offset, event in enumerate(accounts):
        state.apply_account(AccountEvent.model_validate_json(orjson.dumps(event))
                            .model_dump(mode="json", exclude_none=True),
                            SourcePosition("offline-accounts", offset))
    for offset, event in enumerate(transactions):
        state.apply_transaction(TransactionEvent.model_validate_json(orjson.dumps(event))
                                .model_dump(mode="json", exclude_none=True),
                                SourcePosition("offline-transactions", offset))
    for message in feedback:
        state.apply_feedback(CategorizationFeedback.model_validate_json(orjson.dumps(message))
                             .model_dump(mode="json", exclude_none=True))
    return state


def full_range_request(consumer_id: str, **extra: Any) -> dict[str, Any]:
    request = {"insights_consumer_id": consumer_id, "from_date": "2000-01-01",
               "to_date": "2099-12-31", "required_data_availability": "NONE",
               "combine_accounts": "ALL"}
    request.update(extra)
    return request


def expected_report(state: ConsumerState, request: dict[str, Any],
                    report: str = "categorization") -> dict[str, Any]:
    """The `data` object the worker must return, minus refreshed_at (broker timestamps)."""
    from datetime import date

    if report == "recurring-transactions":
        data = recurring_report(
            RecurringReportRequest.model_validate_json(orjson.dumps(request)), state,
            date.today())
    else:
        data = categorized_report(
            CategorizedReportRequest.model_validate_json(orjson.dumps(request)), state,
            date.today())
    return strip_refreshed(data)


def strip_refreshed(data: dict[str, Any]) -> dict[str, Any]:
    return {"reports": [{k: v for k, v in report.items() if k != "refreshed_at"}
                        for report in data["reports"]]}


# --- report configurations ---------------------------------------------------------------------

#: The HS256 secret of test workers that take configuration commands (see config_env).
TEST_JWT_SECRET = "test-secret-for-report-configurations-0123456789"


def config_env(clock_file: Path | None = None, tick_seconds: float = 0.5) -> dict[str, str]:
    """Worker settings for configuration tests: the test secret, a fast tick, a test clock."""
    env = {"INSIGHTS_JWT_HS256_SECRET": TEST_JWT_SECRET,
           "INSIGHTS_SCHEDULE_TICK_SECONDS": str(tick_seconds)}
    if clock_file is not None:
        env["INSIGHTS_CLOCK_FILE"] = str(clock_file)
    return env


def bearer_token(aid: str | None, *scopes: str, subject: str = "tester", **kwargs: Any) -> str:
    """`Bearer <JWT>` signed with the test secret."""
    from workers.domain.authorization import mint_token

    return "Bearer " + mint_token(TEST_JWT_SECRET, "HS256", subject=subject, scopes=scopes,
                                  aid=aid, audience="account-insights", **kwargs)


async def wait_until_configs_served(client, worker: WorkerProcess, aid: str,
                                    timeout: float = 90.0) -> None:
    """Wait until the worker answers a `list` command for `aid` (with any status)."""

    async def answered() -> bool:
        if not worker.alive():
            raise AssertionError(f"worker exited:\n{worker.log_tail()}")
        try:
            await client.command("list", aid, timeout=3)
        except RequestTimeout:
            return False
        return True

    await wait_until(answered, timeout, interval=0, message="a reply to a configuration command")
