"""Recurring-payment detection: quality against labels, per-event cost, report build latency.

Everything runs in process on the pure code (`workers.domain.recurring*`); no broker. Three
parts (bench/README.md, "recurring.py"):

1. Quality. `workers.recurring_data.generate_labeled_histories` builds labeled consumer
   histories (all seven intervals, the hard cases, noise, several accounts and currencies);
   `evaluate` detects every history's groups through the recurring state and prints
   precision, recall and F1 per interval and overall, interval accuracy, the share of matched
   groups whose `active` flag is right and the mean Jaccard similarity of matched groups.
2. Per-event cost. For consumers with about 100 and about 2,000 stored transactions, the
   states of all buckets are built, then events are applied the way the worker does:
   `RecurringGroups.apply_changes` over a store of orjson bytes like the worker's table
   (reads the bucket's record, decodes, applies, encodes it when it changed; `event_mix`: new
   transactions, corrections and deletions). Figure: thread CPU time per event, median of rounds run
   A B B A so that load drift hits both sizes alike. Baseline in the same run:
   `TransactionHistory.apply_transaction` (the service's existing per-event work) on the
   same events.
3. Report latency. For the consumers with about 2,000 transactions, the time to read all
   their bucket states and build the report (`build_recurring_reports`), for the 62-day
   default and for the whole retention window, p50/p99 over `--reports` builds with the
   garbage collector on. Baseline: `build_categorized_reports` for the same consumer and
   timeframe from an in-memory list of its transactions.

Usage: .venv/bin/python bench/recurring.py [--consumers 200] [--seed 11] [--json PATH]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson  # noqa: E402
from common import log, percentiles, table, write_json  # noqa: E402

from schemas.categorized import CategorizedReportRequest  # noqa: E402
from schemas.recurring import RecurringReportRequest, RecurringReportResponse  # noqa: E402
from workers.domain.availability import AccountCoverage  # noqa: E402
from workers.domain.categorized_report import (  # noqa: E402
    build_categorized_reports,
    resolve_timeframe,
)
from workers.domain.history import DictStore, SourcePosition, TransactionHistory  # noqa: E402
from workers.domain.recurring import INTERVALS  # noqa: E402
from workers.domain.recurring_groups import RecurringGroups  # noqa: E402
from workers.domain.recurring_report import build_recurring_reports  # noqa: E402
from workers.domain.recurring_state import bucket_key, build_states  # noqa: E402
from workers.domain.recurring_state import size as size_of  # noqa: E402
from workers.recurring_data import (  # noqa: E402
    LabeledHistory,
    evaluate,
    generate_labeled_histories,
)

END_DATE = date(2024, 12, 31)
#: (months, activity) giving about 100 and about 2,000 stored transactions per consumer.
SIZES = {100: (4, 0.2), 2000: (14, 5.0)}
COST_CONSUMERS = 4


# --- 1. quality ----------------------------------------------------------------------------


def quality(consumers: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    histories = generate_labeled_histories(consumers, seed=seed, end_date=END_DATE)
    result = evaluate(histories)
    elapsed = time.perf_counter() - started
    rows, figures = [], {}
    for interval in (*INTERVALS, None):
        precision, recall, f1 = result.scores(interval)
        name = interval or "overall"
        truth = result.truth.get(interval, 0) if interval else sum(result.truth.values())
        predicted = (result.predicted.get(interval, 0) if interval
                     else sum(result.predicted.values()))
        figures[name] = {"labeled": truth, "detected": predicted, "precision": round(precision, 4),
                         "recall": round(recall, 4), "f1": round(f1, 4)}
        rows.append([name, truth, predicted, f"{precision:.3f}", f"{recall:.3f}", f"{f1:.3f}"])
    print(f"\nQuality: {consumers} labeled consumers (seed {seed}), "
          f"{sum(len(h.transactions) for h in histories):,} transactions, {elapsed:.1f} s")
    print(table(rows, ["interval", "labeled", "detected", "precision", "recall", "F1"]))
    extra = {
        "interval_accuracy": round(result.same_interval / result.matched, 4),
        "active_accuracy": round(result.active_right / result.matched, 4),
        "mean_jaccard": round(result.jaccard_sum / result.matched, 4),
        "missed": dict(sorted(result.missed.items())),
        "spurious_by_counterparty_kind": dict(sorted(result.spurious.items())),
    }
    print(f"interval accuracy of matched groups {extra['interval_accuracy']:.4f}, active flag "
          f"right {extra['active_accuracy']:.4f}, mean Jaccard {extra['mean_jaccard']:.4f}")
    print(f"missed labeled series by kind: {extra['missed']}; extra groups by counterparty "
          f"kind: {extra['spurious_by_counterparty_kind']}")
    return {"per_interval": figures, **extra}


# --- 2. per-event cost ---------------------------------------------------------------------


def consumers_of_size(size: int, count: int, seed: int) -> list[LabeledHistory]:
    months, activity = SIZES[size]
    return generate_labeled_histories(count, seed=seed + size, end_date=END_DATE,
                                      months=months, activity=activity)


def event_mix(history: LabeledHistory, events: int, seed: int) -> list[tuple[str, dict]]:
    """(operation, transaction) pairs of the kinds a consumer's stream carries.

    Half are new transactions: a copy of a randomly chosen stored transaction (so each
    counterparty in proportion to its use) with a new id, dated in the last week of the
    history; the copy of a labeled series member keeps its amount (the next payment), any
    other gets a new amount within -20 % .. +25 % (another purchase). The rest change a stored
    transaction of the last 60 days: a correction of its amount (three in five) or its
    deletion.
    """
    rng = random.Random(seed)
    taking_part = [t for t in history.transactions if bucket_key(t) is not None]
    in_series = {i for series in history.series for i in series.ids}
    newest = max(date.fromisoformat(t["booking_date"]) for t in taking_part)
    recent = [t for t in taking_part
              if (newest - date.fromisoformat(t["booking_date"])).days <= 60]
    ops: list[tuple[str, dict]] = []
    for n in range(events):
        roll = rng.random()
        if roll < 0.5:
            txn = rng.choice(taking_part)
            day = (newest - timedelta(days=rng.randint(0, 6))).isoformat()
            amount = txn["amount"]["amount"]
            if txn["insights_transaction_id"] not in in_series:
                amount = max(1, round(amount * rng.uniform(0.8, 1.25)))
            ops.append(("upsert", {**txn, "insights_transaction_id": f"bench-new-{n}",
                                   "booking_date": day, "value_date": day,
                                   "amount": {**txn["amount"], "amount": amount}}))
        elif roll < 0.8:
            txn = rng.choice(recent)
            amount = {**txn["amount"], "amount": txn["amount"]["amount"] + 1}
            ops.append(("upsert", {**txn, "amount": amount}))
        else:
            ops.append(("delete", rng.choice(recent)))
    return ops


def recurring_cost(history: LabeledHistory, ops: list[tuple[str, dict]]) -> float:
    """Thread CPU microseconds per event of the recurring state, bytes in and out.

    Every event is applied to the consumer's stored state as it is (what it writes is
    encoded and counted, not kept), so each one costs what it costs at exactly this history
    size.
    """
    return _apply_events(history, ops)[0]


def written_bytes(history: LabeledHistory, ops: list[tuple[str, dict]]) -> float:
    """Mean key + value bytes of the records an event writes to the store (events that
    change nothing write nothing)."""
    return _apply_events(history, ops)[1]


class EncodedStore:
    """A RecordStore of orjson bytes, as the worker's RocksDB table keeps them. Once
    `frozen`, writes are encoded and counted but not kept."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.frozen = False
        self.written = 0

    def get(self, key: str) -> dict | None:
        raw = self.data.get(key)
        return orjson.loads(raw) if raw is not None else None

    def set(self, key: str, value: dict) -> None:
        raw = orjson.dumps(value)
        self.written += len(key) + len(raw)
        if not self.frozen:
            self.data[key] = raw

    def delete(self, key: str) -> None:
        self.written += len(key)
        if not self.frozen:
            self.data.pop(key, None)


