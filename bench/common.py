"""Shared code of the benchmarks in bench/: broker, workers, synthetic data, observers, output.

Every benchmark runs against its own embedded broker (Tansu, memory storage, see
../shared/BROKER-NOTES.md) and starts workers as separate processes (`python -m workers worker`)
through tests/support.WorkerProcess, exactly as the reliability tests do. Every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `python bench/x.py` puts bench/ first, not the repo root
    sys.path.insert(0, str(REPO))

import orjson  # noqa: E402
from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # noqa: E402
from aiokafka.errors import TopicAlreadyExistsError  # noqa: E402

from schemas.contract import TransactionEvent  # noqa: E402
from tests.support import BrokerInfo, WorkerProcess, full_range_request  # noqa: E402
from workers.admin import ensure_topics  # noqa: E402
from workers.broker import EmbeddedBroker  # noqa: E402
from workers.client import ReportClient, RequestTimeout, produce_lines  # noqa: E402
from workers.sample_data import NAMESPACE, generate_sample_data  # noqa: E402
from workers.settings import Settings  # noqa: E402

TRANSACTIONS_TOPIC = "insights.transactions.v1"
#: The data sets end here, so runs on different days produce the same bytes.
END_DATE = date(2024, 12, 31)
MONTHS = 13

now = time.monotonic
#: Load average when the benchmark started: other work on this 2-core machine skews figures.
START_LOADAVG = os.getloadavg()


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- command line and output --------------------------------------------------------------

def arg_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work directory (broker and worker logs, data dirs)")
    parser.add_argument("--log-level", default="WARNING",
                        help="INSIGHTS_LOG_LEVEL of the workers (default WARNING, the service's)")
    parser.add_argument("--profile-dir", type=Path, default=None, metavar="DIR",
                        help="run the service workers under cProfile, writing DIR/<name>.prof "
                             "when they stop (for diagnosis: profiling slows them down ~3x)")
    return parser


def git_commit() -> str | None:
    """The checked-out commit, read from .git without running git (the tree may be dirty)."""
    try:
        head = (REPO / ".git" / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        path = REPO / ".git" / ref
        if path.exists():
            return path.read_text().strip()
        for line in (REPO / ".git" / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    import aiokafka
    import faust

    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "faust": faust.__version__, "aiokafka": aiokafka.__version__,
            "platform": platform.platform(),
            "loadavg_at_start": [round(x, 2) for x in START_LOADAVG], "commit": git_commit()}


def write_json(path: Path | None, figures: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    figures = {"machine": machine(), "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               **figures}
    path.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    log(f"figures written to {path}")


def percentiles(values_ms: list[float]) -> dict[str, float]:
    """p50/p90/p99/max/mean of a list of milliseconds (nearest-rank percentiles)."""
    ordered = sorted(values_ms)
    if not ordered:
        return {}

    def rank(p: float) -> float:
        index = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
        return round(ordered[index], 3)

    return {"n": len(ordered), "p50": rank(50), "p90": rank(90), "p99": rank(99),
            "max": round(ordered[-1], 3), "mean": round(statistics.fmean(ordered), 3)}


def table(rows: list[list[Any]], header: list[str]) -> str:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w)
                       in enumerate(zip(row, widths, strict=True))) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (Linux /proc), None where unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU time of named processes over a stretch of a benchmark, less what they use idle.

    On a two-core machine the broker, the worker and the client share the cores, so their CPU
    per request is a steadier figure than latency, which moves with the host's speed. Idle
    use (each consumer polling with its fetch wait) is measured first and subtracted: what
    remains is the work a request adds. The broker's figure can come out negative: while a
    request's work holds the consumers, fewer idle fetches reach it.
    """

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.idle_cores: dict[str, float] = {}
        self._started: dict[str, float | None] = {}
        self._started_at = 0.0

    def _now(self) -> dict[str, float | None]:
        return {name: process_cpu_seconds(pid) for name, pid in self.pids.items()}

    async def measure_idle(self, seconds: float = 5.0) -> dict[str, float]:
        """Cores each process uses while nothing is asked of it."""
        before, started = self._now(), time.monotonic()
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - started
        self.idle_cores = {name: round((after - before[name]) / elapsed, 3)
                           for name, after in self._now().items()
                           if after is not None and before[name] is not None}
        return self.idle_cores

    def start(self) -> None:
        self._started, self._started_at = self._now(), time.monotonic()

    def per_unit_ms(self, units: int) -> dict[str, float]:
        """CPU ms per unit of work (a request) since start(), above each process's idle use."""
        elapsed = time.monotonic() - self._started_at
        out = {}
        for name, after in self._now().items():
            before = self._started.get(name)
            if after is None or before is None or name not in self.idle_cores:
                continue
            busy = after - before - self.idle_cores[name] * elapsed
            out[name] = round(busy / max(units, 1) * 1000, 2)
        return out


