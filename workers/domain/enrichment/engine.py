"""The categorizer: brand and categories of one transaction, from its own fields only.

`enrich(transaction)` reads `reference`, every text of `bank_references`,
`counter_party.holder_name` (and its address country), `amount.currency`, `type`, `method` and
`bank_transaction_code`, and returns ``{"categories": [...], "brand": {...}}`` (no `brand` key
when none is recognised). It never raises for any mapping and always returns at least one
category.

The brand: every brand pattern found in the texts (one multi-pattern scan, `matcher`) names a
candidate; a pattern shared by several brands is resolved by country (counterparty address,
else currency), and a local alias (an ordinary word elsewhere) needs the brand's country and
loses against a longer keyword starting at the same word. Among merchants (brands that are not
intermediaries) one named in the texts beats one named only by the holder, often the parent
company (``Salling Group`` for ``BILKA``); then the longer pattern wins, then the earlier one.
Without a merchant the brand is the intermediary (PayPal, SumUp, Vipps), except wallets
(Apple Pay, Google Pay), which are never a brand.

The category, in this order (docs/enrichment.md explains each step):

1. A bank transaction code with a meaning for the transaction's direction (salary, pension,
   interest, dividends, tax, fees, cash, transfer between own accounts, return) decides,
   refined to a subcategory of the same main category by a strength-3 keyword.
2. A recognised merchant (a brand that is not an intermediary and whose category is not a
   fallback) gives its category, unless a strength-3 keyword of another main category says
   what the transaction is (salary from a supermarket that employs you, a loan instalment);
   money received from a merchant whose category is spending is a refund (the merchant's
   category follows as a secondary category); a keyword of strength >= 2 of the same main
   category refines it (``Allianz Kfz-Versicherung`` -> Car insurance).
3. The strongest keyword (strength, then length, then position) - except that a payment to or
   from a person (neither card, direct debit nor cash, and a counterparty name of two to four
   plain words without a company form or anything recognised) is a payment to or from people,
   unless a keyword of strength >= 2 names what people pay each other for (rent, child
   support, pocket money, salary, loans, savings, transfers).
4. The category of an intermediary found without a merchant (Vipps, Swish, MobilePay: payments
   to people; PayPal: online shopping), then the fallback category of a bank or money-transfer
   brand, then the method (CASH: ATM withdrawal or cash deposit).
5. Uncategorized.

`categories` lists the primary category first (the most specific that applies: a subcategory
when one is known), then its main category, then a secondary category and its main category
when there is one (the merchant's category of a refund). This first entry is what
`only_main_category` matches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import orjson

from workers.domain.enrichment import rules, taxonomy
from workers.domain.enrichment.brands import Brand, brand_data, brands
from workers.domain.enrichment.matcher import PatternIndex
from workers.domain.enrichment.rules import BANK_CODES, KeywordRule, bank_code_words
from workers.domain.enrichment.text import COMPANY_FORMS, spellings, tokens

__all__ = ["ENRICHMENT_VERSION", "RULES_VERSION", "enrich", "enrichment_inputs", "text_words"]

#: Bump when the decision logic changes; data changes are picked up by the digest.
RULES_VERSION = "1"

_BRAND, _KEYWORD = 0, 1
_MIN_AUTO_PREFIX, _MIN_AUTO_SUFFIX = 4, 4
_DEBIT, _CREDIT = "DEBIT", "CREDIT"
_SEPARATOR = "\x00"  # between fields; normalization never produces it, so no pattern spans it

# Main categories in which money received is natural; elsewhere a credit from a merchant is
# a refund.
_CREDIT_MAINS = frozenset({"income", "refunds", "transfers", "savings", "cash", "loans",
                           "uncategorized"})
_CURRENCY_COUNTRIES: dict[str, frozenset[str]] = {
    "NOK": frozenset({"NO"}), "SEK": frozenset({"SE"}), "DKK": frozenset({"DK"}),
    "GBP": frozenset({"GB"}), "CHF": frozenset({"CH"}), "PLN": frozenset({"PL"}),
    "EUR": frozenset({"DE", "NL", "FR", "AT", "BE", "IE", "IT", "ES", "FI", "PT", "LU", "GR",
                      "SK", "SI", "EE", "LV", "LT", "MT", "CY", "HR"}),
}
# What private persons pay each other for: with a person as counterparty, keywords of these
# main categories still decide; any other keyword (Pizza, Kino, Geschenk) does not.
_PRIVATE_MAINS = frozenset({"housing", "family", "income", "transfers", "loans", "savings"})
# Words that make a counterparty name an organisation, not a person.
_COMPANY_WORDS = COMPANY_FORMS | {"shop", "store", "stores"}


def _pattern_spellings(raw: str) -> set[str]:
    """Normalized spellings of a pattern, keeping its ``*`` affix markers."""
    raw = raw.strip()
    lead = "*" if raw.startswith("*") else ""
    trail = "*" if raw.endswith("*") and len(raw) > 1 else ""
    core = raw[len(lead):len(raw) - len(trail)]
    return {f"{lead}{text}{trail}" for text in spellings(core)}


def _keyword_patterns(phrase: str, rule: KeywordRule) -> set[str]:
    """A keyword's patterns: its spellings, and for a one-word keyword naming a kind of shop
    or service also the word as prefix and suffix of a longer word, because small merchants'
    names are glued together by terminals (``SUMUP *SONNECAFE``, ``HAUSARZTPRAXISWEBER``)."""
    patterns = _pattern_spellings(phrase)
    if " " in phrase or "*" in phrase or rule.strength > 2:
        return patterns
    # Words of strength 2 (dyreklinikk, tandlæge, camping) must be longer to be used this way.
    extra = 0 if rule.strength == 1 else 2
    for text in list(patterns):
        if len(text) >= _MIN_AUTO_PREFIX + extra:
            patterns.add(f"{text}*")
        if len(text) >= _MIN_AUTO_SUFFIX + extra:
            patterns.add(f"*{text}")
    return patterns


def _build_index() -> PatternIndex[tuple]:
    brand_patterns: dict[str, list[tuple[Brand, bool]]] = {}
    for brand in brands():
        for raw, local in ([(a, False) for a in brand.aliases + brand.patterns]
                           + [(a, True) for a in brand.local_aliases]):
            for pattern in _pattern_spellings(raw):
                entries = brand_patterns.setdefault(pattern, [])
                if all(b is not brand for b, _ in entries):
                    entries.append((brand, local))
    keyword_patterns: dict[str, list[KeywordRule]] = {}
    for phrase, rule in rules.keyword_rules():
        for pattern in _keyword_patterns(phrase, rule):
            entries = keyword_patterns.setdefault(pattern, [])
            if rule not in entries:
                entries.append(rule)
    triples: list[tuple[str, int, tuple]] = []
    triples += [(p, _BRAND, tuple(c)) for p, c in brand_patterns.items()]
    triples += [(p, _KEYWORD, tuple(r)) for p, r in keyword_patterns.items()]
    return PatternIndex(triples)


def _version() -> str:
    digest = hashlib.sha256()
    digest.update(brand_data())
    digest.update(json.dumps(rules.KEYWORDS, sort_keys=True, ensure_ascii=False).encode())
    digest.update(json.dumps(BANK_CODES, sort_keys=True).encode())
    digest.update(json.dumps(taxonomy.category_list_document(), sort_keys=True).encode())
    return f"{RULES_VERSION}.{digest.hexdigest()[:12]}"


_INDEX = _build_index()
#: Changes whenever the brand list, the keywords, the bank codes, the Category List or the
#: decision logic (`RULES_VERSION`) change: stored enrichments of another version are stale.
ENRICHMENT_VERSION: str = _version()

_CATEGORY = {c.key: c for c in taxonomy.CATEGORIES}
_CATEGORY_BY_ID = {c.id: c for c in taxonomy.CATEGORIES}
_UNCATEGORIZED_ID = taxonomy.UNCATEGORIZED.id


def text_words(transaction: Mapping[str, Any]) -> tuple[list[str], int]:
    """The words of the transaction's texts, fields separated, and how many the holder has.

    Order: `counter_party.holder_name`, `reference`, then the strings of `bank_references`;
    a text equal (after normalization) to an earlier one is skipped.
    """
    words: list[str] = []
    seen: list[str] = []
    holder_words = 0
    counter_party = transaction.get("counter_party")
    if type(counter_party) is dict or isinstance(counter_party, Mapping):
        holder = counter_party.get("holder_name")
        if isinstance(holder, str):
            words = tokens(holder)
            holder_words = len(words)
            if words:
                seen.append(" ".join(words))
    texts: list[Any] = [transaction.get("reference")]
    references = transaction.get("bank_references")
    if type(references) is dict or isinstance(references, Mapping):
        texts.extend(references.values())
    for text in texts:
        if not isinstance(text, str) or not text:
            continue
        found = tokens(text)
        if not found:
            continue
        joined = " ".join(found)
        if joined in seen:
            continue
        seen.append(joined)
        if words:
            words.append(_SEPARATOR)
        words.extend(found)
    return words, holder_words


def _countries(transaction: Mapping[str, Any]) -> frozenset[str]:
    counter_party = transaction.get("counter_party")
    if type(counter_party) is dict or isinstance(counter_party, Mapping):
        address = counter_party.get("holder_address")
        if type(address) is dict or isinstance(address, Mapping):
            country = address.get("country")
            if isinstance(country, str) and len(country) == 2:
                return frozenset({country.upper()})
    amount = transaction.get("amount")
    if type(amount) is dict or isinstance(amount, Mapping):
        currency = amount.get("currency")
        if isinstance(currency, str):
            return _CURRENCY_COUNTRIES.get(currency.upper(), frozenset())
    return frozenset()


def _pick_brand(candidates: tuple, countries: frozenset[str]) -> tuple[Brand, bool] | None:
    """(brand, found by a local alias) of the candidate of a pattern that fits the transaction's
    country best; None when only local aliases of other countries match."""
    best, best_score = None, -1
    for brand, local in candidates:
        home = brand.countries
        if countries and home & countries:
            return brand, local
        if local:
            continue  # a local alias needs a country match
        score = 1 if not home else 0
        if score > best_score:
            best, best_score = (brand, local), score
    return best


def _looks_like_person(words: list[str], holder_words: int, hits: list) -> bool:
    """A counterparty name of 2-4 plain words, no company form, nothing recognised in it."""
    if not 2 <= holder_words <= 4:
        return False
    for word in words[:holder_words]:
        if len(word) < 2 or not word.isalpha() or word in _COMPANY_WORDS:
            return False
    return all(hit.start >= holder_words for hit in hits)


def _refine(category_key: str, keywords: list[tuple[int, int, int, KeywordRule]],
            min_strength: int) -> str:
    """`category_key`, or a keyword's subcategory of the same main category."""
    main = _CATEGORY[category_key].main_key
    for strength, _weight, _start, rule in keywords:
        if strength < min_strength:
            break
        target = _CATEGORY[rule.category]
        if target.main_key == main and not target.is_main and rule.category != category_key:
            return rule.category
    return category_key


