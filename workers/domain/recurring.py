"""Recurring-payment detection: which occurrences of one bucket form series, and how often.

Pure functions over plain values, no Faust. The input is one *bucket*: the transactions a
consumer has with one counterparty in one direction and one currency (the bucket is chosen by
`workers.domain.recurring_state.bucket_key`), as `(id, ISO date, amount)` tuples. The output
is the list of series in it, each with its interval, member ids, predicted next date and a
confidence. docs/recurring.md explains the algorithm; the thresholds are the constants below.

How a bucket is read
  * A quiet bucket (at most `BUSY_ITEMS` occurrences: rent, salary, a subscription, a bill):
    the whole bucket is fitted; an accepted series is taken out and the rest is fitted again
    ("peeling"), so a bucket can hold several series (two plans at one merchant, an
    insurer's two policies). What is left is split into amount clusters (neighbours in amount
    order at most `AMOUNT_GAP` apart), each peeled the same way, then occurrences of exactly
    equal amount are tried together.
  * A busy bucket (a shop, a café, a weekly series): only an amount cluster that holds half
    the bucket within `TIGHT_RANGE`, and groups of equal amounts that stand out
    (`_detect_busy`). Most busy buckets have no such candidate and cost one sort.
  * Finally series of one interval that continue each other are merged when their union
    still fits as one series: a price change too large for one amount cluster.

Fitting one interval (`_fit_calendar`, `_fit_days`, `_accept`)
  * Every occurrence gets an expected date on the interval's grid. Calendar intervals (monthly,
    quarterly, half-yearly, yearly) use a day of month clamped to the month's length, so a
    series on the 31st expects the 30th in April and the 28th in February; weekly and
    biweekly use a fixed weekday. The grid's phase is where the occurrences are densest.
  * An occurrence belongs to a period when it lies within the interval's tolerance of the
    period's expected date (business-day shifts, month ends, salary paid before a weekend). One
    occurrence per period is taken: the closest, then the one continuing the previous amount.
  * A fit is accepted when it has the interval's minimum number of occurrences, covers at least
    `MIN_COVERAGE` of the periods between its first and last occurrence with at most
    `max_missed` missing in a row (a missed month), lies on average within half the tolerance
    of its expected dates, has stable amounts (`MAX_STEP_CHANGE`, `MAX_DEVIATION`: a price
    change, a seasonal bill or a bill with extras passes, random amounts do not), stands out
    from the bucket's other payments of similar amount (`_pure`) and could not be produced by
    them by chance (`_chance`).
  * Among the accepted intervals the one explaining the most occurrences wins.
  * UNKNOWN: a candidate set that fits no named interval but whose consecutive gaps agree (at
    most one doubled gap) with at least `UNKNOWN_MIN_OCCURRENCES` occurrences, e.g. every four
    weeks or every two months.

Nothing here reads the wall clock: `active` is decided against the consumer's newest
transaction date (`is_active`).
"""

from __future__ import annotations

import calendar
import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from itertools import pairwise
from operator import itemgetter
from typing import NamedTuple

WEEKLY = "WEEKLY"
BIWEEKLY = "BIWEEKLY"
MONTHLY = "MONTHLY"
QUARTERLY = "QUARTERLY"
HALF_YEARLY = "HALF_YEARLY"
YEARLY = "YEARLY"
UNKNOWN = "UNKNOWN"
#: Every interval, in the order reports list them.
INTERVALS = (WEEKLY, BIWEEKLY, MONTHLY, QUARTERLY, HALF_YEARLY, YEARLY, UNKNOWN)


@dataclass(frozen=True)
class Cadence:
    """One named interval and the thresholds of its fit (docs/recurring.md, "Thresholds")."""

    interval: str
    months: int  # calendar months per period; 0 for periods counted in days
    days: int  # days per period (the nominal length for calendar periods)
    tolerance: int  # days an occurrence may lie from its expected date
    min_occurrences: int
    max_missed: int  # periods that may be missing in a row inside a series
    grace: int  # days past the next expected date a series still counts as active


