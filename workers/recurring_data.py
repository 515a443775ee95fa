"""Labeled consumer histories for evaluating recurring-payment detection (bench/recurring.py).

`generate_labeled_histories` builds, per consumer, the stored transactions (the dicts the
history keeps: client view of a TransactionEvent, optionally with `categories` and `brand` as
enrichment would add them) and the ground truth: every recurring series with its interval,
its member transaction ids and whether it is still running at the end of the history.

What a history holds (each consumer draws a random subset, amounts in its locale's currency):

* monthly: salary (paid on a fixed day or the last business day, moved before weekends and
  holidays, a pay rise, a one-off bonus from the same employer that is not part of the series)
  or a pension; rent to a private person (IBAN, or only an account number); streaming plans
  with a brand and a price change, sometimes two plans at one merchant; a phone bill with
  extras; an electricity bill that follows the seasons; two policies at one insurer; a gym; a
  standing order to the consumer's own savings account (an expense on one account and income
  on the other); a loan instalment due on the 31st; a payment with no text and no name, only
  the counterparty's account number; a subscription billed in USD on the credit card;
* weekly: pocket money, a cleaner paid every Monday (holiday weeks skipped), a meal kit;
* biweekly: a biweekly wage instead of a monthly salary, child care;
* quarterly: a tax prepayment, the broadcasting fee, a water bill that varies;
* half-yearly: a car insurance, a club fee; yearly: Amazon Prime (the same brand as random
  Amazon orders), a liability insurance, a domain renewal in USD, an automobile club;
* UNKNOWN: a gym billed every four weeks, a chimney sweep every two months;
* hard cases inside series: dates moved to the next business day, month ends, a missed
  period, a FAILED direct debit retried a few days later, a PENDING last card payment,
  series that stopped (not active) or started late;
* noise: supermarkets (one visited every Saturday with random amounts), a café, restaurants,
  fuel, Amazon orders, online shops with refunds, transfers with friends, ATM withdrawals,
  one-off payments to recurring counterparties (a phone bought from the phone company, a
  utilities settlement to the landlord), CANCELED and FAILED card payments.

A series is labeled only when the history holds at least the documented minimum number of its
occurrences (`workers.domain.recurring.CADENCES`, 4 for UNKNOWN): fewer cannot prove an
interval, so such payments are one-offs for the evaluation. Everything is deterministic: one
`random.Random(seed)` and `uuid5` ids.
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID, uuid5

from workers.domain.recurring import (
    BIWEEKLY,
    CADENCE_OF,
    HALF_YEARLY,
    INTERVALS,
    MONTHLY,
    QUARTERLY,
    UNKNOWN,
    UNKNOWN_MIN_OCCURRENCES,
    WEEKLY,
    YEARLY,
    is_active,
)
from workers.domain.recurring_state import build_states

__all__ = ["Evaluation", "LabeledHistory", "TruthSeries", "evaluate", "generate_labeled_histories",
           "NAMESPACE"]

NAMESPACE = UUID("8a1f0c3e-2b4d-5e6f-9a0b-1c2d3e4f5a6b")
DEBIT, CREDIT = "DEBIT", "CREDIT"


@dataclass(frozen=True)
class TruthSeries:
    """One labeled recurring series: what it is, its interval, its members in date order."""

    name: str
    interval: str
    ids: tuple[str, ...]
    active: bool
    direction: str


@dataclass
class LabeledHistory:
    """One consumer's stored transactions and the recurring series among them."""

    consumer_id: str
    account_ids: list[str]
    transactions: list[dict]
    series: list[TruthSeries]


@dataclass(frozen=True)
class _Locale:
    country: str
    currency: str
    scale: int  # amounts in this currency are about `scale` times the EUR amounts
    holidays: tuple[tuple[int, int], ...]  # (month, day) bank holidays
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    employers: tuple[str, ...]
    supermarkets: tuple[str, ...]
    insurers: tuple[str, ...]
    phone: str
    power: str
    salary_ref: str
    rent_ref: str


_LOCALES = (
    _Locale("DE", "EUR", 1, ((1, 1), (5, 1), (10, 3), (12, 25), (12, 26)),
            ("Anna", "Jonas", "Lea", "Felix", "Marie", "Paul", "Sophie", "Lukas"),
            ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker"),
            ("Siemens AG", "Bosch GmbH", "Stadtwerke München GmbH", "SAP SE"),
            ("REWE Markt GmbH", "EDEKA Zentrale", "ALDI SÜD", "Lidl Dienstleistung"),
            ("Allianz Versicherungs-AG", "HUK-COBURG", "AXA Versicherung AG"),
            "Vodafone GmbH", "Stadtwerke Energie GmbH", "Gehalt {month} {year}", "Miete {month}"),
    _Locale("NO", "NOK", 10, ((1, 1), (5, 1), (5, 17), (12, 25), (12, 26)),
            ("Ola", "Kari", "Nora", "Emil", "Ingrid", "Jakob"),
            ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen"),
            ("Equinor ASA", "DNB Bank ASA", "Telenor ASA", "Oslo kommune"),
            ("REMA 1000", "KIWI Norge", "Coop Extra", "Meny"),
            ("Gjensidige Forsikring", "If Skadeforsikring NUF", "Tryg Forsikring"),
            "Telenor Norge AS", "Fjordkraft AS", "Lønn {month} {year}", "Husleie {month}"),
    _Locale("SE", "SEK", 10, ((1, 1), (1, 6), (5, 1), (6, 6), (12, 25), (12, 26)),
            ("Erik", "Astrid", "Elsa", "Oscar", "Maja", "Hugo"),
            ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson"),
            ("Volvo Cars AB", "Ericsson AB", "Region Stockholm", "IKEA AB"),
            ("ICA Supermarket", "Coop Konsum", "Willys", "Hemköp"),
            ("Folksam", "Länsförsäkringar", "If Skadeförsäkring AB"),
            "Telia Sverige AB", "Vattenfall AB", "Lön {month} {year}", "Hyra {month}"),
)

