"""Accuracy and throughput of the categorizer on the labeled evaluation set.

    .venv/bin/python bench/enrichment.py [--data PATH | --seed N] [--rounds N] [--json PATH]

The evaluation set (`bench/data/enrichment_eval.jsonl`, built by
`bench/data/build_enrichment_eval.py` from the ground truth `bench/data/enrichment_merchants.txt`)
holds bank descriptors with the merchant's brand and category. `--seed N` evaluates a freshly
generated set instead (same ground truth, new noise), to show the figures do not depend on the
particular strings of the checked-in file.

Figures:

* brand accuracy - on descriptors whose expected brand is in the brand list: the share whose
  predicted brand is that brand. The expected brand is the merchant's brand when the list has
  it, else the payment intermediary the descriptor goes through when the list has that.
* false-brand rate - on descriptors with no expected brand (local merchants, people, public
  bodies, employers, landlords, brands the list does not have): the share given any brand.
* main-category accuracy - the main category of the first (most significant) category equals
  the expected main category (Uncategorized counts as wrong); subcategory accuracy - on
  descriptors whose expected category is a subcategory, the first category equals it.
* share Uncategorized, and the expected main categories with the lowest accuracy and what they
  were mistaken for.
* throughput - `enrich` over every transaction of the set, `--rounds` passes, best of three
  timed repetitions, in one process on one core; baseline in the same run: only extracting
  and normalizing the texts (`engine.text_words`), the first step of `enrich`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.data.build_enrichment_eval import build  # noqa: E402
from workers.domain.enrichment import ENRICHMENT_VERSION, enrich, taxonomy  # noqa: E402
from workers.domain.enrichment.brands import brand_id, brands, brands_by_id  # noqa: E402
from workers.domain.enrichment.engine import text_words  # noqa: E402

DATA = REPO / "bench" / "data" / "enrichment_eval.jsonl"
TARGETS = {"brand_accuracy": 0.95, "false_brand_rate": 0.01, "main_category_accuracy": 0.90,
           "throughput": 20_000}


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def expected_brand(row: dict) -> str | None:
    """The id the categorizer should give, or None (see the module doc)."""
    listed = brands_by_id()
    for name in (row["expected"]["brand"], row["expected"]["via"]):
        if name and brand_id(name) in listed:
            return brand_id(name)
    return None


def evaluate(rows: list[dict]) -> dict:
    listed_total = listed_hits = unbranded = false_brands = 0
    main_hits = sub_total = sub_hits = uncategorized = 0
    by_main: dict[str, Counter] = defaultdict(Counter)
    brand_misses: Counter = Counter()
    false_brand_examples: list[tuple[str, str]] = []
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        result = enrich(row["transaction"])
        first = taxonomy.by_id(result["categories"][0]["id"])
        predicted_brand = (result.get("brand") or {}).get("id")
        want_brand = expected_brand(row)
        exp = row["expected"]
        kind = by_kind[row["kind"]]
        kind["rows"] += 1
        if want_brand is not None:
            listed_total += 1
            if predicted_brand == want_brand:
                listed_hits += 1
            else:
                got = brands_by_id()[predicted_brand].name if predicted_brand else "-"
                brand_misses[(brands_by_id()[want_brand].name, got)] += 1
        else:
            unbranded += 1
            if predicted_brand is not None:
                false_brands += 1
                false_brand_examples.append((row["transaction"]["reference"],
                                             brands_by_id()[predicted_brand].name))
        main_ok = first.main_key == exp["main"]
        main_hits += main_ok
        kind["main_ok"] += main_ok
        by_main[exp["main"]]["rows"] += 1
        by_main[exp["main"]][("ok" if main_ok else first.main_key)] += 1
        if exp["sub"]:
            sub_total += 1
            sub_hits += first.key == exp["sub"]
        uncategorized += first.key == "uncategorized"
    worst = sorted(by_main.items(), key=lambda kv: kv[1]["ok"] / kv[1]["rows"])[:6]
    return {
        "rows": len(rows),
        "listed_brand_rows": listed_total,
        "brand_accuracy": listed_hits / listed_total,
        "unbranded_rows": unbranded,
        "false_brand_rate": false_brands / unbranded,
        "main_category_accuracy": main_hits / len(rows),
        "sub_rows": sub_total,
        "subcategory_accuracy": sub_hits / sub_total,
        "uncategorized_share": uncategorized / len(rows),
        "main_accuracy_by_kind": {k: c["main_ok"] / c["rows"] for k, c in sorted(by_kind.items())},
        "worst_main_categories": [
            {"main": main, "rows": c["rows"], "accuracy": c["ok"] / c["rows"],
             "mistaken_for": [(k, n) for k, n in c.most_common() if k not in ("ok", "rows")][:3]}
            for main, c in worst],
        "brand_misses": [(f"{want} -> {got}", n) for (want, got), n in brand_misses.most_common(12)],
        "false_brand_examples": false_brand_examples[:12],
    }


def throughput(rows: list[dict], rounds: int) -> dict:
    transactions = [row["transaction"] for row in rows]
    count = len(transactions) * rounds

    def timed(function) -> float:
        best = float("inf")
        for _ in range(3):
            gc.collect()
            started = time.perf_counter()
            for _ in range(rounds):
                for txn in transactions:
                    function(txn)
            best = min(best, time.perf_counter() - started)
        return count / best

    enrich_rate = timed(enrich)
    baseline_rate = timed(text_words)
    return {"transactions": count, "enrich_per_second": enrich_rate,
            "baseline_per_second": baseline_rate, "ratio": enrich_rate / baseline_rate,
            "enrich_us": 1e6 / enrich_rate, "baseline_us": 1e6 / baseline_rate}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seed", type=int, default=None,
                        help="evaluate a freshly generated set with this seed instead of --data")
    parser.add_argument("--rounds", type=int, default=3, help="passes per throughput timing")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH")
    args = parser.parse_args()
    rows = build(args.seed) if args.seed is not None else load(args.data)
    source = f"generated with seed {args.seed}" if args.seed is not None else str(args.data)
    print(f"enrichment {ENRICHMENT_VERSION}: {len(brands())} brands, "
          f"{len(taxonomy.CATEGORIES)} categories; {len(rows)} descriptors ({source})")
    acc = evaluate(rows)
    speed = throughput(rows, args.rounds)

    def mark(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    print(f"brand accuracy (listed brands)    {acc['brand_accuracy']:7.2%}  on "
          f"{acc['listed_brand_rows']:5d}  target >= 95%: {mark(acc['brand_accuracy'] >= 0.95)}")
    print(f"false-brand rate (unbranded)      {acc['false_brand_rate']:7.2%}  on "
          f"{acc['unbranded_rows']:5d}  target <= 1%:  {mark(acc['false_brand_rate'] <= 0.01)}")
    print(f"main-category accuracy            {acc['main_category_accuracy']:7.2%}  on "
          f"{acc['rows']:5d}  target >= 90%: {mark(acc['main_category_accuracy'] >= 0.90)}")
    print(f"subcategory accuracy              {acc['subcategory_accuracy']:7.2%}  on "
          f"{acc['sub_rows']:5d}")
    print(f"share Uncategorized               {acc['uncategorized_share']:7.2%}")
    print("main-category accuracy by kind    " + ", ".join(
        f"{k} {v:.1%}" for k, v in acc["main_accuracy_by_kind"].items()))
    print("worst main categories (expected: accuracy, mistaken for):")
    for entry in acc["worst_main_categories"]:
        mistakes = ", ".join(f"{k} {n}" for k, n in entry["mistaken_for"]) or "-"
        print(f"  {entry['main']:<14} {entry['accuracy']:6.1%} of {entry['rows']:4d}  {mistakes}")
    if acc["brand_misses"]:
        print("most frequent brand misses (expected -> predicted): " + "; ".join(
            f"{k} x{n}" for k, n in acc["brand_misses"][:8]))
    if acc["false_brand_examples"]:
        print("false brands, examples: " + "; ".join(
            f"{ref!r} -> {name}" for ref, name in acc["false_brand_examples"][:6]))
    print(f"throughput: enrich {speed['enrich_per_second']:,.0f} transactions/s "
          f"({speed['enrich_us']:.1f} us each), baseline (extract + normalize texts) "
          f"{speed['baseline_per_second']:,.0f}/s ({speed['baseline_us']:.1f} us): "
          f"ratio {speed['ratio']:.2f}x; target >= 20,000/s: "
          f"{mark(speed['enrich_per_second'] >= 20_000)}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "benchmark": "enrichment", "version": ENRICHMENT_VERSION, "source": source,
            "accuracy": acc, "throughput": speed, "targets": TARGETS,
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "loadavg_at_end": os.getloadavg()},
        }, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
