"""Report latency, p50/p99, through the broker and in process: the Categorized and the
Recurring Transactions Report.

Method (one worker, RocksDB tables, embedded broker):

1. Store 2,000 transactions over 13 months for one consumer (bench/common.py,
   heavy_consumer_events) and wait until its report holds all of them.
2. Requests for that consumer:
     full   -- the whole range, every transaction in the reply (2,000 transactions, ~1.7 MB);
     page   -- the same range, `size: 50` (the newest 50, DATE DESC; what a UI asks for);
     default -- the seed's default span (62 days back from `to_date`, one report per account),
               `to_date` the last day of the data: the report a client gets for this
               consumer when it names no dates (~330 transactions);
     recurring      -- the Recurring Transactions Report over the whole range (every group);
     recurring-62d  -- the same for the last 62 days of the data (the seed's default span);
     empty  -- a consumer without transactions: the report reads no record, so this is the
               floor of the request/reply round trip through the broker and the worker.
3. Requesters: one ReportClient (workers/client.py: one producer, one consumer of the reply
   topic) in this process.
     1 requester   -- 300 requests one after the other;
     20 requesters -- 20 coroutines sharing that one client, each sending its next request
                      when its reply arrived, 15 each (300 in all, up to 20 in flight).
   Latency = from calling ReportClient.request (produce with acks=all) to its reply being
   decoded by the client's listener. 20 warm-up requests per shape are not counted. Before the
   first row this process freezes its heap (gc.freeze(); --no-freeze does not): the benchmark's
   own objects (the service's modules, the events, the in-process baselines) stay out of the
   collector's full passes, which otherwise walk them inside some request's latency. The full
   collections during a row are counted (with the longest).
   Stages of each one-requester row, from wall-clock times (the client and the worker share
   this machine's clock): request sent -> reply sent by the worker (the reply record's
   timestamp, which the worker's producer sets, in whole ms: the request's produce, the hop
   to the worker, the worker's answer); reply sent -> received by the client's listener
   (compression, the broker, the client's fetch); received -> decoded.
4. Baseline, in process, same request: `workers.reports.categorized_report` (or
   `recurring_report`) over a ConsumerState built from the same events with the in-memory
   DictStore, 300 times, with this process's heap frozen (always, also with --no-freeze).
   Two more in-process rows split the rest of the worker's own cost: the full request handling
   (`reports.answer`: envelope and body validation, report, plus orjson of the reply) over the
   DictStore, and the same over a RocksDB store (rocksdict, orjson values) like the worker's
   table. Broker round trip ~= worker p50 - in-process `answer` p50 over RocksDB.
   CPU per request of each row, for the worker, the broker and this process (the client):
   their CPU time (Linux /proc) over the row, less their idle use measured for 5 s before
   the first row, divided by the requests. Latency on this shared machine moves with the
   host's speed from one run to the next; these figures say where the work is.
5. Baseline through the same broker, without the worker: the full report's reply bytes sent
   by a plain aiokafka producer (the service's compression, acks=all) to a topic of this
   benchmark and read by a plain consumer with the reply consumer's settings, then decoded as
   the client decodes a reply. This is what moving and decoding a reply of that size costs by
   itself; the full report's latency is about this plus the empty round trip plus the worker's
   `answer`.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson  # noqa: E402
from aiokafka import AIOKafkaProducer, ConsumerRecord  # noqa: E402
from common import (  # noqa: E402
    BenchEnv,
    CpuMeter,
    TemplatePool,
    arg_parser,
    create_topics,
    encode,
    heavy_consumer_events,
    log,
    machine,
    new_prefix,
    now,
    percentiles,
    prepare_topics,
    produce,
    table,
    validate,
    wait_for_count,
    wait_serving,
    write_json,
)

from schemas.categorized import CategorizedReportRequest  # noqa: E402
from schemas.contract import TransactionEvent  # noqa: E402
from schemas.recurring import RecurringReportRequest  # noqa: E402
from tests.support import full_range_request  # noqa: E402
from workers import reports  # noqa: E402
from workers.client import (  # noqa: E402
    ReportClient,
    assign_at_end,
    decode_reply,
    reply_consumer,
)
from workers.codecs import dumps  # noqa: E402
from workers.domain.consumer_state import ConsumerState  # noqa: E402
from workers.domain.history import DictStore, SourcePosition  # noqa: E402

TARGET_P99_MS = 50.0
CONSUMER = "bench-latency-consumer-0001"
#: A consumer without data: its report reads nothing, so its latency is the round-trip floor.
EMPTY_CONSUMER = "bench-latency-no-data-0001"


class RocksStore:
    """A RecordStore over rocksdict with orjson values (the worker's table stores bytes)."""

    def __init__(self, path: str) -> None:
        from rocksdict import Options, Rdict

        self.db = Rdict(path, options=Options(raw_mode=True))

    def get(self, key: str) -> dict | None:
        raw = self.db.get(key.encode())
        return None if raw is None else orjson.loads(raw)

    def get_raw_many(self, keys: list[str], prefix: str | None = None) -> list[bytes | None]:
        if prefix is not None:  # as workers/state.py TableStore
            start = prefix.encode()
            found = {}
            for key, value in self.db.items(from_key=start):
                if not key.startswith(start):
                    break
                found[key] = value
            return [found.get(key.encode()) for key in keys]
        get = self.db.get
        return [get(key.encode()) for key in keys]

    def set(self, key: str, value: dict) -> None:
        self.db[key.encode()] = orjson.dumps(value)

    def delete(self, key: str) -> None:
        del self.db[key.encode()]

    def close(self) -> None:
        self.db.close()


def build_state(events: list[dict], transactions, recurring) -> ConsumerState:
    state = ConsumerState(transactions, DictStore(), recurring, DictStore())
    for offset, event in enumerate(events):
        document = TransactionEvent.model_validate_json(orjson.dumps(event)).model_dump(
            mode="json", exclude_none=True)
        state.history.apply_transaction(document, SourcePosition("bench-0", offset))
    state.settle_recurring()
    return state


def build_report(report: str, body: dict, state: ConsumerState, today: date) -> dict:
    if report == "recurring-transactions":
        return reports.recurring_report(RecurringReportRequest.model_validate(body), state, today)
    return reports.categorized_report(CategorizedReportRequest.model_validate(body), state,
                                      today)


def items_of(data: dict) -> int:
    """Transactions (categorized) or transaction groups (recurring) in a report's data."""
    return sum(len(r["transactions"]) if "transactions" in r else
               sum(len(i["transaction_groups"]) for i in r["intervals"])
               for r in data["reports"])


def time_in_process(fn, n: int, gc_off: bool = False) -> list[float]:
    for _ in range(10):
        fn()
    out = []
    # The process's heap frozen as for the rows through the broker (and as the worker freezes
    # its state after recovery): full collections walk what `fn` allocates, not the events and
    # stores of the benchmark, which made the in-process p99 of a 2,000-transaction report
    # 60 ms where its p90 was 11 ms.
    gc.collect()
    gc.freeze()
    if gc_off:
        gc.disable()
    try:
        for _ in range(n):
            started = time.perf_counter()
            fn()
            out.append((time.perf_counter() - started) * 1000)
    finally:
        gc.enable()
        gc.unfreeze()
    return out


def in_process(events: list[dict], requests: dict[str, tuple[str, dict]], n: int,
               keep_reply_of: str) -> tuple[dict, bytes]:
    """Baseline 4 of the module doc for each request shape, and the reply value (bytes) of
    the shape `keep_reply_of`, for baseline 5."""
    today = date.today()
    figures: dict[str, dict] = {}
    kept = b""
    dict_state = build_state(events, DictStore(), DictStore())
    with tempfile.TemporaryDirectory(prefix="insights-bench-rocks-") as path:
        rocks_stores = RocksStore(f"{path}/transactions"), RocksStore(f"{path}/recurring")
        rocks_state = build_state(events, *rocks_stores)
        for shape, (report, body) in requests.items():
            raw = orjson.dumps({"correlation_id": "bench-1", "report": report,
                                "request": body})
            peeked = reports.peek(raw)

            def build(b=body, r=report):
                return build_report(r, b, dict_state, today)

            figures[shape] = {
                "items": items_of(build()),
                "build_report": percentiles(time_in_process(build, n)),
                "build_report_gc_off": percentiles(time_in_process(build, n, gc_off=True)),
                "answer_and_dumps": percentiles(time_in_process(
                    lambda r=raw, p=peeked: dumps(reports.answer(r, p, dict_state, today)), n)),
                "answer_and_dumps_rocksdb": percentiles(time_in_process(
                    lambda r=raw, p=peeked: dumps(reports.answer(r, p, rocks_state, today)),
                    n)),
            }
            reply = dumps(reports.answer(raw, peeked, dict_state, today))
            figures[shape]["reply_bytes"] = len(reply)
            if shape == keep_reply_of:
                kept = reply
        for store in rocks_stores:
            store.close()
    return figures, kept


class CollectorPauses:
    """Full collections of the garbage collector in this process (the requesting client) while
    a row is measured: they land inside requests' latencies, so the report counts them."""

    def __init__(self) -> None:
        self.full_ms: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif info["generation"] == 2:
            self.full_ms.append((time.perf_counter() - self._started) * 1000)

    def __enter__(self) -> CollectorPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self)


