"""Request and response models of the Categorized Transactions Report.

The request mirrors the seed's body field for field
(`seeds/categorized-transactions-report.md`); the response models describe the seed's
`data` object. Validation is strict where the seed is precise: dates are `YYYY-MM-DD`
strings only, integers and booleans must be real JSON integers and booleans, and unknown
fields are rejected. Lists are bounded so that one request cannot be made arbitrarily
expensive.

The seed marks every optional field as nullable (`?Type`); an explicit `null` for a field
that has a default (`offset`, `only_main_category`, `required_data_availability`,
`combine_accounts`) means "use the default".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)

# --- enumerations --------------------------------------------------------------------

TransactionType = Literal["DEBIT", "CREDIT"]
TransactionTypeFilter = Literal["DEBIT", "CREDIT", "DEBIT_AND_ZERO"]
TransactionState = Literal["PROCESSED", "PENDING", "CANCELED", "FAILED", "UNKNOWN"]
OrderDirection = Literal["ASC", "DESC"]
OrderField = Literal["AMOUNT", "DATE", "CATEGORY", "BRAND", "AMOUNT_WITH_TYPE"]
DataAvailability = Literal["COMPLETE", "PARTIAL", "NONE"]
CombineAccounts = Literal["NONE", "ALL"]

# --- limits (a request must not be abusive) ------------------------------------------

MAX_ID_LENGTH = 128
MAX_IDS = 1000
MAX_LABELS = 100
MAX_LABEL_KEY_LENGTH = 256
MAX_LABEL_VALUE_LENGTH = 1024
MAX_ORDER_KEYS = 5
MAX_STATES = 5
MAX_REPORT_DAYS = 36_500
MAX_PAGE = 2**31 - 1
MIN_AMOUNT_BOUND = -(2**63)
MAX_AMOUNT_BOUND = 2**63 - 1

# --- strict scalar types -------------------------------------------------------------

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _strict_date(value: Any) -> Any:
    """Accept only `YYYY-MM-DD` strings (or `date` objects from Python callers)."""
    if isinstance(value, datetime):
        raise ValueError("must be a date in YYYY-MM-DD format, not a date-time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"not a valid calendar date: {exc}") from None
    raise ValueError("must be a date string in YYYY-MM-DD format")


StrictDate = Annotated[date, BeforeValidator(_strict_date)]
Identifier = Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH)]
IdentifierList = Annotated[list[Identifier], Field(max_length=MAX_IDS)]
NonNegativeInt = Annotated[StrictInt, Field(ge=0, le=MAX_PAGE)]
AmountBound = Annotated[StrictInt, Field(ge=MIN_AMOUNT_BOUND, le=MAX_AMOUNT_BOUND)]


# --- request -------------------------------------------------------------------------


class OrderBy(BaseModel):
    """`ReportOptionsOrderBy`: one sort key; the direction defaults to ascending."""

    model_config = ConfigDict(extra="forbid")

    order: OrderDirection = "ASC"
    field: OrderField


class Label(BaseModel):
    """A label key-value pair used by `labels` / `excluded_labels`."""

    model_config = ConfigDict(extra="forbid")

    key: Annotated[StrictStr, Field(min_length=1, max_length=MAX_LABEL_KEY_LENGTH)]
    value: Annotated[StrictStr, Field(max_length=MAX_LABEL_VALUE_LENGTH)]


class ReportScope(BaseModel):
    """The fields every report request starts with: the consumer, the accounts and the
    timeframe, and the rules between them (`cross_field_problems`). Report requests extend it.

    `null_means_default` names the fields whose explicit `null` means "use the default".
    """

    model_config = ConfigDict(extra="forbid")
    null_means_default: ClassVar[tuple[str, ...]] = ()

    insights_consumer_id: Identifier
    insights_account_ids: IdentifierList | None = None
    excluded_insights_account_ids: IdentifierList | None = None
    report_days: Annotated[StrictInt, Field(ge=0, le=MAX_REPORT_DAYS)] | None = None
    from_date: StrictDate | None = None
    to_date: StrictDate | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        names = cls.null_means_default
        if isinstance(data, dict) and any(
            name in data and data[name] is None for name in names
        ):
            data = {k: v for k, v in data.items() if not (k in names and v is None)}
        return data

    @model_validator(mode="after")
    def _cross_field_rules(self) -> ReportScope:
        problems = cross_field_problems(self.__dict__)
        if problems:
            raise ValueError("; ".join(message for _, message in problems))
        return self


class CategorizedReportRequest(ReportScope):
    """The body of a Categorized Transactions Report request (seed field for field).

    Cross-field rules: `insights_account_ids` and `excluded_insights_account_ids` may not
    both be non-empty; `report_days` excludes `from_date`/`to_date`; `from_date <= to_date`;
    `min_amount <= max_amount`. An empty account list means "not set"; any other explicitly
    empty filter list matches nothing.
    """

    null_means_default: ClassVar[tuple[str, ...]] = (
        "offset", "only_main_category", "required_data_availability", "combine_accounts")

    size: NonNegativeInt | None = None
    offset: NonNegativeInt = 0
    max_amount: AmountBound | None = None
    min_amount: AmountBound | None = None
    transaction_type: TransactionTypeFilter | None = None
    only_main_category: StrictBool = False
    states: Annotated[list[TransactionState], Field(max_length=MAX_STATES)] | None = None
    insights_transaction_ids: IdentifierList | None = None
    category_ids: IdentifierList | None = None
    brand_ids: IdentifierList | None = None
    order: Annotated[list[OrderBy], Field(max_length=MAX_ORDER_KEYS)] | None = None
    labels: Annotated[list[Label], Field(max_length=MAX_LABELS)] | None = None
    excluded_labels: Annotated[list[Label], Field(max_length=MAX_LABELS)] | None = None
    required_data_availability: DataAvailability = "COMPLETE"
    combine_accounts: CombineAccounts = "NONE"


def cross_field_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for every rule between fields that `values` breaks.

    Works on validated attributes and on a raw request body alike (values of the wrong type are
    skipped: their own field errors report them), so a reply can list these problems next to
    field errors, which stop pydantic before it runs model validators.
    """
    problems: list[tuple[str, str]] = []
    if values.get("insights_account_ids") and values.get("excluded_insights_account_ids"):
        problems.append(("excluded_insights_account_ids",
                         "insights_account_ids and excluded_insights_account_ids cannot both "
                         "be set; one of them must be empty"))
    if values.get("report_days") is not None and (
            values.get("from_date") is not None or values.get("to_date") is not None):
        problems.append(("report_days", "report_days cannot be combined with from_date or "
                                        "to_date"))
    from_date, to_date = _date_or_none(values.get("from_date")), _date_or_none(values.get("to_date"))
    if from_date is not None and to_date is not None and from_date > to_date:
        problems.append(("from_date", "from_date must not be after to_date"))
    low, high = values.get("min_amount"), values.get("max_amount")
    if _is_int(low) and _is_int(high) and low > high:
        problems.append(("min_amount", "min_amount must not be greater than max_amount"))
    return problems


