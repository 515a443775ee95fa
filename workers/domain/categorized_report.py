"""Building the Categorized Transactions Report: pure functions over plain data.

No faust, no I/O: the caller hands in the request, the consumer's stored transactions and
the coverage of every account the consumer is known to have, and gets back the seed's
`data` object (`{"reports": [...]}`). Decisions (quoted by the README):

Timeframe
  - `report_days: N` -> `today - N days .. today`.
  - `from_date` and/or `to_date`: a missing `to_date` is today, a missing `from_date` is
    `to_date - 62 days`. A `from_date` after the resulting `to_date` (only possible when
    `from_date` is in the future and `to_date` is missing) is a 400 `INVALID_REQUEST`.
  - nothing -> the last 62 days: `today - 62 days .. today`.
  - The timeframe is inclusive at both ends. A transaction's date is its `booking_date`,
    else its `value_date`; transactions outside the timeframe are dropped even if the
    caller passed them.

Accounts and reports
  - `insights_account_ids` given -> exactly those accounts (duplicates removed); an id the
    consumer does not have still gets a report / takes part, with availability NONE.
  - `excluded_insights_account_ids` given -> every known account except those.
  - neither -> every known account: the keys of `accounts` plus any account id that appears
    on a transaction. An EMPTY account list means "not set" (the seed: "must be empty if the
    other is set").
  - Account ids are sorted. `combine_accounts: NONE` -> one report per selected account, in
    id order, with `insights_account_ids: [id]`; `ALL` -> one report over all selected ids.
  - No account selected (the consumer has none, or all are excluded) -> one report with
    `insights_account_ids: []`, no transactions and availability NONE.

Data availability
  - Each report's `data_availability` comes from the coverages of its accounts (see
    `workers.domain.availability`); an account without a coverage counts as holding no data
    (deriving a coverage from the transactions of an account without AccountEvent is the
    caller's job, as it alone sees all of them).
  - Before any filtering, every report is checked against `required_data_availability`.
    If one falls short, `DataAvailabilityNotMet` (422) is raised with one FieldError per
    account whose own availability falls short: loc `insights_account_ids[<id>]`, msg with
    the requirement, the timeframe, what is available and the range held. With no account
    selected the single FieldError has loc `excluded_insights_account_ids` (all excluded) or
    `insights_consumer_id` (the consumer has no account).
  - `refreshed_at` is the oldest refresh among the report's accounts (None if unknown).

Filters (all combine with AND)
  - Amounts are SIGNED: a DEBIT counts as `-amount`, a CREDIT as `+amount`;
    `min_amount <= signed <= max_amount`, both inclusive.
  - `transaction_type`: DEBIT -> type DEBIT; CREDIT -> type CREDIT; DEBIT_AND_ZERO ->
    type DEBIT or amount 0.
  - `states`: a transaction without `state` counts as UNKNOWN.
  - `insights_transaction_ids`, `brand_ids` (the brand's id), `category_ids` (any of the
    transaction's category ids; with `only_main_category` only the first, most significant
    one), `states`, `labels`: an explicitly EMPTY list matches nothing (unlike the account
    lists, where empty means "not set").
  - `labels`: keep a transaction that has at least one of the requested (key, value) pairs;
    `excluded_labels`: drop a transaction that has any of them; exclusion wins.

Ordering and paging
  - The `order` keys apply in sequence, each ASC (default) or DESC. AMOUNT is
    `amount.amount` (currency ignored), AMOUNT_WITH_TYPE the signed amount, DATE the
    transaction date, CATEGORY the name of the first category, BRAND the brand name (both
    compared case-insensitively, via `str.casefold`). Missing values (no category, no brand)
    sort last in both directions.
  - Without `order` (or with an empty one): DATE DESC.
  - `insights_transaction_id` ASC always breaks the remaining ties, so output is deterministic.
  - Then `offset` and `size` apply per report.

Output
  - Transactions are shallow copies of the stored dicts (the input is never mutated; nested
    objects are shared and must be treated as read-only). Dates are ISO strings.

Reading
  - The transactions come as plain mappings or as a `TransactionSource`: rows carrying the
    fields the cheap filters and orderings read (id, date, account, amount, type, state), and
    the records behind them on demand. Records are read only for the filters and orderings
    that need more (labels, categories, brands), and only for the rows that passed the cheap
    filters; the reply's transactions are rendered by the source for the page alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter
from typing import Any, Protocol, runtime_checkable

from schemas.categorized import CategorizedReportRequest, DataAvailability, OrderBy
from workers.domain.availability import (
    AccountCoverage,
    data_availability,
    format_refreshed_at,
    meets_requirement,
)
from workers.domain.errors import DataAvailabilityNotMet, FieldError, ReportError

DEFAULT_TIMEFRAME_DAYS = 62
REPORT_TYPE = "CATEGORIZED_TRANSACTIONS"
DEFAULT_ORDER = (OrderBy(field="DATE", order="DESC"),)


class TimeframeRequest(Protocol):
    """The timeframe fields every report request has (categorized and recurring)."""

    report_days: int | None
    from_date: date | None
    to_date: date | None


class AvailabilityRequest(Protocol):
    """The fields `check_availability` reads from a report request."""

    excluded_insights_account_ids: list[str] | None
    required_data_availability: DataAvailability


@dataclass(frozen=True)
class Timeframe:
    """The inclusive date range a report covers."""

    from_date: date
    to_date: date


def _minus_days(day: date, days: int) -> date:
    try:
        return day - timedelta(days=days)
    except OverflowError:
        return date.min


def resolve_timeframe(request: TimeframeRequest, today: date) -> Timeframe:
    """The report's timeframe from `report_days`, `from_date`/`to_date` or the 62-day default."""
    if request.report_days is not None:
        return Timeframe(_minus_days(today, request.report_days), today)
    to_date = request.to_date if request.to_date is not None else today
    if request.from_date is not None:
        from_date = request.from_date
    else:
        from_date = _minus_days(to_date, DEFAULT_TIMEFRAME_DAYS)
    if from_date > to_date:
        raise ReportError(
            400,
            "INVALID_REQUEST",
            "from_date is after the end of the timeframe",
            [FieldError("from_date", f"must not be after to_date (defaults to today, {to_date})")],
        )
    return Timeframe(from_date, to_date)


