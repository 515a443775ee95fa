"""Tests of the deterministic sample data generator (workers/sample_data.py).

The events are checked against CONTRACT.md by reading them (there is no model to import here):
required keys, types, ISO dates, non-negative integer amounts, and the realism the generator
promises (salaries, rent, subscriptions, groceries, states, labels, corrections, ...).
"""

import json
import re
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from workers.sample_data import (
    PARTIAL_ACCOUNT_MONTHS,
    PENDING_WINDOW_DAYS,
    SampleDataSet,
    generate_sample_data,
    write_jsonl,
)

END = date(2024, 6, 12)
MONTHS = 13
START = date(2023, 5, 13)  # the day after END minus 13 months

REQUIRED = (
    "insights_consumer_id",
    "insights_account_id",
    "insights_transaction_id",
    "amount",
    "type",
)
TRANSACTION_KEYS = {
    "insights_consumer_id",
    "insights_account_id",
    "insights_transaction_id",
    "ob_transaction_id",
    "booking_date",
    "value_date",
    "amount",
    "type",
    "state",
    "method",
    "reference",
    "bank_references",
    "bank_transaction_code",
    "counter_party",
    "labels",
    "deleted",
}
ACCOUNT_KEYS = {
    "insights_consumer_id",
    "insights_account_id",
    "deleted",
    "currency",
    "iban",
    "holder_name",
    "data_available_from",
    "data_available_to",
    "refreshed_at",
}
STATES = {"PROCESSED", "PENDING", "CANCELED", "FAILED", "UNKNOWN"}
METHODS = {"CARD", "TRANSFER", "DIRECT_DEBIT", "STANDING_ORDER", "CASH", "UNKNOWN"}
BTC_CODES = {"SALA", "PMNT", "CCRD", "DDBT", "RCDT", "CWDL", "CHRG", "INTR"}
GROCERIES = re.compile(r"REWE|LIDL|ALDI|EDEKA|KAUFLAND|REMA 1000|KIWI|COOP|MENY|ICA |WILLYS")
STREAMING = re.compile(r"NETFLIX|SPOTIFY|Spotify|DisneyPlus|YouTube|TV 2 PLAY|VIAPLAY")
PHONE = re.compile(r"Vodafone|Telekom|o2 Rechnung|Telenor|Telia|ICE faktura|Tele2")
REFRESHED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def data() -> SampleDataSet:
    return generate_sample_data(end_date=END)


@pytest.fixture(scope="module")
def plain() -> SampleDataSet:
    return generate_sample_data(end_date=END, corrections=False)


def _day(event: dict) -> date:
    return date.fromisoformat(event.get("booking_date") or event["value_date"])


