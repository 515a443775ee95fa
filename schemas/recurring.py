"""Request and response models of the Recurring Transactions Report.

The request mirrors the seed's body field for field (`seeds/recurring-transactions-report.md`)
with the same strictness as the categorized request: `YYYY-MM-DD` dates only, real JSON
integers, unknown fields rejected (400), both account lists set is a 400, `report_days` with
`from_date`/`to_date` is a 400. An explicit `null` for `required_data_availability` means the
default (COMPLETE).

The response models describe the seed's `data` object. Where the seed is loose:

* The seed spells the occurrence range `occurences_range` / `earliest_occurence_date` in its
  TransactionGroup schema and `occurrences_range` / `earliest_occurrence_date` /
  `latest_occurrence_date` in its example response. The service emits the example's (correct)
  spelling.
* Amounts in this report are signed: income positive, expenses negative (the seed's example:
  `"expense_amount": {"amount": -70000}`, `"average_amount": {"amount": -2000, ...}`).
  `income_amount` / `expense_amount` carry the report currency (see below), which the seed's
  example leaves out.
* Additions beyond the seed, all optional for clients: per group `next_date` (the predicted
  next occurrence), `active` (that date has not passed by more than the interval's grace
  period, judged against the consumer's newest transaction date) and `confidence` (0..1); per
  interval `amounts_by_currency` when its groups have more than one currency.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field

from schemas.categorized import Brand, Category, DataAvailability, ReportScope

RecurrenceInterval = Literal[
    "WEEKLY", "BIWEEKLY", "MONTHLY", "QUARTERLY", "HALF_YEARLY", "YEARLY", "UNKNOWN"
]


class RecurringReportRequest(ReportScope):
    """The body of a Recurring Transactions Report request (seed field for field).

    Cross-field rules: `insights_account_ids` and `excluded_insights_account_ids` may not both
    be non-empty (an empty list means "not set"); `report_days` excludes `from_date`/`to_date`;
    `from_date <= to_date`.
    """

    null_means_default: ClassVar[tuple[str, ...]] = ("required_data_availability",)

    required_data_availability: DataAvailability = "COMPLETE"


class SignedAmount(BaseModel):
    """An amount in the smallest currency unit, negative for expenses."""

    amount: int
    currency: str | None = None


class OccurrencesRange(BaseModel):
    """The first and the last occurrence of a group in the report's timeframe."""

    earliest_occurrence_date: date
    latest_occurrence_date: date


class TransactionGroup(BaseModel):
    """Transactions with one counterparty, a similar amount and dates that match the interval.

    Every field except `next_date`, `active` and `confidence` describes the group's occurrences
    inside the report's timeframe on the report's accounts; those three describe the whole
    series as detected from all stored history.
    """

    earliest_day: Annotated[int, Field(ge=1, le=31)]
    latest_day: Annotated[int, Field(ge=1, le=31)]
    average_amount: SignedAmount
    transaction_ids: list[str]
    categories: list[Category]
    brand: Brand | None = None
    occurrences_range: OccurrencesRange
    next_date: date | None = Field(
        default=None, description="Addition to the seed: the predicted next occurrence.")
    active: bool | None = Field(
        default=None, description="Addition to the seed: next_date has not passed by more "
        "than the interval's grace period, judged against the consumer's newest transaction.")
    confidence: Annotated[float, Field(ge=0, le=1)] | None = Field(
        default=None, description="Addition to the seed: how well the series fits its interval.")


class CurrencyAmounts(BaseModel):
    """Sums of one currency's groups in an interval (signed, smallest currency unit)."""

    currency: str
    income_amount: int
    expense_amount: int


class RecurringInterval(BaseModel):
    """The groups of one interval and their summed average amounts."""

    interval: RecurrenceInterval
    income_amount: SignedAmount
    expense_amount: SignedAmount
    transaction_groups: list[TransactionGroup]
    amounts_by_currency: list[CurrencyAmounts] | None = Field(
        default=None, description="Addition to the seed, present when the interval's groups "
        "have several currencies: the sums per currency; income_amount and expense_amount "
        "hold only the report currency's groups.")


class RecurringTransactionReport(BaseModel):
    """One Recurring Transactions Report over the selected accounts."""

    type: Literal["RECURRING_TRANSACTIONS"] = "RECURRING_TRANSACTIONS"
    insights_consumer_id: str
    insights_account_ids: list[str]
    from_date: date
    to_date: date
    refreshed_at: str | None = Field(
        description="Oldest refresh time of the report's accounts, YYYY-MM-DDThh:mm:ss.sssZ (UTC);"
        " null when unknown.",
        examples=["2023-06-25T09:22:02.523Z"],
    )
    intervals: list[RecurringInterval]
    data_availability: DataAvailability


class RecurringReportResponse(BaseModel):
    """The seed's `data` object of a Recurring Transactions Report reply."""

    reports: list[RecurringTransactionReport]