# --- reading transactions ------------------------------------------------------------


class TransactionRow(Protocol):
    """What the cheap filters and orderings read of a stored transaction, before its record."""

    transaction_id: str
    day: str  # booking date, else value date (ISO)
    account_id: str
    amount: int  # amount.amount
    type: str  # DEBIT or CREDIT
    state: str | None


@runtime_checkable
class TransactionSource(Protocol):
    """A consumer's stored transactions as a report reads them (see the module doc)."""

    def rows(self) -> Sequence[TransactionRow]: ...

    def records(self, rows: Sequence[TransactionRow]) -> list[Mapping[str, Any] | None]:
        """The records of `rows`, in order (None when a record is gone)."""
        ...

    def render(self, rows: Sequence[TransactionRow]) -> list[Any]:
        """The reply's transaction items for `rows`, in order (mappings, or anything that
        encodes as their JSON)."""
        ...


@dataclass(slots=True)
class _MappingRow:
    transaction_id: str
    day: str | None
    account_id: str
    amount: int
    type: str
    state: str | None
    record: Mapping[str, Any]


class _Mappings:
    """A TransactionSource over transactions given as plain mappings (copied on output)."""

    def __init__(self, transactions: Iterable[Mapping[str, Any]]) -> None:
        self._rows: list[_MappingRow] = []
        for txn in transactions:
            day = txn.get("booking_date") or txn.get("value_date")
            if day is not None:
                if day.__class__ is not str:
                    day = day.isoformat()
                if len(day) != 10:  # tolerate date-times: the date is the first ten characters
                    day = day[:10]
            self._rows.append(_MappingRow(txn["insights_transaction_id"], day,
                                          txn.get("insights_account_id"),  # type: ignore[arg-type]
                                          txn["amount"]["amount"], txn["type"],
                                          txn.get("state"), txn))

    def rows(self) -> list[_MappingRow]:
        return self._rows

    def records(self, rows: Sequence[_MappingRow]) -> list[Mapping[str, Any] | None]:
        return [row.record for row in rows]

    def render(self, rows: Sequence[_MappingRow]) -> list[Any]:
        return [dict(row.record) for row in rows]


# --- accounts and availability ---------------------------------------------------------


def _select_accounts(
    request: CategorizedReportRequest,
    rows: Sequence[TransactionRow],
    accounts: Mapping[str, AccountCoverage],
) -> list[str]:
    if request.insights_account_ids:
        return sorted(set(request.insights_account_ids))
    known = set(accounts)
    for row in rows:
        if row.account_id is not None:
            known.add(row.account_id)
    if request.excluded_insights_account_ids:
        known.difference_update(request.excluded_insights_account_ids)
    return sorted(known)


def _coverage(account_id: str, accounts: Mapping[str, AccountCoverage]) -> AccountCoverage:
    coverage = accounts.get(account_id)
    if coverage is None:
        return AccountCoverage(account_id, None, None, None)
    return coverage


