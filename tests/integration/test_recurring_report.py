"""The Recurring Transactions Report through a real broker and a worker process: labeled
consumer histories with series of all seven intervals, income and expenses, several accounts
and currencies; the groups the worker maintains while ingesting equal those computed offline."""

from __future__ import annotations

from collections import Counter

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
from workers.recurring_data import generate_labeled_histories

pytestmark = pytest.mark.integration

REPORT = "recurring-transactions"
INTERVALS = {"WEEKLY", "BIWEEKLY", "MONTHLY", "QUARTERLY", "HALF_YEARLY", "YEARLY", "UNKNOWN"}


def _events(histories) -> list[dict]:
    """The labeled histories as TransactionEvents, in date order across consumers."""
    events = [{**txn, "insights_consumer_id": history.consumer_id}
              for history in histories for txn in history.transactions]
    events.sort(key=lambda e: (e["booking_date"], e["insights_transaction_id"]))
    return events


def _recurring(consumer_id: str, **fields) -> dict:
    request = {"insights_consumer_id": consumer_id, "from_date": "2023-01-01",
               "to_date": "2024-12-31", "required_data_availability": "NONE"}
    request.update(fields)
    return request


async def _ingested(client: ReportClient, expected, consumers: list[str]) -> bool:
    for consumer_id in consumers:
        reply = await client.request("categorization", full_range_request(consumer_id),
                                     timeout=10)
        if len(reply["data"]["reports"][0]["transactions"]) != \
                expected.history.transaction_count(consumer_id):
            return False
    return True


@pytest.fixture(scope="module")
def histories():
    return generate_labeled_histories(consumers=6, seed=11)


async def test_recurring_reports_equal_the_offline_computation(worker_factory, histories):
    events = _events(histories)
    # One account with a recorded data range: the 422 and PARTIAL cases below use it.
    first = histories[0]
    account_event = {"insights_consumer_id": first.consumer_id,
                     "insights_account_id": first.account_ids[0],
                     "data_available_from": "2024-06-01", "data_available_to": "2024-12-31",
                     "refreshed_at": "2024-12-31T08:00:00Z"}
    expected = offline_state(events, [account_event])
    consumers = [h.consumer_id for h in histories]

    worker = worker_factory().start()
    settings = worker.settings
    async with ReportClient(settings) as client:
        await wait_until_serving(client, worker)
        await produce_lines(settings, settings.topic("insights.accounts.v1"),
                            [orjson.dumps(account_event)])
        await produce_lines(settings, settings.topic("insights.transactions.v1"),
                            [orjson.dumps(e) for e in events])
        await wait_until(lambda: _ingested(client, expected, consumers), timeout=90,
                         message="all transactions applied")

        seen: Counter[str] = Counter()
        for history in histories:
            consumer_id = history.consumer_id
            accounts = sorted(history.account_ids)
            requests = [_recurring(consumer_id),
                        _recurring(consumer_id, from_date="2024-11-01"),  # long series too
                        _recurring(consumer_id, insights_account_ids=accounts[:1]),
                        _recurring(consumer_id, excluded_insights_account_ids=accounts[:1])]
            for request in requests:
                reply = await client.request(REPORT, request, timeout=10)
                assert reply["status"] == 200, (request, reply)
                assert strip_refreshed(reply["data"]) == expected_report(expected, request,
                                                                          REPORT), request
            full = await client.request(REPORT, requests[0], timeout=10)
            [report] = full["data"]["reports"]
            assert report["type"] == "RECURRING_TRANSACTIONS"
            assert report["insights_account_ids"] == accounts
            for interval in report["intervals"]:
                seen[interval["interval"]] += len(interval["transaction_groups"])
                groups = interval["transaction_groups"]
                currency = interval["income_amount"]["currency"]
                assert interval["income_amount"]["amount"] == sum(
                    g["average_amount"]["amount"] for g in groups
                    if g["average_amount"]["amount"] > 0
                    and g["average_amount"]["currency"] == currency)
                assert interval["expense_amount"]["amount"] == sum(
                    g["average_amount"]["amount"] for g in groups
                    if g["average_amount"]["amount"] < 0
                    and g["average_amount"]["currency"] == currency)
            # Every labeled salary, wage and pension is an income group of its interval.
            salaries = [s for s in history.series if s.name in ("salary", "wage", "pension")]
            listed = {tuple(g["transaction_ids"]): i["interval"] for i in report["intervals"]
                      for g in i["transaction_groups"] if g["average_amount"]["amount"] > 0}
            for series in salaries:
                assert any(set(ids) & set(series.ids) and interval == series.interval
                           for ids, interval in listed.items()), series.name
        assert set(seen) == INTERVALS, seen

        # Data availability: the account with a range covers only half of 2024.
        strict = _recurring(first.consumer_id, insights_account_ids=[first.account_ids[0]],
                            required_data_availability="COMPLETE")
        reply = await client.request(REPORT, strict, timeout=10)
        assert reply["status"] == 422 and reply["error"]["code"] == "DATA_AVAILABILITY_NOT_MET"
        loose = {**strict, "required_data_availability": "PARTIAL"}
        reply = await client.request(REPORT, loose, timeout=10)
        assert reply["status"] == 200
        assert reply["data"]["reports"][0]["data_availability"] == "PARTIAL"
        assert reply["data"]["reports"][0]["refreshed_at"] == "2024-12-31T08:00:00.000Z"


async def test_changes_move_transactions_between_groups(worker_factory, histories):
    """Deletions and new versions reach the groups: a deleted series disappears, a series
    whose newest payment failed is listed without it."""
    history = histories[1]
    events = _events([history])
    monthly = [s for s in history.series if s.interval == "MONTHLY"]
    gone, failing = monthly[0], monthly[1]
    by_id = {e["insights_transaction_id"]: e for e in events}
    changes = [{**by_id[t], "deleted": True} for t in gone.ids]
    changes.append({**by_id[failing.ids[-1]], "state": "FAILED"})

    worker = worker_factory().start()
    settings = worker.settings
    async with ReportClient(settings) as client:
        await wait_until_serving(client, worker)
        topic = settings.topic("insights.transactions.v1")
        await produce_lines(settings, topic, [orjson.dumps(e) for e in events])
        before = offline_state(events)
        await wait_until(lambda: _ingested(client, before, [history.consumer_id]), timeout=60)
        await produce_lines(settings, topic, [orjson.dumps(e) for e in changes])
        after = offline_state(events + changes)
        await wait_until(lambda: _ingested(client, after, [history.consumer_id]), timeout=60)

        request = _recurring(history.consumer_id)
        reply = await client.request(REPORT, request, timeout=10)
        assert strip_refreshed(reply["data"]) == expected_report(after, request, REPORT)
        groups = [g for i in reply["data"]["reports"][0]["intervals"]
                  for g in i["transaction_groups"]]
        ids = {t for g in groups for t in g["transaction_ids"]}
        assert not ids & set(gone.ids)
        assert failing.ids[-1] not in ids
        # The series is still listed, without its failed payment.
        assert any(2 * len(set(failing.ids) & set(g["transaction_ids"])) > len(failing.ids)
                   for g in groups)