CADENCES: tuple[Cadence, ...] = (
    Cadence(WEEKLY, 0, 7, 1, 4, 2, 3),
    Cadence(BIWEEKLY, 0, 14, 2, 3, 1, 5),
    Cadence(MONTHLY, 1, 30, 4, 3, 1, 7),
    Cadence(QUARTERLY, 3, 91, 7, 3, 1, 14),
    Cadence(HALF_YEARLY, 6, 182, 10, 2, 0, 21),
    Cadence(YEARLY, 12, 365, 14, 2, 0, 31),
)
CADENCE_OF = {cadence.interval: cadence for cadence in CADENCES}

#: Share of the periods between a series' first and last occurrence that must have one.
MIN_COVERAGE = 0.7
#: Mean distance to the expected dates, as a share of the tolerance.
MAX_MEAN_OFFSET = 0.5
#: Amounts are stable when the median |log(a[i+1] / a[i])| over consecutive occurrences is at
#: most MAX_STEP_CHANGE (about 17 %: price changes, seasonal bills), or the median |log(a) -
#: median log(a)| is at most MAX_DEVIATION (about 10 %: a bill with extras in some months).
#: Random amounts (a shop, a café) fail both. A pair may differ by MAX_DEVIATION.
MAX_STEP_CHANGE = 0.16
MAX_DEVIATION = 0.1
#: Share of a bucket's occurrences of similar amount (within `PURITY_BAND` of the series'
#: amounts) and within the series' span that must belong to it; quarterly and longer series
#: need `SPARSE_PURITY`, pairs must be alone (see `_pure`).
MIN_PURITY = 0.5
SPARSE_PURITY = 2 / 3
PURITY_BAND = math.log(1.25)
#: A series of at most SMALL_SERIES occurrences must have no other occurrence within
#: PAIR_BAND of its amounts in the whole bucket, or equal amounts that repeat nowhere else.
SMALL_SERIES = 3
PAIR_BAND = math.log(2)
#: A series whose hits the bucket's similar payments would produce by chance with more than
#: this probability is not accepted (`_chance`).
MAX_CHANCE = 0.01
#: A candidate within this log ratio of the previous occurrence's amount continues a series.
CONTINUITY = math.log(1.1)
#: Neighbouring amounts (sorted) further apart than this ratio start a new amount cluster.
AMOUNT_GAP = math.log(1.15)
#: UNKNOWN intervals: minimum occurrences, shortest and longest typical gap in days.
UNKNOWN_MIN_OCCURRENCES = 4
UNKNOWN_MIN_GAP = 5
UNKNOWN_MAX_GAP = 400
#: Buckets with more occurrences than this are busy (`_detect_busy`): more than a monthly
#: series over the retention window with a few one-off payments.
BUSY_ITEMS = 16
#: In a busy bucket, the share of similar amounts a group of equal amounts must make up. An
#: amount cluster is tried when it holds at least half of the bucket, at least TIGHT_MIN
#: occurrences, within TIGHT_RANGE (about 35 %) of each other: a weekly or biweekly payment
#: of varying amount in a bucket of its own, not the sparse tail of a shop's purchases.
BUSY_SHARE = 0.25
TIGHT_MIN = 6
TIGHT_RANGE = 0.3
#: Series taken from one candidate set at most (a bound on the work per bucket).
MAX_SERIES_PER_SET = 8

_MONTH_DAYS = 30.4375


class Occurrence(NamedTuple):
    """One transaction of a bucket as detection sees it: id, ISO date, amount (> 0).

    A plain `(id, day, amount)` tuple works as well.
    """

    id: str
    day: str
    amount: int


@dataclass(frozen=True)
class Series:
    """A recurring series found in a bucket.

    `ids` are the member transaction ids in date order, `next_date` the predicted date of the
    next occurrence (ISO), `confidence` in [0, 1] (docs/recurring.md, "Confidence").
    """

    interval: str
    ids: tuple[str, ...]
    next_date: str
    confidence: float


# --- dates ---------------------------------------------------------------------------------

# An item is (ordinal, month index, day of month, length of the previous, this and the next
# month, amount, id, log amount); tuples keep the inner loops on CPython's fast paths.
_O, _MI, _DOM, _LP, _LC, _LN, _AMOUNT, _ID, _LOG = range(9)
_ORDER = itemgetter(_O, _ID)
_BY_AMOUNT = itemgetter(_LOG, _O, _ID)
_AMOUNT_THEN_ID = itemgetter(2, 0)  # on (id, day, amount) occurrences