def _decide(transaction: Mapping[str, Any]) -> tuple[str | None, str | None, Brand | None]:
    """(primary category key, secondary category key, brand) of a transaction."""
    kind = transaction.get("type")
    direction = kind if kind in (_DEBIT, _CREDIT) else None
    words, holder_words = text_words(transaction)
    hits = _INDEX.scan(words) if words else []
    countries = _countries(transaction)

    keywords: list[tuple[int, int, int, KeywordRule]] = []
    keyword_reach: dict[int, int] = {}  # start -> words of the longest keyword there
    for hit in hits:
        if hit.kind == _KEYWORD:
            keyword_reach[hit.start] = max(keyword_reach.get(hit.start, 0), hit.words)
            for rule in hit.payload:
                if rule.direction is None or rule.direction == direction:
                    keywords.append((rule.strength, hit.weight, -hit.start, rule))
    keywords.sort(key=lambda k: (k[0], k[1], k[2]), reverse=True)
    best = keywords[0] if keywords else None

    merchant: Brand | None = None
    merchant_rank: tuple = ()
    intermediary: Brand | None = None
    intermediary_rank: tuple = ()
    for hit in hits:
        if hit.kind != _BRAND:
            continue
        picked = _pick_brand(hit.payload, countries)
        if picked is None:
            continue
        found, local = picked
        if local and keyword_reach.get(hit.start, 0) > hit.words:
            continue  # "Praxis Dr. Wolf" is a doctor's practice, not the Praxis DIY chain
        # Texts name the merchant more precisely than the holder, often a parent company.
        rank = (hit.start >= holder_words, hit.weight, -hit.start)
        if found.intermediary:
            if not found.wallet and rank > intermediary_rank:
                intermediary, intermediary_rank = found, rank
        elif rank > merchant_rank:
            merchant, merchant_rank = found, rank
    brand = merchant or intermediary

    # 1. bank transaction code
    code = transaction.get("bank_transaction_code")
    code_words: list[str] = []
    if type(code) is dict or isinstance(code, Mapping):
        code_words = bank_code_words(code.get("code"), code.get("sub_code"),
                                     code.get("description"))
        if direction is not None:
            column = 0 if direction == _DEBIT else 1
            for word in code_words:
                meaning = BANK_CODES.get(word)
                if meaning is not None and meaning[column] is not None:
                    return _refine(meaning[column], keywords, 3), None, brand
    # 2. merchant
    if merchant is not None and not merchant.category_is_fallback:
        own = _CATEGORY_BY_ID[merchant.category_id]
        if own.id != _UNCATEGORIZED_ID:
            if (best is not None and best[0] >= 3
                    and _CATEGORY[best[3].category].main_key != own.main_key):
                secondary = own.key if best[3].category.startswith("refunds/") else None
                return best[3].category, secondary, merchant
            if direction == _CREDIT and own.main_key not in _CREDIT_MAINS:
                refund = ("refunds/insurance_payouts" if own.main_key == "insurance"
                          else "refunds/purchase_refunds")
                return refund, own.key, merchant
            return _refine(own.key, keywords, 2), None, merchant
    # 3. keywords and the person rule
    person = (rules.could_be_between_people(transaction.get("method"), code_words)
              and _looks_like_person(words, holder_words, hits))
    if best is not None and (not person or (
            best[0] >= 2 and best[3].category.partition("/")[0] in _PRIVATE_MAINS)):
        return best[3].category, None, brand
    if person:
        return "transfers/people", None, brand
    # 4. intermediary, fallback brand, method
    for candidate in (intermediary, merchant):
        if candidate is not None and candidate.category_id != _UNCATEGORIZED_ID:
            return _CATEGORY_BY_ID[candidate.category_id].key, None, brand
    method = transaction.get("method")
    if isinstance(method, str) and method.upper() in ("CASH", "ATM"):
        return ("cash/deposits" if direction == _CREDIT else "cash/atm"), None, brand
    # 5. nothing applies
    return None, None, brand


