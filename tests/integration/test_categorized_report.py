"""The Categorized Transactions Report through a real broker and a worker process."""

from __future__ import annotations

import asyncio
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

pytestmark = pytest.mark.integration

END = date(2024, 6, 30)


def _lines(records):
    return [orjson.dumps(r) for r in records]


@pytest.fixture
def sample():
    return generate_sample_data(consumers=3, months=4, end_date=END, seed=11)


async def _count(client: ReportClient, consumer_id: str) -> int:
    reply = await client.request("categorization", full_range_request(consumer_id), timeout=10)
    assert reply["status"] == 200, reply
    return len(reply["data"]["reports"][0]["transactions"])


async def _ingest(worker, sample) -> dict:
    settings = worker.settings
    await produce_lines(settings, settings.topic("insights.accounts.v1"), _lines(sample.accounts))
    await produce_lines(settings, settings.topic("insights.transactions.v1"),
                        _lines(sample.transactions))
    return offline_state(sample.transactions, sample.accounts)


async def test_reports_equal_the_offline_computation(worker_factory, sample):
    worker = worker_factory().start()
    async with ReportClient(worker.settings) as client:
        await wait_until_serving(client, worker)
        expected = await _ingest(worker, sample)
        consumers = expected.history.consumers()
        assert len(consumers) == 3

        async def all_applied() -> bool:
            counts = await asyncio.gather(*(_count(client, c) for c in consumers))
            return counts == [expected.history.transaction_count(c) for c in consumers]

        await wait_until(all_applied, timeout=60, message="all transactions applied")

        requests = []
        for consumer_id in consumers:
            requests += [
                full_range_request(consumer_id),
                full_range_request(consumer_id, combine_accounts="NONE"),
                full_range_request(consumer_id, transaction_type="DEBIT_AND_ZERO",
                                   order=[{"field": "AMOUNT", "order": "DESC"}], size=7),
                full_range_request(consumer_id, min_amount=-5000, max_amount=5000,
                                   states=["PROCESSED"], offset=3, size=10),
                full_range_request(consumer_id, order=[{"field": "AMOUNT_WITH_TYPE"},
                                                       {"field": "DATE", "order": "DESC"}]),
                {"insights_consumer_id": consumer_id, "from_date": "2024-05-01",
                 "to_date": "2024-05-31", "required_data_availability": "PARTIAL"},
            ]
        for request in requests:
            reply = await client.request("categorization", request, timeout=10)
            assert reply["status"] == 200, (request, reply)
            assert strip_refreshed(reply["data"]) == expected_report(expected, request), request
            for report in reply["data"]["reports"]:
                assert report["refreshed_at"], report


async def test_labels_filter_and_account_selection(worker_factory, sample):
    worker = worker_factory().start()
    async with ReportClient(worker.settings) as client:
        await wait_until_serving(client, worker)
        expected = await _ingest(worker, sample)
        consumer_id = expected.history.consumers()[0]
        await wait_until(lambda: _equal_count(client, expected, consumer_id), timeout=60)
        labelled = next(t for t in sample.transactions
                        if t["insights_consumer_id"] == consumer_id and t.get("labels")
                        and not t.get("deleted"))
        key, value = next(iter(labelled["labels"].items()))
        accounts = sorted({t["insights_account_id"] for t in sample.transactions
                           if t["insights_consumer_id"] == consumer_id})
        for request in (
            full_range_request(consumer_id, labels=[{"key": key, "value": value}]),
            full_range_request(consumer_id, labels=[{"key": key, "value": value}],
                               excluded_labels=[{"key": key, "value": value}]),
            full_range_request(consumer_id, insights_account_ids=accounts[:1]),
            full_range_request(consumer_id, excluded_insights_account_ids=accounts[:1]),
            full_range_request(consumer_id, insights_transaction_ids=[
                labelled["insights_transaction_id"]]),
        ):
            reply = await client.request("categorization", request, timeout=10)
            assert strip_refreshed(reply["data"]) == expected_report(expected, request)
        only_label = await client.request("categorization", full_range_request(
            consumer_id, labels=[{"key": key, "value": value}]))
        ids = {t["insights_transaction_id"]
               for t in only_label["data"]["reports"][0]["transactions"]}
        assert labelled["insights_transaction_id"] in ids


async def _equal_count(client, expected, consumer_id) -> bool:
    return await _count(client, consumer_id) == expected.history.transaction_count(consumer_id)


async def test_error_replies(worker_factory, sample):
    worker = worker_factory().start()
    async with ReportClient(worker.settings) as client:
        await wait_until_serving(client, worker)
        expected = await _ingest(worker, sample)
        consumer_id = expected.history.consumers()[0]
        await wait_until(lambda: _equal_count(client, expected, consumer_id), timeout=60)

        both = await client.request("categorization", {
            "insights_consumer_id": consumer_id, "insights_account_ids": ["a"],
            "excluded_insights_account_ids": ["b"]})
        assert both["status"] == 400
        assert both["error"]["code"] == "INVALID_REQUEST"
        assert both["error"]["errors"]

        typo = await client.request("categorization", {"insights_consumer_id": consumer_id,
                                                        "sizee": 3})
        assert typo["status"] == 400
        assert [e["loc"] for e in typo["error"]["errors"]] == ["request.sizee"]

        # The sample data ends in 2024: a COMPLETE report for a later timeframe cannot be met.
        unmet = await client.request("categorization", {
            "insights_consumer_id": consumer_id, "from_date": "2025-01-01",
            "to_date": "2025-01-31"})
        assert unmet["status"] == 422
        assert unmet["error"]["code"] == "DATA_AVAILABILITY_NOT_MET"

        unknown_report = await client.request("nope", {"insights_consumer_id": consumer_id})
        assert unknown_report["status"] == 400
        assert unknown_report["error"]["errors"][0]["loc"] == "report"


async def test_custom_reply_topic_and_missing_request_key(worker_factory, sample):
    worker = worker_factory().start()
    settings = worker.settings
    reply_topic = f"{worker.prefix}my.replies"
    async with ReportClient(settings) as default_client:
        await wait_until_serving(default_client, worker)
        expected = await _ingest(worker, sample)
        consumer_id = expected.history.consumers()[1]
        await wait_until(lambda: _equal_count(default_client, expected, consumer_id), timeout=60)
    # The reply topic does not exist yet: the worker creates it on first use. The client
    # starts listening only once it exists, so it sends through a plain producer first.
    from aiokafka import AIOKafkaProducer
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
    await producer.start()
    await producer.send_and_wait(settings.topic("insights.report-requests.v1"), key=None,
                                 value=orjson.dumps({"correlation_id": "create-topic",
                                                     "reply_to": reply_topic,
                                                     "report": "categorization",
                                                     "request": full_range_request(consumer_id)}))
    await producer.stop()
    await asyncio.sleep(1.0)
    async with ReportClient(settings, reply_topic=reply_topic) as client:
        request = full_range_request(consumer_id, size=5)
        # No key at all: the service re-keys the request to the owner of the consumer's state.
        reply = await client.request("categorization", request, key=b"", timeout=20)
        assert reply["status"] == 200
        assert strip_refreshed(reply["data"]) == expected_report(expected, request)
