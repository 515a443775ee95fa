"""The service clock: the system clock, or an instant read from a file (tests, demonstrations).

With `INSIGHTS_CLOCK_FILE` set, "now" for report schedules and configuration timestamps is the
ISO 8601 instant in that file, read afresh every time, so a test can move a running worker's
time forward. A missing file means the system clock; an unreadable one is logged and ignored.
Token expiry is always checked against the system clock.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


class ServiceClock:
    """`now()` as an aware UTC datetime."""

    def __init__(self, clock_file: Path | None = None) -> None:
        self.clock_file = clock_file

    def now(self) -> datetime:
        """The current instant of the service."""
        if self.clock_file is None:
            return datetime.now(UTC)
        try:
            text = self.clock_file.read_text().strip()
        except FileNotFoundError:
            return datetime.now(UTC)
        try:
            instant = datetime.fromisoformat(text)
            if instant.tzinfo is None:
                raise ValueError("no UTC offset")
        except ValueError as exc:
            log.warning("ignoring clock file %s (%r): %s", self.clock_file, text[:64], exc)
            return datetime.now(UTC)
        return instant.astimezone(UTC)


def set_clock_file(path: Path, instant: datetime) -> None:
    """Move the time of every worker reading `path` to `instant` (written atomically)."""
    partial = path.with_suffix(".tmp")
    partial.write_text(instant.isoformat())
    partial.replace(path)
