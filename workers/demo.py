"""`insights demo`: sample data through a running worker, then a few reports printed as tables."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from typing import Any

import orjson

from workers.cli import format_reply
from workers.client import ProgressBar, ReportClient, RequestTimeout, produce_lines
from workers.domain.enrichment import taxonomy
from workers.sample_data import generate_sample_data
from workers.settings import Settings


def run_demo(bootstrap: str, worker: subprocess.Popen, *, consumers: int, months: int,
             timeout: float, jwt_secret: str | None = None) -> int:
    """Produce sample data, wait until the worker applied it, print reports and, with the
    worker's token secret, one report configuration round trip. Returns an exit code."""
    settings = Settings.from_env({"KAFKA_BOOTSTRAP_SERVERS": bootstrap})

    async def demo() -> int:
        code = await _demo(settings, worker, consumers=consumers, months=months)
        if code == 0 and jwt_secret is not None:
            await config_round_trip(settings, jwt_secret)
        return code

    try:
        return asyncio.run(asyncio.wait_for(demo(), timeout))
    except TimeoutError:
        print(f"\ndemo: gave up after {timeout:.0f} s", flush=True)
        return 1
    except RuntimeError as exc:
        print(f"\ndemo: {exc}", flush=True)
        return 1


async def _wait_until_serving(client: ReportClient, worker: subprocess.Popen) -> None:
    started = time.monotonic()
    while True:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with code {worker.returncode}")
        try:
            reply = await client.request("categorization", {
                "insights_consumer_id": "demo-readiness-probe",
                "required_data_availability": "NONE"}, timeout=2)
        except RequestTimeout:
            continue
        if reply["status"] == 200:
            print(f"worker ready after {time.monotonic() - started:.1f} s", flush=True)
            return


async def _demo(settings: Settings, worker: subprocess.Popen, *, consumers: int,
                months: int) -> int:
    data = generate_sample_data(consumers=consumers, months=months)
    expected = Counter(t["insights_consumer_id"] for t in data.effective_transactions())
    print(f"sample data: {len(data.transactions)} transaction events and {len(data.accounts)} "
          f"account events for {len(expected)} consumers over {months} months", flush=True)

    async with ReportClient(settings) as client:
        await _wait_until_serving(client, worker)
        started = time.monotonic()
        for kind, records in (("accounts", data.accounts), ("transactions", data.transactions)):
            lines = [orjson.dumps(r) for r in records]
            progress = ProgressBar(len(lines), f"{kind:>12}")
            await produce_lines(settings, settings.topic(f"insights.{kind}.v1"), lines,
                                progress=progress)
            progress.close()

        consumer_ids = sorted(expected)
        while True:
            counts = {c: await _stored(client, c) for c in consumer_ids}
            if counts == dict(expected):
                break
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited with code {worker.returncode}")
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started
        print(f"all {sum(expected.values())} transactions applied {elapsed:.1f} s after the "
              f"first event was produced ({len(data.transactions) / elapsed:,.0f} events/s "
              "including produce)\n", flush=True)

        consumer_id = consumer_ids[0]
        for title, report, request in _showcase(consumer_id):
            started = time.monotonic()
            reply = await client.request(report, request, timeout=30)
            took = (time.monotonic() - started) * 1000
            print(f"== {title}  ({took:.0f} ms)")
            print(f"   request: {orjson.dumps(request).decode()}")
            print(format_reply(reply, limit=12))
            print(flush=True)
    return 0


async def _stored(client: ReportClient, consumer_id: str) -> int:
    reply = await client.request("categorization", {
        "insights_consumer_id": consumer_id, "from_date": "1970-01-01", "to_date": "2999-12-31",
        "required_data_availability": "NONE", "combine_accounts": "ALL"}, timeout=30)
    return len(reply["data"]["reports"][0]["transactions"]) if reply["status"] == 200 else -1


def _showcase(consumer_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    groceries = taxonomy.by_key("food/groceries").id
    return [
        ("Categorized Transactions Report, last 62 days, one report per account",
         "categorization",
         {"insights_consumer_id": consumer_id, "required_data_availability": "PARTIAL"}),
        ("The 8 largest expenses of the last 90 days, all accounts combined", "categorization",
         {"insights_consumer_id": consumer_id, "report_days": 90, "transaction_type": "DEBIT",
          "order": [{"field": "AMOUNT", "order": "DESC"}], "size": 8,
          "combine_accounts": "ALL", "required_data_availability": "PARTIAL"}),
        ("Groceries of the last 60 days by brand (category_ids, order BRAND)", "categorization",
         {"insights_consumer_id": consumer_id, "report_days": 60, "category_ids": [groceries],
          "order": [{"field": "BRAND"}, {"field": "DATE", "order": "DESC"}], "size": 10,
          "combine_accounts": "ALL", "required_data_availability": "PARTIAL"}),
        ("Income only, pending and processed, newest first", "categorization",
         {"insights_consumer_id": consumer_id, "report_days": 120, "transaction_type": "CREDIT",
          "states": ["PROCESSED", "PENDING"], "combine_accounts": "ALL",
          "required_data_availability": "PARTIAL"}),
        ("Recurring Transactions Report, last 62 days (series proven by the whole history)",
         "recurring-transactions",
         {"insights_consumer_id": consumer_id, "required_data_availability": "PARTIAL"}),
        ("Recurring Transactions Report, last 365 days", "recurring-transactions",
         {"insights_consumer_id": consumer_id, "report_days": 365,
          "required_data_availability": "PARTIAL"}),
        ("An invalid request is answered with the seed's Error shape", "categorization",
         {"insights_consumer_id": consumer_id, "insights_account_ids": ["a"],
          "excluded_insights_account_ids": ["b"], "size": -1}),
        ("A timeframe without data, with the default required_data_availability COMPLETE",
         "categorization",
         {"insights_consumer_id": consumer_id, "from_date": "2001-01-01",
          "to_date": "2001-01-31"}),
    ]


async def config_round_trip(settings: Settings, jwt_secret: str, aid: str = "T00000001") -> None:
    """Create, list and delete a report configuration with a development token."""
    from workers.config_client import ConfigClient
    from workers.domain.authorization import mint_token

    token = mint_token(jwt_secret, "HS256", subject="demo", scopes=["write:insight"], aid=aid,
                       audience=settings.configs.jwt_audience)
    config = {"dataType": "checkout/transactions", "name": "Monthly settlement",
              "language": "en", "schedule": "monthly", "contentTypes": ["text/csv"],
              "emails": ["finance@example.com"]}
    async with ConfigClient(settings, authorization=f"Bearer {token}") as client:
        print(f"== Report configurations of merchant {aid} (token scope write:insight)")
        created = await client.command("create", aid, config=config)
        print(f"   create -> status {created['status']}")
        print("   " + orjson.dumps(created.get("data") or created.get("error")).decode())
        again = await client.command("create", aid, config=config)
        print(f"   the same configuration again -> status {again['status']} "
              f"{(again.get('error') or {}).get('code')}")
        listed = await client.command("list", aid)
        print(f"   list -> {len(listed.get('data') or [])} configuration(s), next run "
              f"{(listed.get('data') or [{}])[0].get('next_run_at')}")
        other = await client.command("list", "T00000002")
        print(f"   list another merchant's -> status {other['status']} "
              f"{(other.get('error') or {}).get('code')}")
        if created["status"] == 200:
            deleted = await client.command("delete", aid, config_id=created["data"]["id"])
            print(f"   delete -> status {deleted['status']}", flush=True)
