"""Deterministic, realistic sample bank data for Account Insights.

`generate_sample_data` builds AccountEvent and TransactionEvent dicts (CONTRACT.md v1) for a
handful of synthetic consumers in Germany (EUR), Norway (NOK) and Sweden (SEK): salaries, rent,
subscriptions with bank-style descriptors, groceries, card spending, online orders with labels,
refunds, transfers between the consumer's own accounts, fees, interest, and the awkward cases a
consumer of the stream must handle (pending and failed transactions, zero-amount card
verifications, late events, corrections, a delete).

Pure standard library and no faust import, so tests, benchmarks and demo producers can share it.
The same arguments always give byte-identical output: all randomness comes from one
`random.Random(seed)` and every id is a `uuid.uuid5` of a stable name.

Run ``python -m workers.sample_data --out DIR`` to write ``accounts.jsonl`` and
``transactions.jsonl``.
"""

import argparse
import calendar
import json
import random
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid5

__all__ = ["NAMESPACE", "SampleDataSet", "generate_sample_data", "main", "write_jsonl"]

#: Namespace of every generated id; changing it changes every id in every data set.
NAMESPACE = UUID("4f1c9a52-7d0e-5b8a-9c3f-2e6d8a1b0c47")

DEBIT, CREDIT = "DEBIT", "CREDIT"
PROCESSED, PENDING, CANCELED, FAILED = "PROCESSED", "PENDING", "CANCELED", "FAILED"
CARD, TRANSFER, DIRECT_DEBIT = "CARD", "TRANSFER", "DIRECT_DEBIT"
STANDING_ORDER, CASH = "STANDING_ORDER", "CASH"

CHECKING, SAVINGS, CREDIT_CARD = "checking", "savings", "credit_card"

#: Card transactions this many days before end_date or later may still be PENDING.
PENDING_WINDOW_DAYS = 5
#: Share of events delivered late (placed after events of later dates).
LATE_SHARE = 0.02
#: The consumer whose second account only has data for the last months (PARTIAL availability).
PARTIAL_ACCOUNT_MONTHS = 4

# Our short key -> ISO 20022-ish (code, sub_code, description).
_BTC = {
    "SALA": ("SALA", "SalaryPayment", "Salary or pension payment received."),
    "PMNT": ("PMNT", "IssuedCreditTransfer", "Outgoing credit transfer."),
    "STDO": ("PMNT", "StandingOrder", "Outgoing credit transfer by standing order."),
    "CARD": ("PMNT", "CardPayment", "Payment with a debit card."),
    "CCRD": ("CCRD", "CreditCardPayment", "Transaction is related to a payment of credit card."),
    "DDBT": ("DDBT", "DirectDebit", "Direct debit collected by the creditor."),
    "RCDT": ("RCDT", "ReceivedCreditTransfer", "Incoming credit transfer."),
    "CWDL": ("CWDL", "CashWithdrawal", "Cash withdrawal at an ATM."),
    "CHRG": ("CHRG", "Charges", "Fees charged by the account servicer."),
    "INTR": ("INTR", "Interest", "Interest paid on the account balance."),
}


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class _Merchant:
    holder: str  # counter_party.holder_name as a bank reports it
    country: str
    descriptor: str  # str.format template, see _Fields
    low: float  # amount range in major units of the local currency
    high: float
    refund: str | None = None  # descriptor of a refund (online shops)
    label: str | None = None  # label key of the shop's order id (online shops)


@dataclass(frozen=True)
class _Sub:
    holder: str
    country: str
    descriptor: str
    method: str  # CARD or DIRECT_DEBIT
    price: float
    new_price: float | None = None
    high: float | None = None  # yearly payments: price..high


@dataclass(frozen=True)
class _Locale:
    country: str
    currency: str
    cities: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    banks: tuple[tuple[str, str, str], ...]  # name, bank code, BIC
    month_names: tuple[str, ...]
    employers: tuple[str, ...]
    salary: tuple[int, int]
    pay_days: tuple[int, ...]
    rent: tuple[int, int]
    saving: tuple[int, int, int]  # low, high, step
    salary_ref: str
    rent_ref: str
    saving_out_ref: str
    saving_in_ref: str
    settle_out_ref: str
    settle_in_ref: str
    fee: tuple[str, float]
    card_fee: tuple[str, float]
    return_fee: tuple[str, float]
    interest_ref: str
    atm: str
    atm_holder: str | None
    atm_amounts: tuple[int, ...]
    p2p_out: tuple[str, ...]
    p2p_in: tuple[str, ...]
    groceries: tuple[_Merchant, ...]
    restaurants: tuple[_Merchant, ...]
    fuel: tuple[_Merchant, ...]
    transport: tuple[_Merchant, ...]
    drugstores: tuple[_Merchant, ...]
    shops: tuple[_Merchant, ...]
    online: tuple[_Merchant, ...]
    streaming: tuple[_Sub, ...]
    phone: tuple[_Sub, ...]
    insurance: tuple[_Sub, ...]
    gyms: tuple[_Sub, ...]
    yearly: tuple[_Sub, ...]
    sunday_shopping: bool
    scale: int  # rough price level against EUR, for small generic amounts


_M = _Merchant

_APPS = (
    _M("Apple Distribution International Ltd.", "IE", "APPLE.COM/BILL", 0.99, 14.99),
    _M("Google Ireland Ltd", "IE", "GOOGLE *Google Play Apps", 0.99, 9.99),
)
_VERIFICATIONS = (
    _M("Apple Distribution International Ltd.", "IE", "APPLE.COM/BILL", 0, 0),
    _M("Uber B.V.", "NL", "UBER *VERIFY help.uber.com", 0, 0),
    _M("PayPal Europe S.a.r.l. et Cie S.C.A", "LU", "PAYPAL *VERIFY", 0, 0),
    _M("Google Ireland Ltd", "IE", "GOOGLE *TEMPORARY HOLD", 0, 0),
)

