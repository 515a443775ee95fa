"""Insight report configurations: the seed's InsightReportConfig union, ConfigCommand and ConfigReply.

The configuration models follow `seeds/insight-report-configuration.md` field for field: a union
discriminated by `dataType`, each member with its own schedules, filters and content types, plus
`name` and `emails` from the changelog of 2021-12-01. Where the seed is loose the models are
strict, and the exported JSON Schema says exactly what is accepted:

* unknown fields are rejected everywhere (a misspelt field is an error, not silently dropped);
* optional fields may be left out but are never `null`;
* a filter needs both `filter` and `value`; `older_than_days` is a whole number of days written
  as a string (`"30"`), so its filter is a union member of its own;
* lists are bounded and hold no duplicates; `contentTypes`, when given, is not empty.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    RootModel,
    StringConstraints,
)

from schemas.contract import ErrorBody, Identifier, TopicName

#: `aid`, the merchant account id: P (production) or T (test) and eight digits.
AID_PATTERN = r"^[PT][0-9]{8}$"
#: A configuration id as the service assigns it (a UUID, lowercase hex).
CONFIG_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
#: `older_than_days`: 0 to 9999, digits only, no sign, no leading zeros.
WHOLE_DAYS_PATTERN = r"^(0|[1-9][0-9]{0,3})$"

MAX_NAME_LENGTH = 256
MAX_FILTER_VALUE_LENGTH = 256
MAX_FILTERS = 10
MAX_EMAILS = 10
MAX_EMAIL_LENGTH = 254

AccountId = Annotated[str, StringConstraints(pattern=AID_PATTERN)]
ConfigId = Annotated[str, StringConstraints(pattern=CONFIG_ID_PATTERN)]
Language = Literal["no", "en"]
Operation = Literal["create", "update", "get", "list", "delete"]
DataType = Literal["checkout/transactions", "checkout/transactions/open",
                   "orders/orderoperations", "wallets/transactions"]
Schedule = Literal["daily", "weekly", "twice-a-month", "monthly"]
ContentType = Literal["application/pdf", "text/csv"]

_FilterValue = Annotated[str, StringConstraints(min_length=1, max_length=MAX_FILTER_VALUE_LENGTH,
                                                pattern=r"^[^\x00-\x1f\x7f]+$")]
_Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH,
                                         pattern=r"^[^\x00-\x1f\x7f]+$")]
_Email = Annotated[EmailStr, StringConstraints(max_length=MAX_EMAIL_LENGTH)]



def _unique(items: list) -> list:
    seen: list = []
    for item in items:
        if item in seen:
            shown = item.model_dump() if isinstance(item, BaseModel) else item
            raise ValueError(f"duplicate item {shown!r}: items must be unique")
        seen.append(item)
    return items


def _optional(*, unique: bool = False, **constraints: Any) -> Any:
    """An optional field: it may be left out but not set to null (no `default` in the schema)."""

    def schema_extra(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        if unique:
            schema["uniqueItems"] = True

    return Field(default=None, json_schema_extra=schema_extra, **constraints)


def _unique_list(item_type: Any) -> Any:
    return Annotated[list[item_type], AfterValidator(_unique)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- filters -------------------------------------------------------------------------------


class StoreIdFilter(_Strict):
    """Only data of this store (`checkout/transactions`, `checkout/transactions/open`)."""

    filter: Literal["store_id"]
    value: _FilterValue


class PayoutDestinationFilter(_Strict):
    """Only data paid out to this destination (`checkout/transactions`)."""

    filter: Literal["payout_destination_id"]
    value: _FilterValue


class OlderThanDaysFilter(_Strict):
    """Only transactions open for more than this many days (`checkout/transactions/open`).

    The seed types `value` as a string; it must hold a whole number of days (0 to 9999).
    """

    filter: Literal["older_than_days"]
    value: Annotated[str, StringConstraints(pattern=WHOLE_DAYS_PATTERN)] = Field(
        description="A whole number of days, 0 to 9999, as a string (\"30\").")


class OperationPayoutDestinationFilter(_Strict):
    """Only order operations paid out to this destination (`orders/orderoperations`)."""

    filter: Literal["operation_payout_destination"]
    value: _FilterValue


TransactionReportFilter = Annotated[StoreIdFilter | PayoutDestinationFilter,
                                    Field(discriminator="filter")]
OpenTransactionReportFilter = Annotated[StoreIdFilter | OlderThanDaysFilter,
                                        Field(discriminator="filter")]


# --- the four configurations ---------------------------------------------------------------


def _filters() -> Any:
    return _optional(unique=True, max_length=MAX_FILTERS, description=(
        "Filters on the report's data, like an SQL WHERE filter=value. "
                             "Filters on different properties must all match; several values "
        "of one property match any of them."))


def _content_types() -> Any:
    return _optional(unique=True, min_length=1,
                     description="Content types of the report; without it: text/csv.")


class _ReportConfig(_Strict):
    language: Language = Field(description="Report language.")
    name: _Name = _optional(description="A custom report name.")
    emails: _unique_list(_Email) = _optional(unique=True, max_length=MAX_EMAILS,
                                             description="Addresses the finished report is sent to.")


class CheckoutTransactionsReportConfig(_ReportConfig):
    """Insight Checkout Transactions Report Config."""

    dataType: Literal["checkout/transactions"]
    schedule: Literal["monthly", "weekly", "daily"]
    reportFilters: _unique_list(TransactionReportFilter) = _filters()
    contentTypes: _unique_list(Literal["application/pdf", "text/csv"]) = _content_types()


class CheckoutOpenTransactionsReportConfig(_ReportConfig):
    """Insight Checkout Open Transactions Report Config."""

    dataType: Literal["checkout/transactions/open"]
    schedule: Literal["monthly", "weekly", "daily"]
    reportFilters: _unique_list(OpenTransactionReportFilter) = _filters()
    contentTypes: _unique_list(Literal["application/pdf", "text/csv"]) = _content_types()


class OrdersOrderOperationsReportConfig(_ReportConfig):
    """Insight Orders Order Operations Report Config."""

    dataType: Literal["orders/orderoperations"]
    schedule: Literal["weekly", "twice-a-month", "daily"]
    reportFilters: _unique_list(OperationPayoutDestinationFilter) = _filters()
    contentTypes: _unique_list(Literal["text/csv"]) = _content_types()


class WalletsTransactionsReportConfig(_ReportConfig):
    """Insight Wallets Transactions Report Config (no filters)."""

    dataType: Literal["wallets/transactions"]
    schedule: Literal["monthly", "weekly", "daily"]
    contentTypes: _unique_list(Literal["application/pdf", "text/csv"]) = _content_types()


InsightReportConfig = Annotated[
    CheckoutTransactionsReportConfig | CheckoutOpenTransactionsReportConfig
    | OrdersOrderOperationsReportConfig | WalletsTransactionsReportConfig,
    Field(discriminator="dataType")]


class InsightReportConfigModel(RootModel[InsightReportConfig]):
    """An insight report configuration: one of four kinds, chosen by `dataType`."""

    model_config = ConfigDict(title="InsightReportConfig")

#: The discriminator fields of the unions above; their values appear in pydantic error
#: locations and are removed from the paths clients see.
DISCRIMINATORS = ("dataType", "filter")


# --- persisted configurations ---------------------------------------------------------------


class Persisted(BaseModel):
    """The read-only fields the service adds to a stored configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="A UUID that uniquely identifies the configuration.")
    accountId: str = Field(description="The merchant account (`aid`) the configuration "
                                       "belongs to.")
    created_at: datetime
    created_by: str = Field(description="The subject (`sub`) of the token that created it.")
    updated_at: datetime | None = None
    updated_by: str | None = None
    next_run_at: datetime = Field(description=(
        "When the next report job of the schedule is due, in the report time zone. A time in "
        "the past means the job is due and about to be emitted."))


