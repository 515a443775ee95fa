"""Categories and brands through a real broker and a worker process: transactions are stored
enriched, the category and brand filters and orders work on them, and category corrections
sent to insights.categorization-feedback.v1 reach the reports."""

from __future__ import annotations

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
from workers.domain.enrichment import taxonomy
from workers.sample_data import generate_sample_data

pytestmark = pytest.mark.integration

CLOTHES = taxonomy.by_key("shopping/clothes").id
GROCERIES = taxonomy.by_key("food/groceries").id
FOOD = taxonomy.by_key("food").id


@pytest.fixture(scope="module")
def sample():
    return generate_sample_data(consumers=2, months=4, end_date=date(2024, 6, 30), seed=5)


async def _full(client: ReportClient, consumer_id: str, **fields) -> list[dict]:
    reply = await client.request("categorization", full_range_request(consumer_id, **fields),
                                 timeout=10)
    assert reply["status"] == 200, reply
    return reply["data"]["reports"][0]["transactions"]


async def test_transactions_are_categorized_and_filtered_by_category_and_brand(
        worker_factory, sample):
    expected = offline_state(sample.transactions, sample.accounts)
    consumer_id = expected.history.consumers()[0]
    worker = worker_factory().start()
    settings = worker.settings
    async with ReportClient(settings) as client:
        await wait_until_serving(client, worker)
        await produce_lines(settings, settings.topic("insights.accounts.v1"),
                            [orjson.dumps(a) for a in sample.accounts])
        await produce_lines(settings, settings.topic("insights.transactions.v1"),
                            [orjson.dumps(t) for t in sample.transactions])

        async def applied() -> bool:
            return len(await _full(client, consumer_id)) == \
                expected.history.transaction_count(consumer_id)

        await wait_until(applied, timeout=60, message="all transactions applied")
        transactions = await _full(client, consumer_id)
        assert all(t["categories"] and all(taxonomy.is_category_id(c["id"])
                                           for c in t["categories"]) for t in transactions)
        brands = {t["brand"]["id"]: t["brand"]["name"] for t in transactions if "brand" in t}
        assert len(brands) >= 5
        brand_id = sorted(brands)[0]
        requests = [
            full_range_request(consumer_id, category_ids=[FOOD]),
            full_range_request(consumer_id, category_ids=[GROCERIES], only_main_category=True),
            full_range_request(consumer_id, category_ids=[FOOD], only_main_category=True),
            full_range_request(consumer_id, brand_ids=[brand_id]),
            full_range_request(consumer_id, order=[{"field": "CATEGORY"},
                                                   {"field": "AMOUNT", "order": "DESC"}]),
            full_range_request(consumer_id, order=[{"field": "BRAND", "order": "DESC"}],
                               size=30),
        ]
        for request in requests:
            reply = await client.request("categorization", request, timeout=10)
            assert strip_refreshed(reply["data"]) == expected_report(expected, request), request
        groceries = await _full(client, consumer_id, category_ids=[GROCERIES])
        assert groceries and all(GROCERIES in {c["id"] for c in t["categories"]}
                                 for t in groceries)
        branded = await _full(client, consumer_id, brand_ids=[brand_id])
        assert branded and {t["brand"]["name"] for t in branded} == {brands[brand_id]}
        by_brand = await _full(client, consumer_id, order=[{"field": "BRAND"}])
        names = [t["brand"]["name"].casefold() for t in by_brand if "brand" in t]
        assert names == sorted(names) and "brand" not in by_brand[-1]  # unbranded last


async def test_a_category_correction_reaches_later_similar_transactions(worker_factory, sample):
    consumer_id = sorted({t["insights_consumer_id"] for t in sample.transactions})[0]
    expected = offline_state(sample.transactions)
    rows = sorted((t for t in _offline_rows(expected, consumer_id) if "brand" in t),
                  key=lambda t: (_day(t), t["insights_transaction_id"]))
    target = next(t for t in rows if sum(r["brand"]["id"] == t["brand"]["id"] for r in rows) > 2)
    correction = {"feedback_id": "fb-1", "insights_consumer_id": consumer_id,
                  "insights_transaction_id": target["insights_transaction_id"],
                  "category_id": CLOTHES, "scope": "SIMILAR",
                  "created_at": "2024-07-01T10:00:00Z"}
    unknown_category = {**correction, "feedback_id": "fb-2", "category_id": "nope"}
    corrected = offline_state(sample.transactions, feedback=[correction])

    worker = worker_factory().start()
    settings = worker.settings
    async with ReportClient(settings) as client:
        await wait_until_serving(client, worker)
        await produce_lines(settings, settings.topic("insights.transactions.v1"),
                            [orjson.dumps(t) for t in sample.transactions])

        async def applied() -> bool:
            return len(await _full(client, consumer_id)) == \
                expected.history.transaction_count(consumer_id)

        await wait_until(applied, timeout=60, message="all transactions applied")
        await produce_lines(settings, settings.topic("insights.categorization-feedback.v1"),
                            [orjson.dumps(unknown_category), orjson.dumps(correction)])

        async def corrected_shown() -> bool:
            shown = await _full(client, consumer_id, category_ids=[CLOTHES])
            return target["insights_transaction_id"] in {t["insights_transaction_id"]
                                                          for t in shown}

        await wait_until(corrected_shown, timeout=30, message="the correction applied")
        for request in (full_range_request(consumer_id),
                        full_range_request(consumer_id, category_ids=[CLOTHES])):
            reply = await client.request("categorization", request, timeout=10)
            assert strip_refreshed(reply["data"]) == expected_report(corrected, request)
        shown = await _full(client, consumer_id, category_ids=[CLOTHES])
        same_brand_later = [t["insights_transaction_id"] for t in rows
                            if t["brand"]["id"] == target["brand"]["id"]
                            and _day(t) >= _day(target)]
        assert {t["insights_transaction_id"] for t in shown} >= set(same_brand_later)
        assert worker.alive()


def _offline_rows(state, consumer_id: str) -> list[dict]:
    report = expected_report(state, full_range_request(consumer_id))
    return report["reports"][0]["transactions"]


def _day(transaction: dict) -> str:
    return transaction.get("booking_date") or transaction["value_date"]