_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")

# Category names as enrichment would assign them (ids: uuid5 of the name).
_CATEGORY = {
    "salary": "Salary & Wages & Paycheck", "pension": "Pension", "rent": "Rent",
    "streaming": "TV streaming subscriptions", "music": "Music streaming subscriptions",
    "phone": "Mobile Phone", "power": "Electricity", "insurance": "Insurance",
    "gym": "Sports & Fitness", "savings": "Savings", "loan": "Loan repayment",
    "software": "Software & Online services", "allowance": "Pocket money",
    "household": "Household services", "food": "Groceries", "childcare": "Childcare",
    "tax": "Taxes", "fees": "Public fees", "water": "Water", "car": "Car insurance",
    "club": "Memberships", "shopping": "Online shopping", "cafe": "Coffee shops",
    "restaurant": "Restaurants", "fuel": "Fuel", "cash": "Cash withdrawal",
    "transfer": "Transfers", "refund": "Refunds",
}


def _category(key: str) -> dict:
    name = _CATEGORY[key]
    return {"id": str(uuid5(NAMESPACE, f"category/{name}")), "name": name}


def _brand(name: str) -> dict:
    return {"id": str(uuid5(NAMESPACE, f"brand/{name}")), "name": name}


def _min_occurrences(interval: str) -> int:
    cadence = CADENCE_OF.get(interval)
    return cadence.min_occurrences if cadence else UNKNOWN_MIN_OCCURRENCES


def _month_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(d: date, months: int, day: int | None = None) -> date:
    year, month0 = divmod(d.month - 1 + months, 12)
    return _month_day(d.year + year, month0 + 1, day or d.day)


@dataclass
class _Account:
    id: str
    iban: str
    currency: str