def _by_consumer(events: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        grouped[event["insights_consumer_id"]].append(event)
    return grouped


def _code(event: dict) -> str | None:
    return (event.get("bank_transaction_code") or {}).get("code")


def _full_months(start: date, end: date) -> list[tuple[int, int]]:
    months, d = [], start.replace(day=1)
    if start.day != 1:
        d = (d + timedelta(days=32)).replace(day=1)
    while (d + timedelta(days=32)).replace(day=1) - timedelta(days=1) <= end:
        months.append((d.year, d.month))
        d = (d + timedelta(days=32)).replace(day=1)
    return months


def _check_contract(data: SampleDataSet, end: date) -> None:
    """Every event has the contract's shape and stays within its account's coverage."""
    accounts = {a["insights_account_id"]: a for a in data.accounts}
    assert len(accounts) == len(data.accounts)
    for account in data.accounts:
        assert set(account) == ACCOUNT_KEYS
        UUID(account["insights_consumer_id"])
        UUID(account["insights_account_id"])
        assert account["deleted"] is False
        assert account["currency"] in {"EUR", "NOK", "SEK"}
        assert account["iban"] is None or re.fullmatch(
            r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", account["iban"]
        )
        assert account["holder_name"]
        assert date.fromisoformat(account["data_available_from"]) <= end
        assert date.fromisoformat(account["data_available_to"]) == end
        assert REFRESHED_AT.match(account["refreshed_at"])
        datetime.fromisoformat(account["refreshed_at"])

    for event in data.transactions:
        assert set(event) <= TRANSACTION_KEYS, set(event) - TRANSACTION_KEYS
        for key in REQUIRED:
            assert key in event, key
        assert "booking_date" in event or "value_date" in event
        assert "categories" not in event and "brand" not in event
        for key in ("insights_consumer_id", "insights_account_id", "insights_transaction_id"):
            UUID(event[key])
        account = accounts[event["insights_account_id"]]
        assert account["insights_consumer_id"] == event["insights_consumer_id"]
        amount = event["amount"]
        assert set(amount) == {"amount", "currency"}
        assert type(amount["amount"]) is int and amount["amount"] >= 0
        assert amount["currency"] == account["currency"]
        assert event["type"] in {"DEBIT", "CREDIT"}
        if amount["amount"] == 0:
            assert event["type"] == "CREDIT"
        if event.get("deleted"):
            continue
        assert event["deleted"] is False
        assert event["state"] in STATES
        assert event["method"] in METHODS
        assert isinstance(event["reference"], str) and event["reference"]
        first = date.fromisoformat(account["data_available_from"])
        days = [date.fromisoformat(event[k]) for k in ("booking_date", "value_date") if k in event]
        assert all(first <= d <= end for d in days), (event, first)
        if "booking_date" in event and "value_date" in event:
            lag = (
                date.fromisoformat(event["booking_date"]) - date.fromisoformat(event["value_date"])
            ).days
            assert 0 <= lag <= 4, event
        if "bank_references" in event:
            assert isinstance(event["bank_references"]["unstructured"], str)
        if "bank_transaction_code" in event:
            btc = event["bank_transaction_code"]
            assert set(btc) == {"code", "sub_code", "description"}
            assert btc["code"] in BTC_CODES
        cp = event["counter_party"]
        assert set(cp) == {"holder_name", "holder_address", "iban", "account_number", "bank_code"}
        assert cp["holder_address"] is None or set(cp["holder_address"]) == {"country"}
        labels = event.get("labels")
        if labels is not None:
            assert labels, "labels are omitted rather than empty"
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())


# --------------------------------------------------------------------------- determinism


def test_same_arguments_give_identical_output(data: SampleDataSet) -> None:
    again = generate_sample_data(end_date=END)
    assert again == data
    assert json.dumps(again.transactions) == json.dumps(data.transactions)
    assert json.dumps(again.accounts) == json.dumps(data.accounts)


def test_a_different_seed_gives_different_data(data: SampleDataSet) -> None:
    other = generate_sample_data(end_date=END, seed=8)
    assert other.transactions != data.transactions
    assert {a["insights_consumer_id"] for a in other.accounts}.isdisjoint(
        a["insights_consumer_id"] for a in data.accounts
    )


def test_first_consumers_do_not_depend_on_the_number_of_consumers(data: SampleDataSet) -> None:
    two = generate_sample_data(end_date=END, consumers=2, corrections=False)
    ids = {a["insights_consumer_id"] for a in two.accounts}
    assert two.accounts == [a for a in data.accounts if a["insights_consumer_id"] in ids]
    subset = [
        t
        for t in generate_sample_data(end_date=END, corrections=False).transactions
        if t["insights_consumer_id"] in ids
    ]
    assert two.transactions == subset


def test_end_date_defaults_to_today_utc() -> None:
    today = datetime.now(UTC).date()
    sample = generate_sample_data(consumers=1, months=1)
    if datetime.now(UTC).date() != today:  # ran across midnight
        pytest.skip("date changed during the test")
    assert {a["data_available_to"] for a in sample.accounts} == {today.isoformat()}


