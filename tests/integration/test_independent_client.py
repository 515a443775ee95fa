"""A second process that speaks only Kafka (confluent-kafka) gets correct Categorized and
Recurring Transactions reports."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import date
from pathlib import Path

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
from workers.client import ReportClient
from workers.sample_data import generate_sample_data, write_jsonl

pytestmark = pytest.mark.integration

CLIENT = Path(__file__).with_name("confluent_client.py")


async def test_confluent_kafka_client_gets_correct_reports(worker_factory, tmp_path):
    pytest.importorskip("confluent_kafka")
    data = generate_sample_data(consumers=3, months=3, end_date=date(2024, 9, 30), seed=23)
    events = tmp_path / "events.jsonl"
    write_jsonl(events, data.transactions)
    expected = offline_state(data.transactions)
    consumers = expected.history.consumers()

    worker = worker_factory().start()
    async with ReportClient(worker.settings) as client:
        await wait_until_serving(client, worker)
        # The confluent client produces the events; wait until the worker applied them all,
        # then let the same client request the reports.
        produce_only = tmp_path / "none.json"
        produce_only.write_text("[]")
        run = subprocess.run([sys.executable, str(CLIENT), worker.settings.bootstrap_servers,
                              worker.prefix, str(events), str(produce_only),
                              str(tmp_path / "ignored.json")], capture_output=True, timeout=120)
        assert run.returncode == 0, run.stderr.decode()[-3000:]

        async def applied() -> bool:
            for consumer_id in consumers:
                reply = await client.request("categorization", full_range_request(consumer_id))
                if len(reply["data"]["reports"][0]["transactions"]) != \
                        expected.history.transaction_count(consumer_id):
                    return False
            return True

        await wait_until(applied, timeout=60, message="confluent-produced events applied")

    requests = []
    for consumer_id in consumers:
        requests += [full_range_request(consumer_id),
                     full_range_request(consumer_id, combine_accounts="NONE",
                                        order=[{"field": "AMOUNT", "order": "DESC"}], size=5),
                     full_range_request(consumer_id, order=[{"field": "CATEGORY"},
                                                            {"field": "BRAND"}]),
                     {"report": "recurring-transactions", "request": {
                         "insights_consumer_id": consumer_id, "from_date": "2024-07-01",
                         "to_date": "2024-09-30", "required_data_availability": "NONE"}}]
    (tmp_path / "requests.json").write_bytes(orjson.dumps(requests))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    run = await asyncio.to_thread(
        subprocess.run, [sys.executable, str(CLIENT), worker.settings.bootstrap_servers,
                         worker.prefix, str(empty), str(tmp_path / "requests.json"),
                         str(tmp_path / "replies.json")], capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode()[-3000:]
    replies = orjson.loads((tmp_path / "replies.json").read_bytes())
    recurring_groups = 0
    for request, reply in zip(requests, replies, strict=True):
        assert reply["status"] == 200, reply
        if "report" in request:
            assert strip_refreshed(reply["data"]) == expected_report(
                expected, request["request"], request["report"])
            recurring_groups += sum(len(i["transaction_groups"])
                                    for i in reply["data"]["reports"][0]["intervals"])
        else:
            assert strip_refreshed(reply["data"]) == expected_report(expected, request)
    assert recurring_groups > 0  # salaries, rent and subscriptions recur every month