@dataclass
class _Builder:
    index: int
    rng: random.Random
    locale: _Locale
    start: date
    end: date
    activity: float
    enriched: bool
    consumer_id: str = ""
    accounts: dict[str, _Account] = field(default_factory=dict)
    transactions: list[dict] = field(default_factory=list)
    series: list[TruthSeries] = field(default_factory=list)

    # --- basics ------------------------------------------------------------------------------

    def __post_init__(self) -> None:
        self.consumer_id = str(uuid5(NAMESPACE, f"consumer/{self.index}"))
        self.accounts["checking"] = self._account("checking", self.locale.currency)
        if self.rng.random() < 0.7:
            self.accounts["card"] = self._account("card", self.locale.currency)
        if self.rng.random() < 0.5:
            self.accounts["savings"] = self._account("savings", self.locale.currency)
        if self.rng.random() < 0.2:
            self.accounts["usd"] = self._account("usd", "USD")

    def _account(self, name: str, currency: str) -> _Account:
        return _Account(str(uuid5(NAMESPACE, f"{self.index}/account/{name}")),
                        self._iban(), currency)

    def _iban(self) -> str:
        country = self.locale.country
        digits = "".join(self.rng.choice("0123456789") for _ in range(18))
        return f"{country}{self.rng.randint(10, 99)}{digits}"

    def _person(self) -> str:
        return f"{self.rng.choice(self.locale.first_names)} {self.rng.choice(self.locale.last_names)}"

    def money(self, eur: float) -> int:
        """Minor units of an amount given in EUR, in the consumer's currency."""
        return max(1, round(eur * self.locale.scale * 100))

    def business(self, day: date, backwards: bool = False) -> date:
        step = timedelta(days=-1 if backwards else 1)
        while day.weekday() >= 5 or (day.month, day.day) in self.locale.holidays:
            day += step
        return day

    def add(self, account: str, day: date, amount: int, direction: str, *,
            holder: str | None = None, iban: str | None = None,
            account_number: str | None = None, bank_code: str | None = None,
            reference: str | None = None, method: str | None = None,
            state: str = "PROCESSED", brand: str | None = None,
            category: str | None = None, currency: str | None = None) -> str:
        acc = self.accounts[account]
        txn_id = str(uuid5(NAMESPACE, f"{self.index}/txn/{len(self.transactions)}"))
        txn: dict = {
            "insights_transaction_id": txn_id,
            "insights_account_id": acc.id,
            "booking_date": day.isoformat(),
            "value_date": day.isoformat(),
            "amount": {"amount": amount, "currency": currency or acc.currency},
            "type": direction,
            "state": state,
        }
        if method:
            txn["method"] = method
        if reference:
            txn["reference"] = reference
            txn["bank_references"] = {"unstructured": reference}
        party = {k: v for k, v in (("holder_name", holder), ("iban", iban),
                                   ("account_number", account_number),
                                   ("bank_code", bank_code)) if v}
        if party:
            txn["counter_party"] = party
        if self.enriched:
            if category:
                txn["categories"] = [_category(category)]
            if brand:
                txn["brand"] = _brand(brand)
        self.transactions.append(txn)
        return txn_id

    def label(self, name: str, interval: str, ids: list[str], active: bool,
              direction: str) -> None:
        if len(ids) >= _min_occurrences(interval):
            ordered = sorted(ids, key=lambda t: (self._day_of[t], t))
            self.series.append(TruthSeries(name, interval, tuple(ordered), active, direction))

    @property
    def _day_of(self) -> dict[str, str]:
        return {t["insights_transaction_id"]: t["booking_date"] for t in self.transactions}

    # --- schedules ---------------------------------------------------------------------------

    def span(self, min_periods: int, period_days: int) -> tuple[date, date, bool]:
        """A random running time inside the history: most series run throughout, some start
        late, some stop early (not active at the end)."""
        first, last, active = self.start, self.end, True
        roll = self.rng.random()
        room = (self.end - self.start).days - min_periods * period_days
        if roll < 0.12 and room > period_days:
            first = self.start + timedelta(days=self.rng.randint(period_days, room))
        elif roll < 0.22 and room > 2 * period_days:
            last = self.end - timedelta(days=self.rng.randint(2 * period_days, room))
            active = False
        return first, last, active

    def monthly_dates(self, day: int, first: date, last: date, *, backwards: bool = False,
                      every: int = 1, skip_one: bool = False) -> list[date]:
        dates = []
        cursor = _month_day(first.year, first.month, day)
        while cursor <= last:
            if cursor >= first:
                dates.append(self.business(cursor, backwards))
            cursor = _add_months(cursor, every, day)
        if skip_one and len(dates) > 5:
            del dates[self.rng.randint(2, len(dates) - 3)]
        return [d for d in dates if self.start <= d <= self.end]

    def step_dates(self, period: int, first: date, last: date, *, weekday: int | None = None,
                   skip: float = 0.0) -> list[date]:
        cursor = first
        if weekday is not None:
            cursor += timedelta(days=(weekday - cursor.weekday()) % 7)
        dates = []
        skipped_last = False
        while cursor <= last:
            if skip and not skipped_last and self.rng.random() < skip:
                skipped_last = True  # never two missed periods in a row
            else:
                skipped_last = False
                dates.append(self.business(cursor))
            cursor += timedelta(days=period)
        return [d for d in dates if self.start <= d <= self.end]

    def series_of(self, name: str, interval: str, dates: list[date], amount: Callable[[int, date], int],
                  direction: str, account: str = "checking", *, active: bool = True,
                  retry: bool = False, pending_last: bool = False, **fields) -> list[str]:
        """Add one transaction per date and label the series. With `retry`, one direct debit
        fails and is collected again a few days later (only the retry is a member)."""
        ids = []
        failed_at = self.rng.randint(1, len(dates) - 2) if retry and len(dates) > 3 else -1
        for i, day in enumerate(dates):
            value = amount(i, day)
            if i == failed_at:
                self.add(account, day, value, direction, state="FAILED", **fields)
                day = self.business(day + timedelta(days=self.rng.randint(3, 6)))
                if day > self.end:
                    continue
            state = "PENDING" if pending_last and i == len(dates) - 1 and (
                self.end - day).days <= 4 else "PROCESSED"
            ids.append(self.add(account, day, value, direction, state=state, **fields))
        self.label(name, interval, ids, active, direction)
        return ids

    def month_ref(self, template: str, day: date) -> str:
        return template.format(month=_MONTH_NAMES[day.month - 1], year=day.year)


# --- recurring series -----------------------------------------------------------------------


def _income(b: _Builder) -> None:
    rng, loc = b.rng, b.locale
    if rng.random() < 0.12:  # a biweekly wage
        employer = rng.choice(loc.employers)
        iban = b._iban()
        wage = b.money(rng.uniform(900, 1600))
        first = b.start + timedelta(days=rng.randint(0, 13))
        dates = b.step_dates(14, first, b.end, weekday=4)
        b.series_of("wage", BIWEEKLY, dates,
                    lambda i, d: round(wage * rng.uniform(0.97, 1.05)), CREDIT,
                    holder=employer, iban=iban, method="TRANSFER", reference="Wage payment",
                    category="salary")
        return
    if rng.random() < 0.15:  # a pension, last business day, raised in July
        pension = b.money(rng.uniform(900, 2100))
        dates = b.monthly_dates(31, b.start, b.end, backwards=True)
        b.series_of("pension", MONTHLY, dates,
                    lambda i, d: pension if d.month < 7 or d.year > b.end.year else round(
                        pension * 1.042), CREDIT,
                    holder="Deutsche Rentenversicherung", iban=b._iban(), method="TRANSFER",
                    reference="Rente", category="pension")
        return
    employer = rng.choice(loc.employers)
    iban = b._iban()
    net = b.money(rng.uniform(1800, 4200))
    raise_at = b.start + timedelta(days=rng.randint(60, 300))
    pay_day = rng.choice((1, 15, 25, 27, 28, 31))
    first, last, active = b.span(3, 31)
    dates = b.monthly_dates(pay_day, first, last, backwards=True)
    salary = b.series_of(
        "salary", MONTHLY, dates,
        lambda i, d: round((net * 1.04 if d >= raise_at else net) * rng.uniform(0.99, 1.02)),
        CREDIT, active=active, holder=employer, iban=iban, method="TRANSFER",
        reference=None, category="salary")
    # The reference names the month ("Gehalt Mai 2024"): rewrite it per occurrence.
    for txn in b.transactions:
        if txn["insights_transaction_id"] in salary:
            day = date.fromisoformat(txn["booking_date"])
            txn["reference"] = b.month_ref(loc.salary_ref, day)
            txn["bank_references"] = {"unstructured": txn["reference"]}
    if rng.random() < 0.5 and len(dates) > 6:  # a one-off bonus from the same employer
        day = b.business(date(b.end.year, 11, rng.randint(10, 20)))
        if b.start <= day <= b.end:
            b.add("checking", day, round(net * rng.uniform(0.5, 1.0)), CREDIT, holder=employer,
                  iban=iban, method="TRANSFER", reference="Bonus", category="salary")