@pytest.mark.parametrize("kwargs", [{"consumers": 0}, {"months": 0}])
def test_rejects_empty_ranges(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        generate_sample_data(end_date=END, **kwargs)


def test_generation_is_fast() -> None:
    started = time.perf_counter()
    generate_sample_data(consumers=5, months=13, end_date=END)
    assert time.perf_counter() - started < 1.0


# --------------------------------------------------------------------------- contract


def test_events_follow_the_contract(data: SampleDataSet) -> None:
    _check_contract(data, END)


@pytest.mark.parametrize(
    ("seed", "end", "months"),
    [
        (1, date(2024, 2, 29), 13),
        (2, date(2023, 12, 31), 13),
        (3, date(2025, 1, 4), 6),
        (42, date(2024, 6, 30), 2),
    ],
)
def test_contract_holds_for_other_seeds_and_ranges(seed: int, end: date, months: int) -> None:
    sample = generate_sample_data(seed=seed, end_date=end, months=months)
    _check_contract(sample, end)
    _check_corrections(
        sample, generate_sample_data(seed=seed, end_date=end, months=months, corrections=False)
    )


def test_date_range_covers_the_requested_months(data: SampleDataSet) -> None:
    days = [_day(t) for t in data.transactions]
    assert min(days) >= START
    assert END - timedelta(days=2) <= max(days) <= END
    assert min(days) <= START + timedelta(days=4)
    assert min(date.fromisoformat(a["data_available_from"]) for a in data.accounts) == START


def test_accounts_per_consumer(data: SampleDataSet) -> None:
    per_consumer = Counter(a["insights_consumer_id"] for a in data.accounts)
    assert len(per_consumer) == 5
    assert all(1 <= n <= 3 for n in per_consumer.values())
    for events in _by_consumer(data.accounts).values():
        assert len({a["currency"] for a in events}) == 1
        assert len({a["refreshed_at"] for a in events}) == 1


def test_volume_per_consumer_and_month(plain: SampleDataSet) -> None:
    for events in _by_consumer(plain.transactions).values():
        assert 40 <= len(events) / MONTHS <= 90


# --------------------------------------------------------------------------- ids and order


def test_ids_are_unique_without_corrections(plain: SampleDataSet) -> None:
    ids = [t["insights_transaction_id"] for t in plain.transactions]
    assert len(set(ids)) == len(ids)
    ob_ids = [(t["insights_account_id"], t["ob_transaction_id"]) for t in plain.transactions]
    assert len(set(ob_ids)) == len(ob_ids)
    assert not any(t.get("deleted") for t in plain.transactions)


def _check_corrections(data: SampleDataSet, plain: SampleDataSet) -> None:
    main = data.transactions[: len(plain.transactions)]
    assert main == plain.transactions
    tail = data.transactions[len(plain.transactions) :]
    assert 3 <= len(tail) <= 6
    originals = {t["insights_transaction_id"]: t for t in main}
    assert all(t["insights_transaction_id"] in originals for t in tail)

    deletes = [t for t in tail if t.get("deleted")]
    assert len(deletes) == 1
    deleted = originals[deletes[0]["insights_transaction_id"]]
    for key in (*REQUIRED, "ob_transaction_id"):
        assert deletes[0][key] == deleted[key]
    # It deletes a duplicate: the same charge under another id on the same account and day.
    twins = [
        t
        for t in main
        if t is not deleted
        and t["reference"] == deleted["reference"]
        and t["amount"] == deleted["amount"]
        and _day(t) == _day(deleted)
        and t["insights_account_id"] == deleted["insights_account_id"]
    ]
    assert twins

    settled = [
        t
        for t in tail
        if originals[t["insights_transaction_id"]]["state"] == "PENDING"
        and t["state"] == "PROCESSED"
        and not t.get("deleted")
    ]
    assert settled
    assert all("booking_date" in t for t in settled)
    corrected = [
        t for t in tail if t["amount"] != originals[t["insights_transaction_id"]]["amount"]
    ]
    assert len(corrected) == 1
    assert (
        corrected[0]["amount"]["amount"]
        > originals[corrected[0]["insights_transaction_id"]]["amount"]["amount"]
    )
    redelivered = [t for t in tail if t == originals[t["insights_transaction_id"]]]
    assert len(redelivered) == 1


def test_corrections_follow_the_main_stream(data: SampleDataSet, plain: SampleDataSet) -> None:
    _check_corrections(data, plain)


def test_effective_transactions_apply_replacements_and_deletes(data: SampleDataSet) -> None:
    effective = data.effective_transactions()
    ids = [t["insights_transaction_id"] for t in effective]
    assert (
        len(ids)
        == len(set(ids))
        == len({t["insights_transaction_id"] for t in data.transactions}) - 1
    )
    deleted_id = next(t["insights_transaction_id"] for t in data.transactions if t.get("deleted"))
    assert deleted_id not in ids
    last = {t["insights_transaction_id"]: t for t in data.transactions}
    assert all(t == last[t["insights_transaction_id"]] for t in effective)


def test_chronological_except_a_few_late_events(plain: SampleDataSet) -> None:
    late, latest = 0, date.min
    for event in plain.transactions:
        day = _day(event)
        if day < latest:
            late += 1
        latest = max(latest, day)
    assert 0.005 * len(plain.transactions) <= late <= 0.05 * len(plain.transactions)


# --------------------------------------------------------------------------- realism


def test_salary_every_month_on_a_business_day(plain: SampleDataSet) -> None:
    for events in _by_consumer(plain.transactions).values():
        salaries = [t for t in events if _code(t) == "SALA"]
        assert all(t["type"] == "CREDIT" and t["method"] == "TRANSFER" for t in salaries)
        assert all(
            t["counter_party"]["holder_name"] and t["counter_party"]["iban"] for t in salaries
        )
        assert all(_day(t).weekday() < 5 for t in salaries)
        months = Counter((_day(t).year, _day(t).month) for t in salaries)
        assert all(n == 1 for n in months.values())
        assert set(_full_months(START, END)) <= set(months)
        assert len({t["insights_account_id"] for t in salaries}) == 1


def test_rent_monthly_to_a_private_landlord(plain: SampleDataSet) -> None:
    own_ibans = {a["iban"] for a in plain.accounts}
    for events in _by_consumer(plain.transactions).values():
        rent = [
            t
            for t in events
            if t["method"] == "STANDING_ORDER"
            and t["type"] == "DEBIT"
            and t["counter_party"]["iban"] not in own_ibans
        ]
        months = Counter((_day(t).year, _day(t).month) for t in rent)
        assert set(_full_months(START, END)) <= set(months)
        assert all(n == 1 for n in months.values())
        assert all(_day(t).day <= 3 and _day(t).weekday() < 5 for t in rent)
        assert len({t["amount"]["amount"] for t in rent}) == 1
        assert len({t["counter_party"]["holder_name"] for t in rent}) == 1
        assert all(t["counter_party"]["iban"] for t in rent)


def test_subscriptions_with_a_price_change(plain: SampleDataSet) -> None:
    changed = 0
    for events in _by_consumer(plain.transactions).values():
        streams: dict[str, list[dict]] = defaultdict(list)
        for t in events:
            if STREAMING.search(t["reference"]) and t["type"] == "DEBIT":
                streams[t["reference"].split()[0].upper()].append(t)
        assert streams
        for series in streams.values():
            assert len(series) >= MONTHS - 1
            amounts = [t["amount"]["amount"] for t in sorted(series, key=_day)]
            if len(set(amounts)) == 2:
                assert amounts == sorted(amounts)  # one step up, never back
                changed += 1
        assert len([t for t in events if PHONE.search(t["reference"])]) >= MONTHS - 1
    assert changed >= 1  # consumer 0 always has one
    references = {t["reference"] for t in plain.transactions}
    assert any(
        re.fullmatch(r"(NETFLIX\.COM 866-579-7172|PAYPAL \*SPOTIFY|Spotify P\w+)", r)
        for r in references
    )


def test_yearly_insurance(plain: SampleDataSet) -> None:
    for events in _by_consumer(plain.transactions).values():
        yearly = [
            t
            for t in events
            if re.search(r"Jahresbeitrag|Kfz|bilfors|innbofors|hemfors", t["reference"])
        ]
        assert 1 <= len(yearly) <= 2
        assert all(t["method"] == "DIRECT_DEBIT" for t in yearly)


def test_weekly_groceries(plain: SampleDataSet) -> None:
    for events in _by_consumer(plain.transactions).values():
        groceries = [t for t in events if GROCERIES.search(t["reference"])]
        assert len(groceries) >= 4 * MONTHS
        assert all(t["method"] == "CARD" and t["type"] == "DEBIT" for t in groceries)
        assert len({t["amount"]["amount"] for t in groceries}) > len(groceries) // 2
        weeks = {_day(t).isocalendar()[:2] for t in groceries}
        assert len(weeks) >= 0.8 * 56


def test_descriptors_look_like_bank_data(data: SampleDataSet) -> None:
    refs = " ".join(t.get("reference") or "" for t in data.transactions)
    for pattern in (
        r"Sagt Danke \d{5}|SAGT DANKE \d{5}|REMA 1000|ICA ",
        r"AMZN Mktp DE\*[A-Z0-9]{6}|AMAZON\.SE\*|KOMPLETT\.NO|CDON\.COM",
    ):
        assert re.search(pattern, refs), pattern


def test_states(plain: SampleDataSet) -> None:
    states = Counter(t["state"] for t in plain.transactions)
    assert states["PROCESSED"] > 0.97 * len(plain.transactions)
    assert states["PENDING"] and states["CANCELED"] and states["FAILED"]
    pending = [t for t in plain.transactions if t["state"] == "PENDING"]
    assert all(_day(t) > END - timedelta(days=PENDING_WINDOW_DAYS + 1) for t in pending)
    assert any("booking_date" not in t for t in pending)
    # Every consumer has something pending at the end of the range.
    assert {t["insights_consumer_id"] for t in pending} == {
        a["insights_consumer_id"] for a in plain.accounts
    }


def test_failed_direct_debit_is_collected_again(plain: SampleDataSet) -> None:
    failed = [t for t in plain.transactions if t["state"] == "FAILED"]
    for t in failed:
        assert t["method"] == "DIRECT_DEBIT"
        retries = [
            r
            for r in plain.transactions
            if r["reference"] == t["reference"]
            and r["insights_account_id"] == t["insights_account_id"]
            and r["state"] == "PROCESSED"
            and 0 < (_day(r) - _day(t)).days <= 14
        ]
        assert retries


def test_value_dates(plain: SampleDataSet) -> None:
    both = [t for t in plain.transactions if "booking_date" in t and "value_date" in t]
    only_value = [t for t in plain.transactions if "booking_date" not in t]
    only_booking = [t for t in plain.transactions if "value_date" not in t]
    assert len(both) > 0.9 * len(plain.transactions)
    assert only_value and only_booking
    assert any(t["booking_date"] != t["value_date"] for t in both)


def test_labels(plain: SampleDataSet) -> None:
    labelled = [t for t in plain.transactions if "labels" in t]
    assert 0 < len(labelled) < 0.15 * len(plain.transactions)
    assert any(t["labels"].get("order-id-for-company-1", "").isdigit() for t in labelled)
    assert any(2 <= len(t["labels"]) <= 3 for t in labelled)
    assert all(v.isdigit() for t in labelled for v in t["labels"].values())


def test_refunds_come_from_the_shop_of_the_order(plain: SampleDataSet) -> None:
    for events in _by_consumer(plain.transactions).values():
        orders = {
            tuple(sorted(t["labels"].items())): t
            for t in events
            if "labels" in t and t["type"] == "DEBIT"
        }
        refunds = [t for t in events if "labels" in t and t["type"] == "CREDIT"]
        assert refunds
        for refund in refunds:
            order = orders[tuple(sorted(refund["labels"].items()))]
            assert refund["amount"]["amount"] <= order["amount"]["amount"]
            assert _day(refund) > _day(order)
            names = {refund["counter_party"]["holder_name"], order["counter_party"]["holder_name"]}
            assert len(names - {None}) <= 1


def test_zero_amount_card_verifications(plain: SampleDataSet) -> None:
    zero = [t for t in plain.transactions if t["amount"]["amount"] == 0]
    assert len(zero) >= 5
    assert all(t["type"] == "CREDIT" and t["method"] == "CARD" for t in zero)


def test_transfers_between_own_accounts(plain: SampleDataSet) -> None:
    by_iban = {a["iban"]: a["insights_account_id"] for a in plain.accounts if a["iban"]}
    pairs = 0
    for events in _by_consumer(plain.transactions).values():
        credits = [t for t in events if t["type"] == "CREDIT"]
        for out in events:
            target = by_iban.get(out["counter_party"]["iban"])
            if out["type"] != "DEBIT" or target is None:
                continue
            matches = [
                c
                for c in credits
                if c["insights_account_id"] == target
                and c["amount"] == out["amount"]
                and 0 <= (_day(c) - _day(out)).days <= 3
            ]
            assert matches, out
            pairs += 1
    assert pairs >= PARTIAL_ACCOUNT_MONTHS  # at least consumer 0's new savings account


def test_atm_fees_and_interest(plain: SampleDataSet) -> None:
    codes = Counter(_code(t) for t in plain.transactions)
    assert codes["CWDL"] and codes["CHRG"] and codes["INTR"]
    cash = [t for t in plain.transactions if t["method"] == "CASH"]
    assert cash and all(t["type"] == "DEBIT" and t["amount"]["amount"] % 1000 == 0 for t in cash)


def test_partial_coverage_account(plain: SampleDataSet) -> None:
    first_consumer = plain.accounts[0]["insights_consumer_id"]
    later = [a for a in plain.accounts if date.fromisoformat(a["data_available_from"]) > START]
    assert later
    account = later[0]
    assert account["insights_consumer_id"] == first_consumer
    opened = date.fromisoformat(account["data_available_from"])
    year, month0 = divmod(END.year * 12 + END.month - 1 - PARTIAL_ACCOUNT_MONTHS, 12)
    assert opened == date(year, month0 + 1, END.day)
    own = [
        t for t in plain.transactions if t["insights_account_id"] == account["insights_account_id"]
    ]
    assert own and min(_day(t) for t in own) >= opened


# --------------------------------------------------------------------------- jsonl


def test_write_jsonl_round_trip(tmp_path, data: SampleDataSet) -> None:
    path = tmp_path / "out" / "transactions.jsonl"
    assert write_jsonl(path, data.transactions) == len(data.transactions)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == data.transactions
    assert lines[0] == json.dumps(data.transactions[0], ensure_ascii=False, separators=(",", ":"))
    assert write_jsonl(tmp_path / "empty.jsonl", iter(())) == 0
    assert (tmp_path / "empty.jsonl").read_bytes() == b""


def test_written_files_are_byte_identical(tmp_path) -> None:
    for name in ("a", "b"):
        sample = generate_sample_data(end_date=END, consumers=2)
        write_jsonl(tmp_path / name / "transactions.jsonl", sample.transactions)
    assert (tmp_path / "a" / "transactions.jsonl").read_bytes() == (
        tmp_path / "b" / "transactions.jsonl"
    ).read_bytes()


def test_events_validate_against_the_contract_models(data: SampleDataSet) -> None:
    contract = pytest.importorskip("schemas.contract")
    for account in data.accounts:
        contract.AccountEvent.model_validate_json(json.dumps(account))
    for event in data.transactions:
        contract.TransactionEvent.model_validate_json(json.dumps(event))
