"""Building the Recurring Transactions Report from stored recurring state: pure functions.

No faust, no I/O: the caller hands in the request, its timeframe, the consumer's bucket states
(`workers.domain.recurring_state`), the coverage of every account the consumer is known to
have and the consumer's newest transaction date, and gets back the seed's `data` object
(`{"reports": [report]}`). Decisions (quoted by docs/recurring.md):

Timeframe
  - Resolved like the categorized report (`resolve_timeframe`): `report_days: N` is today - N
    days .. today, a missing `to_date` is today, a missing `from_date` is `to_date` - 62 days,
    nothing is the last 62 days; both ends inclusive.
  - Detection uses all stored history (up to the retention window), not the timeframe: the
    timeframe only selects what the report shows. A group is listed when at least one of its
    occurrences lies inside the timeframe on a selected account. So a 62-day default report
    lists a yearly or quarterly series with an occurrence in those 62 days, because the older
    occurrences that prove its interval are in the stored history.
  - A listed group's `transaction_ids`, `earliest_day` / `latest_day` (days of month),
    `average_amount`, `categories` and `occurrences_range` describe its occurrences inside the
    timeframe on the selected accounts; `interval`, `next_date`, `active` and `confidence`
    describe the whole series.

Accounts and availability
  - One report over all selected accounts (the seed has no `combine_accounts`).
    `insights_account_ids` -> exactly those (sorted, duplicates removed);
    `excluded_insights_account_ids` -> every known account except those; neither -> every
    known account. Known accounts are the keys of `accounts`; a bucket's occurrences on an
    account missing from `accounts` (a deleted account) are never shown.
  - `data_availability` and the 422 for `required_data_availability` (default COMPLETE) follow
    the categorized report (`check_availability`): one error entry per account that falls short.
  - `refreshed_at` is the oldest refresh among the selected accounts.

Amounts and intervals
  - Amounts are signed: income (CREDIT) positive, expense (DEBIT) negative. A group's
    `average_amount` is the mean of its listed occurrences, rounded half away from zero, in
    the bucket's currency.
  - At most one entry per interval, in the order WEEKLY, BIWEEKLY, MONTHLY, QUARTERLY,
    HALF_YEARLY, YEARLY, UNKNOWN; intervals without groups are left out. Groups are ordered by
    `earliest_day`, `latest_day`, then the first transaction id.
  - `income_amount` / `expense_amount` sum the `average_amount` of the interval's income /
    expense groups in the *report currency*: the currency of most listed groups in the whole
    report (ties: alphabetical). When an interval's groups have several currencies,
    `amounts_by_currency` gives both sums for each currency, so no group is left out of a sum.
  - `categories` are the categories every listed occurrence has, in the order of the newest
    one (main first); `brand` is the bucket's brand, absent when it has none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from schemas.recurring import RecurringReportRequest
from workers.domain.availability import (
    AccountCoverage,
    data_availability,
    format_refreshed_at,
)
from workers.domain.categorized_report import Timeframe, check_availability
from workers.domain.recurring import INTERVALS, is_active
from workers.domain.recurring_state import categories_of_item, item_index

REPORT_TYPE = "RECURRING_TRANSACTIONS"


def _select_accounts(request: RecurringReportRequest,
                     accounts: Mapping[str, AccountCoverage]) -> list[str]:
    if request.insights_account_ids:
        return sorted(set(request.insights_account_ids))
    excluded = set(request.excluded_insights_account_ids or ())
    return sorted(a for a in accounts if a not in excluded)


def _mean(values: list[int]) -> int:
    """The mean rounded half away from zero (integers only, no float rounding surprises)."""
    total, n = sum(values), len(values)
    quotient, remainder = divmod(abs(total), n)
    if 2 * remainder >= n:
        quotient += 1
    return quotient if total >= 0 else -quotient


def _categories(state: Mapping[str, Any], listed: list[tuple[str, list]],
                overrides: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """Categories every listed item has, in the newest item's order. An item whose
    transaction has an override (a correction, a transfer between own accounts, a newer
    enrichment) counts with the override's categories."""
    names = dict(state.get("category_names", {}))
    common: set[str] | None = None
    ordered: list[str] = []
    for txn_id, item in listed:
        override = overrides.get(txn_id)
        if override is not None and "categories" in override:
            ordered = [c["id"] for c in override["categories"]]
            names.update((c["id"], c["name"]) for c in override["categories"])
        else:
            ordered = categories_of_item(state, item)
        common = set(ordered) if common is None else common & set(ordered)
    return [{"id": c, "name": names[c]} for c in ordered if c in (common or ()) and c in names]


