"""The Category List: a two-level taxonomy of consumer spending and income in Europe.

Every category has a stable `key` path (``"shopping/clothes"``), an English and a Norwegian
name, and an id that is ``uuid5(CATEGORY_NAMESPACE, key_path)``. Ids therefore depend only on
the keys, never on the display names: names may be reworded, keys and the namespace must never
change (a test pins some ids). Main categories come in a fixed order; subcategories follow their
main category. `schemas/categories.json` is generated from this module (`make schemas`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from uuid import UUID, uuid5

__all__ = [
    "CATEGORY_NAMESPACE",
    "CATEGORIES",
    "Category",
    "UNCATEGORIZED",
    "by_id",
    "by_key",
    "category_id",
    "category_list_document",
    "is_category_id",
    "main_categories",
]

#: Namespace of every category id. Never change it: every id would change with it.
CATEGORY_NAMESPACE = UUID("0b7d5e2c-3f9a-5c1e-8d4b-6a2f1e9c7b30")


@dataclass(frozen=True, slots=True)
class Category:
    """One entry of the Category List; `parent_key` is None for a main category."""

    key: str
    name: str
    name_no: str
    parent_key: str | None
    id: str

    @property
    def is_main(self) -> bool:
        """True for a main (top-level) category."""
        return self.parent_key is None

    @property
    def main_key(self) -> str:
        """The key of this category's main category (itself for a main category)."""
        return self.parent_key or self.key


def category_id(key_path: str) -> str:
    """The id of the category with this key path (``main`` or ``main/sub``)."""
    return str(uuid5(CATEGORY_NAMESPACE, key_path))