def _rent(b: _Builder) -> None:
    rng, loc = b.rng, b.locale
    landlord = b._person()
    rent = b.money(rng.randrange(500, 1500, 10))
    only_number = rng.random() < 0.2
    fields = ({"account_number": "".join(rng.choice("0123456789") for _ in range(11)),
               "bank_code": str(rng.randint(1000, 9999))} if only_number
              else {"holder": landlord, "iban": b._iban()})
    day = rng.choice((1, 1, 1, 3))
    dates = b.monthly_dates(day, b.start, b.end, skip_one=rng.random() < 0.1)
    b.series_of("rent", MONTHLY, dates, lambda i, d: rent, DEBIT, method="STANDING_ORDER",
                reference=b.month_ref(loc.rent_ref, b.start) if not only_number else None,
                category="rent", **fields)
    if rng.random() < 0.5:  # the yearly utilities settlement: a one-off to the same landlord
        day = b.business(b.end - timedelta(days=rng.randint(20, 200)))
        b.add("checking", day, b.money(rng.uniform(80, 600)), DEBIT, method="TRANSFER",
              reference="Nebenkostenabrechnung", category="rent", **fields)


_STREAMING = (("Netflix", 12.99, "streaming"), ("Spotify", 10.99, "music"),
              ("Disney Plus", 8.99, "streaming"), ("YouTube Premium", 11.99, "streaming"),
              ("Apple Music", 10.99, "music"), ("Audible", 9.95, "music"))


def _card_account(b: _Builder) -> str:
    return "card" if "card" in b.accounts and b.rng.random() < 0.6 else "checking"


def _subscriptions(b: _Builder) -> None:
    rng = b.rng
    for name, price, category in rng.sample(_STREAMING, rng.randint(1, 3)):
        account = _card_account(b)
        amount = b.money(price)
        hiked = b.money(price * rng.uniform(1.07, 1.35)) if rng.random() < 0.5 else amount
        change = b.start + timedelta(days=rng.randint(60, 360))
        day = rng.randint(1, 31)
        first, last, active = b.span(3, 31)
        descriptor = f"{name.upper()} {rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        b.series_of(f"streaming:{name}", MONTHLY, b.monthly_dates(day, first, last),
                    lambda i, d, a=amount, h=hiked, c=change: h if d >= c else a, DEBIT,
                    account, active=active, pending_last=True, holder=name, brand=name,
                    method="CARD", reference=descriptor, category=category)
        if rng.random() < 0.15:  # a second plan at the same merchant (a child's profile)
            other = b.money(price * rng.choice((0.6, 1.6, 1.9)))
            other_day = day if rng.random() < 0.5 else rng.randint(1, 28)
            b.series_of(f"streaming:{name}:2", MONTHLY,
                        b.monthly_dates(other_day, b.start, b.end),
                        lambda i, d, a=other: a, DEBIT, account, pending_last=True, holder=name,
                        brand=name, method="CARD", reference=descriptor, category=category)


