"""Errors that domain logic raises and the reply layer turns into ReportReply errors."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, in the seed's Error shape (`loc`, `msg`)."""

    loc: str
    msg: str


@dataclass
class ReportError(Exception):
    """A request that cannot be answered with data; carries the HTTP-like status of the reply."""

    status: int
    code: str
    message: str
    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class DataAvailabilityNotMet(ReportError):
    """The stored data does not cover the timeframe as `required_data_availability` demands."""

    def __init__(self, message: str, errors: list[FieldError]) -> None:
        super().__init__(422, "DATA_AVAILABILITY_NOT_MET", message, errors)