def _date_or_none(value: Any) -> date | None:
    try:
        return _strict_date(value) if value is not None else None
    except ValueError:
        return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- response ------------------------------------------------------------------------


class Amount(BaseModel):
    """An amount in the smallest currency unit; the direction is the transaction `type`."""

    amount: Annotated[int, Field(ge=0)]
    currency: str


class Category(BaseModel):
    """A category from the Category List."""

    id: str
    name: str


class Brand(BaseModel):
    """The brand (merchant) a transaction was matched to."""

    id: str
    name: str
    url: str | None = None


class BankTransactionCode(BaseModel):
    """The bank's own transaction code."""

    code: str | None = None
    sub_code: str | None = None
    description: str | None = None


class CounterParty(BaseModel):
    """The other side of the transaction; `holder_address` is a free-form object."""

    holder_name: str | None = None
    holder_address: dict[str, Any] | None = None
    iban: str | None = None
    account_number: str | None = None
    bank_code: str | None = None


class CategorizedTransaction(BaseModel):
    """A transaction enriched with categories and brand.

    `insights_account_id` is additive to the seed's example: it tells which account the
    transaction is on, which matters for reports with `combine_accounts: ALL`. Optional
    fields may be absent. At least one of `booking_date` / `value_date` is present.
    """

    insights_transaction_id: str
    insights_account_id: str
    ob_transaction_id: str | None = None
    booking_date: date | None = None
    value_date: date | None = None
    amount: Amount
    reference: str | None = None
    bank_references: dict[str, Any] | None = None
    type: TransactionType
    state: TransactionState | None = None
    method: str | None = None
    bank_transaction_code: BankTransactionCode | None = None
    counter_party: CounterParty | None = None
    categories: list[Category] = Field(default_factory=list)
    brand: Brand | None = None
    labels: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_a_date(self) -> CategorizedTransaction:
        if self.booking_date is None and self.value_date is None:
            raise ValueError("at least one of booking_date and value_date is required")
        return self


class CategorizedTransactionReport(BaseModel):
    """One report: the transactions of one account, or of all selected accounts combined."""

    type: Literal["CATEGORIZED_TRANSACTIONS"] = "CATEGORIZED_TRANSACTIONS"
    insights_consumer_id: str
    insights_account_ids: list[str]
    transactions: list[CategorizedTransaction]
    from_date: date
    to_date: date
    refreshed_at: str | None = Field(
        description="Oldest refresh time of the report's accounts, YYYY-MM-DDThh:mm:ss.sssZ (UTC);"
        " null when unknown.",
        examples=["2021-06-15T09:22:01.000Z"],
    )
    data_availability: DataAvailability


class CategorizedReportResponse(BaseModel):
    """The seed's `data` object of a Categorized Transactions Report reply."""

    reports: list[CategorizedTransactionReport]
