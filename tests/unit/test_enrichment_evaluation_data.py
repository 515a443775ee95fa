"""The checked-in evaluation sets are what their generator builds, and their labels are valid."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.data import build_enrichment_eval as builder
from workers.domain.enrichment import taxonomy

DATA = Path(builder.__file__).resolve().parent
SETS = [("enrichment_eval.jsonl", builder.DEFAULT_SEED, builder.MERCHANTS_FILE),
        ("enrichment_holdout.jsonl", 777, DATA / "enrichment_merchants_holdout.txt")]


@pytest.mark.parametrize(("name", "seed", "merchants"), SETS)
def test_checked_in_sets_equal_freshly_built_ones(name, seed, merchants):
    built = [json.dumps(row, ensure_ascii=False, sort_keys=True)
             for row in builder.build(seed, merchants)]
    checked_in = (DATA / name).read_text(encoding="utf-8").splitlines()
    assert checked_in == built, f"{name} is stale: run bench/data/build_enrichment_eval.py"


def test_the_main_set_is_large_varied_and_validly_labeled():
    rows = [json.loads(line) for line in
            (DATA / "enrichment_eval.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 3000
    assert set(Counter(r["country"] for r in rows)) == {"DE", "NO", "SE", "DK", "NL", "FR", "GB"}
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["local"] >= 300 and kinds["person"] >= 100 and kinds["brand"] >= 2000
    for row in rows:
        expected = row["expected"]
        main = taxonomy.by_key(expected["main"])
        assert main.is_main
        if expected["sub"]:
            assert taxonomy.by_key(expected["sub"]).parent_key == main.key
        assert row["transaction"]["type"] in ("DEBIT", "CREDIT")


def test_the_generator_never_looks_at_the_categorizer():
    source = Path(builder.__file__).read_text(encoding="utf-8")
    assert "workers" not in source.split('"""', 2)[2]