def stored_groups(history: LabeledHistory) -> tuple[RecurringGroups, EncodedStore]:
    """Every bucket of the consumer's history written through `RecurringGroups`."""
    store = EncodedStore()
    groups = RecurringGroups(store)
    members: dict[str, dict[str, dict]] = {}
    for txn in history.transactions:
        key = bucket_key(txn)
        if key is not None:
            members.setdefault(key, {})[txn["insights_transaction_id"]] = txn
    for key, changes in members.items():
        groups.apply_changes(history.consumer_id, key, changes)
    return groups, store


def _apply_events(history: LabeledHistory, ops: list[tuple[str, dict]]) -> tuple[float, float]:
    groups, store = stored_groups(history)
    consumer = history.consumer_id
    store.frozen, store.written = True, 0
    gc.collect()
    gc.disable()
    started = time.thread_time()
    for op, txn in ops:
        groups.apply_changes(consumer, bucket_key(txn),  # type: ignore[arg-type]
                             {txn["insights_transaction_id"]: txn if op == "upsert" else None})
    elapsed = time.thread_time() - started
    gc.enable()
    return elapsed / len(ops) * 1e6, store.written / len(ops)


def history_cost(history: LabeledHistory, ops: list[tuple[str, dict]]) -> float:
    """The baseline: thread CPU microseconds per event of `TransactionHistory.apply_transaction`
    on the same events, applied one after the other to the consumer's history."""
    store = TransactionHistory(DictStore(), DictStore())
    consumer = {"insights_consumer_id": history.consumer_id}
    offset = 0
    for txn in history.transactions:
        store.apply_transaction({**consumer, **txn}, SourcePosition("bench-0", offset))
        offset += 1
    events = [{**consumer, **txn, **({"deleted": True} if op == "delete" else {})}
              for op, txn in ops]
    gc.collect()
    gc.disable()
    started = time.thread_time()
    for event in events:
        store.apply_transaction(event, SourcePosition("bench-0", offset))
        offset += 1
    elapsed = time.thread_time() - started
    gc.enable()
    return elapsed / len(events) * 1e6


