"""Recurring-series detection (workers/domain/recurring.py): the hard cases one by one.

Each test builds one bucket's occurrences as `(id, ISO date, amount)` and checks the series
found: their interval and their exact members.
"""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.domain.recurring import (
    BIWEEKLY,
    BUSY_ITEMS,
    CADENCES,
    HALF_YEARLY,
    MONTHLY,
    QUARTERLY,
    UNKNOWN,
    WEEKLY,
    YEARLY,
    Occurrence,
    detect_series,
    grace_days,
    is_active,
)

HOLIDAYS = {(1, 1), (5, 1), (10, 3), (12, 25), (12, 26)}


def business(day: date, backwards: bool = False) -> date:
    step = timedelta(days=-1 if backwards else 1)
    while day.weekday() >= 5 or (day.month, day.day) in HOLIDAYS:
        day += step
    return day


def month_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def monthly(prefix: str, day: int, amounts, start=(2024, 1), backwards=False, skip=()):
    """One occurrence a month on `day` (clamped, moved off weekends and holidays)."""
    out = []
    year, month = start
    for i, amount in enumerate(amounts):
        y, m0 = divmod(month - 1 + i, 12)
        if i in skip:
            continue
        when = business(month_day(year + y, m0 + 1, day), backwards)
        out.append(Occurrence(f"{prefix}{i:02d}", when.isoformat(), amount))
    return out


def every(prefix: str, first: date, days: int, amounts) -> list[Occurrence]:
    return [Occurrence(f"{prefix}{i:02d}", business(first + timedelta(days=days * i)).isoformat(),
                       amount) for i, amount in enumerate(amounts)]


def found(occurrences) -> list[tuple[str, tuple[str, ...]]]:
    return [(series.interval, series.ids) for series in detect_series(occurrences)]


def ids(occurrences) -> tuple[str, ...]:
    return tuple(o.id for o in sorted(occurrences, key=lambda o: (o.day, o.id)))


# --- intervals ---------------------------------------------------------------------------


def test_monthly_with_next_business_day_shifts():
    series = monthly("m", 1, [1599] * 12)  # the 1st is a holiday or a weekend in some months
    days = {date.fromisoformat(o.day).day for o in series}
    assert days != {1}, "the data must contain shifted dates"
    assert found(series) == [(MONTHLY, ids(series))]


def test_month_end_payments_on_the_31st_stay_one_series():
    series = monthly("e", 31, [45000] * 13)
    days = {date.fromisoformat(o.day).day for o in series}
    # February 2024 (29th), 30-day months, and month ends on weekends moved to the 1st/2nd.
    assert {29, 30, 31} <= days and days & {1, 2}
    assert found(series) == [(MONTHLY, ids(series))]


def test_a_missed_month_keeps_the_series():
    series = monthly("m", 15, [2999] * 12, skip={6})
    assert len(series) == 11
    assert found(series) == [(MONTHLY, ids(series))]


def test_two_missed_months_in_a_row_break_a_monthly_series():
    series = monthly("m", 15, [2999] * 5, skip={2, 3})
    assert found(series) == []


def test_weekly_biweekly_quarterly_half_yearly_and_yearly():
    weekly = every("w", date(2024, 1, 5), 7, [1000] * 20)
    biweekly = every("b", date(2024, 1, 8), 14, [150000] * 10)
    quarterly = [Occurrence(f"q{i}", business(date(2024, m, 10)).isoformat(), 60000)
                 for i, m in enumerate((3, 6, 9, 12))]
    half = [Occurrence(f"h{i}", business(d).isoformat(), 31200)
            for i, d in enumerate((date(2023, 7, 1), date(2024, 1, 1), date(2024, 7, 1)))]
    yearly = [Occurrence("y0", "2023-03-06", 8990), Occurrence("y1", "2024-03-05", 8990)]
    assert found(weekly) == [(WEEKLY, ids(weekly))]
    assert found(biweekly) == [(BIWEEKLY, ids(biweekly))]
    assert found(quarterly) == [(QUARTERLY, ids(quarterly))]
    assert found(half) == [(HALF_YEARLY, ids(half))]
    assert found(yearly) == [(YEARLY, ids(yearly))]


def test_regular_series_that_fit_no_named_interval_are_unknown():
    four_weekly = every("f", date(2024, 1, 3), 28, [3490] * 8)
    two_monthly = [Occurrence(f"t{i}", business(date(2024, 1 + 2 * i, 15)).isoformat(), 4500)
                   for i in range(6)]
    assert found(four_weekly) == [(UNKNOWN, ids(four_weekly))]
    assert found(two_monthly) == [(UNKNOWN, ids(two_monthly))]