@lru_cache(maxsize=65536)
def _parse(day: str) -> tuple[int, int, int, int, int, int]:
    d = date.fromisoformat(day)
    month_index = d.year * 12 + d.month - 1
    return (d.toordinal(), month_index, d.day, _month(month_index - 1)[1],
            _month(month_index)[1], _month(month_index + 1)[1])


@lru_cache(maxsize=8192)
def _month(month_index: int) -> tuple[int, int]:
    """(ordinal of the 1st, number of days) of a month given as year * 12 + month - 1."""
    year, month0 = divmod(month_index, 12)
    return date(year, month0 + 1, 1).toordinal(), calendar.monthrange(year, month0 + 1)[1]


def _expected(month_index: int, day: int) -> int:
    """Ordinal of `day` in the month, clamped to the month's last day."""
    start, length = _month(month_index)
    return start + (day if day < length else length) - 1


def _items(occurrences: Iterable[tuple[str, str, int]]) -> list[tuple]:
    log, parse = math.log, _parse
    items = [parse(day) + (amount, txn_id, log(amount)) for txn_id, day, amount in occurrences]
    items.sort(key=_ORDER)
    return items


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _densest(phases: list[float], width: float, period: float) -> float:
    """The median of the densest circular window of `width` over sorted `phases` in [0, period)."""
    n = len(phases)
    extended = phases + [p + period for p in phases]
    best_count, best_start, j = 0, 0, 0
    for i in range(n):
        if j < i:
            j = i
        limit = extended[i] + width
        while j < i + n and extended[j] <= limit:
            j += 1
        if j - i > best_count:
            best_count, best_start = j - i, i
    window = extended[best_start:best_start + best_count]
    return _median(window) % period


# --- fitting -------------------------------------------------------------------------------


class _Bucket:
    """Every occurrence of the bucket in date order, the context every fit is judged in.

    Parsed on first use: a busy bucket's candidate sets usually fail before a fit asks for
    its context.
    """

    def __init__(self, occurrences: list[tuple[str, str, int]]) -> None:
        self._occurrences = occurrences
        self.claimed: set[str] = set()  # ids taken by accepted series

    @cached_property
    def items(self) -> list[tuple]:
        return _items(self._occurrences)

    @cached_property
    def ordinals(self) -> list[int]:
        return [item[_O] for item in self.items]


def _fit(items: list[tuple], cadence: Cadence, bucket: _Bucket) -> _Fit | None:
    if cadence.months:
        return _fit_calendar(items, cadence, bucket)
    return _fit_days(items, cadence, bucket)


@dataclass
class _Fit:
    cadence: Cadence | None  # None for UNKNOWN
    members: list[tuple]  # in date order
    offsets: list[int]  # days from the expected dates
    periods: list[int]  # period index of each member
    next_ordinal: int
    coverage: float
    spread: float
    period_days: float
    tolerance: int

    @property
    def interval(self) -> str:
        return self.cadence.interval if self.cadence is not None else UNKNOWN

    def score(self) -> tuple:
        mean_offset = sum(abs(o) for o in self.offsets) / len(self.offsets)
        return (len(self.members), self.coverage, -mean_offset)


def _spread(members: list[tuple]) -> float:
    """How unstable the amounts are, on the scale of MAX_STEP_CHANGE (see there)."""
    if len(members) < 2:
        return 0.0
    steps = _median([abs(b[_LOG] - a[_LOG]) for a, b in pairwise(members)])
    if len(members) == 2:
        return steps * MAX_STEP_CHANGE / MAX_DEVIATION
    center = _median([item[_LOG] for item in members])
    deviation = _median([abs(item[_LOG] - center) for item in members])
    return min(steps, deviation * MAX_STEP_CHANGE / MAX_DEVIATION)


