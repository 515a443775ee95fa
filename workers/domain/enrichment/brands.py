"""The curated brand list (`data/brands.json`) and its records.

One JSON object per brand (see docs/enrichment.md for the format):

``id``
    ``uuid5(BRAND_NAMESPACE, name_key(name))``: the name with case, diacritics, spaces and
    punctuation removed (``McDonald's`` -> ``mcdonalds``), so an id survives rewording the
    name's spelling but not renaming the brand.
``name``, ``url``
    What reports show.
``category_id`` (and ``category``, its key path, for readers of the file)
    The category of what the brand sells; the default category of its transactions.
``countries``
    ISO codes of the countries the brand is present in; empty for brands present everywhere.
``aliases``
    Names the brand goes by, legal names included (``rewe markt gmbh``).
``local_aliases``
    Names that are also ordinary words or first names elsewhere (``joker``, ``plus``): they
    count only for transactions of one of the brand's `countries` (from the counterparty's
    address, else the currency).
``patterns``
    Fragments of descriptors as banks print them (``rewe sagt danke``, ``amzn mktp``); a
    trailing ``*`` on the last word matches a word that starts with it (``netflix*`` matches
    ``NETFLIXCOM``).
``intermediary`` (optional, default false)
    Payment services (PayPal, Klarna, SumUp, Vipps ...): the brand of a transaction only when
    its descriptor names no other brand.
``wallet`` (optional, default false)
    Intermediaries that only tokenize a card (Apple Pay, Google Pay): never a brand; the
    merchant is the brand when it is known, else there is none.
``category_is_fallback`` (optional, default false)
    Banks and money-transfer services: their category applies only when no keyword or bank
    transaction code gives one (a payment to a bank may be a fee, a loan instalment, savings).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from uuid import UUID, uuid5

from workers.domain.enrichment.taxonomy import by_id
from workers.domain.enrichment.text import name_key

__all__ = ["BRANDS_FILE", "BRAND_NAMESPACE", "Brand", "brand_id", "brands", "brands_by_id"]

#: Namespace of every brand id. Never change it: every id would change with it.
BRAND_NAMESPACE = UUID("7c2f4b8e-1d5a-5e3b-9f60-4a8d2c1e6b93")
#: The brand data file shipped with the package.
BRANDS_FILE = Path(__file__).resolve().parent / "data" / "brands.json"


def brand_id(name: str) -> str:
    """The id of the brand called `name` (see the module doc)."""
    return str(uuid5(BRAND_NAMESPACE, name_key(name)))


@dataclass(frozen=True, slots=True)
class Brand:
    """One brand of the brand list."""

    id: str
    name: str
    url: str
    category_id: str
    countries: frozenset[str]
    aliases: tuple[str, ...]
    local_aliases: tuple[str, ...]
    patterns: tuple[str, ...]
    intermediary: bool
    wallet: bool
    category_is_fallback: bool

    def as_report_brand(self) -> dict[str, str]:
        """The `brand` object of a CategorizedTransaction."""
        return {"id": self.id, "name": self.name, "url": self.url}


def parse_brands(records: list[dict]) -> tuple[Brand, ...]:
    """Brands from the JSON records; ValueError naming the record for any inconsistency."""
    brands: list[Brand] = []
    ids: set[str] = set()
    for number, record in enumerate(records):
        name = record.get("name")
        where = f"brand #{number} ({name!r})"
        if not isinstance(name, str) or not name_key(name):
            raise ValueError(f"{where}: name is missing")
        expected = brand_id(name)
        if record.get("id") != expected:
            raise ValueError(f"{where}: id must be {expected}")
        if expected in ids:
            raise ValueError(f"{where}: a brand with the same normalized name exists")
        ids.add(expected)
        try:
            category = by_id(record["category_id"])
        except KeyError:
            raise ValueError(f"{where}: category_id is not in the Category List") from None
        if record.get("category", category.key) != category.key:
            raise ValueError(f"{where}: category must be {category.key}")
        aliases = tuple(record.get("aliases", ()))
        local = tuple(record.get("local_aliases", ()))
        patterns = tuple(record.get("patterns", ()))
        if not (aliases or local or patterns):
            raise ValueError(f"{where}: needs at least one alias or pattern")
        brands.append(Brand(
            id=expected, name=name, url=str(record.get("url", "")),
            category_id=category.id, countries=frozenset(record.get("countries", ())),
            aliases=aliases, local_aliases=local, patterns=patterns,
            intermediary=bool(record.get("intermediary", False)),
            wallet=bool(record.get("wallet", False)),
            category_is_fallback=bool(record.get("category_is_fallback", False)),
        ))
    return tuple(brands)


@cache
def brand_data() -> bytes:
    """The bytes of the brand data file (part of the enrichment version)."""
    return BRANDS_FILE.read_bytes()


@cache
def brands() -> tuple[Brand, ...]:
    """Every brand of the shipped brand list, in file order."""
    return parse_brands(json.loads(brand_data()))


@cache
def brands_by_id() -> Mapping[str, Brand]:
    """Brand id -> brand."""
    return MappingProxyType({brand.id: brand for brand in brands()})