def check_availability(
    request: AvailabilityRequest,
    timeframe: Timeframe,
    groups: list[list[str]],
    availabilities: list[DataAvailability],
    accounts: Mapping[str, AccountCoverage],
) -> None:
    """Raise DataAvailabilityNotMet naming every account that keeps a report short."""
    required = request.required_data_availability
    span = f"{timeframe.from_date.isoformat()}..{timeframe.to_date.isoformat()}"
    wanted = f"required data availability {required} for {span}"
    errors: list[FieldError] = []
    for group, actual in zip(groups, availabilities, strict=True):
        if meets_requirement(actual, required):
            continue
        if not group:
            if request.excluded_insights_account_ids:
                loc, reason = "excluded_insights_account_ids", "all accounts are excluded"
            else:
                loc, reason = "insights_consumer_id", "the consumer has no account"
            errors.append(FieldError(loc, f"{wanted}, but {reason}: NONE is available"))
            continue
        for account_id in group:
            coverage = _coverage(account_id, accounts)
            own = data_availability([coverage], timeframe.from_date, timeframe.to_date)
            if meets_requirement(own, required):
                continue
            held = coverage.describe() if account_id in accounts else "nothing recorded"
            errors.append(
                FieldError(
                    f"insights_account_ids[{account_id}]",
                    f"{wanted}, but {own} is available (data held: {held})",
                )
            )
    if errors:
        raise DataAvailabilityNotMet(f"{wanted} is not met", errors)


# --- filtering ---------------------------------------------------------------------------

# An entry is (insights_transaction_id, date, amount, signed amount, row, record); the record
# is None unless a record filter or a CATEGORY/BRAND order needed it.
_Entry = tuple[str, str, int, int, TransactionRow, Mapping[str, Any] | None]
_NAMED_ORDERS = frozenset({"CATEGORY", "BRAND"})


def _as_set(values: list[Any] | None) -> frozenset[Any] | None:
    return None if values is None else frozenset(values)


def _label_index(labels: list[Any] | None) -> dict[str, set[str]] | None:
    if labels is None:
        return None
    index: dict[str, set[str]] = {}
    for label in labels:
        index.setdefault(label.key, set()).add(label.value)
    return index


def _has_label(txn_labels: Mapping[str, Any] | None, index: dict[str, set[str]]) -> bool:
    if not txn_labels:
        return False
    for key, value in txn_labels.items():
        values = index.get(key)
        if values is not None and value in values:
            return True
    return False


def _filter_rows(
    request: CategorizedReportRequest,
    timeframe: Timeframe,
    rows: Sequence[TransactionRow],
    group_of: Mapping[str, int],
    n_groups: int,
) -> list[list[_Entry]]:
    """One pass over the rows: drop what the row fields rule out and bucket the rest by
    report."""
    first = timeframe.from_date.isoformat()
    last = timeframe.to_date.isoformat()
    min_amount = request.min_amount
    max_amount = request.max_amount
    wanted_type = request.transaction_type
    states = _as_set(request.states)
    txn_ids = _as_set(request.insights_transaction_ids)

    buckets: list[list[_Entry]] = [[] for _ in range(n_groups)]
    for row in rows:
        group = group_of.get(row.account_id)
        if group is None:
            continue
        day = row.day
        if day is None or day < first or day > last:
            continue
        kind = row.type
        amount = row.amount
        signed = -amount if kind == "DEBIT" else amount
        if min_amount is not None and signed < min_amount:
            continue
        if max_amount is not None and signed > max_amount:
            continue
        if wanted_type is not None:
            if wanted_type == "DEBIT_AND_ZERO":
                if kind != "DEBIT" and amount != 0:
                    continue
            elif kind != wanted_type:
                continue
        if states is not None and (row.state or "UNKNOWN") not in states:
            continue
        txn_id = row.transaction_id
        if txn_ids is not None and txn_id not in txn_ids:
            continue
        buckets[group].append((txn_id, day, amount, signed, row, None))
    return buckets


def _needs_records(request: CategorizedReportRequest, order: Iterable[OrderBy]) -> bool:
    """Whether a filter or an order reads fields the rows do not carry."""
    return (request.labels is not None or bool(request.excluded_labels)
            or request.brand_ids is not None or request.category_ids is not None
            or any(key.field in _NAMED_ORDERS for key in order))


def _filter_records(
    request: CategorizedReportRequest, source: TransactionSource, buckets: list[list[_Entry]]
) -> list[list[_Entry]]:
    """Read the records of the remaining entries and apply the filters that need them."""
    brand_ids = _as_set(request.brand_ids)
    category_ids = _as_set(request.category_ids)
    only_main = request.only_main_category
    labels = _label_index(request.labels)
    excluded_labels = _label_index(request.excluded_labels) if request.excluded_labels else None

    records = source.records([entry[4] for bucket in buckets for entry in bucket])
    kept_buckets: list[list[_Entry]] = []
    position = 0
    for bucket in buckets:
        kept: list[_Entry] = []
        for entry in bucket:
            txn = records[position]
            position += 1
            if txn is None:
                continue
            if brand_ids is not None:
                brand = txn.get("brand")
                if not brand or brand.get("id") not in brand_ids:
                    continue
            if category_ids is not None:
                categories = txn.get("categories") or ()
                if only_main:
                    categories = categories[:1]
                if not any(c.get("id") in category_ids for c in categories):
                    continue
            if labels is not None and not _has_label(txn.get("labels"), labels):
                continue
            if excluded_labels is not None and _has_label(txn.get("labels"), excluded_labels):
                continue
            kept.append((*entry[:5], txn))
        kept_buckets.append(kept)
    return kept_buckets


