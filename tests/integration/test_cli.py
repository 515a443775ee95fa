"""The `insights` command end to end: demo --once; generate, produce and request."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import orjson
import pytest

from tests.support import REPO, wait_until_serving
from workers.client import ReportClient

pytestmark = pytest.mark.integration


def test_demo_once_prints_reports():
    env = dict(os.environ)
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    run = subprocess.run([sys.executable, "-m", "workers", "demo", "--once", "--consumers", "2",
                          "--months", "3", "--timeout", "150"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "CATEGORIZED_TRANSACTIONS" in run.stdout
    assert "transactions applied" in run.stdout
    assert "status 400 INVALID_REQUEST" in run.stdout
    assert "status 422 DATA_AVAILABILITY_NOT_MET" in run.stdout
    assert "create -> status 200" in run.stdout and "409 CONFLICT" in run.stdout


async def test_generate_produce_request(worker_factory, tmp_path):
    worker = worker_factory().start()
    env = dict(os.environ, **worker.env)
    out = tmp_path / "sample"

    def insights(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "workers", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)

    generated = insights("generate", "--out", str(out), "--consumers", "2", "--months", "2",
                         "--end-date", "2024-02-29")
    assert generated.returncode == 0, generated.stderr
    async with ReportClient(worker.settings) as client:
        await wait_until_serving(client, worker)
    for kind in ("accounts", "transactions"):
        produced = insights("produce", kind, str(out / f"{kind}.jsonl"))
        assert produced.returncode == 0, produced.stderr
        assert "produced" in produced.stdout
    consumer_id = orjson.loads((out / "transactions.jsonl").read_bytes().splitlines()[0])[
        "insights_consumer_id"]
    for _ in range(60):
        reply = insights("request", "categorization", "--consumer", consumer_id, "--from",
                         "2024-01-01", "--to", "2024-02-29", "--order", "AMOUNT:DESC",
                         "--size", "3", "--combine", "ALL", "--json")
        assert reply.returncode == 0, reply.stdout + reply.stderr
        body = orjson.loads(reply.stdout)
        if len(body["data"]["reports"][0]["transactions"]) == 3:
            break
        await asyncio.sleep(0.5)
    amounts = [t["amount"]["amount"] for t in body["data"]["reports"][0]["transactions"]]
    assert len(amounts) == 3 and amounts == sorted(amounts, reverse=True)
    table = insights("request", "categorization", "--consumer", consumer_id, "--from",
                     "2024-01-01", "--to", "2024-02-29", "--size", "2")
    assert "CATEGORIZED_TRANSACTIONS" in table.stdout
    invalid = insights("request", "categorization", "--consumer", consumer_id, "--size", "-1")
    assert invalid.returncode == 1
    assert "request.size" in invalid.stdout