def _pick(candidates: dict[int, list[tuple[int, tuple]]]) -> tuple[list[int], list[tuple], list[int]]:
    """One occurrence per period: the closest to its expected date; among equally close ones
    the one within `CONTINUITY` of the previous pick's amount, then the closest in amount. So a
    chain stays on one of two plans charged the same day, and still follows a price change.
    Timing decides first, so the amounts of the picks are not selected to look stable."""
    previous: float | None = None  # before the first pick: the median of all candidates
    periods, members, offsets = [], [], []
    for k in sorted(candidates):
        entries = candidates[k]
        if len(entries) == 1:
            offset, item = entries[0]
        else:
            if previous is None:
                previous = _median([item[_LOG] for group in candidates.values()
                                    for _, item in group])
            offset, item = min(entries, key=lambda e: (abs(e[0]),
                                                       abs(e[1][_LOG] - previous) > CONTINUITY,
                                                       abs(e[1][_LOG] - previous), e[1][_ID]))
        periods.append(k)
        members.append(item)
        offsets.append(offset)
        previous = item[_LOG]
    return periods, members, offsets


def _accept(cadence: Cadence, bucket: _Bucket, periods: list[int], members: list[tuple],
            offsets: list[int], next_ordinal: int) -> _Fit | None:
    n = len(members)
    if n < cadence.min_occurrences:
        return None
    span = periods[-1] - periods[0] + 1
    coverage = n / span
    if coverage < MIN_COVERAGE:
        return None
    if any(b - a - 1 > cadence.max_missed for a, b in pairwise(periods)):
        return None
    if sum(abs(o) for o in offsets) > MAX_MEAN_OFFSET * cadence.tolerance * n:
        return None
    spread = _spread(members)
    if spread > MAX_STEP_CHANGE:
        return None
    if not _pure(bucket, members, cadence.tolerance, cadence.months >= 3):
        return None
    period_days = cadence.days if not cadence.months else cadence.months * _MONTH_DAYS
    if _chance(bucket, members, span, 2 * cadence.tolerance + 1, period_days) > MAX_CHANCE:
        return None
    return _Fit(cadence, members, offsets, periods, next_ordinal, coverage, spread,
                period_days, cadence.tolerance)


def _chance(bucket: _Bucket, members: list[tuple], periods: int, window: int,
            period_days: float) -> float:
    """How likely the bucket's other occurrences of similar amount would fill as many of the
    series' periods by chance, over all the phases a grid could have.

    Those occurrences (not taken by a series; with exactly the series' amount when all its
    amounts are equal, else within `PURITY_BAND` of them) are taken as spread evenly over the
    bucket's time range; a period's window of `window` days then holds one with probability
    p, and the binomial tail gives P(at least len(members) of `periods` windows hit).
    """
    ids = {item[_ID] for item in members}
    claimed = bucket.claimed
    amounts = {item[_AMOUNT] for item in members}
    if len(amounts) == 1:
        amount = members[0][_AMOUNT]
        others = sum(1 for item in bucket.items if item[_AMOUNT] == amount
                     and item[_ID] not in ids and item[_ID] not in claimed)
    else:
        low = min(item[_LOG] for item in members) - PURITY_BAND
        high = max(item[_LOG] for item in members) + PURITY_BAND
        others = sum(1 for item in bucket.items if low <= item[_LOG] <= high
                     and item[_ID] not in ids and item[_ID] not in claimed)
    if not others:
        return 0.0
    days = bucket.ordinals[-1] - bucket.ordinals[0] + 1
    p = 1 - math.exp(-others * window / days)
    hits = len(members)
    tail = sum(math.comb(periods, k) * p ** k * (1 - p) ** (periods - k)
               for k in range(hits, periods + 1))
    return tail * max(1.0, period_days / window)