def _bills(b: _Builder) -> None:
    rng, loc = b.rng, b.locale
    # A phone bill with extras in some months; a phone bought from the same company once.
    phone_iban = b._iban()
    base = b.money(rng.choice((19.99, 29.99, 39.95)))
    day = rng.randint(2, 25)
    b.series_of("phone", MONTHLY, b.monthly_dates(day, b.start, b.end),
                lambda i, d: base + (b.money(rng.uniform(1, 12)) if rng.random() < 0.3 else 0),
                DEBIT, holder=loc.phone, iban=phone_iban, method="DIRECT_DEBIT",
                reference=f"{loc.phone} Rechnung", category="phone", retry=rng.random() < 0.15)
    if rng.random() < 0.3:
        b.add("checking", b.business(b.end - timedelta(days=rng.randint(10, 300))),
              b.money(rng.uniform(199, 899)), DEBIT, holder=loc.phone, iban=phone_iban,
              method="DIRECT_DEBIT", reference=f"{loc.phone} Endgerät", category="phone")
    # Electricity that follows the seasons (higher in winter).
    if rng.random() < 0.6:
        level = rng.uniform(40, 110)
        b.series_of("power", MONTHLY, b.monthly_dates(rng.randint(5, 20), b.start, b.end),
                    lambda i, d: b.money(level * (1 + 0.35 * math.cos((d.month - 1) / 12 * 2
                                                                       * math.pi))
                                         * rng.uniform(0.93, 1.07)),
                    DEBIT, holder=loc.power, iban=b._iban(), method="DIRECT_DEBIT",
                    reference=f"{loc.power} Abschlag", category="power")
    # Two policies at one insurer: same counterparty, amounts close or far apart.
    if rng.random() < 0.6:
        insurer = rng.choice(loc.insurers)
        iban = b._iban()
        first_amount = b.money(rng.uniform(10, 60))
        policies = [first_amount]
        if rng.random() < 0.5:
            policies.append(round(first_amount * rng.choice((1.05, 1.3, 2.2))))
        same_day = rng.random() < 0.5
        day = rng.choice((1, 1, 15))
        for n, value in enumerate(policies):
            policy_day = day if same_day or n == 0 else rng.randint(2, 28)
            b.series_of(f"insurance:{n}", MONTHLY, b.monthly_dates(policy_day, b.start, b.end),
                        lambda i, d, v=value: v, DEBIT, holder=insurer, iban=iban,
                        method="DIRECT_DEBIT", reference=f"{insurer} Beitrag",
                        category="insurance", retry=rng.random() < 0.1)
    if rng.random() < 0.5:
        gym = rng.choice(("McFit", "SATS", "Urban Sports Club", "EVO Fitness"))
        fee = b.money(rng.choice((19.9, 24.9, 39.0, 54.0)))
        first, last, active = b.span(3, 31)
        b.series_of("gym", MONTHLY, b.monthly_dates(1, first, last), lambda i, d: fee, DEBIT,
                    active=active, holder=gym, brand=gym, iban=b._iban(),
                    method="DIRECT_DEBIT", reference=f"{gym} Mitgliedsbeitrag",
                    category="gym")
    if "savings" in b.accounts and rng.random() < 0.8:
        saving = b.money(rng.choice((50, 100, 150, 200, 300)))
        dates = b.monthly_dates(rng.choice((1, 2, 15, 28)), b.start, b.end)
        checking, savings = b.accounts["checking"], b.accounts["savings"]
        b.series_of("savings:out", MONTHLY, dates, lambda i, d: saving, DEBIT,
                    holder="Own account", iban=savings.iban, method="STANDING_ORDER",
                    reference="Sparen", category="savings")
        b.series_of("savings:in", MONTHLY, dates, lambda i, d: saving, CREDIT, "savings",
                    holder="Own account", iban=checking.iban, method="STANDING_ORDER",
                    reference="Sparen", category="savings")
    if rng.random() < 0.3:  # a loan instalment due on the 31st (month ends)
        rate = b.money(rng.uniform(120, 480))
        b.series_of("loan", MONTHLY, b.monthly_dates(31, b.start, b.end), lambda i, d: rate,
                    DEBIT, holder="Kreditbank AG", iban=b._iban(), method="DIRECT_DEBIT",
                    reference="Kreditrate", category="loan", retry=rng.random() < 0.2)
    if rng.random() < 0.3:  # no text, no name: only the counterparty's account number
        value = b.money(rng.uniform(20, 250))
        number = "".join(rng.choice("0123456789") for _ in range(10))
        b.series_of("account-only", MONTHLY,
                    b.monthly_dates(rng.randint(1, 28), b.start, b.end), lambda i, d: value,
                    DEBIT, account_number=number, method="STANDING_ORDER")
    if rng.random() < 0.25:  # a subscription billed in USD
        account = "usd" if "usd" in b.accounts else _card_account(b)
        service = rng.choice(("GitHub", "DigitalOcean", "OpenAI"))
        usd = round(rng.choice((4, 7, 10, 20)) * 100 * rng.uniform(1, 1.8))
        b.series_of("usd-subscription", MONTHLY,
                    b.monthly_dates(rng.randint(1, 28), b.start, b.end),
                    lambda i, d: usd, DEBIT, account, holder=service, brand=service,
                    method="CARD", reference=f"{service.upper()} SUBSCRIPTION",
                    category="software", currency="USD", pending_last=True)


def _short_intervals(b: _Builder) -> None:
    rng = b.rng
    if rng.random() < 0.35:
        child = b._person()
        allowance = b.money(rng.choice((5, 10, 15, 20)))
        first, last, active = b.span(4, 7)
        b.series_of("pocket-money", WEEKLY, b.step_dates(7, first, last, weekday=4),
                    lambda i, d: allowance, DEBIT, holder=child, iban=b._iban(),
                    method="STANDING_ORDER", reference="Taschengeld", category="allowance",
                    active=active)
    if rng.random() < 0.25:
        cleaner = b._person()
        wage = b.money(rng.choice((45, 60, 75)))
        b.series_of("cleaner", WEEKLY, b.step_dates(7, b.start, b.end, weekday=0, skip=0.06),
                    lambda i, d: wage, DEBIT, holder=cleaner, iban=b._iban(),
                    method="TRANSFER", reference="Putzen", category="household")
    if rng.random() < 0.2:
        price = b.money(rng.uniform(45, 70))
        first, last, active = b.span(4, 7)
        b.series_of("meal-kit", WEEKLY, b.step_dates(7, first, last, weekday=2, skip=0.1),
                    lambda i, d: price, DEBIT, _card_account(b), active=active,
                    holder="HelloFresh", brand="HelloFresh", method="CARD",
                    reference="HELLOFRESH", category="food", pending_last=True)
    if rng.random() < 0.2:
        sitter = b._person()
        fee = b.money(rng.choice((120, 160, 200)))
        first = b.start + timedelta(days=rng.randint(0, 13))
        b.series_of("childcare", BIWEEKLY, b.step_dates(14, first, b.end, weekday=0),
                    lambda i, d: fee, DEBIT, holder=sitter, iban=b._iban(),
                    method="TRANSFER", reference="Kinderbetreuung", category="childcare")


