"""Ingestion throughput: TransactionEvents per second from the topic to applied state.

Method (one run, one embedded broker, one topic content for all three measurements):

1. Generate 100,000 valid TransactionEvents for 1,000 consumers (49..148 each, dates over the
   13 months ending 2024-12-31, realistic texts stamped from workers.sample_data templates; see
   bench/common.py) and produce them, keyed by consumer id, to the transactions topic BEFORE
   any consumer starts, so every measurement is pure consumption of a full topic.
2. Raw baseline: one AIOKafkaConsumer assigned all partitions reads from offset 0 until it has
   seen all 100,000 records (fetch wait 20 ms and 8 MB partition fetch size, as the workers).
3. Trivial baseline: bench/trivial_agent.py, a Faust App built with `workers.app.faust_settings`
   (same transport, embedded-broker profile, RocksDB store) whose agent does `table[key] += 1`.
4. The service: `python -m workers worker` with INSIGHTS_TABLE_STORE=rocksdb://.

Steps 2-4 run in two rounds (--rounds), each with a fresh app id and data directory, the
service and the trivial agent in alternating order (A B B A): on this shared 2-core machine
runs minutes apart differed by up to 1.9x (the trivial agent: 3,084 and 5,915 events/s), and
the alternation cancels a linear drift. Figures are the mean of the rounds.

For 3 and 4 the applied state is observed from outside: both write exactly one changelog
record per applied event, and a group-less aiokafka consumer in this process reads the
changelog as it is written and notes when the first and the 100,000th record arrive.
  * applied rate = events / (time of last changelog record - time of first changelog record)
    -- from the first applied event to the last, start-up excluded (the headline figure);
  * end-to-end rate = events / (time of last changelog record - process spawn), start-up,
    group join and table recovery included.
Afterwards the service's state is checked through its public interface: every one of the
1,000 consumers gets a full-range Categorized Transactions Report whose transaction count must
equal the expected count (and the trivial agent's final per-key counts must sum to 100,000).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson  # noqa: E402
from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402
from common import (  # noqa: E402
    TRANSACTIONS_TOPIC,
    BenchEnv,
    TemplatePool,
    TopicObserver,
    arg_parser,
    changelog_topics,
    cpu_seconds,
    create_topics,
    encode,
    expected_counts,
    ingestion_events,
    log,
    machine,
    mismatched_counts,
    new_prefix,
    now,
    prepare_topics,
    produce,
    table,
    validate,
    wait_serving,
    write_json,
)

from workers.client import ReportClient  # noqa: E402

PHASE_TIMEOUT = 240.0


async def raw_consume(bootstrap: str, topic: str, total: int) -> dict:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                fetch_max_wait_ms=20, max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, 0)
        count = value_bytes = 0
        started = now()
        deadline = started + PHASE_TIMEOUT
        while count < total:
            if now() > deadline:
                raise TimeoutError(f"raw consumer read {count} of {total}")
            batches = await consumer.getmany(timeout_ms=200, max_records=20000)
            for records in batches.values():
                count += len(records)
                value_bytes += sum(len(r.value) for r in records)
        elapsed = now() - started
    finally:
        await consumer.stop()
    return {"events": count, "seconds": round(elapsed, 3), "events_per_s": round(count / elapsed),
            "mb_per_s": round(value_bytes / elapsed / 1e6, 1)}


def in_process_apply(lines: list[bytes], batch_size: int = 500) -> dict:
    """The service's own per-event work without Faust or a broker: validate the raw event,
    dump it to a dict, apply it (enrichment, the record, the index) to a ConsumerState over
    dicts, and settle the recurring groups every `batch_size` events (what workers/ingestion.py
    and the ingestion agent do, minus the table writes)."""
    from schemas.contract import TransactionEvent
    from workers.domain.consumer_state import ConsumerState
    from workers.domain.enrichment import CachingEnricher
    from workers.domain.history import SourcePosition

    enricher = CachingEnricher()
    state = ConsumerState.in_memory(enricher=enricher)
    validate_s = dump_s = apply_s = settle_s = 0.0
    clock = time.perf_counter
    started = clock()
    for offset, raw in enumerate(lines):
        t0 = clock()
        model = TransactionEvent.model_validate_json(raw)
        t1 = clock()
        document = model.model_dump(mode="json", exclude_none=True)
        t2 = clock()
        state.history.apply_transaction(document, SourcePosition("bench-0", offset))
        t3 = clock()
        if (offset + 1) % batch_size == 0 or offset + 1 == len(lines):
            state.settle_recurring()
            settle_s += clock() - t3
        validate_s += t1 - t0
        dump_s += t2 - t1
        apply_s += t3 - t2
    total = clock() - started
    n = len(lines)
    return {"events_per_s": round(n / total), "us_per_event": round(total / n * 1e6, 1),
            "validate_us": round(validate_s / n * 1e6, 1),
            "model_dump_us": round(dump_s / n * 1e6, 1),
            "apply_us": round(apply_s / n * 1e6, 1),
            "recurring_settle_us": round(settle_s / n * 1e6, 1),
            "enrichment_memo_hit_rate": round(enricher.hits / max(1, enricher.hits
                                                                  + enricher.misses), 3)}


def rates(total: int, spawned: float, first: float, last: float) -> dict:
    span = last - first
    return {"events": total, "startup_to_first_applied_s": round(first - spawned, 3),
            "applied_span_s": round(span, 3), "events_per_s": round(total / span),
            "end_to_end_s": round(last - spawned, 3),
            "end_to_end_events_per_s": round(total / (last - spawned))}


async def run_trivial(env: BenchEnv, prefix: str, app_id: str, total: int,
                      name: str = "trivial") -> dict:
    changelog = f"{app_id}-counts-changelog"
    observer = await TopicObserver(env.bootstrap, [changelog], keep_last_value=True).start()
    process = env.script("trivial_agent.py", prefix, app_id, name=name)
    broker_cpu = cpu_seconds(env.broker_pid)
    try:
        spawned = now()
        process.start()
        last = await observer.wait_for_records(total, PHASE_TIMEOUT, alive=process)
        cpu = cpu_seconds(process.process.pid)
        broker_cpu = cpu_seconds(env.broker_pid) - broker_cpu
        first = observer.by_topic[changelog].first_at
        await observer.wait_quiet(quiet=1.0, timeout=30)
        final = observer.by_topic[changelog].last_value
        counted = sum(int(orjson.loads(v)) for v in final.values())
    finally:
        process.stop()
        await observer.stop()
    figures = rates(total, spawned, first, last)
    figures.update(worker_cpu_s=round(cpu, 1), broker_cpu_s=round(broker_cpu, 1),
                   keys=len(final), counted=counted, changelog_records=observer.records)
    if counted != total:
        log(f"WARNING: the trivial agent counted {counted} events, not {total} "
            "(at-least-once redelivery increments twice)")
    return figures


async def run_ours(env: BenchEnv, prefix: str, app_id: str, total: int,
                   expected: dict[str, int], worker_env: dict[str, str],
                   name: str = "ours") -> dict:
    settings = env.settings(prefix, app_id)
    txn_changelog, account_changelog = changelog_topics(settings)[:2]
    dead_letters = settings.topic("insights.dead-letter.v1")
    observer = await TopicObserver(env.bootstrap, [txn_changelog, account_changelog,
                                                   dead_letters], keep_keys=True).start()
    worker = env.worker(prefix, app_id, name=name, **worker_env)
    broker_cpu = cpu_seconds(env.broker_pid)
    try:
        spawned = now()
        worker.start()
        last = await observer.wait_for_records(total, PHASE_TIMEOUT, alive=worker,
                                               topic=txn_changelog)
        cpu = cpu_seconds(worker.process.pid)
        broker_cpu = cpu_seconds(env.broker_pid) - broker_cpu
        first = observer.by_topic[txn_changelog].first_at
        log(f"service applied {total} events; checking all {len(expected)} consumers' reports")
        async with ReportClient(settings) as client:
            await wait_serving(client, worker, timeout=60)
            check_started = now()
            wrong = await asyncio.wait_for(mismatched_counts(client, expected, concurrency=8),
                                           PHASE_TIMEOUT)
            check_s = now() - check_started
        await observer.wait_quiet(quiet=1.0, timeout=30)
    finally:
        worker.stop()
        await observer.stop()
    figures = rates(total, spawned, first, last)
    figures.update(
        worker_cpu_s=round(cpu, 1), broker_cpu_s=round(broker_cpu, 1),
        changelog_records=observer.by_topic[txn_changelog].records,
        changelog_distinct_keys=len(observer.by_topic[txn_changelog].keys),
        dead_letters=observer.by_topic[dead_letters].records,
        consumers_checked=len(expected), consumers_wrong=len(wrong),
        wrong_sample=dict(list(wrong.items())[:5]), report_check_s=round(check_s, 1))
    return figures


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


async def main() -> int:
    parser = arg_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--consumers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of (service, trivial) runs, alternating the order "
                             "(ABBA...) so drift on a shared machine cancels (default 2)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="INSIGHTS_INGEST_BATCH_SIZE for the service worker (default: its own)")
    parser.add_argument("--only-service", action="store_true",
                        help="skip the baselines (for diagnosis; prints no ratios)")
    args = parser.parse_args()
    worker_env = {} if args.batch_size is None else {
        "INSIGHTS_INGEST_BATCH_SIZE": str(args.batch_size)}

    log(f"generating {args.events} events for {args.consumers} consumers")
    events = ingestion_events(consumers=args.consumers, total=args.events, pool=TemplatePool())
    validate(events)
    expected = expected_counts(events)
    lines = encode(events)
    del events
    own = in_process_apply(lines)
    log(f"in process, no Faust: {own['us_per_event']} us/event")

    raws: list[dict] = []
    trivials: list[dict] = []
    ourses: list[dict] = []
    with BenchEnv("ingestion", keep=args.keep, log_level=args.log_level,
                  profile_dir=args.profile_dir) as env:
        prefix = new_prefix("i")
        settings = env.settings(prefix, f"{prefix}insights")
        await prepare_topics(settings)
        for r in range(args.rounds):
            await prepare_topics(env.settings(prefix, f"{prefix}insights{r}"))
        await create_topics(settings, [f"{prefix}trivial{r}-counts-changelog"
                                       for r in range(args.rounds)])
        produced = await produce(settings, lines)
        log(f"produced {produced['records']} records ({produced['value_bytes'] / 1e6:.1f} MB) "
            f"in {produced['seconds']} s")

        if args.only_service:
            ours = await run_ours(env, prefix, f"{prefix}insights0", args.events, expected,
                                  worker_env)
            print(orjson.dumps(ours, option=orjson.OPT_INDENT_2).decode())
            write_json(args.json, {"benchmark": "ingestion-service-only", "ours": ours,
                                   "worker_env": worker_env})
            return 0

        async def service(r: int) -> None:
            log(f"round {r + 1}: the service worker")
            ours = await run_ours(env, prefix, f"{prefix}insights{r}", args.events, expected,
                                  worker_env, name=f"ours{r}")
            log(f"round {r + 1}: service {ours['events_per_s']:,} events/s")
            ourses.append(ours)

        async def trivial(r: int) -> None:
            log(f"round {r + 1}: baseline trivial Faust agent (table[key] += 1)")
            result = await run_trivial(env, prefix, f"{prefix}trivial{r}", args.events,
                                       name=f"trivial{r}")
            log(f"round {r + 1}: trivial {result['events_per_s']:,} events/s")
            trivials.append(result)

        for r in range(args.rounds):
            raw = await raw_consume(env.bootstrap, settings.topic(TRANSACTIONS_TOPIC),
                                    args.events)
            log(f"round {r + 1}: raw aiokafka consumer {raw['events_per_s']:,} events/s")
            raws.append(raw)
            for step in ((service, trivial) if r % 2 == 0 else (trivial, service)):
                await step(r)

    ours_rate = mean([o["events_per_s"] for o in ourses])
    trivial_rate = mean([t["events_per_s"] for t in trivials])
    raw_rate = mean([r["events_per_s"] for r in raws])
    ours_e2e = mean([o["end_to_end_events_per_s"] for o in ourses])
    trivial_e2e = mean([t["end_to_end_events_per_s"] for t in trivials])
    ratio_trivial = ours_rate / trivial_rate
    ratio_raw = ours_rate / raw_rate
    e2e_ratio = ours_e2e / trivial_e2e
    ok = all(o["consumers_wrong"] == 0 and o["dead_letters"] == 0 for o in ourses)

    def runs(results: list[dict], key: str) -> str:
        return " / ".join(f"{r[key]:,}" for r in results)

    print(f"\nIngestion throughput: {args.events:,} TransactionEvents, {args.consumers:,} "
          f"consumers, {produced['value_bytes'] / args.events:.0f} bytes/event, one worker, "
          f"{machine()['cores']} cores, embedded broker (Tansu); mean of {args.rounds} "
          "rounds (service and trivial agent alternating)\n")
    print(table([
        ["service worker (rocksdb)", f"{ours_rate:,.0f}", runs(ourses, "events_per_s"),
         f"{ours_e2e:,.0f}", runs(ourses, "startup_to_first_applied_s"),
         runs(ourses, "worker_cpu_s"), runs(ourses, "broker_cpu_s")],
        ["baseline: trivial agent table[key] += 1", f"{trivial_rate:,.0f}",
         runs(trivials, "events_per_s"), f"{trivial_e2e:,.0f}",
         runs(trivials, "startup_to_first_applied_s"), runs(trivials, "worker_cpu_s"),
         runs(trivials, "broker_cpu_s")],
        ["baseline: raw aiokafka consumer", f"{raw_rate:,.0f}", runs(raws, "events_per_s"),
         "", "", "", ""],
    ], ["", "applied events/s", "per round", "incl. start-up", "start-up s", "worker CPU s",
        "broker CPU s"]))
    print(f"\nours / trivial = {ratio_trivial:.2f}x (target >= 1.0x: "
          f"{'met' if ratio_trivial >= 1.0 else 'NOT met'}); including start-up {e2e_ratio:.2f}x; "
          "per round " + " / ".join(f"{o['events_per_s'] / t['events_per_s']:.2f}x"
                                    for o, t in zip(ourses, trivials, strict=True)))
    print(f"ours / raw     = {ratio_raw:.3f}x")
    per_event = mean([o["worker_cpu_s"] for o in ourses]) / args.events * 1e6
    per_event_trivial = mean([t["worker_cpu_s"] for t in trivials]) / args.events * 1e6
    print(f"worker CPU per event: service {per_event:.0f} us, trivial agent "
          f"{per_event_trivial:.0f} us; the service's own work in process, without Faust: "
          f"{own['us_per_event']} us (validate {own['validate_us']}, model_dump "
          f"{own['model_dump_us']}, apply over dicts with enrichment {own['apply_us']}, "
          f"recurring groups settled per batch {own['recurring_settle_us']}); enrichment "
          f"memo hit rate {own['enrichment_memo_hit_rate']:.0%} (the synthetic consumers "
          "reuse their templates' texts)")
    print(f"state check: {sum(o['consumers_checked'] - o['consumers_wrong'] for o in ourses)}/"
          f"{sum(o['consumers_checked'] for o in ourses)} consumer reports (all rounds) hold "
          f"their expected transaction count; "
          f"{runs(ourses, 'changelog_distinct_keys')} transaction records, "
          f"{sum(o['dead_letters'] for o in ourses)} dead letters; "
          f"trivial agent counted {runs(trivials, 'counted')}")
    if not ok:
        print(f"STATE CHECK FAILED: {[o['wrong_sample'] for o in ourses]}")
    write_json(args.json, {"benchmark": "ingestion", "events": args.events,
                           "consumers": args.consumers, "rounds": args.rounds,
                           "worker_env": worker_env, "produced": produced,
                           "in_process_no_faust": own,
                           "raw": raws, "trivial": trivials, "ours": ourses,
                           "ours_events_per_s": round(ours_rate),
                           "trivial_events_per_s": round(trivial_rate),
                           "raw_events_per_s": round(raw_rate),
                           "ratio_ours_trivial": round(ratio_trivial, 3),
                           "ratio_ours_trivial_end_to_end": round(e2e_ratio, 3),
                           "ratio_ours_raw": round(ratio_raw, 4),
                           "target_met": ratio_trivial >= 1.0, "state_ok": ok})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
