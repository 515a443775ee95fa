"""Restart-to-ready time after kill -9, with 100,000 transactions stored.

Method (one embedded broker, one worker at a time, RocksDB tables):

0. Baseline, cold start: a worker with a new app id, an empty data directory and empty topics
   (created up front, as for the restarts). Ready = it answers a report request correctly for
   one consumer of each of the 4 partitions (here: 0 transactions).
1. Produce the ingestion benchmark's 100,000 TransactionEvents (1,000 consumers), start worker
   W1 and wait until all are applied (100,000 records in its transactions changelog, and the
   probe consumers' reports hold their expected counts). Then SIGKILL W1 at once (no flush,
   no commit; the events since its last offset commit are delivered again after restart).
2. (a) Start a worker on W1's data directory (RocksDB files left by kill -9); when it is
   ready and checked, SIGKILL it. Three rounds (--rounds), each on the same directory.
3. (b) Start a worker on an empty data directory: every table is recovered from the
   changelog (100,000 records); when ready and checked, SIGKILL it. Three rounds.
Restart-to-ready = from spawning the process to the first reply whose transaction count equals
the expected count, for each of 4 probe consumers (one per partition; the time is the last of
the four). From the spawn on, a full-range request is sent every 0.2 s, rotating over the probe
consumers, so requests wait in the topic while the worker starts; a reply with a wrong count
is counted as a stale reply. After each restart 50 further consumers are checked.
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BenchEnv,
    TemplatePool,
    TopicObserver,
    arg_parser,
    changelog_topics,
    cpu_seconds,
    encode,
    expected_counts,
    ingestion_events,
    log,
    machine,
    mismatched_counts,
    new_prefix,
    now,
    partition_sample,
    prepare_topics,
    produce,
    reply_count,
    table,
    validate,
    wait_for_count,
    write_json,
)

from tests.support import full_range_request  # noqa: E402
from workers.client import ReportClient  # noqa: E402

TARGET_S = 30.0
#: The restarted and the cold workers log at INFO, so their start-up phases can be timed.
MEASURED_LOG_LEVEL = "INFO"
READY_TIMEOUT = 180.0


PHASES = (("join_requested_s", "(Re-)joining group"),
          ("partitions_assigned_s", "Setting newly assigned partitions"),
          ("recovery_complete_s", "Recovery complete"),
          ("worker_ready_s", "Worker ready"))
LOG_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] \[\d+\] \[\w+\] (.*)$")


def phases(log_text: str, spawned_wall: float) -> dict[str, float]:
    """Seconds from spawn to the first log line of each start-up phase (INFO logs)."""
    found: dict[str, float] = {}
    for line in re.sub(r"\x1b\[[?0-9;]*[a-zA-Z]", "", log_text).splitlines():
        match = LOG_LINE.match(line)
        if not match:
            continue
        for name, text in PHASES:
            if name not in found and text in match.group(2):
                at = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                found[name] = round(at - spawned_wall, 3)
    return found


async def time_to_ready(client: ReportClient, worker, probes: dict[str, int],
                        env: BenchEnv, interval: float = 0.2) -> dict:
    """Spawn `worker` and send probe requests until every probe consumer got a correct reply."""
    consumers = list(probes)
    first_reply: list[float] = []
    first_correct: dict[str, float] = {}
    stale: list[tuple[str, int | None]] = []

    def on_reply(consumer_id: str, correlation_id: str, future: asyncio.Future) -> None:
        client._futures.pop(correlation_id, None)
        if future.cancelled():
            return
        at = now()
        if not first_reply:
            first_reply.append(at)
        got = reply_count(future.result())
        if got == probes[consumer_id]:
            first_correct.setdefault(consumer_id, at)
        elif consumer_id not in first_correct:
            stale.append((consumer_id, got))

    broker_cpu = cpu_seconds(env.broker_pid)
    spawned, spawned_wall = now(), time.time()
    worker.start()
    sent = 0
    while len(first_correct) < len(consumers):
        if now() - spawned > READY_TIMEOUT:
            raise TimeoutError(f"not ready after {READY_TIMEOUT:.0f} s:\n{worker.log_tail()}")
        if not worker.alive():
            raise RuntimeError(f"worker exited:\n{worker.log_tail()}")
        consumer_id = consumers[sent % len(consumers)]
        correlation_id, future = await client.send("categorization",
                                                   full_range_request(consumer_id))
        future.add_done_callback(lambda f, c=consumer_id, i=correlation_id: on_reply(c, i, f))
        sent += 1
        await asyncio.sleep(interval)
    cpu = cpu_seconds(worker.process.pid)
    broker_cpu = cpu_seconds(env.broker_pid) - broker_cpu
    for future in list(client._futures.values()):
        future.cancel()
    client._futures.clear()
    await asyncio.sleep(1.0)  # let the worker write its "Worker ready" log line
    rebuilt = re.findall(r"index rebuilt for partitions .*?: (\d+) consumers in ([\d.]+) s",
                         worker.log_tail(200_000))
    return {"ready_s": round(max(first_correct.values()) - spawned, 3),
            "first_reply_s": round(first_reply[0] - spawned, 3),
            "requests_sent": sent, "stale_replies": len(stale), "stale_sample": stale[:5],
            "worker_cpu_s": round(cpu, 1), "broker_cpu_s": round(broker_cpu, 1),
            "index_rebuilds": [{"consumers": int(c), "seconds": float(s)} for c, s in rebuilt],
            "phases": phases(worker.log_tail(2_000_000), spawned_wall)}


async def check_sample(client: ReportClient, expected: dict[str, int], n: int = 50) -> int:
    sample = dict(random.Random(5).sample(sorted(expected.items()), n))
    wrong = await asyncio.wait_for(mismatched_counts(client, sample, concurrency=4), 120)
    if wrong:
        log(f"WRONG counts after restart: {dict(list(wrong.items())[:5])}")
    return len(wrong)


async def main() -> int:
    parser = arg_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--consumers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="restarts of each kind (default 3)")
    args = parser.parse_args()

    events = ingestion_events(consumers=args.consumers, total=args.events, pool=TemplatePool())
    validate(events)
    expected = expected_counts(events)
    lines = encode(events)
    del events
    probes = {c: expected[c] for c in partition_sample(expected)}

    with BenchEnv("restart", keep=args.keep, log_level=args.log_level,
                  profile_dir=args.profile_dir) as env:
        # 0. Baseline: cold start with no state.
        cold_prefix = new_prefix("k")
        cold_settings = env.settings(cold_prefix, f"{cold_prefix}insights")
        await prepare_topics(cold_settings)
        async with ReportClient(cold_settings) as client:
            cold_worker = env.worker(cold_prefix, cold_settings.app_id, name="cold",
                                     INSIGHTS_LOG_LEVEL=MEASURED_LOG_LEVEL)
            cold = await time_to_ready(client, cold_worker, {c: 0 for c in probes}, env)
        cold_worker.stop()
        log(f"cold start (no state): ready in {cold['ready_s']} s")

        # 1. Ingest 100k with W1.
        prefix = new_prefix("r")
        settings = env.settings(prefix, f"{prefix}insights")
        await prepare_topics(settings)
        txn_changelog = changelog_topics(settings)[0]
        produced = await produce(settings, lines)
        log(f"produced {produced['records']} events")
        observer = await TopicObserver(env.bootstrap, [txn_changelog]).start()
        async with ReportClient(settings) as client:
            w1 = env.worker(prefix, settings.app_id, name="w1")
            started = now()
            w1.start()
            await observer.wait_for_records(args.events, 300, alive=w1)
            for consumer_id, count in probes.items():
                await wait_for_count(client, consumer_id, count, 60, worker=w1)
            ingest = {"applied_s": round(now() - started, 1),
                      "changelog_records": observer.records}
            log(f"W1 applied {args.events} events ({observer.records} changelog records) "
                f"{ingest['applied_s']} s after its start; kill -9")
            await observer.stop()
            w1.kill()

            # 2. (a) Restart on the same data directory, `rounds` times (kill -9 each time).
            same_runs = []
            for r in range(args.rounds):
                worker = env.worker(prefix, settings.app_id, data_dir=w1.data_dir,
                                    name=f"same{r}", INSIGHTS_LOG_LEVEL=MEASURED_LOG_LEVEL)
                result = await time_to_ready(client, worker, probes, env)
                result["wrong_in_sample"] = await check_sample(client, expected)
                log(f"(a) round {r + 1}: restart on the same data dir, ready in "
                    f"{result['ready_s']} s")
                same_runs.append(result)
                worker.kill()

            # 3. (b) Restart on an empty data directory: full changelog recovery.
            empty_runs = []
            for r in range(args.rounds):
                worker = env.worker(prefix, settings.app_id, name=f"empty{r}",
                                    INSIGHTS_LOG_LEVEL=MEASURED_LOG_LEVEL)
                result = await time_to_ready(client, worker, probes, env)
                result["wrong_in_sample"] = await check_sample(client, expected)
                log(f"(b) round {r + 1}: restart on an empty data dir, ready in "
                    f"{result['ready_s']} s")
                empty_runs.append(result)
                worker.kill()

    ok = all(r["wrong_in_sample"] == 0 for r in same_runs + empty_runs)
    print(f"\nRestart-to-ready after kill -9: {args.events:,} transactions of "
          f"{args.consumers:,} consumers stored, one worker, {machine()['cores']} cores, "
          f"embedded broker (Tansu); {args.rounds} rounds each\n")
    rows = []
    cases = [(f"(a) kill -9, restart on the same data dir #{i + 1}", r)
             for i, r in enumerate(same_runs)]
    cases += [(f"(b) kill -9, restart on an empty data dir #{i + 1}", r)
              for i, r in enumerate(empty_runs)]
    cases.append(("baseline: cold start, no state", cold))
    for name, r in cases:
        rebuild = sum(i["seconds"] for i in r["index_rebuilds"])
        p = r["phases"]
        rows.append([name, r["ready_s"], f"{r['ready_s'] / cold['ready_s']:.2f}x",
                     p.get("join_requested_s", "?"), p.get("partitions_assigned_s", "?"),
                     p.get("recovery_complete_s", "?"), round(rebuild, 3),
                     p.get("worker_ready_s", "?"), r["first_reply_s"], r["stale_replies"],
                     r["worker_cpu_s"], r["broker_cpu_s"]])
    print(table(rows, ["", "ready s", "vs cold", "join sent", "assigned", "recovered",
                       "index rebuild s", "worker ready", "first reply", "stale replies",
                       "worker CPU s", "broker CPU s"]))
    print("(columns 'join sent' .. 'first reply': seconds after spawn; all but 'first reply' "
          "from the worker's INFO log)")
    same = sorted(r["ready_s"] for r in same_runs)
    empty = sorted(r["ready_s"] for r in empty_runs)
    print(f"\n(a) same data dir:  median {statistics.median(same)} s, max {same[-1]} s "
          f"= {statistics.median(same) / cold['ready_s']:.2f}x / {same[-1] / cold['ready_s']:.2f}x "
          f"the cold start ({cold['ready_s']} s)")
    print(f"(b) empty data dir: median {statistics.median(empty)} s, max {empty[-1]} s "
          f"= {statistics.median(empty) / cold['ready_s']:.2f}x / "
          f"{empty[-1] / cold['ready_s']:.2f}x the cold start")
    worst = max(same[-1], empty[-1])
    print(f"target < {TARGET_S:.0f} s: {'met' if worst < TARGET_S else 'NOT met'} "
          f"(worst {worst} s); state check after every restart (4 probes + 50 consumers): "
          f"{'all correct' if ok else 'WRONG COUNTS'}")
    write_json(args.json, {"benchmark": "restart", "events": args.events,
                           "consumers": args.consumers, "rounds": args.rounds,
                           "probes": probes, "cold": cold, "initial_ingest": ingest,
                           "same_data_dir": same_runs, "empty_data_dir": empty_runs,
                           "same_data_dir_median_s": statistics.median(same),
                           "empty_data_dir_median_s": statistics.median(empty),
                           "target_s": TARGET_S, "target_met": worst < TARGET_S,
                           "state_ok": ok})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