class PersistedCheckoutTransactionsReportConfig(Persisted, CheckoutTransactionsReportConfig):
    """A stored checkout/transactions configuration."""

    model_config = ConfigDict(strict=False)  # replies are read from plain JSON too


class PersistedCheckoutOpenTransactionsReportConfig(Persisted,
                                                    CheckoutOpenTransactionsReportConfig):
    """A stored checkout/transactions/open configuration."""

    model_config = ConfigDict(strict=False)  # replies are read from plain JSON too


class PersistedOrdersOrderOperationsReportConfig(Persisted, OrdersOrderOperationsReportConfig):
    """A stored orders/orderoperations configuration."""

    model_config = ConfigDict(strict=False)  # replies are read from plain JSON too


class PersistedWalletsTransactionsReportConfig(Persisted, WalletsTransactionsReportConfig):
    """A stored wallets/transactions configuration."""

    model_config = ConfigDict(strict=False)  # replies are read from plain JSON too


PersistedReportConfig = Annotated[
    PersistedCheckoutTransactionsReportConfig | PersistedCheckoutOpenTransactionsReportConfig
    | PersistedOrdersOrderOperationsReportConfig | PersistedWalletsTransactionsReportConfig,
    Field(discriminator="dataType")]


class PersistedReportConfigModel(RootModel[PersistedReportConfig]):
    """A stored configuration: the seed's Persisted fields, the configuration, `next_run_at`."""

    model_config = ConfigDict(title="PersistedReportConfig")