def _pure(bucket: _Bucket, members: list[tuple], tolerance: int, sparse: bool) -> bool:
    """Whether the series stands out from the bucket's other occurrences of similar amount.

    Other occurrences within `PURITY_BAND` of the series' amounts and within its span count as
    noise (occurrences already taken by another series do not): regular timing among many
    similar payments (a shop's purchases) is a coincidence. Two or three occurrences are weaker
    evidence still: either nothing else in the bucket is within `PAIR_BAND` of their amounts and
    they are at least half of the bucket's other activity in their span (a yearly insurance
    premium), or their amounts are equal and no other amount in the bucket
    repeats (a yearly plan at a shop with random orders; at a café with ten prices, or an ATM
    with round amounts, an exact repeat proves nothing).
    """
    ids = {item[_ID] for item in members}
    claimed = bucket.claimed
    low = min(item[_LOG] for item in members)
    high = max(item[_LOG] for item in members)
    n = len(members)
    first, last = members[0][_O] - tolerance, members[-1][_O] + tolerance
    if n <= SMALL_SERIES:
        others = [item for item in bucket.items if item[_ID] not in ids
                  and item[_ID] not in claimed]
        busy = sum(1 for item in others if first <= item[_O] <= last)
        if busy <= n and not any(low - PAIR_BAND <= item[_LOG] <= high + PAIR_BAND
                                 for item in others):
            return True
        amounts = [item[_AMOUNT] for item in others]
        return (len({item[_AMOUNT] for item in members}) == 1
                and members[0][_AMOUNT] not in amounts and len(set(amounts)) == len(amounts))
    start = bisect_left(bucket.ordinals, first)
    stop = bisect_right(bucket.ordinals, last)
    noise = sum(1 for item in bucket.items[start:stop]
                if low - PURITY_BAND <= item[_LOG] <= high + PURITY_BAND
                and item[_ID] not in ids and item[_ID] not in claimed)
    return n >= (SPARSE_PURITY if sparse else MIN_PURITY) * (n + noise)


def _fit_calendar(items: list[tuple], cadence: Cadence, bucket: _Bucket) -> _Fit | None:
    """Fit a grid of one day of month every `cadence.months` months."""
    step = cadence.months
    phases = sorted((item[_MI] % step) + (item[_DOM] - 1) / _MONTH_DAYS for item in items)
    center = _densest(phases, 2 * cadence.tolerance / _MONTH_DAYS, step)
    residue = int(center)
    day = min(31, max(1, round((center - residue) * _MONTH_DAYS) + 1))
    best = _calendar_grid(items, cadence, residue, day)
    if best is None:
        return None
    days = {day}
    shift = round(_median(best[2]))
    alternatives = [min(31, max(1, day + shift))]
    if day >= 28:
        alternatives.append(31)  # "the last day of the month", clamped in short months
    for alternative in alternatives:
        if alternative in days:
            continue
        days.add(alternative)
        other = _calendar_grid(items, cadence, residue, alternative)
        if other is not None and _grid_key(other) > _grid_key(best):
            best = other
    periods, members, offsets, day = best
    next_month = residue + (periods[-1] + 1) * step
    next_ordinal = _roll_weekend(_expected(next_month, day), members, offsets)
    return _accept(cadence, bucket, periods, members, offsets, next_ordinal)


def _grid_key(grid: tuple) -> tuple:
    return (len(grid[0]), -sum(abs(o) for o in grid[2]))


