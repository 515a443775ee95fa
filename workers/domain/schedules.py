"""Report schedules: when a configuration's report is due and which period it covers.

Every schedule runs at 06:00 in the report time zone (default Europe/Oslo) and covers the
period that has just ended, in whole local days:

| schedule | runs on | covers |
|---|---|---|
| daily | every day | the day before |
| weekly | Mondays | the week before, Monday to Sunday |
| monthly | the 1st | the month before |
| twice-a-month | the 1st and the 16th | the 1st to the 15th (run on the 16th); the 16th to the end of the month (run on the 1st) |

A run is identified by its instant; a job's id is derived from the configuration and the
period, so the same period always gets the same job id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

RUN_TIME = time(6, 0)
SCHEDULES = ("daily", "weekly", "monthly", "twice-a-month")
#: Namespace of job ids (uuid5 of configuration id and period).
JOB_NAMESPACE = uuid.UUID("7d1c1c9e-3f0a-5b8e-9a51-2f4f3c1b6a10")


@dataclass(frozen=True)
class Period:
    """One run of a schedule: when it is due and the local days it covers (end exclusive)."""

    run_at: datetime
    start: datetime
    end: datetime

    @property
    def from_date(self) -> date:
        """The first day covered."""
        return self.start.date()

    @property
    def to_date(self) -> date:
        """The last day covered (inclusive)."""
        return self.end.date() - timedelta(days=1)


def is_run_day(schedule: str, day: date) -> bool:
    """Whether `schedule` runs on the local date `day`."""
    if schedule == "daily":
        return True
    if schedule == "weekly":
        return day.weekday() == 0
    if schedule == "monthly":
        return day.day == 1
    if schedule == "twice-a-month":
        return day.day in (1, 16)
    raise ValueError(f"unknown schedule {schedule!r}")


def _first_day_covered(schedule: str, run_day: date) -> date:
    if schedule == "daily":
        return run_day - timedelta(days=1)
    if schedule == "weekly":
        return run_day - timedelta(days=7)
    previous_month = (run_day.replace(day=1) - timedelta(days=1)).replace(day=1)
    if schedule == "monthly":
        return previous_month
    # twice-a-month
    return run_day.replace(day=1) if run_day.day == 16 else previous_month.replace(day=16)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def period_of_run(schedule: str, run_day: date, zone: ZoneInfo) -> Period:
    """The run of `schedule` on `run_day` (which must be one of its run days)."""
    if not is_run_day(schedule, run_day):
        raise ValueError(f"{schedule} does not run on {run_day}")
    return Period(run_at=_local(run_day, RUN_TIME, zone),
                  start=_local(_first_day_covered(schedule, run_day), time(0), zone),
                  end=_local(run_day, time(0), zone))


def runs_after(schedule: str, after: datetime, zone: ZoneInfo) -> Iterator[Period]:
    """The runs of `schedule` strictly after the instant `after`, in order (endless)."""
    day = after.astimezone(zone).date()
    while True:
        if is_run_day(schedule, day):
            period = period_of_run(schedule, day, zone)
            if period.run_at > after:
                yield period
        day += timedelta(days=1)


def next_run(schedule: str, after: datetime, zone: ZoneInfo) -> Period:
    """The first run of `schedule` strictly after `after`."""
    return next(runs_after(schedule, after, zone))


def due_runs(schedule: str, after: datetime, now: datetime, zone: ZoneInfo,
             limit: int) -> list[Period]:
    """Runs with `after` < run_at <= `now`, oldest first, at most `limit` of them."""
    due = []
    for period in runs_after(schedule, after, zone):
        if period.run_at > now or len(due) >= limit:
            break
        due.append(period)
    return due


def job_id(configuration_id: str, period: Period) -> str:
    """The id of the job of one configuration and period: the same inputs, the same id."""
    return str(uuid.uuid5(JOB_NAMESPACE, f"{configuration_id}/{period.from_date.isoformat()}/"
                                         f"{period.to_date.isoformat()}"))


def iso(instant: datetime) -> str:
    """An instant as ISO 8601 with offset (UTC instants end in Z), millisecond precision."""
    text = instant.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if instant.utcoffset() == timedelta(0) else text


def parse_instant(text: str) -> datetime:
    """The inverse of `iso` (any ISO 8601 date-time with offset)."""
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return instant


