"""Report schedules (workers/domain/schedules.py): run times, periods, due runs, job ids."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.domain.schedules import (
    SCHEDULES,
    due_runs,
    is_run_day,
    job_id,
    next_run,
    period_of_run,
    runs_after,
)

OSLO = ZoneInfo("Europe/Oslo")


def oslo(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=OSLO)


NEXT_RUNS = [
    # (schedule, after (Oslo), next run (Oslo), first day covered, last day covered)
    ("daily", "2025-01-10 12:00", "2025-01-11 06:00", "2025-01-10", "2025-01-10"),
    ("daily", "2025-01-10 05:59", "2025-01-10 06:00", "2025-01-09", "2025-01-09"),
    ("daily", "2025-01-10 06:00", "2025-01-11 06:00", "2025-01-10", "2025-01-10"),
    ("daily", "2024-12-31 23:00", "2025-01-01 06:00", "2024-12-31", "2024-12-31"),
    ("weekly", "2025-01-10 12:00", "2025-01-13 06:00", "2025-01-06", "2025-01-12"),
    ("weekly", "2025-01-13 05:00", "2025-01-13 06:00", "2025-01-06", "2025-01-12"),
    ("weekly", "2025-01-13 07:00", "2025-01-20 06:00", "2025-01-13", "2025-01-19"),
    ("weekly", "2024-12-28 12:00", "2024-12-30 06:00", "2024-12-23", "2024-12-29"),
    ("monthly", "2025-01-10 12:00", "2025-02-01 06:00", "2025-01-01", "2025-01-31"),
    ("monthly", "2025-02-20 12:00", "2025-03-01 06:00", "2025-02-01", "2025-02-28"),
    ("monthly", "2024-02-20 12:00", "2024-03-01 06:00", "2024-02-01", "2024-02-29"),
    ("monthly", "2024-12-05 12:00", "2025-01-01 06:00", "2024-12-01", "2024-12-31"),
    ("twice-a-month", "2025-01-10 12:00", "2025-01-16 06:00", "2025-01-01", "2025-01-15"),
    ("twice-a-month", "2025-01-16 06:00", "2025-02-01 06:00", "2025-01-16", "2025-01-31"),
    ("twice-a-month", "2025-02-20 12:00", "2025-03-01 06:00", "2025-02-16", "2025-02-28"),
    ("twice-a-month", "2024-12-31 12:00", "2025-01-01 06:00", "2024-12-16", "2024-12-31"),
]


@pytest.mark.parametrize("schedule, after, run_at, first, last", NEXT_RUNS)
def test_next_run_and_the_period_it_covers(schedule, after, run_at, first, last):
    period = next_run(schedule, oslo(after), OSLO)
    assert period.run_at == oslo(run_at)
    assert (period.from_date.isoformat(), period.to_date.isoformat()) == (first, last)
    assert period.start == oslo(f"{first} 00:00")
    assert period.end == period.run_at.replace(hour=0)


def test_runs_are_at_six_local_time_across_daylight_saving():
    winter = next_run("daily", oslo("2025-03-28 12:00"), OSLO)  # DST starts on March 30
    summer = next_run("daily", winter.run_at, OSLO)
    assert winter.run_at.utcoffset() == timedelta(hours=1)
    assert summer.run_at.utcoffset() == timedelta(hours=2)
    assert (winter.run_at.hour, summer.run_at.hour) == (6, 6)
    # (datetimes of one zone subtract as wall times; instants need UTC)
    assert summer.run_at.astimezone(UTC) - winter.run_at.astimezone(UTC) == timedelta(hours=23)
    assert summer.end.astimezone(UTC) - summer.start.astimezone(UTC) == timedelta(hours=24)
    longest = next_run("daily", oslo("2025-10-26 07:00"), OSLO)  # DST ends on October 26
    assert longest.run_at.astimezone(UTC) == datetime(2025, 10, 27, 5, tzinfo=UTC)
    assert longest.end.astimezone(UTC) - longest.start.astimezone(UTC) == timedelta(hours=25)


def test_another_time_zone_moves_the_instants():
    helsinki = ZoneInfo("Europe/Helsinki")
    after = datetime(2025, 1, 10, 12, tzinfo=UTC)
    assert next_run("daily", after, helsinki).run_at.astimezone(UTC) == \
        datetime(2025, 1, 11, 4, tzinfo=UTC)


@pytest.mark.parametrize("schedule, days", [
    ("daily", {date(2025, 1, d) for d in range(1, 32)}),
    ("weekly", {date(2025, 1, d) for d in (6, 13, 20, 27)}),
    ("monthly", {date(2025, 1, 1)}),
    ("twice-a-month", {date(2025, 1, 1), date(2025, 1, 16)}),
])
def test_run_days(schedule, days):
    january = [date(2025, 1, d) for d in range(1, 32)]
    assert {d for d in january if is_run_day(schedule, d)} == days


def test_due_runs_are_those_after_the_anchor_up_to_now_within_the_limit():
    after, now = oslo("2025-01-10 12:00"), oslo("2025-01-14 06:00")
    assert [p.run_at for p in due_runs("daily", after, now, OSLO, limit=10)] == [
        oslo(f"2025-01-{d} 06:00") for d in (11, 12, 13, 14)]
    assert len(due_runs("daily", after, now, OSLO, limit=2)) == 2
    assert due_runs("monthly", after, now, OSLO, limit=10) == []
    with pytest.raises(ValueError):
        period_of_run("weekly", date(2025, 1, 14), OSLO)
    with pytest.raises(ValueError):
        is_run_day("hourly", date(2025, 1, 14))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SCHEDULES),
       st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1),
                    timezones=st.just(UTC)))
def test_consecutive_periods_tile_time_without_gaps_or_overlaps(schedule, after):
    runs = runs_after(schedule, after, OSLO)
    previous = next(runs)
    assert previous.run_at > after
    for _ in range(6):
        period = next(runs)
        assert period.start == previous.end
        assert period.run_at > previous.run_at
        assert period.run_at.astimezone(OSLO).hour == 6
        previous = period


def test_job_ids_are_deterministic_per_configuration_and_period():
    daily = next_run("daily", oslo("2025-01-12 12:00"), OSLO)  # Monday 13th, covers Sunday
    weekly = next_run("weekly", oslo("2025-01-12 12:00"), OSLO)  # Monday 13th, covers a week
    assert daily.run_at == weekly.run_at
    assert job_id("c1", daily) == job_id("c1", next_run("daily", oslo("2025-01-12 07:00"),
                                                        OSLO))
    assert len({job_id("c1", daily), job_id("c1", weekly), job_id("c2", daily)}) == 3