@pytest.mark.parametrize(("interval", "minimum"), [(c.interval, c.min_occurrences)
                                                   for c in CADENCES])
def test_minimum_occurrences_per_interval(interval, minimum):
    cadence = next(c for c in CADENCES if c.interval == interval)
    start = date(2022, 1, 3)

    def occurrences(n):
        if cadence.months:
            return [Occurrence(f"x{i}", month_day(2022 + (cadence.months * i) // 12,
                                                  (cadence.months * i) % 12 + 1, 12).isoformat(),
                               2500) for i in range(n)]
        return [Occurrence(f"x{i}", (start + timedelta(days=cadence.days * i)).isoformat(), 2500)
                for i in range(n)]

    assert [s.interval for s in detect_series(occurrences(minimum))] == [interval]
    assert detect_series(occurrences(minimum - 1)) == []


# --- amounts -------------------------------------------------------------------------------


def test_a_price_change_stays_one_series():
    small = monthly("n", 19, [1399] * 6 + [1599] * 6)
    large = monthly("d", 7, [999] * 5 + [1299] * 7)  # +30 %
    assert found(small) == [(MONTHLY, ids(small))]
    assert found(large) == [(MONTHLY, ids(large))]


def test_variable_bills_stay_one_series():
    rng = random.Random(4)
    phone = monthly("p", 12, [2999 + (rng.randint(100, 1200) if rng.random() < 0.3 else 0)
                              for _ in range(14)])
    seasons = [1.35, 1.3, 1.15, 1.0, 0.85, 0.72, 0.66, 0.7, 0.82, 0.98, 1.15, 1.3, 1.36, 1.3]
    power = monthly("e", 18, [round(6000 * s * rng.uniform(0.95, 1.05)) for s in seasons])
    assert found(phone) == [(MONTHLY, ids(phone))]
    assert found(power) == [(MONTHLY, ids(power))]


def test_two_plans_at_one_merchant_stay_two_series():
    same_day = monthly("a", 5, [999] * 10) + monthly("b", 5, [1799] * 10)
    close_amounts = monthly("c", 1, [4510] * 10) + monthly("d", 1, [4730] * 10)
    other_days = monthly("e", 3, [1299] * 10) + monthly("f", 17, [1299] * 10)
    for bucket in (same_day, close_amounts, other_days):
        groups = sorted(found(bucket))
        first, second = bucket[:10], bucket[10:]
        assert groups == sorted([(MONTHLY, ids(first)), (MONTHLY, ids(second))])


def test_two_plans_same_day_with_a_price_change_in_one():
    plan = monthly("a", 20, [1299] * 5 + [1412] * 9)
    other = monthly("b", 20, [2468] * 14)
    assert sorted(found(plan + other)) == sorted([(MONTHLY, ids(plan)), (MONTHLY, ids(other))])


def test_weekly_supermarket_with_random_amounts_is_no_series():
    rng = random.Random(7)
    visits, day = [], date(2024, 1, 6)  # every Saturday, and some extra days
    for week in range(52):
        visits.append(Occurrence(f"s{week}", (day + timedelta(weeks=week)).isoformat(),
                                 round(rng.lognormvariate(8.2, 0.6))))
        if rng.random() < 0.4:
            extra = day + timedelta(weeks=week, days=rng.randint(1, 5))
            visits.append(Occurrence(f"x{week}", extra.isoformat(),
                                     round(rng.lognormvariate(7.5, 0.6))))
    assert found(visits) == []


def test_one_off_purchases_at_a_recurring_merchant_stay_out_of_the_group():
    plan = monthly("p", 9, [899] * 12)
    rng = random.Random(3)
    orders = [Occurrence(f"o{i}", (date(2024, 1, 1) + timedelta(days=rng.randint(0, 360)))
                         .isoformat(), rng.randint(500, 20000)) for i in range(20)]
    assert found(plan + orders) == [(MONTHLY, ids(plan))]


def test_a_yearly_plan_among_many_random_orders_is_found_by_its_exact_amount():
    rng = random.Random(5)
    orders = [Occurrence(f"o{i:03d}", (date(2023, 11, 1) + timedelta(days=rng.randint(0, 420)))
                         .isoformat(), round(rng.lognormvariate(8, 0.9))) for i in range(BUSY_ITEMS * 2)]
    assert len({o.amount for o in orders}) == len(orders)
    prime = [Occurrence("prime-1", "2023-11-03", 8990), Occurrence("prime-2", "2024-11-04", 8990)]
    assert found(orders + prime) == [(YEARLY, ("prime-1", "prime-2"))]