# ---- broker, settings, workers -------------------------------------------------------------

class BenchEnv:
    """A work directory, an embedded broker and the worker processes started in it."""

    def __init__(self, name: str, keep: bool = False, log_level: str = "WARNING",
                 profile_dir: Path | None = None) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix=f"insights-bench-{name}-"))
        self.keep = keep
        self.log_level = log_level
        self.profile_dir = profile_dir
        self.broker = EmbeddedBroker(log_path=self.workdir / "broker.log")
        self.info: BrokerInfo | None = None
        self.workers: list[WorkerProcess] = []
        self.processes: list[Any] = []

    def __enter__(self) -> BenchEnv:
        self.broker.start()
        self.info = BrokerInfo(self.broker.bootstrap_servers, "embedded", "embedded")
        log(f"embedded broker on {self.broker.bootstrap_servers}, work dir {self.workdir}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        for worker in self.workers:
            with contextlib.suppress(Exception):
                worker.stop(timeout=15)
        for process in self.processes:
            with contextlib.suppress(Exception):
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=15)
        self.broker.stop()
        if self.keep or exc_info[0] is not None:
            log(f"work directory kept: {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap_servers

    def settings(self, prefix: str, app_id: str, **extra: Any) -> Settings:
        return Settings(bootstrap_servers=self.bootstrap, broker_profile="embedded",
                        topic_prefix=prefix, app_id=app_id, **extra)

    def worker(self, prefix: str, app_id: str, data_dir: Path | None = None,
               name: str | None = None, **env: str) -> WorkerProcess:
        """A service worker (`python -m workers worker`), RocksDB tables, not started yet."""
        name = name or f"worker-{len(self.workers)}"
        overrides = {"INSIGHTS_TABLE_STORE": "rocksdb://", "INSIGHTS_LOG_LEVEL": self.log_level}
        overrides.update(env)
        fields = {"broker": self.info, "prefix": prefix, "app_id": app_id,
                  "data_dir": data_dir or self.workdir / f"data-{name}",
                  "log_path": self.workdir / f"{name}.log", "env_overrides": overrides}
        if self.profile_dir is not None:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            worker = ScriptProcess(**fields, argv=["-m", "cProfile", "-o",
                                                   str(self.profile_dir / f"{name}.prof"),
                                                   "-m", "workers", "worker"])
        else:
            worker = WorkerProcess(**fields)
        self.workers.append(worker)
        return worker

    def script(self, script: str, prefix: str, app_id: str, name: str, **env: str) -> ScriptProcess:
        """A baseline app from bench/ run like a worker (same environment variables)."""
        overrides = {"INSIGHTS_TABLE_STORE": "rocksdb://", "INSIGHTS_LOG_LEVEL": self.log_level}
        overrides.update(env)
        process = ScriptProcess(broker=self.info, prefix=prefix, app_id=app_id,
                                data_dir=self.workdir / f"data-{name}",
                                log_path=self.workdir / f"{name}.log", env_overrides=overrides,
                                argv=[str(REPO / "bench" / script)])
        self.workers.append(process)
        return process

    @property
    def broker_pid(self) -> int | None:
        return self.broker.process.pid if self.broker.process else None


@dataclass
class ScriptProcess(WorkerProcess):
    """A WorkerProcess that runs another script (a baseline app) with the same environment."""

    argv: list[str] = field(default_factory=list)

    def start(self) -> ScriptProcess:
        import subprocess

        env = dict(os.environ)
        env.update(self.env)
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen([sys.executable, *self.argv], env=env,
                                            stdout=log_file, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=REPO)
        return self


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a live process (Linux /proc), 0.0 when unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def new_prefix(tag: str) -> str:
    return f"b{tag}{uuid.uuid4().hex[:6]}."


async def create_topics(settings: Settings, names: Iterable[str]) -> None:
    """Create extra topics with the service's partition count (e.g. a baseline's changelog)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await asyncio.wait_for(admin.start(), 30)
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(n, settings.partitions, 1) for n in missing])
    finally:
        await admin.close()


async def prepare_topics(settings: Settings) -> None:
    """The service's topics (what `ensure_topics` creates at worker start), created up front."""
    await asyncio.wait_for(ensure_topics(settings), 60)


def changelog_topics(settings: Settings) -> list[str]:
    """The changelogs of the per-consumer tables: transactions, accounts, then the derived
    recurring groups and category corrections."""
    return [f"{settings.app_id}-{table}-changelog"
            for table in ("transactions", "accounts", "recurring", "category-corrections")]


# ---- synthetic data ------------------------------------------------------------------------

class TemplatePool:
    """Realistic transaction shapes to stamp synthetic consumers from.

    `workers.sample_data` models a handful of consumers in detail (salaries, rent, card
    spending with bank-style descriptors, labels, pending card payments, ...). Its events are
    used as templates: a synthetic consumer takes one template consumer's events (same
    currency and locale), gets new consumer, account and transaction ids and a jittered
    amount, and keeps the dates (spread over the 13 months ending END_DATE) and all texts.
    """

    def __init__(self, template_consumers: int = 12, seed: int = 11) -> None:
        data = generate_sample_data(consumers=template_consumers, months=MONTHS,
                                    end_date=END_DATE, seed=seed, corrections=False)
        by_consumer: dict[str, list[dict]] = {}
        for event in data.transactions:
            if not event.get("deleted"):
                by_consumer.setdefault(event["insights_consumer_id"], []).append(event)
        self.consumers = list(by_consumer.values())
        self.by_currency: dict[str, list[list[dict]]] = {}
        for events in self.consumers:
            self.by_currency.setdefault(events[0]["amount"]["currency"], []).append(events)

    def stamp(self, consumer_id: str, templates: list[dict], count: int,
              rng: random.Random, accounts: int | None = None, id_tag: str = "") -> list[dict]:
        """`count` events for one consumer from `templates`, in date order (a different
        `id_tag` gives different transaction ids)."""
        if count <= len(templates):
            chosen = rng.sample(templates, count)
        else:
            chosen = [rng.choice(templates) for _ in range(count)]
        account_ids: dict[str, str] = {}
        for template in chosen:
            account_ids.setdefault(template["insights_account_id"], "")
        slots = [str(uuid.uuid5(NAMESPACE, f"bench/{consumer_id}/account/{i}"))
                 for i in range(accounts or len(account_ids))]
        for i, template_account in enumerate(sorted(account_ids)):
            account_ids[template_account] = slots[i % len(slots)]
        out = []
        for seq, template in enumerate(chosen):
            event = dict(template)
            event["insights_consumer_id"] = consumer_id
            event["insights_account_id"] = account_ids[template["insights_account_id"]]
            event["insights_transaction_id"] = str(
                uuid.uuid5(NAMESPACE, f"bench/{consumer_id}/transaction/{id_tag}{seq}"))
            event["ob_transaction_id"] = f"{rng.randrange(10**4, 10**5)}-{rng.randrange(10**8)}"
            amount = template["amount"]["amount"]
            if amount:
                amount = max(1, int(amount * rng.uniform(0.8, 1.25)))
            event["amount"] = {"amount": amount, "currency": template["amount"]["currency"]}
            out.append(event)
        out.sort(key=event_day)
        return out


def event_day(event: dict) -> str:
    return event.get("booking_date") or event["value_date"]


def consumer_ids(count: int, tag: str = "c") -> list[str]:
    return [str(uuid.uuid5(NAMESPACE, f"bench/{tag}/consumer/{i}")) for i in range(count)]


def ingestion_events(consumers: int = 1000, total: int = 100_000, seed: int = 1,
                     pool: TemplatePool | None = None) -> list[dict]:
    """`total` TransactionEvents over `consumers` consumers (50..150 each, mean total/consumers),
    dates spread over 13 months, in delivery order: chronological with ~2 % arriving late."""
    pool = pool or TemplatePool()
    rng = random.Random(seed)
    mean = total / consumers
    weights = [rng.uniform(0.5, 1.5) for _ in range(consumers)]
    scale = mean * consumers / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    for i in range(total - sum(counts)):  # the rounding remainder, one each
        counts[i % consumers] += 1
    events: list[dict] = []
    for index, (consumer_id, count) in enumerate(zip(consumer_ids(consumers), counts, strict=True)):
        templates = pool.consumers[index % len(pool.consumers)]
        events.extend(pool.stamp(consumer_id, templates, count, rng))
    # Delivery order: by date across consumers, ~2 % late by up to 10 days.
    keyed = []
    for i, event in enumerate(events):
        day = event_day(event)
        if rng.random() < 0.02:
            day = date.fromordinal(date.fromisoformat(day).toordinal()
                                   + rng.randint(1, 10)).isoformat()
        keyed.append((day, rng.random(), i))
    keyed.sort()
    return [events[i] for _, _, i in keyed]


def heavy_consumer_events(consumer_id: str, count: int = 2000, seed: int = 2,
                          pool: TemplatePool | None = None, accounts: int = 3,
                          id_tag: str = "") -> list[dict]:
    """`count` transactions over 13 months for one consumer (a busy household: the templates
    of every sample consumer with the same currency, mapped onto `accounts` accounts)."""
    pool = pool or TemplatePool()
    rng = random.Random(seed)
    currency = max(pool.by_currency, key=lambda c: sum(map(len, pool.by_currency[c])))
    templates = [e for events in pool.by_currency[currency] for e in events]
    return pool.stamp(consumer_id, templates, count, rng, accounts=accounts, id_tag=id_tag)


def validate(events: list[dict]) -> None:
    """Every event is a valid TransactionEvent (CONTRACT.md)."""
    for event in events:
        TransactionEvent.model_validate_json(orjson.dumps(event))


def expected_counts(events: Iterable[dict]) -> dict[str, int]:
    """Transactions each consumer has after all events (later ids replace, deleted removes)."""
    live: dict[str, dict[str, bool]] = {}
    for event in events:
        live.setdefault(event["insights_consumer_id"], {})[event["insights_transaction_id"]] = \
            not event.get("deleted")
    return {c: sum(txns.values()) for c, txns in live.items()}


def encode(events: Iterable[dict]) -> list[bytes]:
    return [orjson.dumps(e) for e in events]


async def produce(settings: Settings, lines: list[bytes],
                  topic: str = TRANSACTIONS_TOPIC) -> dict[str, Any]:
    """Produce the lines keyed by consumer id (workers.client.produce_lines)."""
    started = now()
    count = await asyncio.wait_for(produce_lines(settings, settings.topic(topic), lines), 300)
    elapsed = now() - started
    key_bytes = sum(len(orjson.loads(line)["insights_consumer_id"]) for line in lines)
    value_bytes = sum(map(len, lines))
    return {"records": count, "seconds": round(elapsed, 3),
            "records_per_s": round(count / elapsed), "key_bytes": key_bytes,
            "value_bytes": value_bytes}


# ---- reading topics ------------------------------------------------------------------------

@dataclass
class Observed:
    records: int = 0
    key_bytes: int = 0
    value_bytes: int = 0
    first_at: float | None = None
    last_at: float | None = None
    keys: set = field(default_factory=set)
    last_value: dict = field(default_factory=dict)


class TopicObserver:
    """Reads topics from their beginning as records arrive (group-less aiokafka consumer).

    Notes the local monotonic time at which the first and the latest record were seen, and
    counts records and key/value bytes per topic. Tansu's ListOffsets(latest) is wrong after
    multi-record batches (BROKER-NOTES.md), so nothing here relies on end offsets: callers wait
    for a record count or for quiet.
    """

    def __init__(self, bootstrap: str, topics: list[str], keep_keys: bool = False,
                 keep_last_value: bool = False) -> None:
        self.bootstrap, self.topics = bootstrap, topics
        self.keep_keys, self.keep_last_value = keep_keys, keep_last_value
        self.by_topic: dict[str, Observed] = {t: Observed() for t in topics}
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task | None = None
        self.error: BaseException | None = None

    async def start(self) -> TopicObserver:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap,
                                          enable_auto_commit=False, fetch_max_wait_ms=20,
                                          max_partition_fetch_bytes=8 * 1024 * 1024)
        await self._consumer.start()
        tps = []
        for topic in self.topics:
            partitions = None
            for _ in range(100):
                partitions = self._consumer.partitions_for_topic(topic)
                if partitions:
                    break
                await self._consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
            if not partitions:
                raise RuntimeError(f"topic {topic} does not exist")
            tps += [TopicPartition(topic, p) for p in sorted(partitions)]
        self._consumer.assign(tps)
        for tp in tps:
            self._consumer.seek(tp, 0)
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=100, max_records=20000)
                seen_at = now()
                for tp, records in batches.items():
                    if not records:
                        continue
                    observed = self.by_topic[tp.topic]
                    if observed.first_at is None:
                        observed.first_at = seen_at
                    observed.last_at = seen_at
                    observed.records += len(records)
                    for record in records:
                        observed.key_bytes += len(record.key or b"")
                        observed.value_bytes += len(record.value or b"")
                        if self.keep_keys:
                            observed.keys.add(record.key)
                        if self.keep_last_value:
                            observed.last_value[record.key] = record.value
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - surfaced by the waits
            self.error = exc

    @property
    def records(self) -> int:
        return sum(o.records for o in self.by_topic.values())

    @property
    def bytes(self) -> int:
        return sum(o.key_bytes + o.value_bytes for o in self.by_topic.values())

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {t: {"records": o.records, "key_bytes": o.key_bytes, "value_bytes": o.value_bytes}
                for t, o in self.by_topic.items()}

    async def wait_for_records(self, count: int, timeout: float,
                               alive: WorkerProcess | None = None,
                               topic: str | None = None) -> float:
        """Wait until `count` records were seen (in `topic` or in all); returns the time."""
        deadline = now() + timeout
        while True:
            if self.error is not None:
                raise RuntimeError(f"observer failed: {self.error!r}")
            seen = self.by_topic[topic].records if topic else self.records
            if seen >= count:
                return now()
            if alive is not None and not alive.alive():
                raise RuntimeError(f"worker exited:\n{alive.log_tail()}")
            if now() > deadline:
                raise TimeoutError(f"saw {seen} of {count} records in {timeout:.0f} s")
            await asyncio.sleep(0.02)

    async def wait_quiet(self, quiet: float = 1.5, timeout: float = 60.0) -> None:
        """Wait until no record has arrived for `quiet` seconds."""
        deadline = now() + timeout
        last_count, last_change = self.records, now()
        while now() < deadline:
            await asyncio.sleep(0.1)
            if self.records != last_count:
                last_count, last_change = self.records, now()
            elif now() - last_change >= quiet:
                return
        raise TimeoutError(f"records still arriving after {timeout:.0f} s")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()