def _long_intervals(b: _Builder) -> None:
    rng, loc = b.rng, b.locale
    if rng.random() < 0.35:
        prepayment = b.money(rng.randrange(200, 1500, 50))
        dates = [b.business(date(y, m, 10)) for y in range(b.start.year, b.end.year + 1)
                 for m in (3, 6, 9, 12)]
        b.series_of("tax", QUARTERLY, [d for d in dates if b.start <= d <= b.end],
                    lambda i, d: prepayment, DEBIT, holder="Finanzamt", iban=b._iban(),
                    method="TRANSFER", reference="ESt-Vorauszahlung", category="tax")
    if rng.random() < 0.35:
        dates = [b.business(date(y, m, 15)) for y in range(b.start.year, b.end.year + 1)
                 for m in (2, 5, 8, 11)]
        fee = b.money(55.08)
        b.series_of("broadcast-fee", QUARTERLY, [d for d in dates if b.start <= d <= b.end],
                    lambda i, d: fee, DEBIT, holder="Rundfunk ARD ZDF DRadio", iban=b._iban(),
                    method="DIRECT_DEBIT", reference="Rundfunkbeitrag", category="fees")
    if rng.random() < 0.25:
        level = rng.uniform(60, 140)
        month = rng.randint(1, 3)
        dates = b.monthly_dates(rng.randint(3, 25), _month_day(b.start.year, month, 1),
                                b.end, every=3)
        b.series_of("water", QUARTERLY, dates,
                    lambda i, d: b.money(level * rng.uniform(0.85, 1.15)), DEBIT,
                    holder="Wasserwerke", iban=b._iban(), method="DIRECT_DEBIT",
                    reference="Wasser Abschlag", category="water")
    if rng.random() < 0.3:
        premium = b.money(rng.uniform(150, 450))
        month = rng.randint(1, 6)
        dates = b.monthly_dates(1, _month_day(b.start.year, month, 1), b.end, every=6)
        b.series_of("car-insurance", HALF_YEARLY, dates,
                    lambda i, d: premium if d.year == b.start.year else round(premium * 1.04),
                    DEBIT, holder=rng.choice(loc.insurers), iban=b._iban(),
                    method="DIRECT_DEBIT", reference="Kfz-Versicherung", category="car")
    if rng.random() < 0.2:
        fee = b.money(rng.choice((60, 90, 120)))
        month = rng.randint(1, 6)
        dates = b.monthly_dates(rng.randint(1, 20), _month_day(b.start.year, month, 1),
                                b.end, every=6)
        b.series_of("club", HALF_YEARLY, dates, lambda i, d: fee, DEBIT,
                    holder=f"Sportverein {rng.choice(('Nord', 'Süd', 'Eintracht'))} e.V.",
                    iban=b._iban(), method="DIRECT_DEBIT", reference="Mitgliedsbeitrag",
                    category="club")
    yearly = [
        ("liability-insurance", lambda: b.money(rng.uniform(60, 140)),
         {"holder": rng.choice(loc.insurers), "method": "DIRECT_DEBIT",
          "reference": "Haftpflicht Jahresbeitrag", "category": "insurance"}),
        ("domain", lambda: round(rng.uniform(10, 40) * 100),
         {"holder": "Namecheap", "brand": "Namecheap", "method": "CARD",
          "reference": "NAMECHEAP.COM", "category": "software", "currency": "USD"}),
        ("automobile-club", lambda: b.money(rng.choice((49, 94, 139))),
         {"holder": "ADAC e.V.", "brand": "ADAC", "method": "DIRECT_DEBIT",
          "reference": "ADAC Mitgliedschaft", "category": "club"}),
    ]
    for name, amount_of, fields in rng.sample(yearly, rng.randint(0, 2)):
        value = amount_of()
        day = b.start + timedelta(days=rng.randint(0, 60))
        dates = [b.business(day), b.business(_add_months(day, 12))]
        account = "usd" if fields.get("currency") == "USD" and "usd" in b.accounts else (
            "card" if fields["method"] == "CARD" and "card" in b.accounts else "checking")
        b.series_of(f"yearly:{name}", YEARLY, [d for d in dates if d <= b.end],
                    lambda i, d, v=value: v if i == 0 else round(v * 1.03), DEBIT, account,
                    **fields)
    if rng.random() < 0.2:  # every four weeks, which is no calendar interval
        fee = b.money(rng.choice((29.9, 34.9, 44.9)))
        first = b.start + timedelta(days=rng.randint(0, 27))
        b.series_of("gym-4-weekly", UNKNOWN, b.step_dates(28, first, b.end), lambda i, d: fee,
                    DEBIT, holder="FitX", brand="FitX", method="DIRECT_DEBIT",
                    reference="FitX Beitrag", category="gym")
    if rng.random() < 0.15:  # every two months
        fee = b.money(rng.uniform(30, 60))
        dates = b.monthly_dates(rng.randint(5, 25), b.start, b.end, every=2)
        b.series_of("chimney-sweep", UNKNOWN, dates, lambda i, d: fee, DEBIT,
                    holder="Schornsteinfeger Meister", iban=b._iban(), method="TRANSFER",
                    reference="Kehrgebühr", category="fees")