def test_busy_buckets_still_find_weekly_and_biweekly_series():
    rng = random.Random(2)
    assert BUSY_ITEMS < 30
    wage = every("w", date(2024, 1, 5), 14, [round(145000 * rng.uniform(0.97, 1.05))
                                            for _ in range(30)])
    assert found(wage) == [(BIWEEKLY, ids(wage))]
    kit = every("k", date(2024, 1, 3), 7, [4999] * 25 + [5799] * 25)  # a 16 % price change
    assert found(kit) == [(WEEKLY, ids(kit))]


def test_exact_repeats_prove_nothing_where_amounts_repeat_anyway():
    rng = random.Random(9)  # a café: a dozen prices, visited on random weekdays
    visits = []
    for n in range(120):
        day = date(2024, 1, 1) + timedelta(days=rng.randint(0, 365))
        visits.append(Occurrence(f"c{n:03d}", day.isoformat(), rng.choice(range(280, 400, 10))))
    assert found(visits) == []


# --- income, dates, prediction ------------------------------------------------------------


def test_salary_paid_on_the_last_business_day_before_weekends():
    salary = monthly("s", 31, [312000 + 1000 * (i % 3) for i in range(14)], backwards=True)
    assert found(salary) == [(MONTHLY, ids(salary))]


def test_a_one_off_bonus_from_the_employer_is_not_part_of_the_salary():
    salary = monthly("s", 25, [250000] * 12, backwards=True)
    bonus = Occurrence("bonus", "2024-11-15", 180000)
    assert found(salary + [bonus]) == [(MONTHLY, ids(salary))]


def test_next_date_follows_the_grid_and_the_series_weekend_habit():
    forward = monthly("f", 1, [1000] * 6, start=(2024, 3))  # 2024-09-01 is a Sunday
    backward = monthly("b", 1, [1000] * 6, start=(2024, 3), backwards=True)
    assert detect_series(forward)[0].next_date == "2024-09-02"
    # Backwards-moved history: 2024-06-01 (Saturday) was paid on Friday 2024-05-31.
    assert detect_series(backward)[0].next_date == "2024-08-30"
    weekly = every("w", date(2024, 1, 5), 7, [500] * 6)
    assert detect_series(weekly)[0].next_date == "2024-02-16"


def test_active_is_judged_against_the_newest_transaction_not_the_clock():
    series = detect_series(monthly("m", 10, [999] * 6))[0]
    assert series.next_date == "2024-07-10"
    grace = grace_days(MONTHLY, series.next_date, "2024-06-10")
    assert grace == 7
    assert is_active(MONTHLY, series.next_date, "2024-06-10", "2024-07-17")
    assert not is_active(MONTHLY, series.next_date, "2024-06-10", "2024-07-18")
    assert is_active(MONTHLY, series.next_date, "2024-06-10", None)
    assert grace_days(UNKNOWN, "2024-03-29", "2024-03-01") == 7


def test_confidence_grows_with_evidence_and_stays_in_range():
    short = detect_series(monthly("a", 10, [999] * 3))[0].confidence
    long = detect_series(monthly("b", 10, [999] * 12))[0].confidence
    assert 0 < short < long <= 1


def test_plain_tuples_work_like_occurrences():
    series = monthly("m", 10, [999] * 4)
    assert detect_series([tuple(o) for o in series]) == detect_series(series)


def test_fewer_than_two_occurrences_give_nothing():
    assert detect_series([]) == []
    assert detect_series([Occurrence("a", "2024-01-01", 100)]) == []


# --- properties --------------------------------------------------------------------------


@st.composite
def buckets(draw):
    """A bucket mixing a few series and random payments."""
    rng = random.Random(draw(st.integers(0, 10**6)))
    occurrences = []
    for n in range(draw(st.integers(0, 3))):
        day = rng.randint(1, 28)
        occurrences += monthly(f"s{n}-", day, [rng.choice((999, 1599, 4500))] * rng.randint(2, 12))
    for n in range(draw(st.integers(0, 40))):
        when = date(2024, 1, 1) + timedelta(days=rng.randint(0, 400))
        occurrences.append(Occurrence(f"r{n}", when.isoformat(), rng.randint(100, 9000)))
    return occurrences


@settings(max_examples=60, deadline=None)
@given(buckets(), st.randoms(use_true_random=False))
def test_the_result_depends_only_on_the_set_of_occurrences(bucket, rnd):
    shuffled = list(bucket)
    rnd.shuffle(shuffled)
    result = detect_series(bucket)
    assert detect_series(shuffled) == result
    members = [i for series in result for i in series.ids]
    assert len(members) == len(set(members))  # an occurrence belongs to at most one series
    assert all(0 <= series.confidence <= 1 for series in result)