def _entries(key: str, out: list[dict[str, str]], seen: set[str]) -> None:
    category = _CATEGORY[key]
    for entry in (category, _CATEGORY[category.parent_key] if category.parent_key else None):
        if entry is not None and entry.id not in seen:
            seen.add(entry.id)
            out.append({"id": entry.id, "name": entry.name})


def _field(value: Any, name: str) -> Any:
    return value.get(name) if type(value) is dict or isinstance(value, Mapping) else None


def enrichment_inputs(transaction: Mapping[str, Any]) -> bytes | None:
    """Every field `enrich` reads, as one key: two transactions with the same key get the same
    enrichment (amounts, dates, states, labels, IBANs and ids do not count). None when a field
    cannot be encoded (`enrich` still handles such input)."""
    if not (type(transaction) is dict or isinstance(transaction, Mapping)):
        return None
    party = transaction.get("counter_party")
    references = transaction.get("bank_references")
    if type(references) is dict or isinstance(references, Mapping):
        references = list(references.items())
    code = transaction.get("bank_transaction_code")
    try:
        return orjson.dumps([
            transaction.get("type"), transaction.get("method"), transaction.get("reference"),
            references, _field(party, "holder_name"),
            _field(_field(party, "holder_address"), "country"),
            _field(transaction.get("amount"), "currency"),
            [_field(code, "code"), _field(code, "sub_code"), _field(code, "description")],
        ])
    except (TypeError, orjson.JSONEncodeError):
        return None


def enrich(transaction: Mapping[str, Any]) -> dict[str, Any]:
    """Categories and brand of one transaction in the CategorizedTransaction shape.

    Returns ``{"categories": [{"id", "name"}, ...], "brand": {"id", "name", "url"}}``; the
    `brand` key is absent when no brand is recognised. See the module doc for the rules.
    """
    if not (type(transaction) is dict or isinstance(transaction, Mapping)):
        transaction = {}
    primary, secondary, brand = _decide(transaction)
    categories: list[dict[str, str]] = []
    seen: set[str] = set()
    _entries(primary or "uncategorized", categories, seen)
    if secondary is not None:
        _entries(secondary, categories, seen)
    result: dict[str, Any] = {"categories": categories}
    if brand is not None:
        result["brand"] = brand.as_report_brand()
    return result
