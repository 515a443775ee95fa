"""Changelog bytes written per ingested event, for a consumer with 2,000 stored transactions.

Method (one worker, RocksDB tables, embedded broker):

1. Ingest 2,000 transactions over 13 months for consumer H (and 20 for a light consumer L,
   to show whether the cost depends on how much history a consumer has) and wait until both
   reports hold them.
2. A group-less aiokafka consumer reads the changelogs of the per-consumer tables
   (`<app id>-transactions-changelog`, `-accounts-`, `-recurring-` and
   `-category-corrections-changelog`) from offset 0 the whole time. Once they are quiet, the
   byte counts are noted.
3. Produce 500 more events for H: 250 new transactions, 225 updates of stored ones (state
   PENDING/PROCESSED changes, amount corrections, edited references) and 25 deletions, mixed
   in random order. Wait until the last of them is visible in a report (one consumer = one
   partition, so everything before it is applied too), check the transaction count, and wait
   until the changelogs are quiet again.
4. changelog bytes/event = sum of key + value bytes of the changelog records written during
   step 3, / 500, in all and per table: the history's own records (transactions, accounts) and
   the recurring groups derived from them. Baseline: key + value bytes of the 500 input events
   as produced. The ratio is the write amplification. Kafka's per-record and per-batch framing
   is not counted on either side. Steps 3 and 4 are repeated for L (20 stored transactions).
5. The 500 events arrive in one burst, so the worker takes them in batches of up to 500 and
   writes each recurring bucket once per batch. `--trickle` also measures H with its 500 events
   sent one at a time, 0.12 s apart (each its own batch: the recurring groups' worst case, what
   a live feed of a consumer's transactions costs).
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BenchEnv,
    TemplatePool,
    TopicObserver,
    arg_parser,
    changelog_topics,
    encode,
    expected_counts,
    heavy_consumer_events,
    log,
    machine,
    new_prefix,
    now,
    prepare_topics,
    produce,
    table,
    transaction_count,
    validate,
    wait_for_count,
    wait_serving,
    write_json,
)

from tests.support import full_range_request  # noqa: E402
from workers.client import ReportClient, RequestTimeout  # noqa: E402

TARGET_BYTES = 4096
TRICKLE_GAP_SECONDS = 0.12


def follow_up_events(stored: list[dict], consumer_id: str, pool: TemplatePool, seed: int,
                     total: int = 500, new: int = 250,
                     deletes: int = 25) -> tuple[list[dict], dict[str, int]]:
    """`new` new transactions, changed versions of stored transactions and up to `deletes`
    deletions (at most a quarter of the stored ones), `total` events in random order, ending
    with a new transaction (the sentinel). Stored transactions are drawn with replacement when
    there are fewer than the updates, so a light consumer gets repeated updates."""
    rng = random.Random(seed)
    accounts = len({e["insights_account_id"] for e in stored})
    fresh = heavy_consumer_events(consumer_id, new, seed=seed, pool=pool, accounts=accounts,
                                  id_tag="n")
    deletes = min(deletes, len(stored) // 4)
    updates = total - new - deletes
    if updates + deletes <= len(stored):
        touched = rng.sample(stored, updates + deletes)
    else:
        touched = [rng.choice(stored) for _ in range(updates + deletes)]
    changed = []
    for i, original in enumerate(touched):
        event = dict(original)
        if i < updates:
            kind = i % 3
            if kind == 0:
                event["state"] = rng.choice([s for s in ("PROCESSED", "CANCELED", "FAILED",
                                                         "PENDING") if s != event.get("state")])
            elif kind == 1:
                amount = event["amount"]
                event["amount"] = {**amount, "amount": amount["amount"] + rng.randrange(1, 5000)}
            else:
                event["reference"] = (event.get("reference") or "") + f" (corrected {i})"
        else:
            event["deleted"] = True
        changed.append(event)
    mixed = fresh[:-1] + changed
    rng.shuffle(mixed)
    return mixed + fresh[-1:], {"new": new, "updates": updates, "deletes": deletes}


async def wait_applied(client: ReportClient, consumer_id: str, sentinel: dict,
                       timeout: float = 120.0) -> None:
    """Wait until the sentinel transaction is in the consumer's report."""
    deadline = now() + timeout
    request = full_range_request(consumer_id,
                                 insights_transaction_ids=[sentinel["insights_transaction_id"]])
    while now() < deadline:
        try:
            reply = await client.request("categorization", request, timeout=10)
        except RequestTimeout:
            continue
        if reply.get("status") == 200 and reply["data"]["reports"][0]["transactions"]:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{sentinel['insights_transaction_id']} not applied in {timeout:.0f} s")