def cost(events: int, rounds: int, seed: int) -> dict[str, Any]:
    histories = {size: consumers_of_size(size, COST_CONSUMERS, seed) for size in SIZES}
    mixes = {size: [event_mix(h, events, seed + i) for i, h in enumerate(hs)]
             for size, hs in histories.items()}
    recurring: dict[int, list[float]] = {size: [] for size in SIZES}
    baseline: dict[int, list[float]] = {size: [] for size in SIZES}
    order = [100, 2000, 2000, 100] * rounds
    for size in order:
        pairs = list(zip(histories[size], mixes[size], strict=True))
        recurring[size].append(statistics.fmean(recurring_cost(h, m) for h, m in pairs))
        baseline[size].append(statistics.fmean(history_cost(h, m) for h, m in pairs))
    figures: dict[str, Any] = {}
    rows = []
    for size in SIZES:
        stored = [len(h.transactions) for h in histories[size]]
        largest = [max(size_of(s) for s in build_states(h.transactions).values())
                   for h in histories[size]]
        per_event = statistics.median(recurring[size])
        base = statistics.median(baseline[size])
        state_bytes = statistics.fmean(written_bytes(h, m) for h, m
                                       in zip(histories[size], mixes[size], strict=True))
        figures[str(size)] = {
            "stored_transactions": stored, "largest_bucket": largest,
            "state_bytes_written_per_event": round(state_bytes),
            "recurring_us_per_event": round(per_event, 1),
            "rounds_us": [round(x, 1) for x in recurring[size]],
            "history_apply_us_per_event": round(base, 1),
            "ratio_to_history_apply": round(per_event / base, 2),
        }
        rows.append([f"~{size}", ", ".join(map(str, stored)), ", ".join(map(str, largest)),
                     f"{per_event:.1f}", f"{base:.1f}", f"{per_event / base:.2f}x",
                     f"{state_bytes:,.0f}"])
    ratio = figures["2000"]["recurring_us_per_event"] / figures["100"]["recurring_us_per_event"]
    figures["ratio_2000_to_100"] = round(ratio, 2)
    print(f"\nPer-event cost: {COST_CONSUMERS} consumers per size, {events} events each, "
          f"{rounds * 2} rounds per size (A B B A), thread CPU time")
    print(table(rows, ["stored", "transactions", "largest bucket", "us/event",
                       "history apply us/event", "ratio", "state bytes written/event"]))
    print(f"per-event cost at ~2,000 / at ~100 stored transactions: {ratio:.2f} (target <= 2)")
    return figures


