"""The Recurring Transactions Report: request model (schemas/recurring.py) and the builder
(workers/domain/recurring_report.py) over bucket states."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.recurring import RecurringReportRequest, RecurringReportResponse
from workers.domain.availability import AccountCoverage
from workers.domain.categorized_report import Timeframe, resolve_timeframe
from workers.domain.errors import DataAvailabilityNotMet, ReportError
from workers.domain.recurring_report import build_recurring_reports
from workers.domain.recurring_state import build_states

CONSUMER = "6c03aff-8fa0046-ffae74-b0cbc-4d5fd1"
TODAY = date(2024, 12, 31)
REFRESHED = datetime(2024, 12, 31, 9, 22, 2, 523000, tzinfo=UTC)
SALARY_CAT = {"id": "8f7614f5-845d-5463-b145-8a1d57a40bd4", "name": "Salary & Wages & Paycheck"}
STREAMING = {"id": "13e8d66c-fe7d-53c4-ac21-70274ae0de6b", "name": "TV streaming subscriptions"}
MOVIES = {"id": "cat-movies", "name": "Movies"}
MOVIE_STREAM = {"id": "e716771c-729c-5545-a73c-167f27071d82", "name": "Movie Stream"}


def request(**fields: Any) -> RecurringReportRequest:
    return RecurringReportRequest.model_validate({"insights_consumer_id": CONSUMER, **fields})


def txn(tid: str, day: date, amount: int, *, account: str = "a1", type_: str = "DEBIT",
        currency: str = "EUR", **extra: Any) -> dict[str, Any]:
    return {"insights_transaction_id": tid, "insights_account_id": account,
            "booking_date": day.isoformat(), "amount": {"amount": amount, "currency": currency},
            "type": type_, "state": "PROCESSED", **extra}


def monthly(prefix: str, day: int, amount: int, months: int = 14, **extra: Any) -> list[dict]:
    """One transaction a month on `day` (clamped), the last in December 2024."""
    extra.setdefault("counter_party", {"holder_name": f"Payee {prefix}"})
    out = []
    for i in range(months):
        year, month0 = divmod(2024 * 12 + 11 - (months - 1 - i), 12)
        when = date(year, month0 + 1, min(day, calendar.monthrange(year, month0 + 1)[1]))
        out.append(txn(f"{prefix}{i:02d}", when, amount, **extra))
    return out


def coverage(account: str, start: date = date(2023, 1, 1), end: date = TODAY,
             refreshed: datetime | None = REFRESHED) -> AccountCoverage:
    return AccountCoverage(account, start, end, refreshed)


def consumer_states(*transactions: list[dict]) -> list[dict]:
    return list(build_states([t for group in transactions for t in group]).values())


def build(req: RecurringReportRequest, states: list[dict], accounts=None,
          newest: str | None = "2024-12-31", today: date = TODAY) -> dict:
    accounts = {"a1": coverage("a1")} if accounts is None else accounts
    data = build_recurring_reports(req, resolve_timeframe(req, today), states, accounts, newest)
    RecurringReportResponse.model_validate(data)  # every reply matches the exported schema
    return data


def only(data: dict) -> dict:
    assert len(data["reports"]) == 1
    return data["reports"][0]


SALARY = monthly("sal", 2, 120000, type_="CREDIT", categories=[SALARY_CAT],
                 counter_party={"holder_name": "ACME GmbH", "iban": "DE02120300000000202051"})
STREAM = monthly("mov", 20, 2000, brand=MOVIE_STREAM, categories=[STREAMING, MOVIES])
PHONE = monthly("pho", 24, 5000, counter_party={"holder_name": "Large Phone Company"})
YEARLY = [txn("ins-1", date(2023, 12, 1), 38000, counter_party={"holder_name": "HUK-COBURG"}),
          txn("ins-2", date(2024, 12, 2), 38000, counter_party={"holder_name": "HUK-COBURG"})]


# --- request --------------------------------------------------------------------------------


def test_the_request_has_exactly_the_seed_fields():
    assert set(RecurringReportRequest.model_fields) == {
        "insights_consumer_id", "insights_account_ids", "excluded_insights_account_ids",
        "report_days", "from_date", "to_date", "required_data_availability"}
    req = request(report_days=120)
    assert req.required_data_availability == "COMPLETE"
    assert request(required_data_availability=None).required_data_availability == "COMPLETE"


@pytest.mark.parametrize("body", [
    {"insights_account_ids": ["a1"], "excluded_insights_account_ids": ["a2"]},
    {"report_days": 10, "from_date": "2024-01-01"},
    {"from_date": "2024-02-01", "to_date": "2024-01-01"},
    {"size": 10},  # a categorized-report field: unknown here
    {"report_days": "10"},
    {"from_date": "2024-01-01T00:00:00"},
    {"required_data_availability": "SOME"},
])
def test_invalid_requests_are_rejected(body):
    with pytest.raises(ValidationError):
        request(**body)


def test_empty_account_lists_mean_not_set():
    req = request(insights_account_ids=[], excluded_insights_account_ids=["a2"])
    assert req.excluded_insights_account_ids == ["a2"]


# --- the report -----------------------------------------------------------------------------


def test_the_seed_shape_with_intervals_groups_and_sums():
    report = only(build(request(report_days=120, required_data_availability="NONE"),
                        consumer_states(SALARY, STREAM, PHONE)))
    assert report["type"] == "RECURRING_TRANSACTIONS"
    assert report["insights_consumer_id"] == CONSUMER
    assert report["insights_account_ids"] == ["a1"]
    assert (report["from_date"], report["to_date"]) == ("2024-09-02", "2024-12-31")
    assert report["refreshed_at"] == "2024-12-31T09:22:02.523Z"
    assert report["data_availability"] == "COMPLETE"
    [interval] = report["intervals"]
    assert interval["interval"] == "MONTHLY"
    assert interval["income_amount"] == {"amount": 120000, "currency": "EUR"}
    assert interval["expense_amount"] == {"amount": -7000, "currency": "EUR"}
    assert "amounts_by_currency" not in interval
    salary, movies, phone = interval["transaction_groups"]
    assert salary["average_amount"] == {"amount": 120000, "currency": "EUR"}
    assert salary["categories"] == [SALARY_CAT]
    assert "brand" not in salary
    assert (salary["earliest_day"], salary["latest_day"]) == (2, 2)
    assert salary["transaction_ids"] == ["sal10", "sal11", "sal12", "sal13"]
    assert salary["occurrences_range"] == {"earliest_occurrence_date": "2024-09-02",
                                           "latest_occurrence_date": "2024-12-02"}
    assert movies["brand"] == MOVIE_STREAM
    assert movies["categories"] == [STREAMING, MOVIES]
    assert movies["average_amount"] == {"amount": -2000, "currency": "EUR"}
    assert (phone["earliest_day"], phone["latest_day"]) == (24, 24)
    assert salary["next_date"] == "2025-01-02" and salary["active"] is True
    assert 0 < salary["confidence"] <= 1


def test_detection_uses_all_history_and_the_default_62_days_list_a_yearly_series():
    states = consumer_states(SALARY, YEARLY)
    report = only(build(request(), states))
    assert (report["from_date"], report["to_date"]) == ("2024-10-30", "2024-12-31")
    by_interval = {i["interval"]: i for i in report["intervals"]}
    assert set(by_interval) == {"MONTHLY", "YEARLY"}
    [insurance] = by_interval["YEARLY"]["transaction_groups"]
    assert insurance["transaction_ids"] == ["ins-2"]  # only the occurrence inside the timeframe
    assert insurance["occurrences_range"] == {"earliest_occurrence_date": "2024-12-02",
                                              "latest_occurrence_date": "2024-12-02"}
    assert by_interval["YEARLY"]["expense_amount"] == {"amount": -38000, "currency": "EUR"}
    assert by_interval["YEARLY"]["income_amount"] == {"amount": 0, "currency": "EUR"}
    # A timeframe without any of its occurrences does not list it.
    spring = only(build(request(from_date="2024-03-01", to_date="2024-05-31"), states))
    assert [i["interval"] for i in spring["intervals"]] == ["MONTHLY"]


def test_groups_average_only_their_occurrences_inside_the_timeframe():
    raised = monthly("str", 19, 1399, months=14)
    for t in raised[-3:]:
        t["amount"] = {"amount": 1599, "currency": "EUR"}
    states = consumer_states(raised)
    last_quarter = only(build(request(from_date="2024-10-01", to_date="2024-12-31"), states))
    [group] = last_quarter["intervals"][0]["transaction_groups"]
    assert group["average_amount"]["amount"] == -1599
    year = only(build(request(from_date="2024-01-01", to_date="2024-12-31"), states))
    [group] = year["intervals"][0]["transaction_groups"]
    assert group["average_amount"]["amount"] == -round((9 * 1399 + 3 * 1599) / 12)


def test_the_average_rounds_half_away_from_zero():
    bill = monthly("b", 10, 1000, months=6)
    bill[-1]["amount"] = {"amount": 1001, "currency": "EUR"}
    bill[-2]["amount"] = {"amount": 1000, "currency": "EUR"}
    states = consumer_states(bill)
    report = only(build(request(from_date="2024-11-01", to_date="2024-12-31"), states))
    assert report["intervals"][0]["transaction_groups"][0]["average_amount"]["amount"] == -1001


def test_every_interval_once_in_the_documented_order():
    weekly = [txn(f"w{i}", date(2024, 10, 4) + timedelta(weeks=i), 1000,
                  counter_party={"holder_name": "Kid"}) for i in range(13)]
    quarterly = [txn(f"q{i}", d, 60000, counter_party={"holder_name": "Finanzamt"})
                 for i, d in enumerate((date(2024, 3, 11), date(2024, 6, 10), date(2024, 9, 10),
                                        date(2024, 12, 10)))]
    states = consumer_states(SALARY, PHONE, weekly, quarterly, YEARLY)
    report = only(build(request(report_days=62), states))
    assert [i["interval"] for i in report["intervals"]] == ["WEEKLY", "MONTHLY", "QUARTERLY",
                                                            "YEARLY"]
    monthly_groups = report["intervals"][1]["transaction_groups"]
    assert [g["earliest_day"] for g in monthly_groups] == sorted(
        g["earliest_day"] for g in monthly_groups)


def test_several_currencies_sum_in_the_report_currency_and_per_currency():
    usd = monthly("usd", 12, 1000, currency="USD",
                  counter_party={"holder_name": "GitHub"})
    nok = monthly("nok", 12, 9900, currency="NOK", type_="CREDIT",
                  counter_party={"holder_name": "Utleie AS"})
    report = only(build(request(report_days=62), consumer_states(SALARY, STREAM, PHONE, usd, nok)))
    [interval] = report["intervals"]
    assert interval["income_amount"] == {"amount": 120000, "currency": "EUR"}
    assert interval["expense_amount"] == {"amount": -7000, "currency": "EUR"}
    assert interval["amounts_by_currency"] == [
        {"currency": "EUR", "income_amount": 120000, "expense_amount": -7000},
        {"currency": "NOK", "income_amount": 9900, "expense_amount": 0},
        {"currency": "USD", "income_amount": 0, "expense_amount": -1000},
    ]


def test_the_report_currency_is_the_currency_of_most_groups():
    usd = [monthly(f"u{n}", 3 + n, 1000 + 100 * n, currency="USD",
                   counter_party={"holder_name": f"Service {chr(65 + n)}"}) for n in range(4)]
    report = only(build(request(report_days=62), consumer_states(SALARY, *usd)))
    assert report["intervals"][0]["income_amount"] == {"amount": 0, "currency": "USD"}
    assert report["intervals"][0]["expense_amount"]["currency"] == "USD"


def test_account_filters_select_occurrences_of_series_that_span_accounts():
    moving = monthly("mv", 15, 1299, brand=MOVIE_STREAM)
    for t in moving[-2:]:  # the card was replaced: the last two went to account a2
        t["insights_account_id"] = "a2"
    accounts = {"a1": coverage("a1"), "a2": coverage("a2"), "a3": coverage("a3")}
    states = consumer_states(moving, PHONE)
    both = only(build(request(report_days=62), states, accounts))
    assert both["insights_account_ids"] == ["a1", "a2", "a3"]
    [interval] = both["intervals"]
    movies = next(g for g in interval["transaction_groups"] if "brand" in g)
    assert movies["transaction_ids"] == ["mv12", "mv13"]
    only_a1 = only(build(request(report_days=62, insights_account_ids=["a1"]), states, accounts))
    assert [g.get("brand") for g in only_a1["intervals"][0]["transaction_groups"]] == [None]
    without_a1 = only(build(request(report_days=62, excluded_insights_account_ids=["a1"]),
                            states, accounts))
    assert without_a1["insights_account_ids"] == ["a2", "a3"]
    [group] = without_a1["intervals"][0]["transaction_groups"]
    assert group["transaction_ids"] == ["mv12", "mv13"]
    assert group["next_date"] and group["active"] is True


def test_an_account_missing_from_the_coverages_is_hidden():
    states = consumer_states(SALARY, PHONE)
    report = only(build(request(report_days=62, required_data_availability="NONE"), states,
                        accounts={}))
    assert report["insights_account_ids"] == [] and report["intervals"] == []
    explicit = only(build(request(report_days=62, insights_account_ids=["a1"],
                                  required_data_availability="NONE"), states, accounts={}))
    assert explicit["intervals"] == [] and explicit["data_availability"] == "NONE"


def test_data_availability_and_the_422():
    states = consumer_states(SALARY)
    late = {"a1": coverage("a1", start=date(2024, 12, 1))}
    with pytest.raises(DataAvailabilityNotMet) as raised:
        build(request(report_days=62), states, late)
    assert raised.value.status == 422
    assert [e.loc for e in raised.value.errors] == ["insights_account_ids[a1]"]
    partial = only(build(request(report_days=62, required_data_availability="PARTIAL"), states,
                         late))
    assert partial["data_availability"] == "PARTIAL"
    with pytest.raises(DataAvailabilityNotMet) as nothing:
        build(request(report_days=62, excluded_insights_account_ids=["a1"]), states)
    assert [e.loc for e in nothing.value.errors] == ["excluded_insights_account_ids"]


def test_active_is_judged_against_the_consumers_newest_transaction():
    stopped = monthly("old", 8, 999, months=10)  # ends in December 2024 as well
    states = consumer_states(stopped)
    report = only(build(request(from_date="2024-01-01", to_date="2024-12-31"), states,
                        newest="2025-02-20"))
    assert report["intervals"][0]["transaction_groups"][0]["active"] is False
    fresh = only(build(request(from_date="2024-01-01", to_date="2024-12-31"), states,
                       newest="2024-12-31"))
    assert fresh["intervals"][0]["transaction_groups"][0]["active"] is True


def test_a_future_from_date_without_to_date_is_a_400():
    with pytest.raises(ReportError) as raised:
        resolve_timeframe(request(from_date="2025-03-01"), TODAY)
    assert raised.value.status == 400


def test_categories_are_those_every_listed_occurrence_has():
    stream = monthly("s", 20, 2000, brand=MOVIE_STREAM, categories=[STREAMING, MOVIES])
    stream[-1]["categories"] = [MOVIES]
    states = consumer_states(stream)
    report = only(build(request(from_date="2024-11-01", to_date="2024-12-31"), states))
    assert report["intervals"][0]["transaction_groups"][0]["categories"] == [MOVIES]
    older = only(build(request(from_date="2024-09-01", to_date="2024-11-30"), states))
    assert older["intervals"][0]["transaction_groups"][0]["categories"] == [STREAMING, MOVIES]


def test_no_buckets_give_an_empty_report():
    report = only(build(request(report_days=30), []))
    assert report["intervals"] == []
    timeframe = Timeframe(date(2024, 12, 1), TODAY)
    data = build_recurring_reports(request(), timeframe, [], {"a1": coverage("a1")}, None)
    assert data["reports"][0]["intervals"] == []