# --- commands and replies ------------------------------------------------------------------


class ConfigCommand(BaseModel):
    """A command on a merchant's report configurations, keyed by `aid`.

    `create` needs `config`; `update` needs `id` and `config`; `get` and `delete` need `id`;
    `list` needs neither. Unknown fields are rejected.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    correlation_id: Identifier
    reply_to: TopicName | None = None
    operation: Operation
    aid: AccountId
    id: ConfigId | None = None
    config: InsightReportConfig | None = None
    authorization: Annotated[str, StringConstraints(max_length=8192)] | None = Field(
        default=None, description="`Bearer <JWT>`; see the README for scopes and claims.")


class ConfigReply(BaseModel):
    """The one reply to a ConfigCommand, keyed by its correlation id.

    `data` is the persisted configuration (create, update, get, delete) or the account's
    configurations in creation order (list).
    """

    correlation_id: str
    status: int
    data: PersistedReportConfig | list[PersistedReportConfig] | None = None
    error: ErrorBody | None = None


class ReportPeriod(BaseModel):
    """The period a report job covers: whole days in the report time zone."""

    from_date: str = Field(description="First day of the period (YYYY-MM-DD), inclusive.")
    to_date: str = Field(description="Last day of the period (YYYY-MM-DD), inclusive.")
    start: datetime = Field(description="Start of the period (inclusive), with offset.")
    end: datetime = Field(description="End of the period (exclusive), with offset.")
    time_zone: str = Field(description="The IANA time zone of the dates above.")


class ReportJob(BaseModel):
    """A scheduled report that is due: one per configuration and period, keyed by `aid`.

    `job_id` is derived from the configuration id and the period, so a job emitted again after
    a crash has the same id; such a re-emission has `attempt` > 1.
    """

    job_id: str
    attempt: int = Field(ge=1, description="1, or more when the job was emitted again after a "
                                           "crash (the same job_id may have been seen before).")
    configuration_id: str
    aid: str
    dataType: DataType
    schedule: Schedule
    run_at: datetime = Field(description="When the job was due.")
    period: ReportPeriod
    language: Language
    contentTypes: list[ContentType]
    reportFilters: list[dict[str, str]] = Field(default_factory=list)
    name: str | None = None
    emails: list[str] = Field(default_factory=list)


#: Models of this module exported as JSON Schema (schemas/json/) and in the AsyncAPI document.
CONFIG_MODELS: dict[str, type[BaseModel]] = {
    "ConfigCommand": ConfigCommand,
    "ConfigReply": ConfigReply,
    "InsightReportConfig": InsightReportConfigModel,
    "PersistedReportConfig": PersistedReportConfigModel,
    "ReportJob": ReportJob,
}
