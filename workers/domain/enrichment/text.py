"""Text normalization shared by brand matching, keyword rules and counterparty keys.

`normalize` turns what banks print into lowercase ASCII words separated by single spaces:
case is folded, diacritics are dropped (``ü`` -> ``u``, ``ø`` -> ``o``, ``æ`` -> ``ae``,
``ß`` -> ``ss``), every character that is neither a letter nor a digit becomes a space, and
``+`` becomes the word ``plus`` (``Disney+`` and ``DISNEY PLUS`` are the same). Banks spell
umlauts both ways (``MÜLLER``, ``MUELLER``), so patterns are indexed in both spellings
(`spellings`), never the text. Characters outside Latin scripts are kept as they are.
"""

from __future__ import annotations

import unicodedata

__all__ = ["COMPANY_FORMS", "name_key", "normalize", "spellings", "tokens"]

#: Normalized legal forms and other words that mark the name of an organisation, not a person
#: (``GmbH``, ``A/S`` -> ``a s``, ``B.V.``, ``Ltd``, ``Stiftung``, ``kommune`` ...).
COMPANY_FORMS = frozenset({
    "gmbh", "ag", "kg", "ohg", "gbr", "ug", "mbh", "ev", "eg", "se", "kgaa", "stiftung",
    "verein", "as", "asa", "ab", "aps", "ans", "da", "ba", "hb", "kb", "oy", "oyj", "bv", "nv",
    "vof", "cv", "stichting", "sa", "sas", "sasu", "sarl", "eurl", "sci", "cie", "ltd",
    "limited", "plc", "llp", "inc", "llc", "corp", "co", "company", "group", "gruppe",
    "holding", "holdings", "foundation", "services", "service", "handel", "forening",
    "foreningen", "fonds", "bank", "kommune", "kommun", "gemeente", "stadt", "amt", "kasse",
})

# Letters whose decomposition does not give an ASCII base letter.
_SPECIAL = {
    "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe",
    "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
    "ı": "i", "+": " plus ",
}
# German and Scandinavian transliterations banks also print (ä -> ae, å -> aa, ø -> oe).
_EXPANDED = {"ä": "ae", "ö": "oe", "ü": "ue", "å": "aa", "ø": "oe", "æ": "ae"}


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    ranges = (range(0x0000, 0x0250), range(0x1E00, 0x1F00), range(0x2000, 0x2070),
              range(0x20A0, 0x20C1), range(0x3000, 0x3004), range(0xFF01, 0xFF5F))
    for block in ranges:
        for code in block:
            char = chr(code)
            if char in _SPECIAL:
                table[code] = _SPECIAL[char]
                continue
            if "0" <= char <= "9" or "a" <= char <= "z":
                continue  # unchanged: leaving them out of the table keeps translate fast
            base = unicodedata.normalize("NFKD", char)
            base = "".join(c for c in base if not unicodedata.combining(c)).lower()
            if base.isascii() and base.isalnum():
                table[code] = base
            else:
                table[code] = " "
    return table


_TABLE = _build_table()


def normalize(text: str) -> str:
    """Lowercase ASCII words of `text` separated by single spaces (see the module doc)."""
    return " ".join(text.translate(_TABLE).split())


def tokens(text: str) -> list[str]:
    """The words of `normalize(text)`."""
    return text.translate(_TABLE).split()


def spellings(text: str) -> set[str]:
    """`normalize(text)` plus the spelling with umlauts transliterated (``müller``, ``mueller``)."""
    lowered = text.lower()
    variants = {normalize(text)}
    if any(char in lowered for char in _EXPANDED):
        variants.add(normalize("".join(_EXPANDED.get(char, char) for char in lowered)))
    variants.discard("")
    return variants


def name_key(name: str) -> str:
    """The key a brand id is derived from: `normalize(name)` without spaces (``mcdonalds``)."""
    return normalize(name.replace("+", " plus ")).replace(" ", "")