# (key, English name, Norwegian name, subcategories as (key, English name, Norwegian name)).
_TREE: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("income", "Income", "Inntekt", (
        ("salary", "Salary & Wages & Paycheck", "Lønn"),
        ("pension", "Pension", "Pensjon"),
        ("child_benefit", "Child benefit", "Barnetrygd"),
        ("unemployment_benefit", "Unemployment benefit", "Dagpenger"),
        ("sickness_parental_benefit", "Sickness & parental benefit",
         "Sykepenger og foreldrepenger"),
        ("social_benefits", "Housing & social benefits", "Bostøtte og sosialhjelp"),
        ("student_support", "Student grants", "Studiestøtte"),
        ("tax_refund", "Tax refund", "Skatt til gode"),
        ("interest_income", "Interest income", "Renteinntekter"),
        ("investment_income", "Dividends & investment income", "Utbytte og kapitalinntekter"),
        ("rental_income", "Rental income", "Leieinntekter"),
        ("sales", "Sales & marketplace payouts", "Salg og markedsplassutbetalinger"),
        ("other_income", "Other income", "Annen inntekt"),
    )),
    ("refunds", "Refunds & Reimbursements", "Refusjoner", (
        ("purchase_refunds", "Purchase refunds & returns", "Refusjon av kjøp og returer"),
        ("expense_reimbursements", "Expense reimbursements", "Utleggsrefusjon"),
        ("insurance_payouts", "Insurance payouts", "Forsikringsutbetalinger"),
    )),
    ("housing", "Housing", "Bolig", (
        ("rent", "Rent", "Husleie"),
        ("service_charges", "Service charges & housing association",
         "Felleskostnader og borettslag"),
        ("repairs", "Home repairs & maintenance", "Vedlikehold og reparasjoner"),
        ("security", "Home security & alarm", "Boligalarm og sikkerhet"),
        ("household_services", "Cleaning & household services",
         "Rengjøring og husholdningstjenester"),
    )),
    ("utilities", "Utilities", "Strøm og kommunale tjenester", (
        ("electricity", "Electricity", "Strøm"),
        ("heating", "Gas & heating", "Gass og oppvarming"),
        ("water", "Water & sewage", "Vann og avløp"),
        ("waste", "Waste collection", "Renovasjon"),
        ("broadcasting_fee", "TV & radio licence", "Kringkastingsavgift"),
    )),
    ("telecom", "Telecom & Internet", "Telefon og internett", (
        ("mobile", "Mobile Phone", "Mobiltelefon"),
        ("internet", "Internet & broadband", "Internett og bredbånd"),
        ("landline", "Landline", "Fasttelefon"),
        ("cable_tv", "Cable & satellite TV", "Kabel- og satellitt-TV"),
    )),
    ("subscriptions", "Subscriptions & Media", "Abonnementer og medier", (
        ("tv_streaming", "TV streaming subscriptions", "TV-strømmetjenester"),
        ("music_streaming", "Music & audio streaming", "Musikk- og lydstrømming"),
        ("software", "Software & cloud services", "Programvare og skytjenester"),
        ("news", "News & magazines", "Aviser og magasiner"),
        ("apps_games", "Apps & games", "Apper og spill"),
    )),
    ("food", "Food & Drink", "Mat og drikke", (
        ("groceries", "Groceries", "Dagligvarer"),
        ("restaurants", "Restaurants", "Restauranter"),
        ("cafes", "Cafés & bakeries", "Kafeer og bakerier"),
        ("fast_food", "Fast food", "Hurtigmat"),
        ("food_delivery", "Food delivery", "Matlevering"),
        ("bars", "Bars & nightlife", "Barer og uteliv"),
        ("alcohol", "Alcohol & beverages", "Alkohol og drikkevarer"),
    )),
    ("shopping", "Shopping", "Shopping", (
        ("clothes", "Clothes", "Klær"),
        ("shoes", "Shoes", "Sko"),
        ("electronics", "Electronics", "Elektronikk"),
        ("home", "Home & furniture", "Hjem og interiør"),
        ("diy_garden", "DIY & garden", "Bygg og hage"),
        ("sports", "Sports & outdoor", "Sport og friluft"),
        ("books", "Books & stationery", "Bøker og kontorrekvisita"),
        ("toys_baby", "Toys & baby", "Leker og babyutstyr"),
        ("marketplaces", "Online marketplaces", "Netthandel og markedsplasser"),
        ("department_stores", "Department & variety stores", "Varehus og lavprisbutikker"),
        ("jewellery", "Jewellery & watches", "Smykker og klokker"),
        ("gifts_flowers", "Gifts & flowers", "Gaver og blomster"),
        ("second_hand", "Second-hand", "Bruktkjøp"),
    )),
    ("health", "Health & Beauty", "Helse og skjønnhet", (
        ("pharmacy", "Pharmacy", "Apotek"),
        ("drugstore", "Drugstore & cosmetics", "Parfymeri og kosmetikk"),
        ("doctors", "Doctors & clinics", "Lege og klinikk"),
        ("dentist", "Dentist", "Tannlege"),
        ("opticians", "Opticians", "Optiker"),
        ("therapy", "Therapy & physiotherapy", "Terapi og fysioterapi"),
        ("hair_beauty", "Hairdresser & beauty salons", "Frisør og skjønnhetssalong"),
    )),
    ("transport", "Transport", "Transport", (
        ("public_transport", "Public transport", "Kollektivtransport"),
        ("trains", "Trains & long-distance buses", "Tog og langdistansebuss"),
        ("taxi", "Taxi & ride hailing", "Taxi og samkjøring"),
        ("fuel", "Fuel", "Drivstoff"),
        ("ev_charging", "EV charging", "Elbillading"),
        ("parking", "Parking", "Parkering"),
        ("tolls", "Tolls & road charges", "Bompenger og veiavgifter"),
        ("car_rental", "Car rental & car sharing", "Bilutleie og bildeling"),
        ("car_service", "Car service & repairs", "Bilverksted og service"),
        ("micromobility", "Bike & scooter rental", "Sykkel- og sparkesykkelutleie"),
    )),
    ("travel", "Travel", "Reise", (
        ("flights", "Flights", "Flyreiser"),
        ("accommodation", "Hotels & accommodation", "Hotell og overnatting"),
        ("package_holidays", "Package holidays & travel agencies", "Pakkereiser og reisebyråer"),
        ("ferries", "Ferries & cruises", "Ferger og cruise"),
    )),
    ("leisure", "Leisure & Entertainment", "Fritid og underholdning", (
        ("fitness", "Fitness & sports clubs", "Trening og idrettslag"),
        ("events", "Events, cinema & culture", "Arrangementer, kino og kultur"),
        ("gambling", "Gambling & lotteries", "Pengespill og lotteri"),
        ("hobbies", "Hobbies", "Hobby"),
        ("memberships", "Memberships & associations", "Medlemskap og foreninger"),
    )),
    ("insurance", "Insurance", "Forsikring", (
        ("health", "Health insurance", "Helseforsikring"),
        ("home", "Home & contents insurance", "Hus- og innboforsikring"),
        ("car", "Car insurance", "Bilforsikring"),
        ("life", "Life insurance", "Livsforsikring"),
        ("travel", "Travel insurance", "Reiseforsikring"),
        ("other", "Liability & other insurance", "Ansvars- og annen forsikring"),
    )),
    ("loans", "Loans & Credit", "Lån og kreditt", (
        ("mortgage", "Mortgage", "Boliglån"),
        ("consumer_loans", "Consumer loans", "Forbrukslån"),
        ("credit_card", "Credit card payments", "Kredittkortnedbetaling"),
        ("car_loans", "Car loans & leasing", "Billån og leasing"),
        ("student_loans", "Student loan repayment", "Nedbetaling av studielån"),
        ("bnpl", "Buy now pay later", "Kjøp nå, betal senere"),
    )),
    ("savings", "Savings & Investments", "Sparing og investering", (
        ("savings", "Savings", "Sparing"),
        ("investments", "Investments & securities", "Aksjer og fond"),
        ("pension_savings", "Pension savings", "Pensjonssparing"),
        ("crypto", "Crypto", "Kryptovaluta"),
    )),
    ("transfers", "Transfers", "Overføringer", (
        ("own_accounts", "Transfers between own accounts", "Overføring mellom egne kontoer"),
        ("people", "Payments to and from people", "Betalinger til og fra privatpersoner"),
        ("money_transfer", "Money transfer services", "Pengeoverføringstjenester"),
    )),
    ("cash", "Cash", "Kontanter", (
        ("atm", "ATM withdrawals", "Minibankuttak"),
        ("deposits", "Cash deposits", "Kontantinnskudd"),
        ("currency_exchange", "Currency exchange", "Valutaveksling"),
    )),
    ("fees", "Fees & Charges", "Gebyrer", (
        ("bank", "Bank fees", "Bankgebyrer"),
        ("card", "Card fees", "Kortgebyrer"),
        ("interest_charges", "Overdraft & interest charges", "Overtrekk og renter"),
        ("collection", "Reminder & collection fees", "Purre- og inkassogebyrer"),
        ("foreign_exchange", "Foreign transaction fees", "Valutagebyrer"),
    )),
    ("taxes", "Taxes & Public Fees", "Skatter og offentlige avgifter", (
        ("income_tax", "Income tax", "Inntektsskatt"),
        ("property_tax", "Property tax", "Eiendomsskatt"),
        ("vehicle_tax", "Vehicle tax", "Bilavgifter"),
        ("fines", "Fines", "Bøter"),
        ("government_fees", "Government fees", "Offentlige gebyrer"),
    )),
    ("family", "Family & Education", "Familie og utdanning", (
        ("childcare", "Childcare", "Barnehage og barnepass"),
        ("education", "School & tuition", "Skole og utdanning"),
        ("pocket_money", "Children's activities & pocket money",
         "Barneaktiviteter og lommepenger"),
        ("child_support", "Child support & alimony", "Barnebidrag"),
    )),
    ("pets", "Pets", "Kjæledyr", (
        ("supplies", "Pet food & supplies", "Dyrefôr og dyreutstyr"),
        ("vet", "Veterinary", "Veterinær"),
    )),
    ("donations", "Donations & Gifts", "Gaver og veldedighet", (
        ("charity", "Charity", "Veldedighet"),
        ("religious", "Religious organisations", "Trossamfunn"),
        ("gifts", "Gifts", "Gaver"),
    )),
    ("uncategorized", "Uncategorized", "Ukategorisert", ()),
)


