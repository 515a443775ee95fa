"""The categorizer (workers/domain/enrichment/engine.py): brands, rules, ordering, version."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workers.domain.enrichment import ENRICHMENT_VERSION, engine, enrich, taxonomy
from workers.domain.enrichment.brands import brand_id
from workers.domain.enrichment.taxonomy import by_key


def txn(reference: str | None = None, type_: str = "DEBIT", currency: str = "EUR",
        holder: str | None = None, method: str | None = None, code: dict | None = None,
        country: str | None = None, **extra: Any) -> dict:
    transaction: dict[str, Any] = {"type": type_, "amount": {"amount": 1599, "currency": currency}}
    if reference is not None:
        transaction["reference"] = reference
    if holder is not None:
        transaction["counter_party"] = {"holder_name": holder}
        if country:
            transaction["counter_party"]["holder_address"] = {"country": country}
    if method is not None:
        transaction["method"] = method
    if code is not None:
        transaction["bank_transaction_code"] = code
    transaction.update(extra)
    return transaction


def keys(result: dict) -> list[str]:
    return [taxonomy.by_id(c["id"]).key for c in result["categories"]]


def brand(result: dict) -> str | None:
    return (result.get("brand") or {}).get("name")


# --------------------------------------------------------------------------- the seed's examples


def test_the_seeds_examples():
    esprit = enrich(txn("transfer to esprit online shop", holder="esprit germany", country="DE",
                        method="UNKNOWN", bank_references={"unstructured": "esprit online  shop"},
                        code={"code": "CCRD", "sub_code": "CreditCardPayment"}))
    assert esprit["categories"][0] == {"id": by_key("shopping/clothes").id, "name": "Clothes"}
    assert esprit["brand"] == {"id": brand_id("Esprit"), "name": "Esprit",
                               "url": "https://www.esprit.com"}
    rewe = enrich(txn("rewe sagt danke", holder="rewe gmbh", method="TRANSFER"))
    assert rewe["categories"][0]["name"] == "Groceries"
    assert rewe["brand"] == {"id": brand_id("Rewe"), "name": "Rewe", "url": "https://www.rewe.de"}


# --------------------------------------------------------------------------- brands


@pytest.mark.parametrize(("reference", "currency", "expected"), [
    ("NETFLIX.COM 866-579-7172 CA", "EUR", "Netflix"),
    ("AMZN Mktp DE*2K4L81", "EUR", "Amazon"),
    ("REWE Markt GmbH Sagt Danke 45123", "EUR", "Rewe"),
    ("REWE45123 KOELN", "EUR", "Rewe"),
    ("MUELLER DROGERIE MUENCHEN", "EUR", "Müller"),
    ("*4921 03.11 NOK 129,00 KIWI 512 MAJORSTUA Kurs: 1.0000", "NOK", "Kiwi"),
    ("UBER *EATS help.uber.com", "EUR", "Uber Eats"),
    ("UBER *TRIP help.uber.com", "EUR", "Uber"),
    ("Disney+ 12345", "EUR", "Disney+"),
])
def test_brands_in_noisy_descriptors(reference, currency, expected):
    assert brand(enrich(txn(reference, currency=currency, method="CARD"))) == expected


@pytest.mark.parametrize(("reference", "currency", "expected"), [
    ("COOP EXTRA STOVNER", "NOK", "Coop Norge"),
    ("COOP KONSUM SOLNA", "SEK", "Coop Sverige"),
    ("COOP 365 AARHUS", "DKK", "Coop Danmark"),
    ("NETTO 1234 ODENSE", "DKK", "Netto"),
    ("NETTO FIL. 1234 BERLIN", "EUR", "Netto Marken-Discount"),
])
def test_shared_names_are_resolved_by_country(reference, currency, expected):
    assert brand(enrich(txn(reference, currency=currency, method="CARD"))) == expected


def test_local_aliases_need_the_brands_country():
    assert brand(enrich(txn("JOKER TORSHOV OSLO", currency="NOK", method="CARD"))) == "Joker"
    assert brand(enrich(txn("LOTTO JOKER 6 aus 49", currency="EUR"))) is None
    # a longer keyword at the same place wins over an ordinary word that is also a brand
    doctor = enrich(txn("PRAXIS DR. WOLF SAGT DANKE 33022", currency="EUR", method="CARD"))
    assert brand(doctor) is None and keys(doctor)[0] == "health/doctors"


def test_the_text_names_the_merchant_better_than_a_parent_company_as_holder():
    result = enrich(txn("BILKA TOGO KOBENHAVN", currency="DKK", holder="Salling Group A/S"))
    assert brand(result) == "Bilka"


# --------------------------------------------------------------------------- intermediaries


def test_the_merchant_behind_an_intermediary_is_the_brand():
    spotify = enrich(txn("PAYPAL *SPOTIFYAB 35314369001",
                         holder="PayPal Europe S.a.r.l. et Cie S.C.A"))
    assert brand(spotify) == "Spotify" and keys(spotify)[0] == "subscriptions/music_streaming"
    zalando = enrich(txn("KLARNA*ZALANDO"))
    assert brand(zalando) == "Zalando" and keys(zalando)[0] == "shopping/clothes"
    assert brand(enrich(txn("GOOGLE *YouTubePremium g.co/helppay#"))) == "YouTube"


def test_an_intermediary_without_a_known_merchant_is_the_brand():
    result = enrich(txn("PAYPAL *KLEINERLADEN 35314369001"))
    assert brand(result) == "PayPal"
    cafe = enrich(txn("SUMUP *SONNECAFE Berlin", method="CARD"))
    assert brand(cafe) == "SumUp" and keys(cafe)[0] == "food/cafes"


def test_wallets_are_never_the_brand():
    result = enrich(txn("BEA, Apple Pay BAKKERIJ DE BOER,PAS052 NR:K9A144PL ROTTERDAM",
                        method="CARD"))
    assert brand(result) is None and keys(result)[0] == "food/cafes"
    assert brand(enrich(txn("BEA, Apple Pay ALBERT HEIJN 1403,PAS052", method="CARD"))) == (
        "Albert Heijn")


def test_payments_to_people_through_vipps():
    result = enrich(txn("Vipps*Emil Johansen", currency="NOK", holder="Emil Johansen",
                        method="TRANSFER"))
    assert brand(result) == "Vipps" and keys(result)[0] == "transfers/people"


# --------------------------------------------------------------------------- keyword rules


@pytest.mark.parametrize(("language", "reference", "type_", "expected"), [
    ("de", "Miete Januar 2025 Whg 12", "DEBIT", "housing/rent"),
    ("de", "Hausratversicherung Beitrag 2025", "DEBIT", "insurance/home"),
    ("de", "Stadtapotheke am Markt", "DEBIT", "health/pharmacy"),
    ("de", "LOHN / GEHALT 01/2025", "CREDIT", "income/salary"),
    ("no", "Husleie februar", "DEBIT", "housing/rent"),
    ("no", "Barnehage mars", "DEBIT", "family/childcare"),
    ("no", "Lønn januar", "CREDIT", "income/salary"),
    ("sv", "Hyra mars", "DEBIT", "housing/rent"),
    ("sv", "Hemförsäkring 2025", "DEBIT", "insurance/home"),
    ("sv", "Skatteåterbäring 2024", "CREDIT", "income/tax_refund"),
    ("da", "Husleje april", "DEBIT", "housing/rent"),
    ("da", "Tandlæge Jensen", "DEBIT", "health/dentist"),
    ("da", "Børne- og ungeydelse Q1", "CREDIT", "income/child_benefit"),
    ("nl", "Huur mei 2025", "DEBIT", "housing/rent"),
    ("nl", "Zorgverzekering premie mei", "DEBIT", "insurance/health"),
    ("nl", "Salaris mei", "CREDIT", "income/salary"),
    ("fr", "LOYER JUIN 2025", "DEBIT", "housing/rent"),
    ("fr", "PHARMACIE DU CENTRE", "DEBIT", "health/pharmacy"),
    ("fr", "ALLOCATIONS FAMILIALES JUIN", "CREDIT", "income/child_benefit"),
    ("en", "RENT JULY FLAT 4", "DEBIT", "housing/rent"),
    ("en", "COUNCIL TAX 12345", "DEBIT", "taxes/property_tax"),
    ("en", "DWP STATE PENSION", "CREDIT", "income/pension"),
])
def test_keywords_per_language(language, reference, type_, expected):
    assert keys(enrich(txn(reference, type_=type_, holder="Firma Beispiel GmbH")))[0] == expected


def test_keywords_respect_the_direction():
    assert keys(enrich(txn("Zinsen 4. Quartal", type_="CREDIT")))[0] == "income/interest_income"
    assert keys(enrich(txn("Zinsen 4. Quartal", type_="DEBIT")))[0] == "fees/interest_charges"
    assert keys(enrich(txn("Finanzamt Erstattung", type_="CREDIT")))[0] == "income/tax_refund"
    assert keys(enrich(txn("Finanzamt Einkommensteuer", type_="DEBIT")))[0] == "taxes/income_tax"


def test_a_keyword_of_the_same_main_category_refines_a_brand():
    result = enrich(txn("KFZ-Versicherung 2025 VS-NR 123",
                        holder="Allianz Versicherungs-AG"))
    assert brand(result) == "Allianz" and keys(result) == ["insurance/car", "insurance"]


# --------------------------------------------------------------------------- bank codes, method


@pytest.mark.parametrize(("code", "type_", "expected"), [
    ({"code": "PMNT-RCDT-SALA"}, "CREDIT", "income/salary"),
    ({"code": "SALA", "sub_code": "SalaryPayment"}, "CREDIT", "income/salary"),
    ({"code": "CWDL", "sub_code": "CashWithdrawal"}, "DEBIT", "cash/atm"),
    ({"code": "ACMT", "sub_code": "CHRG"}, "DEBIT", "fees/bank"),
    ({"code": "INTR"}, "CREDIT", "income/interest_income"),
    ({"code": "INTR"}, "DEBIT", "fees/interest_charges"),
    ({"code": "PMNT", "sub_code": "OWNI"}, "DEBIT", "transfers/own_accounts"),
    ({"code": "DVCA"}, "CREDIT", "income/investment_income"),
    ({"description": "Salary or pension payment received."}, "CREDIT", "income/salary"),
])
def test_bank_transaction_codes(code, type_, expected):
    assert keys(enrich(txn("Ref 123456", type_=type_, code=code)))[0] == expected


def test_a_keyword_refines_a_bank_code_within_its_main_category():
    result = enrich(txn("RV-Rente 01/25", type_="CREDIT", code={"code": "SALA"},
                        holder="Deutsche Rentenversicherung Bund"))
    assert keys(result)[0] == "income/pension"


def test_a_card_code_says_nothing_about_the_category():
    result = enrich(txn("XYZ 4711", code={"code": "PMNT", "sub_code": "CardPayment"}))
    assert keys(result) == ["uncategorized"]


def test_cash_method():
    assert keys(enrich(txn("4711", method="CASH")))[0] == "cash/atm"
    assert keys(enrich(txn("4711", method="CASH", type_="CREDIT")))[0] == "cash/deposits"


def test_payments_between_people():
    assert keys(enrich(txn("Pizza Freitag", holder="Laura Wagner", method="TRANSFER"))) == [
        "transfers/people", "transfers"]
    # what people pay each other for still counts
    assert keys(enrich(txn("Miete Juni", holder="Laura Wagner", method="TRANSFER")))[0] == (
        "housing/rent")
    # a card payment never goes to a person
    assert keys(enrich(txn("Pizza", holder="Laura Wagner", method="CARD")))[0] == (
        "food/fast_food")
    # a company is not a person
    assert keys(enrich(txn("Danke", holder="Wagner Bau GmbH", method="TRANSFER"))) == [
        "uncategorized"]


# --------------------------------------------------------------------------- ordering


def test_categories_are_ordered_primary_then_its_main_category():
    result = enrich(txn("REWE SAGT DANKE"))
    assert keys(result) == ["food/groceries", "food"]
    assert [c["name"] for c in result["categories"]] == ["Groceries", "Food & Drink"]


def test_a_refund_from_a_merchant_keeps_the_merchants_category_second():
    result = enrich(txn("ZALANDO SE Erstattung 4711", type_="CREDIT"))
    assert keys(result) == ["refunds/purchase_refunds", "refunds", "shopping/clothes",
                            "shopping"]
    assert brand(result) == "Zalando"
    plain_credit = enrich(txn("ZALANDO SE 4711", type_="CREDIT"))
    assert keys(plain_credit)[0] == "refunds/purchase_refunds"


def test_a_decisive_keyword_beats_the_brand_category():
    result = enrich(txn("Gehalt 01/2025", type_="CREDIT", holder="Lidl Dienstleistung GmbH"))
    assert keys(result) == ["income/salary", "income"] and brand(result) == "Lidl"


# --------------------------------------------------------------------------- Uncategorized


@pytest.mark.parametrize("transaction", [
    {}, {"type": "DEBIT"}, txn("XQZT 8812 77"), txn(None), txn(""),
    {"reference": 42, "counter_party": "x", "bank_references": ["a"], "amount": None},
])
def test_nothing_applies_gives_uncategorized(transaction):
    result = enrich(transaction)
    assert result == {"categories": [{"id": taxonomy.UNCATEGORIZED.id, "name": "Uncategorized"}]}


def test_not_a_mapping_gives_uncategorized():
    assert keys(enrich(None)) == ["uncategorized"]  # type: ignore[arg-type]


_text = st.one_of(st.none(), st.text(max_size=60),
                  st.sampled_from(["REWE", "PAYPAL *", "Miete", "Lønn", "SALA", "GA NR1",
                                   "Vipps", "netflix.com", "Zinsen", "apple pay"]))
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(reference=_text, holder=_text, type_=st.sampled_from(["DEBIT", "CREDIT", None, "X"]),
       method=st.one_of(st.none(), st.sampled_from(["CARD", "TRANSFER", "CASH", "UNKNOWN"])),
       currency=st.one_of(st.none(), st.sampled_from(["EUR", "NOK", "SEK", "DKK", "GBP", "XX"])),
       code=st.one_of(st.none(), st.dictionaries(st.sampled_from(["code", "sub_code",
                                                                  "description"]), _text)),
       junk=st.dictionaries(st.sampled_from(["bank_references", "counter_party", "amount",
                                             "labels"]), _json, max_size=2))
def test_enrich_never_raises_and_always_gives_valid_categories(reference, holder, type_, method,
                                                               currency, code, junk):
    transaction: dict[str, Any] = {"reference": reference, "type": type_, "method": method,
                                   "amount": {"amount": 1, "currency": currency},
                                   "counter_party": {"holder_name": holder},
                                   "bank_transaction_code": code}
    transaction.update(junk)
    result = enrich(transaction)
    categories = result["categories"]
    assert 1 <= len(categories) <= 4
    first = taxonomy.by_id(categories[0]["id"])
    assert categories[0]["name"] == first.name
    if not first.is_main:  # the primary category is followed by its main category
        assert categories[1]["id"] == by_key(first.main_key).id
    assert len({c["id"] for c in categories}) == len(categories)
    assert set(result) <= {"categories", "brand"}
    if "brand" in result:
        assert set(result["brand"]) == {"id", "name", "url"}


# --------------------------------------------------------------------------- version


def test_the_version_names_the_rules_and_a_digest_of_the_data():
    assert re.fullmatch(rf"{engine.RULES_VERSION}\.[0-9a-f]{{12}}", ENRICHMENT_VERSION)
    assert engine._version() == ENRICHMENT_VERSION


def test_the_version_changes_with_the_brand_data(monkeypatch):
    monkeypatch.setattr(engine, "brand_data", lambda: b"[]")
    assert engine._version() != ENRICHMENT_VERSION


def test_the_version_changes_with_the_keywords(monkeypatch):
    monkeypatch.setitem(engine.rules.KEYWORDS, "housing/rent", (None, 2, {"de": "wohnen"}))
    assert engine._version() != ENRICHMENT_VERSION


# --- the memo the service enriches through -------------------------------------------------

def _eval_transactions() -> list[dict]:
    import orjson

    from workers.sample_data import generate_sample_data

    data = generate_sample_data(consumers=4, months=3, seed=3)
    with open("bench/data/enrichment_eval.jsonl", "rb") as handle:
        labeled = [orjson.loads(line)["transaction"] for line in handle][:1500]
    return data.transactions + labeled


def test_the_caching_enricher_gives_what_enrich_gives():
    from workers.domain.enrichment import CachingEnricher

    transactions = _eval_transactions()
    for size in (300, 100_000):  # 300: the memo is dropped and refilled on the way
        cached = CachingEnricher(size=size)
        for transaction in transactions + transactions:
            assert cached.enrich(transaction) == enrich(transaction)
    assert cached.hits >= len(transactions)  # the second pass


@pytest.mark.parametrize("change", [
    {"amount": {"amount": 1, "currency": "EUR"}}, {"booking_date": "2020-02-02"},
    {"state": "PENDING"}, {"labels": {"k": "v"}}, {"insights_transaction_id": "other"},
    {"insights_account_id": "other"}, {"value_date": "2021-01-01"},
])
def test_fields_outside_the_inputs_do_not_change_the_enrichment(change):
    for transaction in _eval_transactions()[::7]:
        if "amount" in change:
            change = {"amount": {**change["amount"],
                                 "currency": transaction["amount"]["currency"]}}
        changed = {**transaction, **change}
        party = transaction.get("counter_party")
        if isinstance(party, dict):
            changed["counter_party"] = {**party, "iban": "DE02120300000000202051",
                                        "account_number": "1234"}
        assert engine.enrichment_inputs(changed) == engine.enrichment_inputs(transaction)
        assert enrich(changed) == enrich(transaction)