async def measure(env, settings, client, observer, name: str, consumer_id: str,
                  stored: list[dict], pool: TemplatePool, seed: int,
                  trickle: bool = False) -> tuple[dict, list[dict]]:
    """The figures of one round, and its events."""
    events, kinds = follow_up_events(stored, consumer_id, pool, seed)
    validate(events)
    await observer.wait_quiet(quiet=1.5, timeout=60)
    before = observer.snapshot()
    lines = encode(events)
    if trickle:
        produced = {"key_bytes": 0, "value_bytes": 0}
        for line in lines:
            sent = await produce(settings, [line])
            for field in produced:
                produced[field] += sent[field]
            await asyncio.sleep(TRICKLE_GAP_SECONDS)
    else:
        produced = await produce(settings, lines)
    await wait_applied(client, consumer_id, events[-1])
    expected = expected_counts(stored + events)[consumer_id]
    got = await transaction_count(client, consumer_id)
    await observer.wait_quiet(quiet=1.5, timeout=60)
    after = observer.snapshot()
    delta = {topic: {k: after[topic][k] - before[topic][k] for k in after[topic]}
             for topic in after}
    records = sum(d["records"] for d in delta.values())
    written = sum(d["key_bytes"] + d["value_bytes"] for d in delta.values())
    by_table = {topic.rsplit("-changelog", 1)[0][len(settings.app_id) + 1:]:
                round((d["key_bytes"] + d["value_bytes"]) / len(events), 1)
                for topic, d in delta.items()}
    input_bytes = produced["key_bytes"] + produced["value_bytes"]
    n = len(events)
    figures = {
        "consumer": name, "stored_before": len(stored), "events": n,
        "kinds": kinds,
        "changelog_records": records, "changelog_bytes": written,
        "changelog_bytes_per_event": round(written / n, 1),
        "bytes_per_event_by_table": by_table,
        "history_bytes_per_event": round(by_table["transactions"] + by_table["accounts"], 1),
        "changelog_bytes_per_record": round(written / records, 1) if records else None,
        "input_bytes_per_event": round(input_bytes / n, 1),
        "write_amplification": round(written / input_bytes, 3),
        "by_topic": delta, "expected_count": expected, "reported_count": got,
    }
    log(f"{name}: {records} changelog records, {written / n:,.0f} bytes/event "
        f"(input {input_bytes / n:,.0f} bytes/event)")
    return figures, events


async def main() -> int:
    parser = arg_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--stored", type=int, default=2000)
    parser.add_argument("--trickle", action="store_true",
                        help="also measure H with its events sent one at a time")
    args = parser.parse_args()
    pool = TemplatePool()
    heavy_id, light_id = "bench-heavy-consumer-0001", "bench-light-consumer-0001"
    heavy = heavy_consumer_events(heavy_id, args.stored, seed=21, pool=pool)
    light = heavy_consumer_events(light_id, 20, seed=22, pool=pool, accounts=2)
    validate(heavy + light)

    with BenchEnv("changelog", keep=args.keep, log_level=args.log_level,
                  profile_dir=args.profile_dir) as env:
        prefix = new_prefix("c")
        settings = env.settings(prefix, f"{prefix}insights")
        await prepare_topics(settings)
        observer = await TopicObserver(env.bootstrap, changelog_topics(settings)).start()
        worker = env.worker(prefix, settings.app_id, name="worker")
        worker.start()
        try:
            async with ReportClient(settings) as client:
                await wait_serving(client, worker, timeout=90)
                started = now()
                await produce(settings, encode(heavy + light))
                await wait_for_count(client, heavy_id, args.stored, 180, worker=worker)
                await wait_for_count(client, light_id, 20, 60, worker=worker)
                log(f"stored {args.stored} + 20 transactions in {now() - started:.1f} s")
                await observer.wait_quiet(quiet=1.5, timeout=60)
                initial = observer.snapshot()
                burst, heavy_round = await measure(
                    env, settings, client, observer, "H (2,000 stored)"
                    if args.stored == 2000 else f"H ({args.stored} stored)",
                    heavy_id, heavy, pool, seed=31)
                light_figures, _ = await measure(env, settings, client, observer,
                                                 "L (20 stored)", light_id, light, pool,
                                                 seed=32)
                results = [burst, light_figures]
                if args.trickle:
                    trickled, _ = await measure(
                        env, settings, client, observer, "H, one event at a time", heavy_id,
                        heavy + heavy_round, pool, seed=33, trickle=True)
                    results.append(trickled)
        finally:
            worker.stop()
            await observer.stop()

    initial_records = sum(t["records"] for t in initial.values())
    initial_bytes = sum(t["key_bytes"] + t["value_bytes"] for t in initial.values())
    print("\nChangelog bytes per ingested event: 500 events per consumer after its history is "
          "stored (H: 250 new, 225 updates, 25 deletes; L: 250 new, 245 updates, 5 deletes); "
          f"one worker, {machine()['cores']} cores, embedded broker (Tansu)\n")
    print(table([[r["consumer"], f"{r['changelog_bytes_per_event']:,}",
                  f"{r['history_bytes_per_event']:,}",
                  f"{r['bytes_per_event_by_table']['recurring']:,}",
                  f"{r['input_bytes_per_event']:,}", f"{r['write_amplification']:.2f}x",
                  r["changelog_records"], f"{r['changelog_bytes_per_record']:,}",
                  f"{r['reported_count']}/{r['expected_count']}"] for r in results],
                ["consumer", "changelog B/event", "history", "recurring",
                 "baseline: input B/event", "amplification", "records", "B/record",
                 "report count"]))
    heavy_result = results[0]
    ok = all(r["reported_count"] == r["expected_count"] for r in results)
    met = heavy_result["history_bytes_per_event"] <= TARGET_BYTES
    print(f"\nwrite amplification (H) = {heavy_result['write_amplification']:.2f}x; "
          f"{heavy_result['changelog_bytes_per_event']:,} B/event in all, of which the "
          f"history's records {heavy_result['history_bytes_per_event']:,} B/event "
          f"(target <= {TARGET_BYTES:,} B: {'met' if met else 'NOT met'})")
    print(f"initial ingest of {args.stored + 20} transactions wrote {initial_records} records, "
          f"{initial_bytes / max(initial_records, 1):,.0f} B/record")
    if not ok:
        print("STATE CHECK FAILED: a report count differs from the expected count")
    write_json(args.json, {"benchmark": "changelog", "results": results,
                           "initial": {"records": initial_records, "bytes": initial_bytes},
                           "target_bytes_per_event": TARGET_BYTES, "target_met": met,
                           "state_ok": ok})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
