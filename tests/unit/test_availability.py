"""Account data coverage and COMPLETE / PARTIAL / NONE (workers/domain/availability.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.domain.availability import (
    AccountCoverage,
    data_availability,
    format_refreshed_at,
    format_timestamp,
    meets_requirement,
)

D = date(2024, 3, 1)


def day(offset: int) -> date:
    return D + timedelta(days=offset)


def cov(start: int | None, end: int | None, account: str = "a", refreshed: datetime | None = None):
    return AccountCoverage(
        account,
        None if start is None else day(start),
        None if end is None else day(end),
        refreshed,
    )


# timeframe is day(0)..day(9) in every case
@pytest.mark.parametrize(
    ("coverages", "expected"),
    [
        pytest.param([], "NONE", id="no-accounts"),
        pytest.param([cov(None, None)], "NONE", id="no-data"),
        pytest.param([cov(None, 5)], "NONE", id="no-start-means-no-data"),
        pytest.param([cov(0, 9)], "COMPLETE", id="exact-bounds-inclusive"),
        pytest.param([cov(-30, 30)], "COMPLETE", id="wider"),
        pytest.param([cov(-5, None)], "COMPLETE", id="open-ended"),
        pytest.param([cov(1, 9)], "PARTIAL", id="starts-a-day-late"),
        pytest.param([cov(0, 8)], "PARTIAL", id="ends-a-day-early"),
        pytest.param([cov(3, 4)], "PARTIAL", id="inside"),
        pytest.param([cov(9, 20)], "PARTIAL", id="touches-last-day"),
        pytest.param([cov(-20, 0)], "PARTIAL", id="touches-first-day"),
        pytest.param([cov(5, None)], "PARTIAL", id="open-ended-late-start"),
        pytest.param([cov(10, 20)], "NONE", id="after"),
        pytest.param([cov(-20, -1)], "NONE", id="before"),
        pytest.param([cov(10, None)], "NONE", id="open-ended-after"),
        pytest.param([cov(5, 2)], "NONE", id="inverted-range"),
        pytest.param([cov(0, 9, "a"), cov(0, 9, "b")], "COMPLETE", id="two-complete"),
        pytest.param([cov(0, 9, "a"), cov(None, None, "b")], "PARTIAL", id="complete-and-none"),
        pytest.param([cov(0, 9, "a"), cov(2, 3, "b")], "PARTIAL", id="complete-and-partial"),
        pytest.param([cov(20, 30, "a"), cov(None, None, "b")], "NONE", id="two-none"),
    ],
)
def test_data_availability(coverages: list[AccountCoverage], expected: str) -> None:
    assert data_availability(coverages, day(0), day(9)) == expected


def test_single_day_timeframe() -> None:
    assert data_availability([cov(0, 0)], day(0), day(0)) == "COMPLETE"
    assert data_availability([cov(1, 1)], day(0), day(0)) == "NONE"


def test_empty_timeframe_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        data_availability([cov(0, 9)], day(1), day(0))


@pytest.mark.parametrize(
    ("actual", "required", "ok"),
    [
        ("COMPLETE", "COMPLETE", True),
        ("COMPLETE", "PARTIAL", True),
        ("COMPLETE", "NONE", True),
        ("PARTIAL", "COMPLETE", False),
        ("PARTIAL", "PARTIAL", True),
        ("PARTIAL", "NONE", True),
        ("NONE", "COMPLETE", False),
        ("NONE", "PARTIAL", False),
        ("NONE", "NONE", True),
    ],
)
def test_meets_requirement(actual: str, required: str, ok: bool) -> None:
    assert meets_requirement(actual, required) is ok  # type: ignore[arg-type]


def test_refreshed_at_is_the_oldest_in_utc_with_milliseconds() -> None:
    newer = datetime(2021, 6, 15, 12, 0, 0, tzinfo=UTC)
    # 11:22:01.987654 at +02:00 is 09:22:01.987 UTC, older than `newer`
    older = datetime(2021, 6, 15, 11, 22, 1, 987654, tzinfo=timezone(timedelta(hours=2)))
    coverages = [cov(0, 1, "a", newer), cov(0, 1, "b", older), cov(0, 1, "c", None)]
    assert format_refreshed_at(coverages) == "2021-06-15T09:22:01.987Z"


def test_refreshed_at_none_when_unknown() -> None:
    assert format_refreshed_at([]) is None
    assert format_refreshed_at([cov(0, 1, "a", None)]) is None


def test_refreshed_at_format() -> None:
    assert format_refreshed_at([cov(0, 1, "a", datetime(2021, 6, 15, 9, 22, 1, tzinfo=UTC))]) == (
        "2021-06-15T09:22:01.000Z"
    )
    # naive datetimes are taken to be UTC
    assert format_timestamp(datetime(2007, 12, 3, 10, 15, 30, 152999)) == "2007-12-03T10:15:30.152Z"
    # a negative offset that crosses midnight
    west = datetime(2020, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-1)))
    assert format_timestamp(west) == "2021-01-01T00:30:00.000Z"


# --- property: agrees with a day-by-day count -----------------------------------------

offsets = st.integers(min_value=-5, max_value=15)


@st.composite
def coverage_sets(draw: st.DrawFn) -> list[AccountCoverage]:
    result = []
    for i in range(draw(st.integers(min_value=0, max_value=3))):
        start = draw(st.none() | offsets)
        end = draw(st.none() | offsets)
        result.append(cov(start, end, f"a{i}"))
    return result


def naive_availability(coverages: list[AccountCoverage], first: date, last: date) -> str:
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def held(c: AccountCoverage, d: date) -> bool:
        if c.available_from is None:
            return False
        return c.available_from <= d and (c.available_to is None or d <= c.available_to)

    if coverages and all(held(c, d) for c in coverages for d in days):
        return "COMPLETE"
    if any(held(c, d) for c in coverages for d in days):
        return "PARTIAL"
    return "NONE"


@settings(max_examples=300, deadline=None)
@given(coverage_sets(), offsets, st.integers(min_value=0, max_value=10))
def test_matches_day_by_day(coverages: list[AccountCoverage], start: int, length: int) -> None:
    first, last = day(start), day(start + length)
    assert data_availability(coverages, first, last) == naive_availability(coverages, first, last)