# --- ordering ----------------------------------------------------------------------------


_first = itemgetter(0)
# Sort values that every entry has, read straight from the entry tuple.
_COLUMNS = {"DATE": itemgetter(1), "AMOUNT": itemgetter(2), "AMOUNT_WITH_TYPE": itemgetter(3)}


def _split_by_name(
    entries: list[_Entry], field: str
) -> tuple[list[tuple[str, _Entry]], list[_Entry]]:
    """(casefolded name, entry) for entries with a CATEGORY/BRAND name, and those without."""
    named: list[tuple[str, _Entry]] = []
    unnamed: list[_Entry] = []
    # Two inlined loops rather than a key function: this is the hot path of named orders.
    if field == "CATEGORY":
        for entry in entries:
            categories = entry[5].get("categories")
            name = categories[0].get("name") if categories else None
            if name.__class__ is str:
                named.append((name.casefold(), entry))
            else:
                unnamed.append(entry)
    else:
        for entry in entries:
            brand = entry[5].get("brand")
            name = brand.get("name") if brand else None
            if name.__class__ is str:
                named.append((name.casefold(), entry))
            else:
                unnamed.append(entry)
    return named, unnamed


def _order(entries: list[_Entry], order: Iterable[OrderBy]) -> list[_Entry]:
    """Order entries by the keys, missing values last, ties by insights_transaction_id ASC.

    Python's sort is stable (also with `reverse=True`), so sorting by the tie-breaker first
    and then by each key from the last to the first yields the multi-key order. Each pass
    compares plain ints or strs, which keeps CPython on its fast comparison paths. Entries
    missing a CATEGORY/BRAND name are set aside and appended after the sorted ones, in
    their current (already ordered by the later keys) sequence.
    """
    entries.sort(key=_first)
    for key in reversed(list(order)):
        descending = key.order == "DESC"
        column = _COLUMNS.get(key.field)
        if column is not None:
            entries.sort(key=column, reverse=descending)
            continue
        named, unnamed = _split_by_name(entries, key.field)
        named.sort(key=_first, reverse=descending)
        entries = [entry for _, entry in named]
        entries += unnamed
    return entries


# --- the report ---------------------------------------------------------------------------


def build_categorized_reports(
    request: CategorizedReportRequest,
    timeframe: Timeframe,
    transactions: Iterable[Mapping[str, Any]] | TransactionSource,
    accounts: Mapping[str, AccountCoverage],
) -> dict[str, Any]:
    """The seed's `data` object (`{"reports": [...]}`) for one request; see the module doc.

    `transactions` are plain mappings or a TransactionSource. Raises `DataAvailabilityNotMet`
    when a report's data availability is below `required_data_availability`.
    """
    source = transactions if isinstance(transactions, TransactionSource) else _Mappings(
        transactions)
    rows = source.rows()
    selected = _select_accounts(request, rows, accounts)
    if not selected:
        groups: list[list[str]] = [[]]
    elif request.combine_accounts == "ALL":
        groups = [selected]
    else:
        groups = [[account_id] for account_id in selected]

    coverages = [[_coverage(a, accounts) for a in group] for group in groups]
    availabilities = [
        data_availability(c, timeframe.from_date, timeframe.to_date) for c in coverages
    ]
    check_availability(request, timeframe, groups, availabilities, accounts)

    order = request.order or DEFAULT_ORDER
    group_of = {account_id: i for i, group in enumerate(groups) for account_id in group}
    buckets = _filter_rows(request, timeframe, rows, group_of, len(groups))
    if _needs_records(request, order):
        buckets = _filter_records(request, source, buckets)

    start = request.offset
    stop = None if request.size is None else start + request.size
    from_iso = timeframe.from_date.isoformat()
    to_iso = timeframe.to_date.isoformat()
    reports = []
    for group, group_coverages, availability, entries in zip(
        groups, coverages, availabilities, buckets, strict=True
    ):
        page = _order(entries, order)[start:stop]
        reports.append(
            {
                "type": REPORT_TYPE,
                "insights_consumer_id": request.insights_consumer_id,
                "insights_account_ids": list(group),
                "transactions": source.render([entry[4] for entry in page]),
                "from_date": from_iso,
                "to_date": to_iso,
                "refreshed_at": format_refreshed_at(group_coverages),
                "data_availability": availability,
            }
        )
    return {"reports": reports}
