"""Fixtures shared by every test layer."""

from __future__ import annotations

import os

import pytest

from tests.support import BrokerInfo, SessionBroker, WorkerProcess, unique_prefix

# Agent and unit tests never touch a broker or disk state.
os.environ.setdefault("INSIGHTS_TABLE_STORE", "memory://")

@pytest.fixture(scope="session")
def broker(tmp_path_factory) -> BrokerInfo:
    session_broker = SessionBroker()
    info = session_broker.start(tmp_path_factory.mktemp("broker"))
    yield info
    session_broker.stop()


@pytest.fixture
def worker_factory(broker, tmp_path):
    """Create worker processes sharing one topic prefix (one service instance per test)."""
    prefix = unique_prefix()
    workers: list[WorkerProcess] = []

    def make(**env_overrides: str) -> WorkerProcess:
        index = len(workers)
        worker = WorkerProcess(broker=broker, prefix=prefix, app_id=f"{prefix}insights",
                               data_dir=tmp_path / f"data-{index}",
                               log_path=tmp_path / f"worker-{index}.log",
                               env_overrides=env_overrides)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()
