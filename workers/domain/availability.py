"""Which dates of an account's transactions the service holds, and what that means for a report.

Rules (quoted by the README):

- An account's coverage is the inclusive date range `[available_from, available_to]`.
  `available_from = None` means the service holds no data for the account at all;
  `available_to = None` (with a known `available_from`) means the data is open-ended, i.e.
  held up to the present. A range whose start is after its end holds no data.
- `data_availability` of a timeframe `[from_date, to_date]` (inclusive) over a set of
  accounts is `COMPLETE` when every account covers the whole timeframe, `NONE` when no
  account's range overlaps it (or there are no accounts), and `PARTIAL` otherwise.
- Requirements are ordered `NONE < PARTIAL < COMPLETE`; an availability meets a
  requirement when it is at least as high.
- A report's `refreshed_at` is the OLDEST `refreshed_at` among its accounts that have one
  (a combined report is only as fresh as its stalest account), formatted
  `YYYY-MM-DDThh:mm:ss.sssZ` in UTC (milliseconds truncated); `None` when no account has one.
  A naive datetime is taken to be UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from schemas.categorized import DataAvailability

_RANK: dict[str, int] = {"NONE": 0, "PARTIAL": 1, "COMPLETE": 2}


@dataclass(frozen=True)
class AccountCoverage:
    """The date range of an account's transactions held by the service, and its last refresh."""

    account_id: str
    available_from: date | None  # None = no data at all
    available_to: date | None  # None = open-ended (up to the present)
    refreshed_at: datetime | None  # timezone-aware UTC

    @property
    def has_data(self) -> bool:
        """True when the coverage holds at least one day."""
        if self.available_from is None:
            return False
        return self.available_to is None or self.available_from <= self.available_to

    def covers(self, from_date: date, to_date: date) -> bool:
        """True when every day of `[from_date, to_date]` is held."""
        return (
            self.has_data
            and self.available_from <= from_date  # type: ignore[operator]
            and (self.available_to is None or self.available_to >= to_date)
        )

    def overlaps(self, from_date: date, to_date: date) -> bool:
        """True when at least one day of `[from_date, to_date]` is held."""
        return (
            self.has_data
            and self.available_from <= to_date  # type: ignore[operator]
            and (self.available_to is None or self.available_to >= from_date)
        )

    def describe(self) -> str:
        """A human-readable range for error messages, e.g. `2024-01-01..2024-03-31`."""
        if not self.has_data:
            return "no data"
        end = self.available_to.isoformat() if self.available_to is not None else "now"
        return f"{self.available_from.isoformat()}..{end}"  # type: ignore[union-attr]


def data_availability(
    coverages: Sequence[AccountCoverage], from_date: date, to_date: date
) -> DataAvailability:
    """COMPLETE / PARTIAL / NONE for the inclusive timeframe over the given accounts."""
    if from_date > to_date:
        raise ValueError(f"empty timeframe: {from_date} is after {to_date}")
    if not coverages:
        return "NONE"
    if all(c.covers(from_date, to_date) for c in coverages):
        return "COMPLETE"
    if any(c.overlaps(from_date, to_date) for c in coverages):
        return "PARTIAL"
    return "NONE"


def meets_requirement(actual: DataAvailability, required: DataAvailability) -> bool:
    """True when `actual` is at least `required` in the order NONE < PARTIAL < COMPLETE."""
    return _RANK[actual] >= _RANK[required]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """`YYYY-MM-DDThh:mm:ss.sssZ` in UTC; naive datetimes are taken to be UTC."""
    value = _utc(value)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
        f".{value.microsecond // 1000:03d}Z"
    )


def format_refreshed_at(coverages: Sequence[AccountCoverage]) -> str | None:
    """The oldest `refreshed_at` among the coverages, formatted; None when none has one."""
    stamps = [_utc(c.refreshed_at) for c in coverages if c.refreshed_at is not None]
    if not stamps:
        return None
    return format_timestamp(min(stamps))
