"""Pydantic models of the message contract v1 (CONTRACT.md): what producers and clients send and get.

Inbound events ignore unknown fields (the contract may grow new optional fields); report request
bodies reject them, so that a misspelt filter is an error instead of a silently wider report.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# Ids become parts of table keys joined by \x1f, so control characters are not allowed.
Identifier = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f]{1,128}$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
#: A legal Kafka topic name.
TOPIC_NAME_PATTERN = r"^[A-Za-z0-9._-]{1,249}$"
TopicName = Annotated[str, StringConstraints(pattern=TOPIC_NAME_PATTERN)]
ShortText = Annotated[str, StringConstraints(max_length=1024)]

TransactionType = Literal["DEBIT", "CREDIT"]
TransactionState = Literal["PROCESSED", "PENDING", "CANCELED", "FAILED", "UNKNOWN"]
ReportName = Literal["categorization", "recurring-transactions"]


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class Amount(_Event):
    """An amount in the smallest currency unit; the direction is the transaction's `type`."""

    amount: Annotated[int, Field(ge=0, le=10**15)]
    currency: CurrencyCode


class BankReferences(_Event):
    """Reference texts as the bank delivers them."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)
    unstructured: ShortText | None = None
    structured: ShortText | None = None


class BankTransactionCode(_Event):
    """ISO 20022 style bank transaction code (for example code CCRD, sub_code CreditCardPayment)."""

    code: Annotated[str, StringConstraints(max_length=64)] | None = None
    sub_code: Annotated[str, StringConstraints(max_length=64)] | None = None
    description: ShortText | None = None


class CounterParty(_Event):
    """The other side of the transaction, as far as the bank knows it."""

    holder_name: ShortText | None = None
    holder_address: dict[str, Any] | None = None
    iban: Annotated[str, StringConstraints(max_length=64)] | None = None
    account_number: Annotated[str, StringConstraints(max_length=64)] | None = None
    bank_code: Annotated[str, StringConstraints(max_length=64)] | None = None


class TransactionEvent(_Event):
    """One bank transaction; a later event with the same id replaces it, `deleted` removes it."""

    insights_consumer_id: Identifier
    insights_account_id: Identifier
    insights_transaction_id: Identifier
    ob_transaction_id: Annotated[str, StringConstraints(max_length=256)] | None = None
    booking_date: date | None = None
    value_date: date | None = None
    amount: Amount
    type: TransactionType
    state: TransactionState | None = None
    method: Annotated[str, StringConstraints(max_length=64)] | None = None
    reference: ShortText | None = None
    bank_references: BankReferences | None = None
    bank_transaction_code: BankTransactionCode | None = None
    counter_party: CounterParty | None = None
    labels: dict[Annotated[str, StringConstraints(max_length=256)],
                 Annotated[str, StringConstraints(max_length=1024)]] | None = None
    deleted: bool = False

    @model_validator(mode="after")
    def _needs_a_date(self) -> TransactionEvent:
        if self.booking_date is None and self.value_date is None:
            raise ValueError("at least one of booking_date and value_date is required")
        return self

    @property
    def transaction_date(self) -> date:
        """The date a transaction is filed under: booking date, else value date."""
        return self.booking_date or self.value_date  # type: ignore[return-value]


class AccountEvent(_Event):
    """Which date range of an account's transactions the service holds, and when it was refreshed."""

    insights_consumer_id: Identifier
    insights_account_id: Identifier
    deleted: bool = False
    currency: CurrencyCode | None = None
    iban: Annotated[str, StringConstraints(max_length=64)] | None = None
    holder_name: ShortText | None = None
    data_available_from: date | None = None
    data_available_to: date | None = None
    refreshed_at: datetime | None = None

    @model_validator(mode="after")
    def _range_in_order(self) -> AccountEvent:
        if (self.data_available_from and self.data_available_to
                and self.data_available_from > self.data_available_to):
            raise ValueError("data_available_from is after data_available_to")
        if self.refreshed_at is not None and self.refreshed_at.tzinfo is None:
            raise ValueError("refreshed_at needs a UTC offset")
        return self


class ReportRequest(BaseModel):
    """A report job: `request` is the body the seed documents for `report`."""

    model_config = ConfigDict(extra="ignore", strict=True)

    correlation_id: Identifier
    reply_to: TopicName | None = None
    report: ReportName
    request: dict[str, Any]
    authorization: Annotated[str, StringConstraints(max_length=8192)] | None = None


class FieldErrorModel(BaseModel):
    """One problem with one field: where (`loc`) and what (`msg`)."""

    loc: str
    msg: str


class ErrorBody(BaseModel):
    """The seed's Error shape."""

    code: str
    message: str
    errors: list[FieldErrorModel] = Field(default_factory=list)


class ReportReply(BaseModel):
    """The one reply to a ReportRequest, keyed by its correlation id."""

    correlation_id: str
    status: int
    data: dict[str, Any] | None = None
    error: ErrorBody | None = None


class DeadLetterSource(BaseModel):
    """Where the dead-lettered record was read."""

    topic: str
    partition: int
    offset: int
    key: str | None = None


class DeadLetter(BaseModel):
    """A record the service could not apply or answer, with the reason and the original bytes."""

    error: ErrorBody
    source: DeadLetterSource
    value_base64: str
    value_size: int | None = Field(default=None, description="size of the original value")
    value_truncated: bool = Field(default=False, description=(
        "value_base64 holds only the first 64 KiB; the record is whole in its source topic"))
    received_at: datetime


#: Models exported as JSON Schema (schemas/json/) and referenced by the AsyncAPI document.
CONTRACT_MODELS: dict[str, type[BaseModel]] = {
    "TransactionEvent": TransactionEvent,
    "AccountEvent": AccountEvent,
    "ReportRequest": ReportRequest,
    "ReportReply": ReportReply,
    "DeadLetter": DeadLetter,
}
