"""One multi-pattern matcher over normalized words, for brands and keywords alike.

A pattern is a normalized phrase (``rewe sagt danke``). Its last word may end in ``*`` to match
any word that starts with it (``netflix*`` matches ``netflixcom``); a one-word pattern may start
with ``*`` to match any word that ends with it (``*versicherung`` matches
``hausratversicherung``, the way German, Dutch and Scandinavian compounds are built).

All patterns live in one index built once: a dict from each pattern's first word to the
patterns starting with it (longest first), plus dicts of word prefixes and suffixes keyed by
the affix itself. `scan` walks the words of a text once, left to right; at each word it does one
dict lookup (and, only for a long word nothing matched, one lookup per distinct affix length),
so the cost grows with the length of the text, not with the number of patterns.
At each position the longest pattern of each kind wins and the scan continues after it
(leftmost-longest), so ``apple pay`` is found instead of ``apple`` and ``uber eats`` instead of
``uber``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Hit", "PatternIndex"]

P = TypeVar("P")

_DIGITS = "0123456789"
#: Words shorter than this are never matched by prefix or suffix.
_MIN_AFFIX_WORD = 5
#: Affix lookups are remembered per word (city names, store names repeat); the memo is
#: emptied when it reaches this size, so memory stays bounded.
_AFFIX_MEMO_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class Hit(Generic[P]):
    """A pattern found in a text: its payload, kind, first word index and length in words."""

    payload: P
    kind: int
    start: int
    words: int
    weight: int  # characters of the pattern: longer patterns are more specific


@dataclass(frozen=True, slots=True)
class _Entry(Generic[P]):
    rest: tuple[str, ...]  # the words after the first
    prefix_last: bool  # the last word of `rest` is a prefix
    payload: P
    kind: int
    weight: int


class PatternIndex(Generic[P]):
    """An immutable index of patterns; see the module doc for the pattern syntax."""

    def __init__(self, patterns: Iterable[tuple[str, int, P]]) -> None:
        """Index (pattern, kind, payload) triples. Patterns must already be normalized."""
        first: dict[str, list[_Entry[P]]] = {}
        prefix: dict[str, list[_Entry[P]]] = {}
        suffix: dict[str, list[_Entry[P]]] = {}
        seen: set[tuple[str, int, int]] = set()
        for pattern, kind, payload in patterns:
            words = pattern.split()
            if not words or (pattern, kind, id(payload)) in seen:
                continue
            seen.add((pattern, kind, id(payload)))
            weight = len(pattern.replace("*", ""))
            head = words[0]
            if len(words) == 1 and head.startswith("*"):
                entry = _Entry((), False, payload, kind, weight)
                suffix.setdefault(head[1:].rstrip("*"), []).append(entry)
                continue
            if len(words) == 1 and head.endswith("*"):
                head = head[:-1]
                entry = _Entry((), False, payload, kind, weight)
                prefix.setdefault(head, []).append(entry)
                first.setdefault(head, []).append(entry)
                continue
            last_is_prefix = words[-1].endswith("*")
            rest = tuple(w.rstrip("*") for w in words[1:])
            first.setdefault(head, []).append(_Entry(rest, last_is_prefix, payload, kind, weight))

        def frozen(table: dict[str, list[_Entry[P]]]) -> dict[str, tuple[_Entry[P], ...]]:
            return {key: tuple(sorted(entries, key=lambda e: (-len(e.rest), -e.weight)))
                    for key, entries in table.items()}

        self._first = frozen(first)
        self._prefix = frozen(prefix)
        self._suffix = frozen(suffix)
        self._prefix_lengths = tuple(sorted({len(k) for k in prefix}, reverse=True))
        self._suffix_lengths = tuple(sorted({len(k) for k in suffix}, reverse=True))
        self._min_affix = min(self._prefix_lengths + self._suffix_lengths + (99,))
        self._affix_memo: dict[str, tuple[_Entry[P], ...]] = {}
        self.size = sum(len(v) for v in first.values()) + sum(len(v) for v in suffix.values())

    def scan(self, words: list[str]) -> list[Hit[P]]:
        """Every leftmost-longest match in `words`, at most one per kind and position."""
        hits: list[Hit[P]] = []
        first_get = self._first.get
        count = len(words)
        index = 0
        while index < count:
            word = words[index]
            entries = first_get(word)
            if entries is None and word[-1] in _DIGITS:
                stripped = word.rstrip(_DIGITS)  # REWE45123, LIDL0815: a store number glued on
                if len(stripped) >= 3:
                    entries = first_get(stripped)
            step = 1
            if entries is not None:
                kinds = 0
                for entry in entries:
                    if kinds >> entry.kind & 1:
                        continue
                    rest = entry.rest
                    size = len(rest)
                    if size:
                        end = index + 1 + size
                        if end > count:
                            continue
                        if entry.prefix_last:
                            if (words[index + 1:end - 1] != list(rest[:-1])
                                    or not words[end - 1].startswith(rest[-1])):
                                continue
                        elif words[index + 1:end] != list(rest):
                            continue
                    kinds |= 1 << entry.kind
                    hits.append(Hit(entry.payload, entry.kind, index, size + 1, entry.weight))
                    if size + 1 > step:
                        step = size + 1
            elif len(word) >= _MIN_AFFIX_WORD and len(word) > self._min_affix:
                found = self._affix_memo.get(word)
                if found is None:
                    found = self._affixes(word)
                    if len(self._affix_memo) >= _AFFIX_MEMO_SIZE:
                        self._affix_memo.clear()
                    self._affix_memo[word] = found
                for entry in found:
                    hits.append(Hit(entry.payload, entry.kind, index, 1, entry.weight))
            index += step
        return hits

    def _affixes(self, word: str) -> tuple[_Entry[P], ...]:
        """Patterns matching `word` by its longest known prefix, else its longest suffix."""
        if not word[0].isalpha():
            return ()
        length = len(word)
        for size in self._prefix_lengths:
            if size < length:
                entries = self._prefix.get(word[:size])
                if entries is not None:
                    return entries
        for size in self._suffix_lengths:
            if size < length:
                entries = self._suffix.get(word[-size:])
                if entries is not None:
                    return entries
        return ()