_DE = _Locale(
    country="DE",
    currency="EUR",
    cities=("Berlin", "Hamburg", "Koeln", "Muenchen", "Frankfurt", "Leipzig", "Dresden"),
    first_names=("Anna", "Lukas", "Marie", "Jonas", "Sophie", "Felix", "Laura", "Paul", "Lena"),
    last_names=("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"),
    banks=(
        ("Deutsche Bank", "10070000", "DEUTDEBBXXX"),
        ("Commerzbank", "20040000", "COBADEFFXXX"),
        ("Sparkasse KölnBonn", "37050198", "COLSDE33XXX"),
        ("ING-DiBa", "50010517", "INGDDEFFXXX"),
        ("Berliner Sparkasse", "10050000", "BELADEBEXXX"),
    ),
    month_names=(
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    employers=(
        "Siemens AG",
        "Deutsche Bahn AG",
        "Helios Kliniken GmbH",
        "SAP SE",
        "Müller Logistik GmbH",
        "Stadtwerke {city} GmbH",
    ),
    salary=(2300, 4800),
    pay_days=(15, 25, 27, 28),
    rent=(580, 1350),
    saving=(100, 500, 50),
    salary_ref="LOHN / GEHALT {mm_yyyy}",
    rent_ref="Miete {month_name} {year} {flat}",
    saving_out_ref="Sparen {mm_yyyy}",
    saving_in_ref="Übertrag von Girokonto {mm_yyyy}",
    settle_out_ref="Kreditkartenabrechnung {mm_yyyy}",
    settle_in_ref="Ausgleich Kreditkartenabrechnung - Danke",
    fee=("Kontoführungsentgelt {mm_yyyy}", 4.95),
    card_fee=("Jahresgebühr Kreditkarte {year}", 29.00),
    return_fee=("Entgelt Rücklastschrift {n10}", 3.00),
    interest_ref="Zinsen {quarter}. Quartal {year}",
    atm="GA NR{n8} BLZ{blz} {n1} {ddmm}/{hhmm}",
    atm_holder=None,
    atm_amounts=(20, 50, 50, 100, 100, 150, 200, 300),
    p2p_out=(
        "Danke fürs Auslegen",
        "Pizza Freitag",
        "Konzertkarten",
        "Geschenk für {first}",
        "Anteil Ferienwohnung",
        "Tankgeld",
    ),
    p2p_in=("Rückzahlung Abendessen", "Danke!", "Anteil Geburtstagsgeschenk", "Kino"),
    groceries=(
        _M("REWE Markt GmbH", "DE", "REWE Markt GmbH Sagt Danke {store}", 4, 140),
        _M("Lidl Dienstleistung GmbH & Co. KG", "DE", "LIDL DIENSTL SAGT DANKE {store}", 3, 95),
        _M("ALDI SE & Co. KG", "DE", "ALDI SUED SAGT DANKE {store}", 3, 90),
        _M("EDEKA Handelsgesellschaft", "DE", "EDEKA CENTER {CITY} {store}", 4, 130),
        _M("Kaufland Dienstleistung GmbH", "DE", "KAUFLAND {CITY} {store}", 5, 150),
    ),
    restaurants=(
        _M("Vapiano SE", "DE", "VAPIANO {CITY}", 9, 45),
        _M("SumUp Payments Ltd", "IE", "SumUp *Cafe Luise", 3, 18),
        _M("McDonald's Deutschland LLC", "DE", "McDonalds {n4} {city}", 5, 25),
        _M("yd.yourdelivery GmbH", "DE", "LIEFERANDO.DE {n6}", 14, 48),
        _M("Wolt Enterprises Deutschland GmbH", "DE", "Wolt {city}", 12, 45),
        _M("Starbucks Coffee Deutschland GmbH", "DE", "STARBUCKS {n5}", 3, 12),
    ),
    fuel=(
        _M("Aral AG", "DE", "ARAL Station {n6}", 35, 95),
        _M("Shell Deutschland GmbH", "DE", "Shell {n8} {city}", 30, 90),
        _M("Esso Deutschland GmbH", "DE", "ESSO Station {n5}", 30, 90),
        _M("JET Tankstellen Deutschland GmbH", "DE", "JET Tankstelle {CITY}", 30, 85),
    ),
    transport=(
        _M("DB Vertrieb GmbH", "DE", "DB Vertrieb GmbH Fahrkarte {n10}", 4, 89),
        _M("Uber B.V.", "NL", "Uber *Trip help.uber.com", 8, 35),
        _M("Intelligent Apps GmbH", "DE", "FREENOW *Ride {n6}", 9, 32),
        _M("Lime Technology", "US", "LIME*RIDE {code6}", 1, 8),
    ),
    drugstores=(
        _M("dm-drogerie markt GmbH + Co. KG", "DE", "DM-Drogerie Markt {n4}", 3, 45),
        _M("Dirk Rossmann GmbH", "DE", "ROSSMANN {n4}", 3, 40),
        _M("Apotheke am Markt", "DE", "Apotheke am Markt {city}", 5, 60),
    ),
    shops=(
        _M("IKEA Deutschland GmbH & Co. KG", "DE", "IKEA {CITY}", 9, 350),
        _M("H&M Hennes & Mauritz B.V. & Co. KG", "DE", "H&M {n4}", 9, 120),
        _M("Media-Saturn Deutschland GmbH", "DE", "MEDIA MARKT {CITY}", 15, 450),
        _M("Decathlon Deutschland SE & Co. KG", "DE", "DECATHLON {CITY}", 10, 180),
    ),
    online=(
        _M(
            "Amazon EU S.a.r.l.",
            "LU",
            "AMZN Mktp DE*{code6}",
            6,
            180,
            "AMZN Mktp DE Gutschrift*{code6}",
            "order-id-for-company-1",
        ),
        _M(
            "Zalando SE",
            "DE",
            "ZALANDO SE {n10}",
            19,
            160,
            "ZALANDO SE Erstattung {n10}",
            "order-id-for-company-2",
        ),
        _M(
            "OTTO GmbH & Co KG",
            "DE",
            "OTTO GmbH & Co KG Bestellung {n9}",
            15,
            300,
            "OTTO GmbH & Co KG Gutschrift {n9}",
            "order-id-for-company-3",
        ),
    ),
    streaming=(
        _Sub("Netflix International B.V.", "NL", "NETFLIX.COM 866-579-7172", CARD, 12.99, 13.99),
        _Sub(
            "PayPal Europe S.a.r.l. et Cie S.C.A",
            "LU",
            "PAYPAL *SPOTIFY",
            DIRECT_DEBIT,
            10.99,
            11.99,
        ),
        _Sub("Disney Plus", "NL", "DisneyPlus 888-905-7888", CARD, 8.99, 9.99),
        _Sub("Google Ireland Ltd", "IE", "GOOGLE *YouTubePremium g.co/helppay#", CARD, 12.99),
    ),
    phone=(
        _Sub("Vodafone GmbH", "DE", "Vodafone GmbH Rechnung {yyyymm}", DIRECT_DEBIT, 29.99),
        _Sub(
            "Telekom Deutschland GmbH",
            "DE",
            "Telekom Deutschland GmbH Rechnung {yyyymm} Kd-Nr. {customer}",
            DIRECT_DEBIT,
            39.95,
        ),
        _Sub(
            "Telefonica Germany GmbH & Co. OHG",
            "DE",
            "o2 Rechnung {yyyymm} Kd-Nr. {customer}",
            DIRECT_DEBIT,
            24.99,
        ),
    ),
    insurance=(
        _Sub(
            "Allianz Versicherungs-AG",
            "DE",
            "Allianz Versicherungs-AG Beitrag {mm_yyyy} Vertrag {contract}",
            DIRECT_DEBIT,
            18.40,
        ),
        _Sub(
            "AXA Versicherung AG",
            "DE",
            "AXA Versicherung AG Beitrag {mm_yyyy} VS-Nr. {contract}",
            DIRECT_DEBIT,
            12.90,
        ),
        _Sub(
            "HanseMerkur Krankenversicherung AG",
            "DE",
            "HanseMerkur Beitrag {mm_yyyy}",
            DIRECT_DEBIT,
            24.50,
        ),
    ),
    gyms=(
        _Sub("RSG Group GmbH", "DE", "McFit GmbH Mitgliedsbeitrag {mm_yyyy}", DIRECT_DEBIT, 24.90),
        _Sub("Urban Sports GmbH", "DE", "Urban Sports Club {yyyymm}", DIRECT_DEBIT, 54.00),
    ),
    yearly=(
        _Sub(
            "HUK-COBURG",
            "DE",
            "HUK-COBURG Kfz-Versicherung Beitrag {year} Vertrag {contract}",
            DIRECT_DEBIT,
            380,
            high=780,
        ),
        _Sub(
            "Allianz Versicherungs-AG",
            "DE",
            "Allianz Hausratversicherung Jahresbeitrag {year} Vertrag {contract}",
            DIRECT_DEBIT,
            95,
            high=210,
        ),
    ),
    sunday_shopping=False,
    scale=1,
)

_NO = _Locale(
    country="NO",
    currency="NOK",
    cities=("Oslo", "Bergen", "Trondheim", "Stavanger", "Tromso"),
    first_names=("Nora", "Jakob", "Emma", "Emil", "Ingrid", "Lars", "Sofie", "Henrik"),
    last_names=("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen"),
    banks=(
        ("DNB Bank ASA", "1503", "DNBANOKKXXX"),
        ("SpareBank 1 SR-Bank", "3201", "SPRONO22XXX"),
        ("Nordea Bank Norge", "6021", "NDEANOKKXXX"),
    ),
    month_names=(
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ),
    employers=(
        "Equinor ASA",
        "Oslo kommune",
        "Telenor ASA",
        "Helse Bergen HF",
        "Kongsberg Gruppen ASA",
    ),
    salary=(31000, 56000),
    pay_days=(12, 20),
    rent=(8500, 17500),
    saving=(1000, 5000, 500),
    salary_ref="Lønn {month_name} {year}",
    rent_ref="Husleie {month_name} {year}",
    saving_out_ref="Sparing {month_name}",
    saving_in_ref="Overføring fra brukskonto",
    settle_out_ref="Betaling kredittkort {month_name}",
    settle_in_ref="Innbetaling - takk",
    fee=("Gebyr {month_name} {year}", 25.00),
    card_fee=("Årsavgift kredittkort {year}", 295.00),
    return_fee=("Gebyr avvist trekk {n8}", 50.00),
    interest_ref="Renter {quarter}. kvartal {year}",
    atm="Minibank {CITY} {ddmm}",
    atm_holder="DNB Bank ASA",
    atm_amounts=(200, 500, 500, 1000, 2000),
    p2p_out=("Vipps*{name}",),
    p2p_in=("Vipps fra {name}",),
    groceries=(
        _M("REMA 1000 Norge AS", "NO", "REMA 1000 {CITY}", 39, 1400),
        _M("KIWI Norge AS", "NO", "KIWI {store} {CITY}", 29, 1200),
        _M("Coop Norge SA", "NO", "COOP EXTRA {CITY}", 49, 1500),
        _M("Meny AS", "NO", "MENY {CITY}", 59, 1600),
    ),
    restaurants=(
        _M("Peppes Pizza AS", "NO", "PEPPES PIZZA {CITY}", 189, 890),
        _M("Espresso House Norge AS", "NO", "ESPRESSO HOUSE {n4}", 45, 160),
        _M("Wolt Oy", "FI", "Wolt {city}", 149, 520),
        _M("Foodora Norway AS", "NO", "FOODORA NORWAY", 159, 490),
        _M("Burger King Norge", "NO", "BURGER KING {n4} {CITY}", 89, 260),
    ),
    fuel=(
        _M("Circle K Norge AS", "NO", "CIRCLE K {CITY}", 350, 1100),
        _M("Esso Norge AS", "NO", "ESSO {CITY}", 300, 1000),
        _M("Uno-X Energi AS", "NO", "UNO-X {n4} {CITY}", 300, 1000),
    ),
    transport=(
        _M("Ruter AS", "NO", "RUTER AS", 40, 450),
        _M("Vy", "NO", "VY BILLETT {n8}", 89, 950),
        _M("Uber B.V.", "NL", "Uber *Trip help.uber.com", 120, 420),
        _M("Bolt Operations OU", "EE", "Bolt.eu/o/{n10}", 90, 350),
    ),
    drugstores=(
        _M("Apotek 1 Gruppen AS", "NO", "APOTEK 1 {CITY}", 49, 450),
        _M("Vitusapotek", "NO", "VITUSAPOTEK {CITY}", 49, 400),
        _M("AS Vinmonopolet", "NO", "VINMONOPOLET {CITY}", 159, 900),
    ),
    shops=(
        _M("IKEA AS", "NO", "IKEA FURUSET", 99, 3500),
        _M("H&M Hennes & Mauritz AS", "NO", "H&M {n4}", 99, 1200),
        _M("Elkjøp Nordic AS", "NO", "ELKJOP {CITY}", 149, 5000),
        _M("XXL Sport & Villmark AS", "NO", "XXL {CITY}", 99, 2500),
    ),
    online=(
        _M(
            "Komplett Services AS",
            "NO",
            "KOMPLETT.NO {n8}",
            99,
            4000,
            "KOMPLETT.NO RETUR {n8}",
            "order-id-for-company-3",
        ),
        _M(
            "Zalando SE",
            "DE",
            "ZALANDO.NO {n10}",
            199,
            1500,
            "ZALANDO.NO REFUND {n10}",
            "order-id-for-company-2",
        ),
        _M(
            "Amazon EU S.a.r.l.",
            "LU",
            "AMAZON.SE*{code6}",
            99,
            1600,
            "AMAZON.SE REFUND*{code6}",
            "order-id-for-company-1",
        ),
    ),
    streaming=(
        _Sub("Netflix International B.V.", "NL", "NETFLIX.COM 866-579-7172", CARD, 139, 149),
        _Sub("Spotify AB", "SE", "Spotify P{code9}", CARD, 119, 129),
        _Sub("Disney Plus", "NL", "DisneyPlus 888-905-7888", CARD, 99, 119),
        _Sub("TV 2 AS", "NO", "TV 2 PLAY", CARD, 399),
    ),
    phone=(
        _Sub("Telenor Norge AS", "NO", "Telenor Norge AS faktura {yyyymm}", DIRECT_DEBIT, 449),
        _Sub("Telia Norge AS", "NO", "Telia Norge AS faktura {yyyymm}", DIRECT_DEBIT, 399),
        _Sub("Ice Communication Norge AS", "NO", "ICE faktura {yyyymm}", DIRECT_DEBIT, 299),
    ),
    insurance=(
        _Sub(
            "Gjensidige Forsikring ASA", "NO", "Gjensidige Forsikring {yyyymm}", DIRECT_DEBIT, 389
        ),
        _Sub("If Skadeforsikring NUF", "NO", "If Skadeforsikring {yyyymm}", DIRECT_DEBIT, 312),
    ),
    gyms=(
        _Sub("SATS Norge AS", "NO", "SATS NORGE AS {yyyymm}", DIRECT_DEBIT, 599),
        _Sub("EVO Fitness Norge AS", "NO", "EVO FITNESS {yyyymm}", DIRECT_DEBIT, 449),
    ),
    yearly=(
        _Sub(
            "If Skadeforsikring NUF",
            "NO",
            "If bilforsikring {year} avtale {contract}",
            DIRECT_DEBIT,
            7000,
            high=11000,
        ),
        _Sub(
            "Gjensidige Forsikring ASA",
            "NO",
            "Gjensidige innboforsikring {year}",
            DIRECT_DEBIT,
            1400,
            high=2600,
        ),
    ),
    sunday_shopping=True,
    scale=10,
)

_SE = _Locale(
    country="SE",
    currency="SEK",
    cities=("Stockholm", "Goteborg", "Malmo", "Uppsala", "Linkoping"),
    first_names=("Alice", "William", "Maja", "Hugo", "Elsa", "Oskar", "Astrid", "Erik"),
    last_names=("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson"),
    banks=(
        ("Swedbank AB", "800", "SWEDSESSXXX"),
        ("Svenska Handelsbanken AB", "600", "HANDSESSXXX"),
        ("SEB", "500", "ESSESESSXXX"),
        ("Nordea Bank Abp", "300", "NDEASESSXXX"),
    ),
    month_names=(
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ),
    employers=(
        "Volvo Car AB",
        "Region Stockholm",
        "Ericsson AB",
        "IKEA of Sweden AB",
        "Skanska Sverige AB",
    ),
    salary=(24000, 42000),
    pay_days=(25,),
    rent=(6500, 12500),
    saving=(1000, 4000, 500),
    salary_ref="LÖN {yyyymm}",
    rent_ref="Hyra {month_name} {year} lgh {flat}",
    saving_out_ref="Sparande {month_name}",
    saving_in_ref="Överföring från lönekonto",
    settle_out_ref="Betalning kreditkort {month_name}",
    settle_in_ref="Inbetalning tack",
    fee=("Avgift bankkort {yyyymm}", 25.00),
    card_fee=("Årsavgift kreditkort {year}", 295.00),
    return_fee=("Avgift avvisad dragning {n8}", 50.00),
    interest_ref="Ränta {quarter}:a kvartalet {year}",
    atm="BANKOMAT {CITY}",
    atm_holder="Bankomat AB",
    atm_amounts=(200, 300, 500, 1000),
    p2p_out=("Swish {NAME}",),
    p2p_in=("Swish från {NAME}",),
    groceries=(
        _M("ICA Sverige AB", "SE", "ICA NARA {CITY}", 29, 1200),
        _M("ICA Sverige AB", "SE", "ICA KVANTUM {CITY}", 49, 1500),
        _M("Coop Sverige AB", "SE", "COOP {CITY}", 39, 1300),
        _M("Willys AB", "SE", "WILLYS {CITY}", 39, 1400),
        _M("Lidl Sverige KB", "SE", "LIDL SVERIGE {store}", 29, 900),
    ),
    restaurants=(
        _M("Max Hamburgerrestauranger AB", "SE", "MAX {CITY}", 79, 240),
        _M("Espresso House Sverige AB", "SE", "ESPRESSO HOUSE {n4}", 39, 140),
        _M("Foodora AB", "SE", "FOODORA AB", 149, 420),
        _M("Wolt Oy", "FI", "Wolt {city}", 129, 460),
        _M("Pressbyrån", "SE", "PRESSBYRAN {n4}", 25, 110),
    ),
    fuel=(
        _M("Circle K Sverige AB", "SE", "CIRCLE K {CITY}", 350, 1000),
        _M("Preem AB", "SE", "PREEM {CITY}", 300, 950),
        _M("OKQ8 Scandinavia AB", "SE", "OKQ8 {CITY}", 300, 950),
    ),
    transport=(
        _M("AB Storstockholms Lokaltrafik", "SE", "SL {CITY}", 42, 970),
        _M("SJ AB", "SE", "SJ AB {n8}", 195, 1200),
        _M("Uber B.V.", "NL", "Uber *Trip help.uber.com", 110, 390),
        _M("Voi Technology AB", "SE", "VOI TECHNOLOGY", 15, 70),
    ),
    drugstores=(
        _M("Apotek Hjärtat AB", "SE", "APOTEK HJARTAT {CITY}", 39, 420),
        _M("Kronans Apotek AB", "SE", "KRONANS APOTEK", 39, 380),
        _M("Systembolaget AB", "SE", "SYSTEMBOLAGET {n4}", 89, 700),
    ),
    shops=(
        _M("IKEA AB", "SE", "IKEA {CITY}", 99, 3500),
        _M("H & M Hennes & Mauritz AB", "SE", "H&M {n4}", 99, 1200),
        _M("Clas Ohlson AB", "SE", "CLAS OHLSON {n4}", 29, 900),
        _M("Elgiganten AB", "SE", "ELGIGANTEN {CITY}", 149, 5000),
    ),
    online=(
        _M(
            "Amazon EU S.a.r.l.",
            "LU",
            "AMAZON.SE*{code6}",
            79,
            1500,
            "AMAZON.SE REFUND*{code6}",
            "order-id-for-company-1",
        ),
        _M(
            "CDON AB",
            "SE",
            "CDON.COM {n8}",
            99,
            2000,
            "CDON.COM ATERBETALNING {n8}",
            "order-id-for-company-3",
        ),
        _M(
            "Zalando SE",
            "DE",
            "ZALANDO.SE {n10}",
            199,
            1500,
            "ZALANDO.SE REFUND {n10}",
            "order-id-for-company-2",
        ),
    ),
    streaming=(
        _Sub("Netflix International B.V.", "NL", "NETFLIX.COM 866-579-7172", CARD, 139, 149),
        _Sub("Spotify AB", "SE", "Spotify P{code9}", CARD, 119, 129),
        _Sub("Disney Plus", "NL", "DisneyPlus 888-905-7888", CARD, 89, 109),
        _Sub("Viaplay Group AB", "SE", "VIAPLAY", CARD, 449),
    ),
    phone=(
        _Sub("Telia Sverige AB", "SE", "Telia Sverige AB faktura {yyyymm}", DIRECT_DEBIT, 399),
        _Sub("Tele2 Sverige AB", "SE", "Tele2 faktura {yyyymm}", DIRECT_DEBIT, 349),
        _Sub("Telenor Sverige AB", "SE", "Telenor Sverige faktura {yyyymm}", DIRECT_DEBIT, 299),
    ),
    insurance=(
        _Sub("Folksam ömsesidig sakförsäkring", "SE", "Folksam {yyyymm}", DIRECT_DEBIT, 189),
        _Sub("If Skadeförsäkring AB", "SE", "If Skadeforsakring {yyyymm}", DIRECT_DEBIT, 215),
    ),
    gyms=(
        _Sub("SATS Sverige AB", "SE", "SATS SVERIGE AB {yyyymm}", DIRECT_DEBIT, 549),
        _Sub("Friskis&Svettis", "SE", "FRISKIS&SVETTIS {yyyymm}", DIRECT_DEBIT, 375),
    ),
    yearly=(
        _Sub(
            "Länsförsäkringar AB",
            "SE",
            "Lansforsakringar hemforsakring {year}",
            DIRECT_DEBIT,
            2400,
            high=4200,
        ),
        _Sub(
            "Folksam ömsesidig sakförsäkring",
            "SE",
            "Folksam bilforsakring {year}",
            DIRECT_DEBIT,
            3800,
            high=6900,
        ),
    ),
    sunday_shopping=True,
    scale=10,
)

# Most consumers bank in EUR.
_LOCALES = ((_DE, 0.6), (_NO, 0.2), (_SE, 0.2))


# --------------------------------------------------------------------------- helpers


def _add_months(d: date, months: int) -> date:
    year, month0 = divmod(d.month - 1 + months, 12)
    year += d.year
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


def _prev_business_day(d: date) -> date:
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def _next_business_day(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _month_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _iban(rng: random.Random, country: str, bank_code: str = "") -> str:
    """A random IBAN with a valid mod-97 checksum."""
    lengths = {"DE": 18, "NO": 11, "SE": 20, "NL": 14, "LU": 16, "IE": 18}
    length = lengths.get(country, 16)
    if country == "NL":
        bban = "INGB" + _digits(rng, 10)
    elif country == "IE":
        bban = "AIBK" + _digits(rng, 14)
    else:
        bban = bank_code + _digits(rng, length - len(bank_code))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def _money(rng: random.Random, low: float, high: float, *, skew: float = 0.3) -> int:
    """Cents between low and high major units, most often near the lower end."""
    return round(rng.triangular(low, high, low + (high - low) * skew) * 100)


def _cents(value: float) -> int:
    return round(value * 100)


def _cp(
    holder: str | None,
    country: str | None = None,
    *,
    iban: str | None = None,
    account_number: str | None = None,
    bank_code: str | None = None,
) -> dict:
    return {
        "holder_name": holder,
        "holder_address": {"country": country} if country else None,
        "iban": iban,
        "account_number": account_number,
        "bank_code": bank_code,
    }


class _Fields(dict):
    """Values for descriptor templates, drawn from the rng only when a template asks."""

    _DIGITS = re.compile(r"n(\d+)$")
    _CODE = re.compile(r"code(\d+)$")

    def __init__(self, rng: random.Random, day: date, locale: _Locale, **fixed: str) -> None:
        super().__init__(fixed)
        self.rng, self.day, self.locale = rng, day, locale

    def __missing__(self, key: str) -> str:
        d, rng = self.day, self.rng
        if m := self._DIGITS.match(key):
            value = _digits(rng, int(m.group(1)))
        elif m := self._CODE.match(key):
            value = "".join(
                rng.choice(string.ascii_uppercase + string.digits) for _ in range(int(m.group(1)))
            )
        elif key == "yyyymm":
            value = f"{d:%Y-%m}"
        elif key == "mm_yyyy":
            value = f"{d:%m/%Y}"
        elif key == "year":
            value = str(d.year)
        elif key == "ddmm":
            value = f"{d:%d.%m}"
        elif key == "hhmm":
            value = f"{rng.randint(7, 22):02d}.{rng.randint(0, 59):02d}"
        elif key == "month_name":
            value = self.locale.month_names[d.month - 1]
        elif key == "quarter":
            value = str((d.month - 1) // 3 + 1)
        elif key == "CITY":
            value = self["city"].upper()
        elif key == "NAME":
            value = self["name"].upper()
        else:
            raise KeyError(key)
        self[key] = value
        return value


# --------------------------------------------------------------------------- data set


@dataclass(frozen=True)
class SampleDataSet:
    """Generated events: AccountEvent dicts and TransactionEvent dicts in delivery order."""

    accounts: list[dict]
    transactions: list[dict]

    def effective_transactions(self) -> list[dict]:
        """The transactions a correct consumer ends up with after applying every event.

        A later event with the same `insights_transaction_id` replaces the earlier one and
        `"deleted": true` removes it (CONTRACT.md); the result keeps first-delivery order.
        """
        latest: dict[str, dict] = {}
        for event in self.transactions:
            tid = event["insights_transaction_id"]
            if event.get("deleted"):
                latest.pop(tid, None)
            else:
                latest[tid] = event
        return list(latest.values())


@dataclass
class _Account:
    kind: str
    id: str
    currency: str
    iban: str | None
    start: date
    bank: tuple[str, str, str]
    ob_prefix: str
    card_last4: str
    btc_rate: float


@dataclass
class _Tx:
    event: dict
    kind: str
    seq: int
    arrival: date | None = None

    @property
    def day(self) -> date:
        return date.fromisoformat(self.event.get("booking_date") or self.event["value_date"])


class _Consumer:
    """Builds the accounts and transactions of one consumer."""

    def __init__(self, index: int, seed: int, rng: random.Random, start: date, end: date) -> None:
        self.index, self.rng, self.start, self.end = index, rng, start, end
        self.locale = rng.choices([loc for loc, _ in _LOCALES], [w for _, w in _LOCALES])[0]
        loc = self.locale
        self.id = str(uuid5(NAMESPACE, f"sample/{seed}/consumer/{index}"))
        self.name = f"{rng.choice(loc.first_names)} {rng.choice(loc.last_names)}"
        self.city = rng.choice(loc.cities)
        self.activity = rng.uniform(0.9, 1.3)
        self.has_car = rng.random() < 0.7
        self.txs: list[_Tx] = []
        self._ob_ids: set[str] = set()
        self._stores: dict[str, list[str]] = {}

        bank = rng.choice(loc.banks)
        kinds = [CHECKING]
        if index == 0:
            kinds.append(SAVINGS)  # the PARTIAL-coverage account
            if rng.random() < 0.5:
                kinds.append(CREDIT_CARD)
        else:
            if rng.random() < 0.5:
                kinds.append(SAVINGS)
            if rng.random() < 0.5:
                kinds.append(CREDIT_CARD)
        self.accounts: dict[str, _Account] = {}
        for position, kind in enumerate(kinds):
            acc_start = start
            if index == 0 and position == 1:
                acc_start = max(start, _add_months(end, -PARTIAL_ACCOUNT_MONTHS))
            self.accounts[kind] = _Account(
                kind=kind,
                id=str(uuid5(NAMESPACE, f"{self.id}/account/{kind}")),
                currency=loc.currency,
                iban=None if kind == CREDIT_CARD else _iban(rng, loc.country, bank[1]),
                start=acc_start,
                bank=bank,
                ob_prefix=_digits(rng, 5),
                card_last4=_digits(rng, 4),
                btc_rate={"DE": 0.9, "NO": 0.5, "SE": 0.6}[loc.country],
            )
        self.checking = self.accounts[CHECKING]
        refreshed = datetime(
            end.year,
            end.month,
            end.day,
            rng.randint(3, 5),
            rng.randint(0, 59),
            rng.randint(0, 59),
            rng.randint(0, 999) * 1000,
        )
        self.refreshed_at = refreshed.isoformat(timespec="milliseconds") + "Z"

    # ------------------------------------------------------------------ events

    def account_events(self) -> list[dict]:
        return [
            {
                "insights_consumer_id": self.id,
                "insights_account_id": acc.id,
                "deleted": False,
                "currency": acc.currency,
                "iban": acc.iban,
                "holder_name": self.name,
                "data_available_from": acc.start.isoformat(),
                "data_available_to": self.end.isoformat(),
                "refreshed_at": self.refreshed_at,
            }
            for acc in self.accounts.values()
        ]

    def _fields(self, day: date, **fixed: str) -> _Fields:
        return _Fields(self.rng, day, self.locale, city=self.city, **fixed)

    def _ob_id(self, acc: _Account) -> str:
        while True:
            ob_id = f"{acc.ob_prefix}-{_digits(self.rng, 8)}"
            if ob_id not in self._ob_ids:
                self._ob_ids.add(ob_id)
                return ob_id

    def _add(
        self,
        acc: _Account,
        kind: str,
        *,
        booked: date | None,
        value: date | None,
        amount: int,
        direction: str,
        method: str,
        reference: str,
        unstructured: str | None = None,
        counter_party: dict | None = None,
        btc: str | None = None,
        labels: dict | None = None,
        state: str = PROCESSED,
        force_btc: bool = False,
    ) -> _Tx:
        rng = self.rng
        ob_id = self._ob_id(acc)
        event: dict = {
            "insights_consumer_id": self.id,
            "insights_account_id": acc.id,
            "insights_transaction_id": str(uuid5(NAMESPACE, f"transaction/{acc.id}/{ob_id}")),
            "ob_transaction_id": ob_id,
        }
        if booked is not None:
            event["booking_date"] = booked.isoformat()
        if value is not None:
            event["value_date"] = value.isoformat()
        event["amount"] = {"amount": amount, "currency": acc.currency}
        event["type"] = direction
        event["state"] = state
        event["method"] = method
        event["reference"] = reference
        if unstructured and rng.random() < 0.75:
            event["bank_references"] = {"unstructured": unstructured}
        if btc and (force_btc or rng.random() < acc.btc_rate):
            code, sub_code, description = _BTC[btc]
            event["bank_transaction_code"] = {
                "code": code,
                "sub_code": sub_code,
                "description": description,
            }
        event["counter_party"] = counter_party
        if labels:
            event["labels"] = dict(labels)
        event["deleted"] = False
        tx = _Tx(event, kind, len(self.txs))
        self.txs.append(tx)
        return tx

    def _dates(self, acc: _Account, booked: date) -> tuple[date | None, date | None]:
        """Booking and value date of a non-card transaction."""
        r = self.rng.random()
        if r < 0.04:
            return booked, None
        if r < 0.05:
            return None, booked
        if r < 0.2 and booked - timedelta(days=1) >= acc.start:
            return booked, booked - timedelta(days=1)
        return booked, booked

    def _card(
        self,
        acc: _Account,
        kind: str,
        day: date,
        amount: int,
        merchant: _Merchant,
        fields: _Fields | None = None,
        *,
        labels: dict | None = None,
        direction: str = DEBIT,
        descriptor: str | None = None,
    ) -> _Tx:
        """A card payment (or card refund) made on `day`, booked on a business day after it."""
        rng, loc = self.rng, self.locale
        fields = fields if fields is not None else self._fields(day)
        reference = (descriptor or merchant.descriptor).format_map(fields)
        booked: date | None = _next_business_day(
            day + timedelta(days=rng.choice((0, 0, 1, 1, 1, 2)))
        )
        state = PROCESSED
        if booked > self.end:
            booked, state = None, PENDING
        elif (self.end - day).days < PENDING_WINDOW_DAYS and rng.random() < 0.6:
            state = PENDING
            if rng.random() < 0.5:
                booked = None
        elif direction == DEBIT and amount and rng.random() < 0.004:
            state = CANCELED
        if loc.country == "DE":
            unstructured = (
                f"{reference}//{fields['city']}/{merchant.country} "
                f"{day.isoformat()}T{rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}:"
                f"{rng.randint(0, 59):02d} KFN 1 VJ {(day.year + 3) % 100:02d}12"
            )
        elif loc.country == "NO":
            unstructured = (
                f"*{acc.card_last4} {day:%d.%m} {acc.currency} {amount / 100:.2f} "
                f"{reference} Kurs: 1.0000"
            )
        else:
            unstructured = f"KORTKÖP {day:%y%m%d} {reference}"
        holder = merchant.holder if rng.random() < 0.8 else None
        return self._add(
            acc,
            kind,
            booked=booked,
            value=day,
            amount=amount,
            direction=direction,
            method=CARD,
            reference=reference,
            unstructured=unstructured,
            counter_party=_cp(holder, merchant.country if holder else None),
            btc="CCRD" if acc.kind == CREDIT_CARD else "CARD",
            labels=labels,
            state=state,
        )

    def _card_account(self, day: date, share: float = 0.5) -> _Account:
        card = self.accounts.get(CREDIT_CARD)
        if card is not None and day >= card.start and self.rng.random() < share:
            return card
        return self.checking

    def _sepa_text(self, reference: str, holder: str) -> str:
        rng, country = self.rng, self.locale.country
        if country == "DE":
            creditor = (
                "DE"
                + str(uuid5(NAMESPACE, holder).int)[:2]
                + "ZZZ"
                + str(uuid5(NAMESPACE, holder).int)[2:13]
            )
            return (
                f"{reference} EREF: {_digits(rng, 14)} MREF: {self.id[:8].upper()}"
                f"{_digits(rng, 4)} CRED: {creditor} SVWZ: {reference}"
            )
        if country == "NO":
            return f"AvtaleGiro {holder} KID {_digits(rng, 15)}"
        return f"Autogiro {holder} {reference}"

    def _transfer(
        self,
        src: _Account,
        dst: _Account,
        day: date,
        amount: int,
        out_ref: str,
        in_ref: str,
        *,
        method: str = STANDING_ORDER,
        kind: str = "own_transfer",
    ) -> None:
        """Money moved between two own accounts: out of one, into the other 1-3 days later."""
        out_day = _next_business_day(day)
        if out_day > self.end or out_day < max(src.start, dst.start):
            return
        # Credited 1-3 days later, on a business day (Thursday -> Friday, Friday -> Monday).
        lags = [lag for lag in (1, 2, 3) if (out_day + timedelta(days=lag)).weekday() < 5]
        in_day = min(out_day + timedelta(days=self.rng.choice(lags)), self.end)
        btc = "DDBT" if method == DIRECT_DEBIT else "STDO"
        self._add(
            src,
            kind,
            booked=out_day,
            value=out_day,
            amount=amount,
            direction=DEBIT,
            method=method,
            reference=out_ref,
            unstructured=out_ref,
            counter_party=self._own_cp(dst),
            btc=btc,
        )
        self._add(
            dst,
            kind,
            booked=in_day,
            value=in_day,
            amount=amount,
            direction=CREDIT,
            method=TRANSFER,
            reference=in_ref,
            unstructured=in_ref,
            counter_party=self._own_cp(src),
            btc="RCDT",
        )

    def _own_cp(self, acc: _Account) -> dict:
        if acc.iban is None:
            return _cp(
                self.name,
                self.locale.country,
                account_number=f"{acc.card_last4[:2]}XX XXXX XXXX {acc.card_last4}",
            )
        return _cp(self.name, self.locale.country, iban=acc.iban, bank_code=acc.bank[2])

    def _month_starts(self) -> list[date]:
        months, d = [], self.start.replace(day=1)
        while d <= self.end:
            months.append(d)
            d = _add_months(d, 1)
        return months

    # ------------------------------------------------------------------ generation

    def generate(self) -> None:
        self._salary()
        self._rent()
        self._subscriptions()
        self._fees_and_interest()
        self._savings()
        self._daily_spending()
        self._zero_amount_verifications()
        self._scenarios()
        self._credit_card_settlements()
        self._ensure_pending()
        for tx in self.txs:
            if self.rng.random() < LATE_SHARE:
                tx.arrival = tx.day + timedelta(days=self.rng.randint(3, 12))

    def _salary(self) -> None:
        rng, loc, acc = self.rng, self.locale, self.checking
        employer = rng.choice(loc.employers).format(city=self.city)
        employer_bank = rng.choice(loc.banks)
        employer_iban = _iban(rng, loc.country, employer_bank[1])
        net = rng.uniform(*loc.salary)
        raised = net * rng.uniform(1.02, 1.05)  # a pay rise once a year
        raise_month = rng.randint(1, 12)
        pay_day = rng.choice(loc.pay_days)
        months = self._month_starts()
        raise_from = next((m for m in months[1:] if m.month == raise_month), None)
        for month in months:
            day = _prev_business_day(_month_day(month.year, month.month, pay_day))
            if not acc.start <= day <= self.end:
                continue
            amount = raised if raise_from is not None and month >= raise_from else net
            ref = loc.salary_ref.format_map(self._fields(day))
            booked, value = day, day
            self._add(
                acc,
                "salary",
                booked=booked,
                value=value,
                amount=_cents(amount),
                direction=CREDIT,
                method=TRANSFER,
                reference=ref,
                unstructured=f"{ref} {employer}",
                counter_party=_cp(
                    employer, loc.country, iban=employer_iban, bank_code=employer_bank[2]
                ),
                btc="SALA",
                force_btc=True,
            )

    def _rent(self) -> None:
        rng, loc, acc = self.rng, self.locale, self.checking
        landlord = f"{rng.choice(loc.first_names)} {rng.choice(loc.last_names)}"
        bank = rng.choice(loc.banks)
        iban = _iban(rng, loc.country, bank[1])
        account_number = None
        if loc.country == "NO":
            bban = iban[4:]
            account_number = f"{bban[:4]}.{bban[4:6]}.{bban[6:]}"
        amount = rng.randrange(loc.rent[0], loc.rent[1], 10 * loc.scale) * 100
        flat = (
            rng.choice(("Whg. 3. OG links", "Whg. 12", "EG rechts", "Whg. 2. OG Mitte"))
            if loc.country == "DE"
            else _digits(rng, 4)
        )
        for month in self._month_starts():
            day = _next_business_day(month)
            if not acc.start <= day <= self.end:
                continue
            ref = loc.rent_ref.format_map(self._fields(day, flat=flat))
            booked, value = self._dates(acc, day)
            self._add(
                acc,
                "rent",
                booked=booked,
                value=value,
                amount=amount,
                direction=DEBIT,
                method=STANDING_ORDER,
                reference=ref,
                unstructured=ref,
                counter_party=_cp(
                    landlord,
                    loc.country,
                    iban=iban,
                    account_number=account_number,
                    bank_code=bank[2] if rng.random() < 0.5 else None,
                ),
                btc="STDO",
            )

    def _subscriptions(self) -> None:
        rng, loc = self.rng, self.locale
        # The first streaming service raises its price half-way through the range.
        hiked = rng.choice([sub for sub in loc.streaming if sub.new_price is not None])
        others = [sub for sub in loc.streaming if sub is not hiked]
        subs = [hiked, *rng.sample(others, rng.randint(0, 2)), rng.choice(loc.phone)]
        if self.index == 0 or rng.random() < 0.6:
            subs.append(rng.choice(loc.insurance))
        if rng.random() < 0.5:
            subs.append(rng.choice(loc.gyms))
        months = self._month_starts()
        change_at = months[len(months) // 2]
        for position, sub in enumerate(subs):
            fixed = {"customer": _digits(rng, 9), "contract": _digits(rng, 9)}
            creditor_iban = _iban(rng, sub.country)
            day_of_month = rng.randint(1, 28)
            for month in months:
                day = _month_day(month.year, month.month, day_of_month)
                price = sub.price
                if position == 0 and sub.new_price is not None and month >= change_at:
                    price = sub.new_price
                amount = _cents(price)
                if sub in loc.phone and rng.random() < 0.3:  # roaming, extra data
                    amount += _money(rng, 1, 15) * loc.scale
                self._subscription_payment(sub, day, amount, creditor_iban, fixed)
        yearly = rng.choice(loc.yearly)
        fixed = {"contract": f"{_digits(rng, 3)}/{_digits(rng, 6)}"}
        amount = round(rng.uniform(yearly.price, yearly.high or yearly.price)) * 100
        due = rng.randint(1, 12)
        for month in months:
            if month.month == due:
                self._subscription_payment(
                    yearly,
                    month.replace(day=1),
                    amount,
                    _iban(rng, yearly.country),
                    fixed,
                    kind="yearly",
                )

    def _subscription_payment(
        self,
        sub: _Sub,
        day: date,
        amount: int,
        creditor_iban: str,
        fixed: dict,
        kind: str = "subscription",
    ) -> _Tx | None:
        merchant = _M(sub.holder, sub.country, sub.descriptor, 0, 0)
        if sub.method == CARD:
            if not self.checking.start <= day <= self.end:
                return None
            acc = self._card_account(day, share=0.7)
            return self._card(acc, kind, day, amount, merchant, self._fields(day, **fixed))
        booked = _next_business_day(day)
        acc = self.checking
        if not acc.start <= booked <= self.end:
            return None
        ref = sub.descriptor.format_map(self._fields(booked, **fixed))
        booked_on, value = self._dates(acc, booked)
        return self._add(
            acc,
            kind,
            booked=booked_on,
            value=value,
            amount=amount,
            direction=DEBIT,
            method=DIRECT_DEBIT,
            reference=ref,
            unstructured=self._sepa_text(ref, sub.holder),
            counter_party=_cp(sub.holder, sub.country, iban=creditor_iban),
            btc="DDBT",
        )

    def _fees_and_interest(self) -> None:
        rng, loc = self.rng, self.locale
        bank_cp = _cp(self.checking.bank[0], loc.country)
        template, fee = loc.fee
        for month in self._month_starts():
            last = _prev_business_day(_add_months(month, 1) - timedelta(days=1))
            if self.checking.start <= last <= self.end:
                ref = template.format_map(self._fields(last))
                self._add(
                    self.checking,
                    "fee",
                    booked=last,
                    value=last,
                    amount=_cents(fee),
                    direction=DEBIT,
                    method="UNKNOWN",
                    reference=ref,
                    counter_party=bank_cp,
                    btc="CHRG",
                    force_btc=True,
                )
            savings = self.accounts.get(SAVINGS)
            if savings and month.month % 3 == 0 and savings.start <= last <= self.end:
                ref = loc.interest_ref.format_map(self._fields(last))
                self._add(
                    savings,
                    "interest",
                    booked=last,
                    value=last,
                    amount=_money(rng, 0.4, 25) * loc.scale,
                    direction=CREDIT,
                    method="UNKNOWN",
                    reference=ref,
                    counter_party=bank_cp,
                    btc="INTR",
                    force_btc=True,
                )
        card = self.accounts.get(CREDIT_CARD)
        if card:
            template, fee = loc.card_fee
            due = rng.randint(1, 12)
            for month in self._month_starts():
                day = _next_business_day(month.replace(day=rng.randint(1, 28)))
                if month.month == due and card.start <= day <= self.end:
                    ref = template.format_map(self._fields(day))
                    self._add(
                        card,
                        "fee",
                        booked=day,
                        value=day,
                        amount=_cents(fee),
                        direction=DEBIT,
                        method="UNKNOWN",
                        reference=ref,
                        counter_party=bank_cp,
                        btc="CHRG",
                        force_btc=True,
                    )

    def _savings(self) -> None:
        savings = self.accounts.get(SAVINGS)
        if savings is None:
            return
        rng, loc = self.rng, self.locale
        low, high, step = loc.saving
        amount = rng.randrange(low, high + step, step) * 100
        if savings.start > self.start:  # newly opened: an opening deposit first
            day = savings.start + timedelta(days=rng.randint(0, 3))
            fields = self._fields(day)
            self._transfer(
                self.checking,
                savings,
                day,
                rng.randrange(10, 50) * 10_000 * loc.scale,
                loc.saving_out_ref.format_map(fields),
                loc.saving_in_ref.format_map(fields),
                method=TRANSFER,
            )
        day_of_month = rng.randint(2, 6)
        for month in self._month_starts():
            day = month.replace(day=day_of_month)
            if day <= savings.start + timedelta(days=3):
                continue
            fields = self._fields(day)
            self._transfer(
                self.checking,
                savings,
                day,
                amount,
                loc.saving_out_ref.format_map(fields),
                loc.saving_in_ref.format_map(fields),
            )

    def _daily_spending(self) -> None:
        rng, loc = self.rng, self.locale
        groceries = rng.sample(loc.groceries, min(3, len(loc.groceries)))
        restaurants = rng.sample(loc.restaurants, 3)
        for merchant in groceries:
            self._stores[merchant.descriptor] = [
                _digits(rng, 4 if loc.country != "DE" else 5) for _ in range(2)
            ]
        friends = [f"{rng.choice(loc.first_names)} {rng.choice(loc.last_names)}" for _ in range(4)]
        friend_ibans = [_iban(rng, loc.country, rng.choice(loc.banks)[1]) for _ in friends]
        a = self.activity
        day = self.checking.start
        while day <= self.end:
            wd = day.weekday()
            weekend = wd >= 5
            # Groceries: mostly Friday/Saturday; German shops are closed on Sundays.
            p = (0.7 if wd in (4, 5) else 0.48) if wd != 6 else (0.08 if loc.sunday_shopping else 0)
            if rng.random() < p * a:
                merchant = rng.choices(groceries, (5, 3, 2))[0]
                store = rng.choice(self._stores[merchant.descriptor])
                self._card(
                    self.checking,
                    "groceries",
                    day,
                    _money(rng, merchant.low, merchant.high),
                    merchant,
                    self._fields(day, store=store),
                )
            if rng.random() < (0.4 if wd in (4, 5) else 0.26) * a:
                merchant = rng.choice(restaurants if rng.random() < 0.8 else loc.restaurants)
                self._card(
                    self._card_account(day),
                    "restaurant",
                    day,
                    _money(rng, merchant.low, merchant.high),
                    merchant,
                )
            if rng.random() < (0.12 if weekend else 0.28) * a:
                merchant = rng.choice(loc.transport)
                self._card(
                    self._card_account(day),
                    "transport",
                    day,
                    _money(rng, merchant.low, merchant.high),
                    merchant,
                )
            if self.has_car and rng.random() < 0.07:
                merchant = rng.choice(loc.fuel)
                self._card(
                    self.checking,
                    "fuel",
                    day,
                    _money(rng, merchant.low, merchant.high, skew=0.6),
                    merchant,
                )
            if rng.random() < 0.07 * a:
                self._online_order(day)
            if rng.random() < 0.1:
                merchant = rng.choice(loc.drugstores)
                self._card(
                    self.checking,
                    "drugstore",
                    day,
                    _money(rng, merchant.low, merchant.high),
                    merchant,
                )
            if rng.random() < (0.1 if wd == 5 else 0.04) * a:
                merchant = rng.choice(loc.shops)
                self._card(
                    self._card_account(day),
                    "shopping",
                    day,
                    _money(rng, merchant.low, merchant.high, skew=0.15),
                    merchant,
                )
            if rng.random() < 0.03:
                merchant = rng.choice(_APPS)
                amount = (rng.randint(0, 9) * 100 + 99) * loc.scale
                self._card(self._card_account(day), "app", day, amount, merchant)
            if rng.random() < (0.05 if loc.country == "DE" else 0.015):
                self._atm(day)
            if rng.random() < 0.04:
                i = rng.randrange(len(friends))
                self._p2p(day, friends[i], friend_ibans[i], DEBIT)
            if rng.random() < 0.02:
                i = rng.randrange(len(friends))
                self._p2p(day, friends[i], friend_ibans[i], CREDIT)
            day += timedelta(days=1)

    def _online_order(self, day: date, *, refund: bool | None = None) -> _Tx:
        rng = self.rng
        merchant = rng.choice(self.locale.online)
        fields = self._fields(day)
        labels = {merchant.label: _digits(rng, rng.choice((9, 10, 12)))}
        if rng.random() < 0.25:  # marketplace orders carry the references of several parties
            labels["krn"] = _digits(rng, 11)
            if rng.random() < 0.5:
                labels["customer-id"] = _digits(rng, 8)
        amount = _money(rng, merchant.low, merchant.high, skew=0.2)
        tx = self._card(
            self._card_account(day), "online", day, amount, merchant, fields, labels=labels
        )
        if refund:
            tx.event["state"] = PROCESSED
        refund = rng.random() < 0.12 if refund is None else refund
        refund_day = day + timedelta(days=rng.randint(5, 20))
        if refund and refund_day <= self.end and tx.event["state"] == PROCESSED:
            acc = self.accounts[
                CHECKING if tx.event["insights_account_id"] == self.checking.id else CREDIT_CARD
            ]
            partial = rng.random() < 0.3
            self._card(
                acc,
                "refund",
                refund_day,
                round(amount * rng.uniform(0.3, 0.7)) if partial else amount,
                merchant,
                fields,
                labels=labels,
                direction=CREDIT,
                descriptor=merchant.refund,
            )
        return tx

    def _atm(self, day: date) -> None:
        rng, loc = self.rng, self.locale
        bank = rng.choice(loc.banks)
        fields = self._fields(day, blz=bank[1])
        ref = loc.atm.format_map(fields)
        booked = _next_business_day(day)
        if booked > self.end:
            return
        self._add(
            self.checking,
            "atm",
            booked=booked,
            value=day,
            amount=rng.choice(loc.atm_amounts) * 100,
            direction=DEBIT,
            method=CASH,
            reference=ref,
            unstructured=ref,
            counter_party=_cp(loc.atm_holder or bank[0], loc.country),
            btc="CWDL",
        )

    def _p2p(self, day: date, friend: str, friend_iban: str, direction: str) -> None:
        rng, loc = self.rng, self.locale
        booked = _next_business_day(day)
        if booked > self.end:
            return
        fields = self._fields(day, name=friend, first=friend.split()[0])
        refs = loc.p2p_out if direction == DEBIT else loc.p2p_in
        ref = rng.choice(refs).format_map(fields)
        amount = _money(rng, 5, 120, skew=0.2) * loc.scale
        if loc.country == "DE":
            cp = _cp(friend, "DE", iban=friend_iban)
        else:
            cp = _cp(friend, loc.country)  # Vipps / Swish: only the name is known
        self._add(
            self.checking,
            "p2p",
            booked=booked,
            value=booked,
            amount=amount,
            direction=direction,
            method=TRANSFER,
            reference=ref,
            unstructured=ref,
            counter_party=cp,
            btc="PMNT" if direction == DEBIT else "RCDT",
        )

    def _zero_amount_verifications(self) -> None:
        rng = self.rng
        span = (self.end - self.checking.start).days
        for _ in range(rng.randint(1, 3)):
            day = self.checking.start + timedelta(days=rng.randint(0, span))
            merchant = rng.choice(_VERIFICATIONS)
            self._card(self._card_account(day), "verification", day, 0, merchant, direction=CREDIT)

    def _scenarios(self) -> None:
        """Rarer situations; consumer 0 always has each of them so every data set does."""
        rng, loc = self.rng, self.locale
        always = self.index == 0
        # A refund for at least one online order.
        if not any(tx.kind == "refund" for tx in self.txs):
            day = max(self.checking.start, self.end - timedelta(days=40))
            self._online_order(day, refund=True)
        # A pay-at-pump pre-authorisation that was released (CANCELED) before the real charge.
        if always or (self.has_car and rng.random() < 0.5):
            day = self.checking.start + timedelta(
                days=rng.randint(0, max(0, (self.end - self.checking.start).days - 10))
            )
            merchant = rng.choice(loc.fuel)
            fields = self._fields(day)
            pre = self._card(self.checking, "fuel", day, 150 * 100 * loc.scale, merchant, fields)
            pre.event["state"] = CANCELED
            self._card(
                self.checking,
                "fuel",
                day,
                _money(rng, merchant.low, merchant.high, skew=0.6),
                merchant,
                fields,
            )
        # A direct debit bounced (FAILED), is collected again a week later, and costs a fee.
        if always or rng.random() < 0.4:
            candidates = [
                tx
                for tx in self.txs
                if tx.kind == "subscription"
                and tx.event["method"] == DIRECT_DEBIT
                and tx.event["state"] == PROCESSED
                and tx.day + timedelta(days=12) < self.end - timedelta(days=PENDING_WINDOW_DAYS)
            ]
            if candidates:
                failed = rng.choice(candidates)
                failed.event["state"] = FAILED
                ev = failed.event
                retry_day = _next_business_day(failed.day + timedelta(days=rng.randint(5, 10)))
                self._add(
                    self.checking,
                    "subscription",
                    booked=retry_day,
                    value=retry_day,
                    amount=ev["amount"]["amount"],
                    direction=DEBIT,
                    method=DIRECT_DEBIT,
                    reference=ev["reference"],
                    unstructured=(ev.get("bank_references") or {}).get("unstructured"),
                    counter_party=ev["counter_party"],
                    btc="DDBT",
                )
                template, fee = loc.return_fee
                fee_day = _next_business_day(failed.day + timedelta(days=2))
                self._add(
                    self.checking,
                    "fee",
                    booked=fee_day,
                    value=fee_day,
                    amount=_cents(fee),
                    direction=DEBIT,
                    method="UNKNOWN",
                    reference=template.format_map(self._fields(fee_day)),
                    counter_party=_cp(self.checking.bank[0], loc.country),
                    btc="CHRG",
                    force_btc=True,
                )
        # A merchant terminal charged twice; the duplicate is later deleted (see corrections).
        if always:
            day = max(self.checking.start, self.end - timedelta(days=2))
            merchant = rng.choice(loc.restaurants)
            amount = _money(rng, merchant.low, merchant.high)
            original = self._card(self.checking, "restaurant", day, amount, merchant)
            original.event["state"] = PENDING
            self._clone(original, "duplicate")

    def _clone(self, tx: _Tx, kind: str) -> _Tx:
        """The same payment once more, under new bank and insights ids."""
        acc = next(a for a in self.accounts.values() if a.id == tx.event["insights_account_id"])
        ob_id = self._ob_id(acc)
        event = dict(
            tx.event,
            ob_transaction_id=ob_id,
            insights_transaction_id=str(uuid5(NAMESPACE, f"transaction/{acc.id}/{ob_id}")),
        )
        clone = _Tx(event, kind, len(self.txs))
        self.txs.append(clone)
        return clone

    def _credit_card_settlements(self) -> None:
        """Each month the card balance of the previous month is debited from checking."""
        card = self.accounts.get(CREDIT_CARD)
        if card is None:
            return
        rng, loc = self.rng, self.locale
        day_of_month = rng.randint(3, 10)
        balances: dict[date, int] = {}
        for tx in self.txs:
            ev = tx.event
            if (
                ev["insights_account_id"] != card.id
                or ev["state"] != PROCESSED
                or tx.kind == "own_transfer"
            ):
                continue
            sign = 1 if ev["type"] == DEBIT else -1
            month = tx.day.replace(day=1)
            balances[month] = balances.get(month, 0) + sign * ev["amount"]["amount"]
        for month, balance in sorted(balances.items()):
            if balance <= 0:
                continue
            day = _add_months(month, 1).replace(day=day_of_month)
            fields = self._fields(month)
            self._transfer(
                self.checking,
                card,
                day,
                balance,
                loc.settle_out_ref.format_map(fields),
                loc.settle_in_ref.format_map(fields),
                method=DIRECT_DEBIT,
            )

    def _ensure_pending(self) -> None:
        if any(tx.event["state"] == PENDING and tx.kind != "duplicate" for tx in self.txs):
            return
        cards = [
            tx
            for tx in self.txs
            if tx.event["method"] == CARD
            and tx.event["state"] == PROCESSED
            and tx.event["amount"]["amount"] > 0
        ]
        if cards:
            max(cards, key=lambda tx: (tx.day, tx.seq)).event["state"] = PENDING


# --------------------------------------------------------------------------- public API


def generate_sample_data(
    *,
    consumers: int = 5,
    months: int = 13,
    end_date: date | None = None,
    seed: int = 7,
    corrections: bool = True,
) -> SampleDataSet:
    """Generate accounts and transactions for `consumers` consumers over `months` months.

    The data covers the `months` months that end on `end_date` (default: today, UTC). Events
    come in delivery order: chronological by booking date (value date where there is none),
    except ~2% that arrive late. With `corrections`, a few follow-up events are appended: a
    PENDING transaction re-sent as PROCESSED (for up to two consumers), an amount correction,
    a `"deleted": true` event for a duplicate charge, and one event delivered a second time.
    The list without corrections is a prefix of the list with them.
    """
    if consumers < 1:
        raise ValueError("consumers must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    end = end_date if end_date is not None else datetime.now(UTC).date()
    start = _add_months(end, -months) + timedelta(days=1)
    rng = random.Random(seed)

    built: list[_Consumer] = []
    for index in range(consumers):
        consumer = _Consumer(index, seed, random.Random(rng.getrandbits(64)), start, end)
        consumer.generate()
        built.append(consumer)

    ordered = sorted(
        ((tx.arrival or tx.day, c.index, tx.seq, tx) for c in built for tx in c.txs),
        key=lambda item: item[:3],
    )
    transactions = [item[3].event for item in ordered]
    if corrections:
        transactions.extend(_corrections(rng, built))
    accounts = [event for c in built for event in c.account_events()]
    return SampleDataSet(accounts=accounts, transactions=transactions)


def _corrections(rng: random.Random, built: list[_Consumer]) -> list[dict]:
    out: list[dict] = []
    for consumer in built[:2]:
        pending = [
            tx for tx in consumer.txs if tx.event["state"] == PENDING and tx.kind != "duplicate"
        ]
        if pending:
            tx = min(pending, key=lambda t: (t.day, t.seq))
            settled = dict(tx.event, state=PROCESSED)
            if "booking_date" not in settled:
                value = date.fromisoformat(settled["value_date"])
                booked = min(_next_business_day(value + timedelta(days=1)), consumer.end)
                settled["booking_date"] = booked.isoformat()
                settled = {key: settled[key] for key in _ordered_keys(settled)}
            out.append(settled)
    first = built[0]
    # A restaurant bill corrected after the tip was added to the card charge.
    meals = [tx for tx in first.txs if tx.kind == "restaurant" and tx.event["state"] == PROCESSED]
    if meals:
        meal = rng.choice(meals[-30:])
        amount = meal.event["amount"]
        tip = max(100, round(amount["amount"] * rng.uniform(0.05, 0.15) / 50) * 50)
        out.append(
            dict(
                meal.event,
                amount={"amount": amount["amount"] + tip, "currency": amount["currency"]},
            )
        )
    for tx in first.txs:
        if tx.kind == "duplicate":
            ev = tx.event
            delete = {
                key: ev[key]
                for key in (
                    "insights_consumer_id",
                    "insights_account_id",
                    "insights_transaction_id",
                    "ob_transaction_id",
                    "booking_date",
                    "value_date",
                    "amount",
                    "type",
                )
                if key in ev
            }
            delete |= {"state": CANCELED, "deleted": True}
            out.append(delete)
    # At-least-once delivery: the latest salary arrives a second time, unchanged.
    salaries = [tx for tx in first.txs if tx.kind == "salary"]
    if salaries:
        out.append(dict(salaries[-1].event))
    return out


_KEY_ORDER = (
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
)


def _ordered_keys(event: dict) -> list[str]:
    return sorted(event, key=lambda k: _KEY_ORDER.index(k) if k in _KEY_ORDER else len(_KEY_ORDER))


def write_jsonl(path: Path, records: Iterable[dict]) -> int:
    """Write one compact JSON object per line (UTF-8); return the number of records written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n")
            count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write accounts.jsonl and transactions.jsonl into a directory."""
    parser = argparse.ArgumentParser(
        prog="python -m workers.sample_data", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--consumers", type=int, default=5)
    parser.add_argument("--months", type=int, default=13)
    parser.add_argument(
        "--end-date", type=date.fromisoformat, default=None, help="YYYY-MM-DD, default today (UTC)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-corrections", action="store_true")
    args = parser.parse_args(argv)
    data = generate_sample_data(
        consumers=args.consumers,
        months=args.months,
        end_date=args.end_date,
        seed=args.seed,
        corrections=not args.no_corrections,
    )
    n_accounts = write_jsonl(args.out / "accounts.jsonl", data.accounts)
    n_transactions = write_jsonl(args.out / "transactions.jsonl", data.transactions)
    print(f"wrote {n_accounts} accounts and {n_transactions} transactions to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
