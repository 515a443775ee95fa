"""Normalization (text.py), the multi-pattern matcher (matcher.py) and the brand data."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.domain.enrichment import brands as brand_module
from workers.domain.enrichment.brands import brand_id, brands, brands_by_id, parse_brands
from workers.domain.enrichment.matcher import PatternIndex
from workers.domain.enrichment.taxonomy import by_id, is_category_id
from workers.domain.enrichment.text import name_key, normalize, spellings, tokens

# --------------------------------------------------------------------------- normalization


@pytest.mark.parametrize(("raw", "normalized"), [
    ("REWE Markt GmbH Sagt Danke 45123", "rewe markt gmbh sagt danke 45123"),
    ("AMZN Mktp DE*2K4L81", "amzn mktp de 2k4l81"),
    ("NETFLIX.COM 866-579-7172 CA", "netflix com 866 579 7172 ca"),
    ("PAYPAL *SPOTIFY", "paypal spotify"),
    ("Disney+", "disney plus"),
    ("Müller  Straße", "muller strasse"),
    ("ØRESUNDSBRON Ærø Åhléns", "oresundsbron aero ahlens"),
    ("Café—Crème’s", "cafe creme s"),
    ("\t\n  ", ""),
])
def test_normalize(raw, normalized):
    assert normalize(raw) == normalized
    assert tokens(raw) == normalized.split()


def test_spellings_cover_both_transliterations():
    assert spellings("Müller Drogerie") == {"muller drogerie", "mueller drogerie"}
    assert spellings("Føtex") == {"fotex", "foetex"}
    assert spellings("Lidl") == {"lidl"}


def test_name_key_drops_spaces_and_punctuation():
    assert name_key("McDonald's") == name_key("MCDONALDS") == "mcdonalds"
    assert name_key("Disney+") == "disneyplus"


@given(st.text(max_size=200))
def test_normalize_is_idempotent_and_collapses_whitespace(text):
    once = normalize(text)
    assert normalize(once) == once
    assert "  " not in once and once == once.strip()


# --------------------------------------------------------------------------- matcher

BRAND, KEYWORD = 0, 1


def _index(*patterns):
    return PatternIndex([(p, kind, name) for p, kind, name in patterns])


def _found(index, text):
    return [(hit.payload, hit.start, hit.words) for hit in index.scan(text.split())]


def test_exact_and_multi_word_patterns_leftmost_longest():
    index = _index(("apple", BRAND, "Apple"), ("apple pay", BRAND, "Apple Pay"),
                   ("rewe", BRAND, "Rewe"), ("uber", BRAND, "Uber"),
                   ("uber eats", BRAND, "Uber Eats"))
    assert _found(index, "apple pay rewe koeln") == [("Apple Pay", 0, 2), ("Rewe", 2, 1)]
    assert _found(index, "apple com bill") == [("Apple", 0, 1)]
    assert _found(index, "uber eats amsterdam") == [("Uber Eats", 0, 2)]
    assert _found(index, "xuber rewex") == []


def test_one_hit_per_kind_and_position():
    index = _index(("shell", BRAND, "Shell"), ("shell", KEYWORD, "fuel"),
                   ("tankstelle", KEYWORD, "fuel-word"))
    assert sorted(_found(index, "shell tankstelle")) == [
        ("Shell", 0, 1), ("fuel", 0, 1), ("fuel-word", 1, 1)]


def test_prefix_and_suffix_patterns():
    index = _index(("netflix*", BRAND, "Netflix"), ("*versicherung", KEYWORD, "insurance"),
                   ("ga nr*", KEYWORD, "atm"))
    assert _found(index, "netflixcom") == [("Netflix", 0, 1)]
    assert _found(index, "netflix") == [("Netflix", 0, 1)]
    assert _found(index, "hausratversicherung 2025") == [("insurance", 0, 1)]
    assert _found(index, "ga nr12345678 blz") == [("atm", 0, 2)]
    assert _found(index, "versicherung") == []  # a suffix pattern needs a longer word


def test_store_numbers_glued_to_a_name():
    index = _index(("rewe", BRAND, "Rewe"))
    assert _found(index, "rewe45123 berlin") == [("Rewe", 0, 1)]
    assert _found(index, "45123") == []


def test_no_pattern_spans_the_field_separator():
    index = _index(("rewe markt", BRAND, "Rewe"))
    assert _found(index, "rewe \x00 markt") == []


# --------------------------------------------------------------------------- brand data


def test_the_brand_list_is_large_and_consistent():
    listed = brands()
    assert len(listed) >= 400
    assert len(brands_by_id()) == len(listed)
    for brand in listed:
        assert brand.id == brand_id(brand.name)
        assert is_category_id(brand.category_id)
        assert brand.url.startswith("https://")
        assert brand.aliases or brand.local_aliases or brand.patterns
    countries = set().union(*(b.countries for b in listed))
    assert {"DE", "NO", "SE", "DK", "NL", "FR", "GB"} <= countries
    assert sum(1 for b in listed if not b.countries) >= 50  # global brands


def test_payment_intermediaries_are_flagged():
    by_name = {b.name: b for b in brands()}
    for name in ("PayPal", "Klarna", "SumUp", "Stripe", "Square", "Google Pay", "Apple Pay",
                 "Vipps", "MobilePay", "Swish"):
        assert by_name[name].intermediary, name
    assert by_name["Apple Pay"].wallet and by_name["Google Pay"].wallet
    assert not by_name["PayPal"].wallet
    assert not by_name["Rewe"].intermediary


def test_seed_brands_have_their_seed_category():
    by_name = {b.name: b for b in brands()}
    assert by_id(by_name["Esprit"].category_id).name == "Clothes"
    assert by_id(by_name["Rewe"].category_id).name == "Groceries"
    assert by_name["Rewe"].url == "https://www.rewe.de"


def test_brand_ids_are_stable():
    assert brand_id("Rewe") == "632e60a5-072d-5dc1-b1df-c16353e97f19"
    assert brand_id("REWE") == brand_id("Rewe")
    assert str(brand_module.BRAND_NAMESPACE) == "7c2f4b8e-1d5a-5e3b-9f60-4a8d2c1e6b93"


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r.update(id="00000000-0000-0000-0000-000000000000"), "id must be"),
    (lambda r: r.update(category_id="nope"), "not in the Category List"),
    (lambda r: r.update(aliases=[], patterns=[]), "at least one alias"),
    (lambda r: r.update(name=" "), "name is missing"),
])
def test_bad_brand_records_are_refused_with_the_reason(change, message):
    record = json.loads(json.dumps(next(r for r in json.loads(brand_module.brand_data())
                                        if r["name"] == "Rewe")))
    change(record)
    with pytest.raises(ValueError, match=message):
        parse_brands([record])


def test_two_brands_with_the_same_normalized_name_are_refused():
    record = next(r for r in json.loads(brand_module.brand_data()) if r["name"] == "Rewe")
    with pytest.raises(ValueError, match="same normalized name"):
        parse_brands([record, dict(record)])
