"""1,000 malformed records mixed into valid traffic: every valid event is applied, every bad record
is dead-lettered (or answered with an error when it is a readable request), the worker stays up."""

from __future__ import annotations

import asyncio
import random
from datetime import date

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.support import (
    expected_report,
    full_range_request,
    offline_state,
    strip_refreshed,
    wait_until,
    wait_until_serving,
)
from workers.client import ReportClient
from workers.sample_data import generate_sample_data

pytestmark = pytest.mark.reliability

MAX_EVENT_BYTES = 65_536


def _malformed_events(rng: random.Random, valid: list[dict]) -> list[tuple[bytes | None, bytes]]:
    """(key, value) pairs of 900 invalid transaction and account events, by kind."""
    bad: list[tuple[bytes | None, bytes]] = []
    sample = rng.choice(valid)
    for i in range(150):
        bad.append((b"c", b"{not json %d" % i))
    for i in range(100):
        bad.append((b"c", orjson.dumps([i, "an array, not an object"])))
    for _ in range(150):
        event = dict(rng.choice(valid))
        broken = rng.choice([
            {"amount": {"amount": "12.50", "currency": "EUR"}},
            {"amount": {"amount": -5, "currency": "EUR"}},
            {"amount": {"amount": 5, "currency": "euro"}},
            {"booking_date": "31.12.2024"},
            {"type": "WITHDRAWAL"},
            {"state": "DONE"},
            {"labels": {"k": 1}},
            {"insights_consumer_id": "bad\u0001id"},
        ])
        event.update(broken)
        bad.append((event["insights_consumer_id"].encode(), orjson.dumps(event)))
    for i in range(150):
        event = dict(rng.choice(valid))
        del event[rng.choice(["insights_consumer_id", "insights_account_id",
                              "insights_transaction_id", "amount", "type"])]
        bad.append((b"missing-%d" % i, orjson.dumps(event)))
    for _ in range(150):
        event = dict(rng.choice(valid))
        event.pop("booking_date", None)
        event.pop("value_date", None)
        bad.append((event["insights_consumer_id"].encode(), orjson.dumps(event)))
    for _ in range(50):
        event = dict(sample, reference="x" * (MAX_EVENT_BYTES + 10))
        bad.append((sample["insights_consumer_id"].encode(), orjson.dumps(event)))
    for _ in range(50):
        bad.append((b"c", b""))
    for i in range(100):  # account events
        bad.append((b"c", orjson.dumps({"insights_consumer_id": "c", "deleted": "no", "n": i})))
    return bad


def _malformed_requests() -> tuple[list[bytes], list[bytes]]:
    """50 unreadable requests (dead letters) and 50 readable invalid ones (400 replies)."""
    unreadable = [b"<xml/>"] * 25 + [orjson.dumps({"report": "categorization", "request": {}})] * 25
    readable = [orjson.dumps({"correlation_id": f"bad-{i}", "report": "categorization",
                              "request": {"insights_consumer_id": "c", "size": "ten"}})
                for i in range(50)]
    return unreadable, readable


async def test_malformed_records_are_dead_lettered_and_valid_ones_applied(worker_factory):
    rng = random.Random(3)
    data = generate_sample_data(consumers=6, months=3, end_date=date(2024, 3, 31), seed=17)
    valid = data.transactions
    bad_events = _malformed_events(rng, valid)
    unreadable_requests, readable_requests = _malformed_requests()
    assert len(bad_events) + len(unreadable_requests) + len(readable_requests) == 1_000

    worker = worker_factory(INSIGHTS_MAX_EVENT_BYTES=str(MAX_EVENT_BYTES)).start()
    settings = worker.settings
    transactions_topic = settings.topic("insights.transactions.v1")
    accounts_topic = settings.topic("insights.accounts.v1")
    requests_topic = settings.topic("insights.report-requests.v1")

    # Valid events: most keyed by consumer id, some with a wrong key or none (re-keyed).
    traffic: list[tuple[str, bytes | None, bytes]] = []
    for event in valid:
        roll = rng.random()
        key = (event["insights_consumer_id"].encode() if roll < 0.8
               else b"someone-else" if roll < 0.9 else None)
        traffic.append((transactions_topic, key, orjson.dumps(event)))
    bad_iter = iter(bad_events)
    for index, (key, value) in enumerate(bad_iter):
        topic = accounts_topic if index >= len(bad_events) - 100 else transactions_topic
        traffic.insert(rng.randrange(len(traffic) + 1), (topic, key, value))
    for value in unreadable_requests + readable_requests:
        traffic.insert(rng.randrange(len(traffic) + 1), (requests_topic, None, value))

    async with ReportClient(settings) as client:
        await wait_until_serving(client, worker)
        replies: list[dict] = []
        listener = AIOKafkaConsumer(settings.topic("insights.report-replies.v1"),
                                    bootstrap_servers=settings.bootstrap_servers,
                                    auto_offset_reset="earliest", fetch_max_wait_ms=20)
        dead = AIOKafkaConsumer(settings.topic("insights.dead-letter.v1"),
                                bootstrap_servers=settings.bootstrap_servers,
                                auto_offset_reset="earliest", fetch_max_wait_ms=20)
        await listener.start()
        await dead.start()
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, linger_ms=5,
                                    max_request_size=4 * MAX_EVENT_BYTES)
        await producer.start()
        try:
            for topic, key, value in traffic:
                await producer.send(topic, key=key, value=value)
            await producer.flush()

            expected = offline_state(valid, [])

            async def all_applied() -> bool:
                for consumer_id in expected.history.consumers():
                    request = full_range_request(consumer_id)
                    reply = await client.request("categorization", request, timeout=10)
                    if strip_refreshed(reply["data"]) != expected_report(expected, request):
                        return False
                return True

            await wait_until(all_applied, timeout=120, interval=1.0,
                             message="every valid event applied")

            dead_letters: list[dict] = []
            wanted_dead = len(bad_events) + len(unreadable_requests)

            async def drained() -> bool:
                batch = await dead.getmany(timeout_ms=200)
                dead_letters.extend(orjson.loads(r.value) for rs in batch.values() for r in rs)
                batch = await listener.getmany(timeout_ms=200)
                replies.extend(orjson.loads(r.value) for rs in batch.values() for r in rs)
                return len(dead_letters) >= wanted_dead and len(
                    [r for r in replies if r["correlation_id"].startswith("bad-")]) >= 50

            await wait_until(drained, timeout=60, interval=0.0, message="dead letters")
            await asyncio.sleep(1.0)
            await drained()
        finally:
            await producer.stop()
            await listener.stop()
            await dead.stop()

    assert len(dead_letters) == wanted_dead
    codes = {d["error"]["code"] for d in dead_letters}
    assert {"INVALID_JSON", "INVALID_EVENT", "OVERSIZED", "EMPTY_VALUE",
            "INVALID_ENVELOPE"} <= codes, codes
    for letter in dead_letters:
        assert letter["source"]["topic"] in (transactions_topic, accounts_topic, requests_topic)
        assert letter["source"]["offset"] >= 0
        assert letter["error"]["message"]
    bad_replies = [r for r in replies if r["correlation_id"].startswith("bad-")]
    assert len(bad_replies) == 50
    assert {r["status"] for r in bad_replies} == {400}
    assert all(r["error"]["errors"][0]["loc"] == "request.size" for r in bad_replies)
    assert worker.alive()