def _calendar_grid(items: list[tuple], cadence: Cadence, residue: int,
                   day: int) -> tuple[list[int], list[tuple], list[int], int] | None:
    """Candidates per period for the grid `day` (clamped) of every month `m` with
    `(m - residue) % cadence.months == 0`, then one pick per period (`_pick`).

    The tolerance is under half a month, so an occurrence can only belong to a grid date in
    its own month or in the month before or after; offsets are plain arithmetic on the
    lengths of those three months. Ties go to the earlier month.
    """
    step, tolerance = cadence.months, cadence.tolerance
    candidates: dict[int, list[tuple[int, tuple]]] = {}
    for item in items:
        dom, length, month = item[_DOM], item[_LC], item[_MI]
        position = (month - residue) % step
        best, best_month = tolerance + 1, 0
        if step == 1 or position == 1:
            previous = item[_LP]
            best, best_month = dom + previous - (day if day < previous else previous), month - 1
        if position == 0:
            offset = dom - (day if day < length else length)
            if abs(offset) < abs(best):
                best, best_month = offset, month
        if step == 1 or position == step - 1:
            following = item[_LN]
            offset = dom - length - (day if day < following else following)
            if abs(offset) < abs(best):
                best, best_month = offset, month + 1
        if -tolerance <= best <= tolerance:
            candidates.setdefault((best_month - residue) // step, []).append((best, item))
    if not candidates:
        return None
    periods, members, offsets = _pick(candidates)
    return periods, members, offsets, day


def _fit_days(items: list[tuple], cadence: Cadence, bucket: _Bucket) -> _Fit | None:
    """Fit a grid of one weekday every `cadence.days` days."""
    period, tolerance = cadence.days, cadence.tolerance
    phases = sorted(float(item[_O] % period) for item in items)
    anchor = round(_densest(phases, 2 * tolerance, period)) % period
    best = None
    for attempt in range(2):
        candidates: dict[int, list[tuple[int, tuple]]] = {}
        for item in items:
            offset = (item[_O] - anchor) % period
            if offset > period // 2:
                offset -= period
            if -tolerance <= offset <= tolerance:
                k = (item[_O] - offset - anchor) // period
                candidates.setdefault(k, []).append((offset, item))
        if not candidates:
            return None
        grid = _pick(candidates)
        if best is None or _grid_key(grid) > _grid_key(best):
            best = (*grid, anchor)
        shift = round(_median(grid[2]))
        if attempt or not shift:
            break
        anchor = (anchor + shift) % period
    periods, members, offsets, anchor = best  # type: ignore[misc]
    next_ordinal = _roll_weekend(anchor + (periods[-1] + 1) * period, members, offsets)
    return _accept(cadence, bucket, periods, members, offsets, next_ordinal)


def _roll_weekend(ordinal: int, members: list[tuple], offsets: list[int]) -> int:
    """Move a predicted date off a weekend the way the series' own history moved (default:
    to the next Monday, as standing orders and direct debits do)."""
    weekday = (ordinal + 6) % 7  # date.weekday() of an ordinal: Monday = 0
    if weekday < 5:
        return ordinal
    earlier = sum(1 for item, offset in zip(members, offsets, strict=True)
                  if offset < 0 and (item[_O] - offset + 6) % 7 >= 5)
    later = sum(1 for item, offset in zip(members, offsets, strict=True)
                if offset > 0 and (item[_O] - offset + 6) % 7 >= 5)
    if earlier > later:
        return ordinal - (weekday - 4)
    return ordinal + (7 - weekday)


def _fit_gaps(items: list[tuple], bucket: _Bucket) -> _Fit | None:
    """UNKNOWN: every occurrence of the set, at agreeing gaps (at most one doubled)."""
    n = len(items)
    if n < UNKNOWN_MIN_OCCURRENCES:
        return None
    gaps = [b[_O] - a[_O] for a, b in pairwise(items)]
    gap = round(_median(gaps))
    if not UNKNOWN_MIN_GAP <= gap <= UNKNOWN_MAX_GAP:
        return None
    tolerance = max(2, round(0.1 * gap))
    periods, k, doubled = [0], 0, 0
    for g in gaps:
        if abs(g - gap) <= tolerance:
            k += 1
        elif abs(g - 2 * gap) <= tolerance:
            k += 2
            doubled += 1
        else:
            return None
        periods.append(k)
    if doubled > 1:
        return None
    spread = _spread(items)
    if spread > MAX_STEP_CHANGE or not _pure(bucket, items, tolerance, gap >= 60):
        return None
    # How far each gap is from its multiple of the typical gap (a grid from the first
    # occurrence would drift with the rounding of the typical gap).
    deviations = [abs(g - gap * (b - a)) for g, (a, b) in zip(gaps, pairwise(periods), strict=True)]
    return _Fit(None, list(items), [0, *deviations], periods, items[-1][_O] + gap,
                n / (periods[-1] + 1), spread, float(gap), tolerance)


def _best_fit(items: list[tuple], bucket: _Bucket) -> _Fit | None:
    """The accepted fit explaining the most occurrences of `items`, or None."""
    if len(items) < 2:
        return None
    n, span = len(items), items[-1][_O] - items[0][_O]
    best: _Fit | None = None
    for cadence in CADENCES:
        # Cheap filters, so that sets that cannot yield an accepted fit cost nothing: room for
        # the minimum number of periods, for more members than the best fit so far (one per
        # period, periods at least `days - 2 * tolerance` apart), and at least half the
        # coverage a series needs over the set's span.
        most = min(n, span // (cadence.days - 2 * cadence.tolerance - 2) + 1)
        if n < cadence.min_occurrences or most < cadence.min_occurrences:
            continue
        if best is not None and most < len(best.members):
            continue
        if n < MIN_COVERAGE / 2 * span / cadence.days:
            continue
        fit = _fit(items, cadence, bucket)
        if fit is not None and (best is None or fit.score() > best.score()):
            best = fit
    if best is None:
        best = _fit_gaps(items, bucket)
    return best


def _peel(items: list[tuple], bucket: _Bucket, found: list[_Fit]) -> list[tuple]:
    """Take accepted series out of `items` until none fits; returns what is left."""
    for _ in range(MAX_SERIES_PER_SET):
        fit = _best_fit(items, bucket)
        if fit is None:
            break
        found.append(fit)
        taken = {item[_ID] for item in fit.members}
        bucket.claimed.update(taken)
        items = [item for item in items if item[_ID] not in taken]
    return items


def _amount_clusters(ordered: list[tuple]) -> list[list[tuple]]:
    """Runs of `ordered` (items sorted by amount) whose neighbours are at most AMOUNT_GAP
    apart."""
    clusters: list[list[tuple]] = [[ordered[0]]]
    for previous, item in pairwise(ordered):
        if item[_LOG] - previous[_LOG] > AMOUNT_GAP:
            clusters.append([])
        clusters[-1].append(item)
    return clusters


def _same_amounts(items: list[tuple]) -> list[list[tuple]]:
    by_amount: dict[int, list[tuple]] = {}
    for item in items:
        by_amount.setdefault(item[_AMOUNT], []).append(item)
    return [group for _, group in sorted(by_amount.items()) if len(group) >= 2]


def _merge(found: list[_Fit], bucket: _Bucket) -> list[_Fit]:
    """Join series of one interval that continue each other (a large price change)."""
    merged = True
    while merged:
        merged = False
        found.sort(key=lambda fit: (fit.members[0][_O], fit.members[0][_ID]))
        for i, first in enumerate(found):
            for j in range(i + 1, len(found)):
                second = found[j]
                if (first.cadence is None or first.cadence is not second.cadence
                        or first.members[-1][_O] >= second.members[0][_O]):
                    continue
                union = sorted(first.members + second.members,
                               key=_ORDER)
                cadence = first.cadence
                fit = _fit(union, cadence, bucket)
                if fit is not None and len(fit.members) == len(union):
                    found[i] = fit
                    del found[j]
                    merged = True
                    break
            if merged:
                break
    return found


def _confidence(fit: _Fit) -> float:
    n = len(fit.members)
    minimum = fit.cadence.min_occurrences if fit.cadence else UNKNOWN_MIN_OCCURRENCES
    mean_offset = sum(abs(o) for o in fit.offsets) / n
    regularity = 1 - mean_offset / (2 * fit.tolerance)
    stability = 1 - fit.spread / (2 * MAX_STEP_CHANGE)
    evidence = 1 - 0.5 ** (n - minimum + 1)
    return round(max(0.0, min(1.0, fit.coverage * regularity * stability * evidence)), 2)


def detect_series(occurrences: Iterable[tuple[str, str, int]]) -> list[Series]:
    """The recurring series among one bucket's occurrences (see the module docstring).

    Deterministic: the result depends only on the set of occurrences, not on their order.
    Series are ordered by their first occurrence; an occurrence belongs to at most one.
    """
    occurrences = list(occurrences)
    if len(occurrences) < 2:
        return []
    found: list[_Fit] = []
    if len(occurrences) > BUSY_ITEMS:
        bucket = _detect_busy(occurrences, found)
        if bucket is None:
            return []
    else:
        bucket = _Bucket(occurrences)
        _detect_quiet(bucket, found)
    return [
        Series(fit.interval, tuple(item[_ID] for item in fit.members),
               date.fromordinal(fit.next_ordinal).isoformat(), _confidence(fit))
        for fit in _merge(found, bucket)
    ]


def _detect_quiet(bucket: _Bucket, found: list[_Fit]) -> None:
    """The whole bucket, then amount clusters, then equal amounts (the module docstring)."""
    rest = _peel(bucket.items, bucket, found)
    if len(rest) >= 2:
        clusters = _amount_clusters(sorted(rest, key=_BY_AMOUNT))
        if len(clusters) > 1:
            rest = []
            for cluster in clusters:
                cluster.sort(key=_ORDER)
                rest.extend(_peel(cluster, bucket, found) if len(cluster) >= 2 else cluster)
            rest.sort(key=_ORDER)
        for group in _same_amounts(rest):
            if len(group) < len(rest):
                _peel(group, bucket, found)


def _detect_busy(occurrences: list[tuple[str, str, int]], found: list[_Fit]) -> _Bucket | None:
    """A busy bucket (a shop, a café, or a weekly series): tight amount clusters and groups
    of equal amounts that stand out. Returns the bucket context, or None when no candidate
    set exists (then nothing was fitted, and no date was even parsed).

    Among many payments of varying amounts, a stable price is what a recurring payment has
    and a purchase has not. An amount cluster (neighbours at most `AMOUNT_GAP` apart) is
    fitted when it holds half of the bucket within `TIGHT_RANGE`; a group of equal amounts
    when it is at least `BUSY_SHARE` of the bucket's occurrences within `PURITY_BAND` of its
    amount, or, with at most `SMALL_SERIES` occurrences, when no other amount of the bucket
    repeats (`_pure` decides the details). A variable payment among many other payments to
    the same counterparty is therefore not found. Price changes are joined by `_merge`.
    """
    # Amount order and plain integer ratios first: most busy buckets have no candidate at
    # all, and then no date is parsed and no logarithm taken.
    ordered = sorted(occurrences, key=_AMOUNT_THEN_ID)
    amounts = [entry[2] for entry in ordered]
    band, gap, tight_range = math.exp(PURITY_BAND), math.exp(AMOUNT_GAP), math.exp(TIGHT_RANGE)

    def within(low: int, high: int) -> int:
        return bisect_right(amounts, high * band) - bisect_left(amounts, low / band)

    bounds = [0, *(i for i in range(1, len(amounts)) if amounts[i] > amounts[i - 1] * gap),
              len(amounts)]
    tight = [ordered[start:stop] for start, stop in pairwise(bounds)
             if 2 * (stop - start) >= len(amounts) and stop - start >= TIGHT_MIN
             and amounts[stop - 1] <= amounts[start] * tight_range]
    counts = Counter(amounts)
    repeated = [amount for amount, count in counts.items() if count >= 2]
    if not tight and not any(
            (counts[a] <= SMALL_SERIES and len(repeated) == 1)
            or (counts[a] > SMALL_SERIES and counts[a] >= BUSY_SHARE * within(a, a))
            for a in repeated):
        return None
    bucket = _Bucket(occurrences)
    for cluster in tight:
        _peel(_items(cluster), bucket, found)
    by_amount: dict[int, list[tuple[str, str, int]]] = {}
    for entry in ordered:
        if entry[0] not in bucket.claimed:
            by_amount.setdefault(entry[2], []).append(entry)
    groups = [group for group in by_amount.values() if len(group) >= 2]
    for group in groups:  # in amount order
        size, amount = len(group), group[0][2]
        if size <= SMALL_SERIES:
            if len(groups) > 1:
                continue
        elif size < BUSY_SHARE * within(amount, amount):
            continue
        _peel(_items(group), bucket, found)
    return bucket


def grace_days(interval: str, next_date: str, last_date: str) -> int:
    """Days past `next_date` a series of `interval` still counts as active."""
    cadence = CADENCE_OF.get(interval)
    if cadence is not None:
        return cadence.grace
    gap = date.fromisoformat(next_date).toordinal() - date.fromisoformat(last_date).toordinal()
    return max(3, gap // 4)


def is_active(interval: str, next_date: str, last_date: str, reference_day: str | None) -> bool:
    """True when `reference_day` (the consumer's newest transaction date) is not more than the
    interval's grace period past `next_date`. Without a reference day a series is active."""
    if reference_day is None:
        return True
    limit = date.fromisoformat(next_date).toordinal() + grace_days(interval, next_date, last_date)
    return date.fromisoformat(reference_day).toordinal() <= limit