def _build() -> tuple[Category, ...]:
    entries: list[Category] = []
    for key, name, name_no, subs in _TREE:
        entries.append(Category(key, name, name_no, None, category_id(key)))
        for sub_key, sub_name, sub_no in subs:
            path = f"{key}/{sub_key}"
            entries.append(Category(path, sub_name, sub_no, key, category_id(path)))
    return tuple(entries)


#: Every category: each main category followed by its subcategories, in list order.
CATEGORIES: tuple[Category, ...] = _build()
_BY_KEY: Mapping[str, Category] = MappingProxyType({c.key: c for c in CATEGORIES})
_BY_ID: Mapping[str, Category] = MappingProxyType({c.id: c for c in CATEGORIES})

#: The explicit category of a transaction nothing else applies to.
UNCATEGORIZED: Category = _BY_KEY["uncategorized"]


def by_key(key_path: str) -> Category:
    """The category with this key path; KeyError when there is none."""
    return _BY_KEY[key_path]


def by_id(identifier: str) -> Category:
    """The category with this id; KeyError when there is none."""
    return _BY_ID[identifier]


def is_category_id(identifier: object) -> bool:
    """True when `identifier` is the id of a category of the Category List."""
    return isinstance(identifier, str) and identifier in _BY_ID


def main_categories() -> tuple[Category, ...]:
    """The main categories in list order."""
    return tuple(c for c in CATEGORIES if c.is_main)


def category_list_document() -> dict:
    """The Category List as the JSON document of `schemas/categories.json`."""
    mains = []
    for main in main_categories():
        mains.append({
            "id": main.id,
            "key": main.key,
            "name": main.name,
            "names": {"en": main.name, "no": main.name_no},
            "subcategories": [
                {"id": sub.id, "key": sub.key, "name": sub.name,
                 "names": {"en": sub.name, "no": sub.name_no}}
                for sub in CATEGORIES if sub.parent_key == main.key
            ],
        })
    return {
        "title": "Account Insights Category List",
        "description": (
            "Two-level category taxonomy. A transaction's `categories` hold ids from this list;"
            " ids are uuid5(namespace, key) and never change between releases."),
        "namespace": str(CATEGORY_NAMESPACE),
        "categories": mains,
    }