class StagedReportClient(ReportClient):
    """The service's ReportClient, which also notes for each reply to one of its requests
    the reply record's timestamp (set by the worker's producer when it sent the reply, in
    ms) and the wall-clock time its listener received it. With the request's own send time
    these split a request's latency into three stages (client and worker share this
    machine's clock)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.received: dict[str, tuple[float, float]] = {}  # popped by the requester

    def _on_record(self, record: ConsumerRecord) -> None:
        if record.key is not None:
            correlation_id = record.key.decode(errors="replace")
            if correlation_id in self._futures and correlation_id not in self.received:
                self.received[correlation_id] = (record.timestamp / 1000, time.time())
        super()._on_record(record)


#: The stages of a request (through_broker) and their rows' labels.
STAGES = {"request_to_reply_sent": "  of which: request sent to reply sent by the worker",
          "reply_sent_to_received": "  of which: reply sent to received by the client",
          "decode": "  of which: reply decoded by the client"}


async def through_broker(client: StagedReportClient, report: str, body: dict, expected: int,
                         requesters: int, total: int, cpu: CpuMeter | None = None) -> dict:
    latencies: list[float] = []
    stages: list[tuple[float, float, float]] = []
    wrong = 0

    async def requester(count: int) -> None:
        nonlocal wrong
        for _ in range(count):
            started, sent_at = now(), time.time()
            correlation_id, future = await client.send(report, body)
            reply = await client.reply_of(correlation_id, future, 30)
            latencies.append((now() - started) * 1000)
            decoded_at = time.time()
            stamped, received = client.received.pop(correlation_id, (None, None))
            if stamped is not None:
                stages.append((stamped - sent_at, received - stamped, decoded_at - received))
            if reply.get("status") != 200 or items_of(reply["data"]) != expected:
                wrong += 1
            # Freed here, not by the next iteration's assignment: a full report is ~60,000
            # objects, and their deallocation (~4 ms) is this loop's work, not the next
            # request's latency.
            del reply

    per = total // requesters
    started = now()
    if cpu is not None:
        cpu.start()
    with CollectorPauses() as pauses:
        await asyncio.wait_for(asyncio.gather(*(requester(per) for _ in range(requesters))),
                               300)
    elapsed = now() - started
    cpu_ms = cpu.per_unit_ms(len(latencies)) if cpu is not None else {}
    return {**percentiles(latencies), "requesters": requesters,
            "requests_per_s": round(len(latencies) / elapsed, 1), "wrong_replies": wrong,
            "client_full_collections": len(pauses.full_ms),
            "client_full_collection_max_ms": round(max(pauses.full_ms, default=0.0), 1),
            "cpu_ms_per_request_above_idle": cpu_ms,
            "stages": {name: percentiles([stage[i] * 1000 for stage in stages])
                       for i, name in enumerate(STAGES)}}


async def reply_transport(settings, value: bytes, total: int) -> dict:
    """Baseline 5 of the module doc: `value` produced and consumed `total` times, one after
    the other, by plain aiokafka clients, and decoded as the client decodes a reply."""
    topic = settings.topic("bench-reply-transport")
    await create_topics(settings, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, linger_ms=0,
                                compression_type=settings.compression_type,
                                max_request_size=16 * 1024 * 1024,
                                **settings.security.aiokafka_kwargs())
    consumer = reply_consumer(settings)
    await producer.start()
    await consumer.start()
    try:
        await assign_at_end(consumer, topic)

        async def one() -> tuple[float, float, float]:
            started = now()
            await producer.send_and_wait(topic, key=b"bench", value=value)
            acked = now()
            received = None
            while received is None:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    received = records[-1].value
            fetched = now()
            decoded = decode_reply(received)
            done = now()
            del decoded  # freed outside the measurement, as in through_broker
            return acked - started, fetched - acked, done - fetched

        for _ in range(10):
            await asyncio.wait_for(one(), 30)
        rows = [await asyncio.wait_for(one(), 30) for _ in range(total)]
    finally:
        await consumer.stop()
        await producer.stop()
    parts = ("produce_and_ack", "ack_to_fetched", "decode", "total")
    return {part: percentiles([(sum(r) if part == "total" else r[i]) * 1000 for r in rows])
            for i, part in enumerate(parts)}


def percentile_row(label: str, figures: dict[str, float]) -> list:
    """A table row of percentiles (empty cells when there were no samples)."""
    return [label, *(figures.get(k, "") for k in ("p50", "p90", "p99", "max")), "", ""]


async def main() -> int:
    parser = arg_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--no-freeze", action="store_true",
                        help="do not freeze this process's start-up heap before measuring")
    args = parser.parse_args()
    events = heavy_consumer_events(CONSUMER, args.transactions, seed=41, pool=TemplatePool())
    validate(events)
    last_day = max(e.get("booking_date") or e["value_date"] for e in events)
    recurring = {"insights_consumer_id": CONSUMER, "from_date": "2000-01-01",
                 "to_date": last_day, "required_data_availability": "NONE"}
    requests = {"full": ("categorization", full_range_request(CONSUMER)),
                "page": ("categorization", full_range_request(CONSUMER, size=50)),
                # No from_date, no combine_accounts: the seed's defaults.
                "default": ("categorization", {"insights_consumer_id": CONSUMER,
                                               "to_date": last_day,
                                               "required_data_availability": "NONE"}),
                "recurring": ("recurring-transactions", recurring),
                # No from_date: the default, to_date - 62 days.
                "recurring-62d": ("recurring-transactions",
                                  {k: v for k, v in recurring.items() if k != "from_date"}),
                "empty": ("categorization", full_range_request(EMPTY_CONSUMER))}

    log("in-process baseline")
    local, full_reply = in_process(events, requests, args.requests, keep_reply_of="full")
    expected = {shape: figures["items"] for shape, figures in local.items()}

    results: dict[str, dict] = {}
    with BenchEnv("latency", keep=args.keep, log_level=args.log_level,
                  profile_dir=args.profile_dir) as env:
        prefix = new_prefix("l")
        settings = env.settings(prefix, f"{prefix}insights")
        await prepare_topics(settings)
        worker = env.worker(prefix, settings.app_id, name="worker")
        worker.start()
        async with StagedReportClient(settings) as client:
            await wait_serving(client, worker, timeout=90)
            await produce(settings, encode(events))
            await wait_for_count(client, CONSUMER, args.transactions, 120, worker=worker)
            cpu = CpuMeter({"worker": worker.process.pid, "broker": env.broker.process.pid,
                            "client": os.getpid()})
            log("idle CPU of the broker, the worker and this client: 5 s")
            idle_cores = await cpu.measure_idle(5.0)
            if not args.no_freeze:
                # What this process holds before measuring (the service's modules, the events,
                # the in-process baselines) is not the client's work: out of the collector's
                # full passes, as the worker does with its state after recovery.
                gc.collect()
                gc.freeze()
            for shape, (report, body) in requests.items():
                await through_broker(client, report, body, expected[shape], 1, 20)  # warm-up
                for requesters in (1, 20):
                    log(f"{shape}: {requesters} requester(s), {args.requests} requests")
                    results[f"{shape}/{requesters}"] = await through_broker(
                        client, report, body, expected[shape], requesters, args.requests, cpu)
            log(f"full report's reply bytes through the broker, no worker: {args.requests}")
            transport = await reply_transport(settings, full_reply, args.requests)
        worker.stop()

    print(f"\nReport latency (ms): one consumer with {args.transactions:,} "
          f"transactions over 13 months; {args.requests} requests per row; one worker, "
          f"{machine()['cores']} cores, embedded broker (Tansu)\n")
    rows = []
    for shape in requests:
        size = local[shape]["reply_bytes"]
        unit = "groups" if shape.startswith("recurring") else "transactions"
        label = f"{shape}: {local[shape]['items']} {unit}, {size / 1e3:,.0f} kB reply"
        for requesters in (1, 20):
            r = results[f"{shape}/{requesters}"]
            rows.append([f"{label}, {requesters} requester{'s' if requesters > 1 else ''}",
                         r["p50"], r["p90"], r["p99"], r["max"], r["requests_per_s"],
                         f"{r['client_full_collections']} "
                         f"({r['client_full_collection_max_ms']})"])
            if requesters == 1:
                rows.extend(percentile_row(label, r["stages"][stage])
                            for stage, label in STAGES.items())
        base = local[shape]
        rows.append(percentile_row("  baseline in process: the report build (DictStore)",
                                   base["build_report"]))
        rows.append(percentile_row("  in process: answer + reply JSON (DictStore)",
                                   base["answer_and_dumps"]))
        rows.append(percentile_row("  in process: answer + reply JSON (RocksDB store)",
                                   base["answer_and_dumps_rocksdb"]))
    for part, label in (("total", "full's reply bytes through the broker, no worker"),
                        ("produce_and_ack", "  of which: produce (acks=all)"),
                        ("ack_to_fetched", "  of which: ack to fetched by the consumer"),
                        ("decode", "  of which: decoded as the client does")):
        rows.append(percentile_row(label, transport[part]))
    print(table(rows, ["", "p50", "p90", "p99", "max", "req/s", "client full GCs (max ms)"]))
    print("\n20 requesters = 20 coroutines sharing one ReportClient (one producer, one reply "
          "consumer), each waiting for its reply before sending the next.")
    print("\nCPU per request above idle (ms; idle use in cores: "
          + ", ".join(f"{name} {cores}" for name, cores in idle_cores.items()) + ")")
    cpu_rows = [[name] + [results[name]["cpu_ms_per_request_above_idle"].get(process, "-")
                          for process in ("worker", "broker", "client")]
                for name in results]
    print(table(cpu_rows, ["row", "worker", "broker", "client"]))
    for shape in requests:
        one = results[f"{shape}/1"]
        base = local[shape]["build_report"]
        if shape == "empty":
            print(f"empty: the round trip with no record to read, p50 {one['p50']} ms, "
                  f"p99 {one['p99']} ms (one requester)")
            continue
        print(f"{shape}: 1 requester p50 {one['p50']} ms = {one['p50'] / base['p50']:.1f}x the "
              f"in-process build ({base['p50']} ms); p99 {one['p99']} ms = "
              f"{one['p99'] / base['p99']:.1f}x ({base['p99']} ms); in-process build with the "
              f"garbage collector off: p50 {local[shape]['build_report_gc_off']['p50']} ms, "
              f"p99 {local[shape]['build_report_gc_off']['p99']} ms")
    full_p99 = results["full/1"]["p99"]
    page_p99 = results["page/1"]["p99"]
    default_p99 = results["default/1"]["p99"]
    recurring_p99 = max(results["recurring/1"]["p99"], results["recurring-62d/1"]["p99"])

    def verdict(p99: float) -> str:
        return f"{'met' if p99 < TARGET_P99_MS else 'NOT met'} ({p99} ms)"

    print(f"target p99 < {TARGET_P99_MS:.0f} ms with one requester: full report "
          f"{verdict(full_p99)}, default span {verdict(default_p99)}, page of 50 "
          f"{verdict(page_p99)}, recurring {verdict(recurring_p99)}")
    wrong = sum(r["wrong_replies"] for r in results.values())
    if wrong:
        print(f"WRONG REPLIES: {wrong}")
    write_json(args.json, {"benchmark": "latency", "transactions": args.transactions,
                           "requests": args.requests, "heap_frozen": not args.no_freeze,
                           "idle_cores": idle_cores, "through_broker": results,
                           "in_process": local,
                           "reply_transport": transport, "target_p99_ms": TARGET_P99_MS,
                           "target_met_full": full_p99 < TARGET_P99_MS,
                           "target_met_page": page_p99 < TARGET_P99_MS,
                           "target_met_default": default_p99 < TARGET_P99_MS,
                           "target_met_recurring": recurring_p99 < TARGET_P99_MS,
                           "wrong_replies": wrong})
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