def _groups_of(state: Mapping[str, Any], visible: set[str], first: str, last: str,
               newest_day: str | None, overrides: Mapping[str, Mapping[str, Any]]
               ) -> Iterable[tuple[str, str, int, dict]]:
    """(interval, currency, signed average, group) for each group listed from one bucket."""
    members = item_index(state)
    sign = -1 if state["type"] == "DEBIT" else 1
    currency = state["currency"]
    for group in state.get("groups", ()):
        listed = []
        for txn_id in group["ids"]:
            entry = members.get(txn_id)
            if entry is None or entry[0] not in visible:
                continue
            item = entry[1]
            if first <= item[0] <= last:
                listed.append((item[0], txn_id, item))
        if not listed:
            continue
        listed.sort(key=lambda e: (e[0], e[1]))
        days = [int(day[8:10]) for day, _, _ in listed]
        average = sign * _mean([item[1] for _, _, item in listed])
        out: dict[str, Any] = {
            "earliest_day": min(days),
            "latest_day": max(days),
            "average_amount": {"amount": average, "currency": currency},
            "transaction_ids": [txn_id for _, txn_id, _ in listed],
            "categories": _categories(state, [(t, item) for _, t, item in listed], overrides),
        }
        if "brand" in state:
            out["brand"] = dict(state["brand"])
        out["occurrences_range"] = {"earliest_occurrence_date": listed[0][0],
                                    "latest_occurrence_date": listed[-1][0]}
        last_day = max(members[t][1][0] for t in group["ids"] if t in members)
        out["next_date"] = group["next_date"]
        out["active"] = is_active(group["interval"], group["next_date"], last_day, newest_day)
        out["confidence"] = group["confidence"]
        yield group["interval"], currency, average, out


def _sums(entries: list[tuple[str, int, dict]], currency: str) -> tuple[int, int]:
    income = sum(a for c, a, _ in entries if c == currency and a > 0)
    expense = sum(a for c, a, _ in entries if c == currency and a < 0)
    return income, expense


def build_recurring_reports(
    request: RecurringReportRequest,
    timeframe: Timeframe,
    buckets: Iterable[Mapping[str, Any]],
    accounts: Mapping[str, AccountCoverage],
    newest_day: str | None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The seed's `data` object (`{"reports": [report]}`); see the module docstring.

    `buckets` are the consumer's recurring bucket states, `accounts` the coverage of every
    account the consumer has (deleted accounts left out), `newest_day` the consumer's newest
    transaction date (ISO), against which `active` is judged, `overrides` the categories that
    replace stored ones (workers.domain.categorization). Raises `DataAvailabilityNotMet`
    when the availability is below `required_data_availability`.
    """
    selected = _select_accounts(request, accounts)
    coverages = [accounts.get(a) or AccountCoverage(a, None, None, None) for a in selected]
    availability = data_availability(coverages, timeframe.from_date, timeframe.to_date)
    check_availability(request, timeframe, [selected], [availability], accounts)

    visible = {a for a in selected if a in accounts}
    first, last = timeframe.from_date.isoformat(), timeframe.to_date.isoformat()
    by_interval: dict[str, list[tuple[str, int, dict]]] = {}
    for state in buckets:
        for interval, currency, average, group in _groups_of(state, visible, first, last,
                                                             newest_day, overrides or {}):
            by_interval.setdefault(interval, []).append((currency, average, group))

    currencies = Counter(c for entries in by_interval.values() for c, _, _ in entries)
    report_currency = min(currencies, key=lambda c: (-currencies[c], c)) if currencies else None
    intervals = []
    for interval in INTERVALS:
        entries = by_interval.get(interval)
        if not entries:
            continue
        entries.sort(key=lambda e: (e[2]["earliest_day"], e[2]["latest_day"],
                                    e[2]["transaction_ids"][0]))
        income, expense = _sums(entries, report_currency)  # type: ignore[arg-type]
        out: dict[str, Any] = {
            "interval": interval,
            "income_amount": {"amount": income, "currency": report_currency},
            "expense_amount": {"amount": expense, "currency": report_currency},
            "transaction_groups": [group for _, _, group in entries],
        }
        present = sorted({c for c, _, _ in entries})
        if len(present) > 1:
            out["amounts_by_currency"] = [
                {"currency": c, "income_amount": i, "expense_amount": e}
                for c in present for i, e in [_sums(entries, c)]
            ]
        intervals.append(out)

    return {"reports": [{
        "type": REPORT_TYPE,
        "insights_consumer_id": request.insights_consumer_id,
        "insights_account_ids": selected,
        "from_date": first,
        "to_date": last,
        "refreshed_at": format_refreshed_at(coverages),
        "intervals": intervals,
        "data_availability": availability,
    }]}