# ---- reports -------------------------------------------------------------------------------

def reply_count(reply: dict[str, Any]) -> int | None:
    """Transactions in a 200 reply (all reports), None for an error reply."""
    if reply.get("status") != 200:
        return None
    return sum(len(r["transactions"]) for r in reply["data"]["reports"])


async def transaction_count(client: ReportClient, consumer_id: str,
                            timeout: float = 15.0) -> int | None:
    reply = await client.request("categorization", full_range_request(consumer_id),
                                 timeout=timeout)
    return reply_count(reply)


async def mismatched_counts(client: ReportClient, expected: dict[str, int],
                            concurrency: int = 8, timeout: float = 30.0) -> dict[str, Any]:
    """Ask for every consumer's full-range report; returns {consumer: (expected, got)} for
    every consumer whose transaction count differs."""
    queue = list(expected.items())
    wrong: dict[str, Any] = {}

    async def run() -> None:
        while queue:
            consumer_id, count = queue.pop()
            try:
                got = await transaction_count(client, consumer_id, timeout=timeout)
            except RequestTimeout:
                got = "timeout"
            if got != count:
                wrong[consumer_id] = (count, got)

    await asyncio.gather(*(run() for _ in range(concurrency)))
    return wrong


async def wait_for_count(client: ReportClient, consumer_id: str, count: int, timeout: float,
                         worker: WorkerProcess | None = None, interval: float = 0.25) -> float:
    """Poll a consumer's full-range report until it holds `count` transactions."""
    deadline = now() + timeout
    got = None
    while now() < deadline:
        if worker is not None and not worker.alive():
            raise RuntimeError(f"worker exited:\n{worker.log_tail()}")
        try:
            got = await transaction_count(client, consumer_id, timeout=max(1.0, deadline - now()))
        except RequestTimeout:
            got = "timeout"
        if got == count:
            return now()
        await asyncio.sleep(interval)
    raise TimeoutError(f"{consumer_id}: {got} transactions after {timeout:.0f} s, want {count}")


async def wait_serving(client: ReportClient, worker: WorkerProcess, timeout: float = 90.0) -> float:
    """Wait until the worker answers a report request (any consumer); returns the time."""
    deadline = now() + timeout
    while now() < deadline:
        if not worker.alive():
            raise RuntimeError(f"worker exited:\n{worker.log_tail()}")
        try:
            reply = await client.request("categorization", {
                "insights_consumer_id": "bench-readiness-probe",
                "required_data_availability": "NONE"}, timeout=min(3.0, deadline - now()))
        except RequestTimeout:
            continue
        if reply.get("status") == 200:
            return now()
    raise TimeoutError(f"worker not serving after {timeout:.0f} s:\n{worker.log_tail()}")


def partition_sample(consumers: Iterable[str], partitions: int = 4) -> list[str]:
    """One consumer per partition (the first in the given order)."""
    from workers.partitioning import partition_for

    chosen: dict[int, str] = {}
    for consumer_id in consumers:
        chosen.setdefault(partition_for(consumer_id, partitions), consumer_id)
    return [chosen[p] for p in sorted(chosen)]


def batched(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def counter_summary(counter: Counter) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counter.items()))