# --- 3. report latency ---------------------------------------------------------------------


def report_latency(reports: int, seed: int) -> dict[str, Any]:
    histories = consumers_of_size(2000, COST_CONSUMERS, seed)
    figures: dict[str, Any] = {}
    rows = []
    for shape, days in (("62-day default", None), ("400 days", 400)):
        latencies: list[float] = []
        baseline: list[float] = []
        groups = 0
        for history in histories:
            stored, _ = stored_groups(history)
            newest = max(t["booking_date"] for t in history.transactions)
            today = date.fromisoformat(newest)
            accounts = {a: AccountCoverage(a, today - timedelta(days=500), today, None)
                        for a in history.account_ids}
            body: dict[str, Any] = {"insights_consumer_id": history.consumer_id}
            if days is not None:
                body["report_days"] = days
            request = RecurringReportRequest.model_validate(body)
            categorized = CategorizedReportRequest.model_validate(
                {**body, "combine_accounts": "ALL"})
            timeframe = resolve_timeframe(request, today)

            def build(g=stored, c=history.consumer_id, r=request, tf=timeframe, a=accounts,
                      n=newest):
                return build_recurring_reports(r, tf, g.states(c), a, n)

            def build_baseline(h=history, r=categorized, tf=timeframe, a=accounts):
                return build_categorized_reports(r, tf, h.transactions, a)

            data = build()
            RecurringReportResponse.model_validate(data)
            groups += sum(len(i["transaction_groups"]) for i in data["reports"][0]["intervals"])
            latencies += _timed(build, reports // len(histories))
            baseline += _timed(build_baseline, reports // len(histories))
        mine, base = percentiles(latencies), percentiles(baseline)
        figures[shape] = {"recurring_report_ms": mine, "categorized_report_ms": base,
                          "groups_listed": groups}
        rows.append([shape, groups, f"{mine['p50']:.2f} / {mine['p99']:.2f}",
                     f"{base['p50']:.2f} / {base['p99']:.2f}",
                     f"{mine['p50'] / base['p50']:.2f}x / {mine['p99'] / base['p99']:.2f}x"])
    print(f"\nReport build in process: {COST_CONSUMERS} consumers with ~2,000 transactions, "
          f"{reports} builds per shape (read every bucket state from the encoded store + build), collector on")
    print(table(rows, ["timeframe", "groups listed", "recurring p50 / p99 ms",
                       "categorized p50 / p99 ms", "ratio"]))
    return figures


def _timed(fn, n: int) -> list[float]:
    for _ in range(5):
        fn()
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=200, help="labeled consumers")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--events", type=int, default=800, help="events per consumer and round")
    parser.add_argument("--rounds", type=int, default=2, help="A B B A rounds of the cost")
    parser.add_argument("--reports", type=int, default=400, help="report builds per shape")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH")
    args = parser.parse_args(argv)
    log("quality")
    figures: dict[str, Any] = {"quality": quality(args.consumers, args.seed)}
    log("per-event cost")
    figures["per_event_cost"] = cost(args.events, args.rounds, args.seed)
    log("report latency")
    figures["report_latency"] = report_latency(args.reports, args.seed)
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
