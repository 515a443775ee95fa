"""The Category List (workers/domain/enrichment/taxonomy.py) and `insights categories`."""

from __future__ import annotations

from uuid import uuid5

from schemas import export
from workers import cli
from workers.domain.enrichment import taxonomy
from workers.domain.enrichment.taxonomy import CATEGORIES, CATEGORY_NAMESPACE, by_id, by_key

# Pinned: these ids are in clients' stored filters; they must never change.
PINNED = {
    "shopping/clothes": "04a3b981-f2a4-5b8e-aadf-bb52f275f36f",
    "food/groceries": "4e9289f1-861d-53b7-9e2b-89cb72ef2db8",
    "income/salary": "3f0c2947-1afb-505b-9daf-10c6a5428f11",
    "subscriptions/tv_streaming": "8684847e-0c17-560b-89f1-2050d9b860d3",
    "telecom/mobile": "e25a941e-ca12-571a-b6ef-0fa10742a45a",
    "uncategorized": "72056cac-a3f3-5f7e-b056-0d543dc56364",
    "income": "e728b181-4547-5141-b4e8-e2ba699454c3",
}


def test_pinned_ids_never_change():
    assert {key: by_key(key).id for key in PINNED} == PINNED
    assert str(CATEGORY_NAMESPACE) == "0b7d5e2c-3f9a-5c1e-8d4b-6a2f1e9c7b30"


def test_ids_are_uuid5_of_the_key_path_and_unique():
    assert all(c.id == str(uuid5(CATEGORY_NAMESPACE, c.key)) for c in CATEGORIES)
    assert len({c.id for c in CATEGORIES}) == len(CATEGORIES)
    assert len({c.key for c in CATEGORIES}) == len(CATEGORIES)


def test_size_and_shape():
    mains = taxonomy.main_categories()
    subs = [c for c in CATEGORIES if not c.is_main]
    assert 15 <= len(mains) <= 25
    assert len(subs) >= 80
    main_keys = {m.key for m in mains}
    assert all(s.parent_key in main_keys and s.key.startswith(f"{s.parent_key}/") for s in subs)
    # each main category is followed by its own subcategories
    current = None
    for category in CATEGORIES:
        if category.is_main:
            current = category.key
        else:
            assert category.parent_key == current


def test_contains_the_seed_names_exactly_and_uncategorized():
    names = {c.name for c in CATEGORIES}
    for name in ("Clothes", "Groceries", "Salary & Wages & Paycheck",
                 "TV streaming subscriptions", "Mobile Phone"):
        assert name in names
    assert taxonomy.UNCATEGORIZED.name == "Uncategorized" and taxonomy.UNCATEGORIZED.is_main


def test_every_category_has_english_and_norwegian_names():
    for category in CATEGORIES:
        assert category.name.strip() and category.name_no.strip()
    for main in taxonomy.main_categories():
        subs = [c.name for c in CATEGORIES if c.parent_key == main.key]
        assert len(subs) == len(set(subs))


def test_lookups():
    clothes = by_key("shopping/clothes")
    assert by_id(clothes.id) is clothes and clothes.main_key == "shopping"
    assert taxonomy.is_category_id(clothes.id)
    assert not taxonomy.is_category_id("shopping/clothes")
    assert not taxonomy.is_category_id(None)


def test_cli_json_is_schemas_categories_json(capsys):
    assert cli.main(["categories", "--json"]) == 0
    printed = capsys.readouterr().out
    assert printed == (export.PACKAGE_DIR / export.CATEGORIES_FILE).read_text(encoding="utf-8")


def test_cli_text_lists_every_category(capsys):
    assert cli.main(["categories"]) == 0
    lines = capsys.readouterr().out.splitlines()
    mains = len(taxonomy.main_categories())
    assert f"{mains} main categories, {len(CATEGORIES) - mains} subcategories" in lines[0]
    assert len(lines) == len(CATEGORIES) + 1
    for line, category in zip(lines[1:], CATEGORIES, strict=True):
        assert line.startswith(category.id)
        assert category.name in line and category.name_no in line