# --- noise ----------------------------------------------------------------------------------


def _days(b: _Builder) -> list[date]:
    return [b.start + timedelta(days=n) for n in range((b.end - b.start).days + 1)]


def _noise(b: _Builder) -> None:
    rng, loc, act = b.rng, b.locale, b.activity
    days = _days(b)
    stores = rng.sample(loc.supermarkets, rng.randint(2, 3))
    weekly_store = stores[0]
    for day in days:
        for n, store in enumerate(stores):
            # The first store is the weekly shop on Saturdays, with random amounts.
            chance = 0.85 if n == 0 and day.weekday() == 5 else 0.12 * act
            if rng.random() < chance:
                median = 60 if store is weekly_store and day.weekday() == 5 else 25
                state = "CANCELED" if rng.random() < 0.01 else "PROCESSED"
                b.add(_card_account(b), day, b.money(rng.lognormvariate(math.log(median), 0.6)),
                      DEBIT, holder=store, brand=store, method="CARD",
                      reference=f"{store.upper()} {rng.randint(1000, 9999)}",
                      category="food", state=state)
        if day.weekday() < 5 and rng.random() < 0.25 * act:
            b.add(_card_account(b), day, b.money(rng.randint(28, 65) / 10), DEBIT,
                  holder="Café Central", method="CARD", reference="CAFE CENTRAL",
                  category="cafe")
        if rng.random() < 0.06 * act:
            place = f"Restaurant {rng.choice(('Roma', 'Sakura', 'Lindenhof', 'Taj', 'Bistro'))}"
            b.add(_card_account(b), day, b.money(rng.lognormvariate(math.log(35), 0.5)), DEBIT,
                  holder=place, method="CARD", reference=place.upper(), category="restaurant")
        if rng.random() < 0.09 * act:
            b.add(_card_account(b), day, b.money(rng.uniform(35, 85)), DEBIT,
                  holder="Shell", brand="Shell", method="CARD", reference="SHELL 4711",
                  category="fuel", state="FAILED" if rng.random() < 0.02 else "PROCESSED")
        if rng.random() < 0.1 * act:
            b.add(_card_account(b), day, b.money(rng.lognormvariate(math.log(25), 0.9)), DEBIT,
                  holder="Amazon EU S.a.r.l.", brand="Amazon", method="CARD",
                  reference=f"AMZN Mktp {rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}",
                  category="shopping")
        if rng.random() < 0.03 * act:
            value = b.money(rng.uniform(20, 160))
            b.add(_card_account(b), day, value, DEBIT, holder="Zalando SE", brand="Zalando",
                  method="CARD", reference=f"ZALANDO {rng.randint(10**9, 10**10 - 1)}",
                  category="shopping")
            if rng.random() < 0.4 and day + timedelta(days=10) <= b.end:
                b.add("checking", day + timedelta(days=rng.randint(5, 15)), value, CREDIT,
                      holder="Zalando SE", brand="Zalando", method="TRANSFER",
                      reference="ZALANDO Erstattung", category="refund")
        if rng.random() < 0.05 * act:
            b.add("checking", day, b.money(rng.choice((20, 50, 50, 100, 100, 200))), DEBIT,
                  method="CASH", reference=f"ATM {rng.choice(('Hbf', 'Markt', 'Mall'))}",
                  category="cash")
        if rng.random() < 0.06 * act:
            friend = rng.choice(("Tom Berg", "Lisa Holm", "Max Vik"))
            b.add("checking", day, b.money(rng.uniform(5, 120)),
                  rng.choice((DEBIT, CREDIT)), holder=friend, method="TRANSFER",
                  reference=rng.choice(("Pizza", "Kino", "Geschenk", "Urlaub", "Danke")),
                  category="transfer")


def _amazon_prime(b: _Builder) -> None:
    """Prime at the same brand as the random Amazon orders: monthly or yearly."""
    rng = b.rng
    if rng.random() >= 0.45:
        return
    account = _card_account(b)
    fields = {"holder": "Amazon EU S.a.r.l.", "brand": "Amazon", "method": "CARD",
              "reference": "Amazon Prime", "category": "shopping"}
    if rng.random() < 0.5:
        fee = b.money(8.99)
        b.series_of("amazon-prime", MONTHLY,
                    b.monthly_dates(rng.randint(1, 28), b.start, b.end), lambda i, d: fee,
                    DEBIT, account, pending_last=True, **fields)
    else:
        day = b.start + timedelta(days=rng.randint(0, 45))
        dates = [d for d in (day, _add_months(day, 12)) if d <= b.end]
        fee = b.money(89.90)
        b.series_of("amazon-prime", YEARLY, dates, lambda i, d: fee, DEBIT, account, **fields)


