"""kill -9 a worker while it ingests, restart it, and check that nothing was lost or applied twice:
every consumer's transactions and recurring groups equal those computed offline.

The expected state is computed offline from the same events (tests/support.offline_state).
Round one restarts on the worker's own RocksDB files; round two restarts on an empty data
directory, so every table is rebuilt from its changelog (on the embedded broker this is the
path that needs the corrected end offsets, see docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import random
from datetime import date

import orjson
import pytest

from tests.support import (
    expected_report,
    full_range_request,
    offline_state,
    strip_refreshed,
    wait_until,
    wait_until_serving,
)
from workers.client import ReportClient, produce_lines
from workers.sample_data import generate_sample_data

pytestmark = pytest.mark.reliability


def _events(count: int, seed: int) -> tuple[list[dict], list[dict]]:
    """About `count` transaction events with updates and deletes, and their account events."""
    data = generate_sample_data(consumers=30, months=13, end_date=date(2024, 12, 31), seed=seed)
    rng = random.Random(seed)
    events = list(data.transactions[:count])
    # Re-sent versions (state changes, corrections) and deletions of earlier transactions.
    for _ in range(count // 20):
        original = dict(rng.choice(events))
        if rng.random() < 0.3:
            original["deleted"] = True
        else:
            original["state"] = rng.choice(["PROCESSED", "CANCELED", "FAILED"])
            original["amount"] = {**original["amount"],
                                  "amount": original["amount"]["amount"] + rng.randrange(100)}
        events.insert(rng.randrange(len(events) // 2, len(events)), original)
    return events[:count], data.accounts


#: The last difference seen by _reports_match, shown when the wait for convergence fails.
last_difference: dict[str, object] = {}


def _recurring_request(consumer_id: str) -> dict:
    return {"insights_consumer_id": consumer_id, "from_date": "2000-01-01",
            "to_date": "2099-12-31", "required_data_availability": "NONE"}


async def _reports_match(client: ReportClient, expected, consumers: list[str]) -> bool:
    """Every consumer's full Categorized report and full Recurring Transactions report
    equal the offline computation."""
    for consumer_id in consumers:
        request = full_range_request(consumer_id)
        reply = await client.request("categorization", request, timeout=15)
        if reply["status"] != 200:
            last_difference.update(consumer=consumer_id, reply=reply)
            return False
        actual, wanted = strip_refreshed(reply["data"]), expected_report(expected, request)
        if actual != wanted:
            last_difference.clear()
            last_difference.update(consumer=consumer_id, **_difference(actual, wanted))
            return False
    for consumer_id in consumers:
        request = _recurring_request(consumer_id)
        reply = await client.request("recurring-transactions", request, timeout=15)
        wanted = expected_report(expected, request, "recurring-transactions")
        if reply["status"] != 200 or strip_refreshed(reply["data"]) != wanted:
            last_difference.clear()
            last_difference.update(consumer=consumer_id, recurring=reply.get("data"),
                                   wanted_recurring=wanted)
            return False
    return True


def _difference(actual: dict, wanted: dict) -> dict:
    def by_id(data):
        return {t["insights_transaction_id"]: t
                for r in data["reports"] for t in r["transactions"]}
    got, want = by_id(actual), by_id(wanted)
    return {"missing": sorted(set(want) - set(got))[:5],
            "unexpected": sorted(set(got) - set(want))[:5],
            "changed": [(got[t], want[t]) for t in sorted(set(got) & set(want))
                        if got[t] != want[t]][:3],
            "other": [k for k in actual["reports"][0] if k != "transactions"
                      and actual["reports"][0][k] != wanted["reports"][0].get(k)]}


async def _wait_for_state(client, expected, message: str, timeout: float, worker) -> None:
    try:
        await wait_until(lambda: _reports_match(client, expected, expected.history.consumers()),
                         timeout=timeout, interval=1.0, message=message)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last difference: {last_difference}\n"
                             f"worker log:\n{worker.log_tail(8000)}") from None


async def _kill_during_ingestion(worker, settings, lines: list[bytes], client) -> None:
    """Produce `lines` and kill -9 the worker once it has applied some but not all of them."""
    consumer_ids = sorted({orjson.loads(line)["insights_consumer_id"] for line in lines})
    producing = asyncio.create_task(
        produce_lines(settings, settings.topic("insights.transactions.v1"), lines))

    async def some_applied() -> bool:
        reply = await client.request("categorization", full_range_request(consumer_ids[0]),
                                     timeout=10)
        return bool(reply["data"]["reports"][0]["transactions"])

    await wait_until(some_applied, timeout=60, interval=0.05, message="ingestion started")
    worker.kill()
    await producing


async def test_kill9_during_ingestion_twice_loses_and_duplicates_nothing(worker_factory):
    events, accounts = _events(20_000, seed=5)
    first, second = events[:14_000], events[14_000:]
    # Round two replays a stretch of round one as well: at-least-once producers resend.
    second = first[-1_000:] + second
    worker = worker_factory(INSIGHTS_TABLE_STORE="rocksdb://").start()
    settings = worker.settings
    async with ReportClient(settings) as client:
        await wait_until_serving(client, worker)
        await produce_lines(settings, settings.topic("insights.accounts.v1"),
                            [orjson.dumps(a) for a in accounts])

        # Round one: kill -9, restart on the same local state.
        await _kill_during_ingestion(worker, settings, [orjson.dumps(e) for e in first], client)
        expected = offline_state(first, accounts)
        assert not worker.alive()
        worker.start()
        await wait_until_serving(client, worker)
        await _wait_for_state(client, expected, "round one state restored", timeout=120,
                              worker=worker)

        # Round two: kill -9 again, restart with an empty data directory.
        await _kill_during_ingestion(worker, settings, [orjson.dumps(e) for e in second], client)
        expected = offline_state(first + second, accounts)
        restarted = worker_factory(INSIGHTS_TABLE_STORE="rocksdb://").start()
        await wait_until_serving(client, restarted)
        await _wait_for_state(client, expected, "round two state restored", timeout=180,
                              worker=restarted)
        assert restarted.alive()