def generate_labeled_histories(consumers: int = 100, seed: int = 7,
                               end_date: date = date(2024, 12, 31), months: int = 14,
                               activity: float = 1.0) -> list[LabeledHistory]:
    """`consumers` labeled histories of `months` months ending `end_date`.

    `activity` scales the everyday card spending and transfers (the noise), not the series:
    at 1.0 a consumer has about 700 transactions over 14 months.
    """
    rng = random.Random(seed)
    start = _add_months(end_date, -months) + timedelta(days=1)
    histories = []
    for index in range(consumers):
        builder = _Builder(index, random.Random(rng.getrandbits(64)), rng.choice(_LOCALES),
                           start, end_date, activity, rng.random() < 0.6)
        _income(builder)
        _rent(builder)
        _subscriptions(builder)
        _bills(builder)
        _short_intervals(builder)
        _long_intervals(builder)
        _amazon_prime(builder)
        _noise(builder)
        builder.transactions.sort(key=lambda t: (t["booking_date"], t["insights_transaction_id"]))
        histories.append(LabeledHistory(builder.consumer_id,
                                        [a.id for a in builder.accounts.values()],
                                        builder.transactions, builder.series))
    return histories


# --- evaluation -----------------------------------------------------------------------------

#: A detected group matches a labeled series when their transaction-id sets have at least this
#: Jaccard similarity (|A & B| / |A | B|); each series and group matches at most once, the
#: most similar pairs first.
MATCH_JACCARD = 0.5


@dataclass
class Evaluation:
    """Counts of a detection run against the labels, per interval (see `evaluate`)."""

    truth: dict[str, int] = field(default_factory=dict)  # labeled series per interval
    predicted: dict[str, int] = field(default_factory=dict)  # detected groups per interval
    correct: dict[str, int] = field(default_factory=dict)  # matched with the same interval
    matched: int = 0  # matched pairs, whatever their intervals
    same_interval: int = 0  # matched pairs with the same interval
    active_right: int = 0  # matched pairs whose `active` equals the label
    jaccard_sum: float = 0.0  # over matched pairs
    missed: dict[str, int] = field(default_factory=dict)  # labeled series names not matched
    spurious: dict[str, int] = field(default_factory=dict)  # counterparty kinds of extra groups

    def scores(self, interval: str | None = None) -> tuple[float, float, float]:
        """(precision, recall, F1) for one interval, or over all with None."""
        def total(counts: dict[str, int]) -> int:
            return sum(counts.values()) if interval is None else counts.get(interval, 0)
        correct, predicted, truth = total(self.correct), total(self.predicted), total(self.truth)
        precision = correct / predicted if predicted else 0.0
        recall = correct / truth if truth else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


def _add(counts: dict[str, int], key: str, n: int = 1) -> None:
    counts[key] = counts.get(key, 0) + n


def evaluate(histories: list[LabeledHistory]) -> Evaluation:
    """Detect every history's groups through the recurring state (`build_states`) and count
    them against the labels.

    A pair counts as correct when it matches (`MATCH_JACCARD`) and has the labeled interval;
    per-interval precision divides by the groups detected with that interval, recall by the
    series labeled with it. `active` is judged against the history's newest transaction date.
    """
    result = Evaluation()
    for history in histories:
        newest = max((t["booking_date"] for t in history.transactions), default=None)
        predicted = []
        for state in build_states(history.transactions).values():
            kind = state["counterparty"].partition(":")[0]
            day_of = {t: item[0] for m in state["items"].values() for t, item in m.items()}
            for group in state["groups"]:
                last = max(day_of[t] for t in group["ids"])
                active = is_active(group["interval"], group["next_date"], last, newest)
                predicted.append((group["interval"], set(group["ids"]), kind, active))
        pairs = []
        for i, series in enumerate(history.series):
            ids = set(series.ids)
            for j, (_, group_ids, _, _) in enumerate(predicted):
                common = len(ids & group_ids)
                if common and common / len(ids | group_ids) >= MATCH_JACCARD:
                    pairs.append((common / len(ids | group_ids), i, j))
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        series_of: dict[int, int] = {}
        group_of: dict[int, int] = {}
        for jaccard, i, j in pairs:
            if i in series_of or j in group_of:
                continue
            series_of[i], group_of[j] = j, i
            series, group = history.series[i], predicted[j]
            result.matched += 1
            result.jaccard_sum += jaccard
            if group[0] == series.interval:
                result.same_interval += 1
                _add(result.correct, series.interval)
            if group[3] == series.active:
                result.active_right += 1
        for i, series in enumerate(history.series):
            _add(result.truth, series.interval)
            if i not in series_of:
                _add(result.missed, series.name.partition(":")[0])
        for j, group in enumerate(predicted):
            _add(result.predicted, group[0])
            if j not in group_of:
                _add(result.spurious, group[2])
    for interval in INTERVALS:
        result.truth.setdefault(interval, 0)
        result.predicted.setdefault(interval, 0)
        result.correct.setdefault(interval, 0)
    return result
