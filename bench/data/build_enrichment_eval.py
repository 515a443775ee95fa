"""Build the enrichment evaluation set (`enrichment_eval.jsonl`) from the ground truth.

    python bench/data/build_enrichment_eval.py [--seed N] [--out PATH]

Inputs: `enrichment_merchants.txt` (brands and what they are, with the names, stems, domains
and legal entities they appear under) and the tables below (local merchants, employers,
public bodies, landlords, people, free texts, per country). Output: one JSON object per line,

    {"id": ..., "country": "DE", "kind": "brand|local|person|institution", "channel": ...,
     "transaction": {TransactionEvent fields the categorizer reads},
     "expected": {"brand": name or null, "via": intermediary name or null,
                  "main": main category key, "sub": subcategory key or null}}

`expected.brand` is the merchant's brand (whether or not the brand list knows it); `via` is the
payment intermediary the descriptor goes through. The benchmark expects the merchant's brand
when the brand list has it, else the intermediary when the list has that, else no brand.

The noise model imitates what banks print: card-terminal lines with store numbers, cities,
dates, times and masked card numbers in each country's format; names cut at 22 or 25
characters; umlauts spelled three ways; upper and lower case; web domains with order ids;
PayPal, Klarna, SumUp, Zettle, Square, Vipps, MobilePay and Swish wrappers with the merchant
name glued together; SEPA direct-debit texts with mandate references and creditor ids;
AvtaleGiro, Autogiro and Betalingsservice lines; salary, pension, benefit, tax, rent, fee,
interest, ATM and own-account lines; and payments between people with the everyday texts people
write (including words like "Pizza" or "Kino" that name no merchant). Everything is drawn from
one `random.Random(seed)`, so a seed always gives the same file. This script never imports the
categorizer: labels come from the ground truth only.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import unicodedata
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MERCHANTS_FILE = HERE / "enrichment_merchants.txt"
DEFAULT_OUT = HERE / "enrichment_eval.jsonl"
DEFAULT_SEED = 20251201

CURRENCY = {"DE": "EUR", "NL": "EUR", "FR": "EUR", "NO": "NOK", "SE": "SEK", "DK": "DKK",
            "GB": "GBP"}
CITIES = {
    "DE": ["BERLIN", "HAMBURG", "MUENCHEN", "KOELN", "FRANKFURT", "LEIPZIG", "DRESDEN",
           "STUTTGART", "DUESSELDORF", "Hannover", "Nuernberg", "Bremen"],
    "NO": ["OSLO", "BERGEN", "TRONDHEIM", "STAVANGER", "Drammen", "TROMSO", "Fredrikstad",
           "Kristiansand", "SANDVIKA", "Lillestrom"],
    "SE": ["STOCKHOLM", "GOTEBORG", "MALMO", "UPPSALA", "Vasteras", "Orebro", "Linkoping",
           "Helsingborg", "Solna", "Nacka"],
    "DK": ["KOBENHAVN", "AARHUS", "ODENSE", "AALBORG", "Esbjerg", "Frederiksberg", "Vejle",
           "Roskilde", "Kobenhavn K", "Herning"],
    "NL": ["AMSTERDAM", "ROTTERDAM", "DEN HAAG", "UTRECHT", "Eindhoven", "Groningen", "Tilburg",
           "Almere", "Breda", "Nijmegen"],
    "FR": ["PARIS", "LYON", "MARSEILLE", "TOULOUSE", "Nice", "Nantes", "Strasbourg", "Lille",
           "Bordeaux", "Montpellier"],
    "GB": ["LONDON", "MANCHESTER", "BIRMINGHAM", "LEEDS", "Glasgow", "Bristol", "Liverpool",
           "Edinburgh", "Sheffield", "Cardiff"],
}
FIRST = {
    "DE": ["Anna", "Lukas", "Marie", "Jonas", "Sophie", "Felix", "Laura", "Paul", "Lena", "Tim",
           "Hannah", "Maximilian", "Katrin", "Stefan", "Ingo", "Birgit"],
    "NO": ["Ola", "Kari", "Lars", "Ingrid", "Emil", "Nora", "Henrik", "Sofie", "Magnus", "Ida",
           "Per", "Silje", "Kristian", "Marit"],
    "SE": ["Erik", "Anna", "Johan", "Elin", "Oskar", "Maja", "Karl", "Sara", "Lars", "Emma",
           "Gustav", "Linnea"],
    "DK": ["Mads", "Sofie", "Frederik", "Ida", "Mikkel", "Laura", "Rasmus", "Emma", "Jens",
           "Mette", "Anders", "Camilla"],
    "NL": ["Daan", "Emma", "Sem", "Julia", "Lucas", "Sanne", "Thijs", "Lotte", "Bram", "Fleur",
           "Jeroen", "Anouk"],
    "FR": ["Lucas", "Emma", "Hugo", "Chloe", "Louis", "Lea", "Jules", "Manon", "Arthur", "Camille",
           "Nicolas", "Julie"],
    "GB": ["Oliver", "Amelia", "George", "Olivia", "Harry", "Isla", "Jack", "Emily", "Charlie",
           "Sophie", "James", "Grace"],
}
LAST = {
    "DE": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Hoffmann", "Schäfer", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schröder"],
    "NO": ["Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
           "Jensen", "Karlsen", "Haugen", "Bakken", "Solberg", "Dahl"],
    "SE": ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
           "Persson", "Svensson", "Gustafsson", "Lindqvist", "Bergström"],
    "DK": ["Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
           "Sørensen", "Rasmussen", "Jørgensen", "Madsen", "Kristensen"],
    "NL": ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
           "Visser", "Smit", "Meijer", "de Boer", "Mulder"],
    "FR": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
           "Leroy", "Moreau", "Simon", "Laurent"],
    "GB": ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
           "Robinson", "Wright", "Thompson", "Evans"],
}
MONTHS = {
    "DE": ["Januar", "Februar", "Maerz", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"],
    "NO": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
           "oktober", "november", "desember"],
    "SE": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
           "oktober", "november", "december"],
    "DK": ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
           "oktober", "november", "december"],
    "NL": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
    "FR": ["janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
           "octobre", "novembre", "decembre"],
    "GB": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}
MON3 = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

# Unbranded merchants: (category, name templates) per country. {last} {first} {city} {word}.
LOCAL = {
    "DE": [
        ("food/cafes", ["Baeckerei {last}", "Bäckerei {last} GmbH", "Cafe {word}",
                        "Konditorei {last}", "Backhaus {last}"]),
        ("food/restaurants", ["Restaurant {word}", "Gasthaus zum {word}", "Trattoria {word}",
                              "Ristorante {word}", "Brauhaus {last}"]),
        ("food/fast_food", ["Doener Kebap {word}", "Pizzeria {word}", "Imbiss {last}",
                            "Asia Imbiss {word}", "Burgerladen {word}"]),
        ("food/groceries", ["Getraenkemarkt {last}", "Metzgerei {last}", "Kiosk am {place}",
                            "Spaetkauf {word}", "Hofladen {last}"]),
        ("food/bars", ["Kneipe zum {word}", "Cocktailbar {word}", "Weinbar {word}"]),
        ("health/pharmacy", ["Apotheke am {place}", "{word} Apotheke", "Stadt-Apotheke {city}"]),
        ("health/doctors", ["Praxis Dr. {last}", "Hausarztpraxis {last}"]),
        ("health/dentist", ["Zahnarztpraxis Dr. {last}", "Zahnarzt {last}"]),
        ("health/hair_beauty", ["Friseur {first}", "Salon {first} Friseure", "Nagelstudio {word}"]),
        ("shopping/books", ["Buchhandlung {last}"]),
        ("shopping/gifts_flowers", ["Blumen {last}", "Blumenhaus {word}"]),
        ("transport/taxi", ["Taxi {last}", "Taxiruf {city}"]),
        ("transport/parking", ["Parkhaus {place}", "Tiefgarage {place}"]),
        ("transport/car_service", ["Autowerkstatt {last}", "Kfz-Werkstatt {last} GmbH"]),
        ("travel/accommodation", ["Hotel {word}", "Pension {last}", "Hotel am {place}"]),
        ("pets/vet", ["Tierarztpraxis Dr. {last}", "Tierklinik {city}"]),
        ("leisure/events", ["Kino {word}", "Theater am {place}"]),
        ("leisure/fitness", ["Fitnessstudio {word}", "Yoga {word}"]),
    ],
    "NO": [
        ("food/cafes", ["{word} Bakeri", "Kafe {word}", "{last} Konditori"]),
        ("food/restaurants", ["Restaurant {word}", "{word} Spiseri"]),
        ("food/fast_food", ["{word} Kebab", "{word} Pizza", "{word} Grill Gatekjokken"]),
        ("food/bars", ["{word} Bar", "{word} Pub"]),
        ("health/hair_beauty", ["Frisor {first}", "{word} Frisorsalong"]),
        ("health/dentist", ["Tannlege {last}", "{city} Tannklinikk"]),
        ("health/doctors", ["{city} Legesenter", "Legekontor {last}"]),
        ("transport/parking", ["{city} Parkering", "P-hus {place}"]),
        ("transport/taxi", ["{city} Taxi", "Taxi {last}"]),
        ("pets/vet", ["Dyrlege {last}", "{city} Dyreklinikk"]),
        ("travel/accommodation", ["Hotell {word}", "{city} Camping"]),
    ],
    "SE": [
        ("food/cafes", ["Cafe {word}", "{last}s Bageri", "Konditori {word}"]),
        ("food/restaurants", ["Restaurang {word}", "Krog {word}"]),
        ("food/fast_food", ["{word} Pizzeria", "{word} Kebab", "Grillkiosk {word}"]),
        ("health/hair_beauty", ["Frisor {first}", "{word} Frisörsalong"]),
        ("health/dentist", ["Tandläkare {last}", "{city} Tandvård"]),
        ("transport/parking", ["{city} Parkering"]),
        ("transport/taxi", ["Taxi {city}", "{last} Taxi"]),
        ("pets/vet", ["{city} Djursjukhus", "Veterinär {last}"]),
        ("leisure/events", ["Bio {word}", "{word} Teater"]),
    ],
    "DK": [
        ("food/cafes", ["{word} Bageri", "Cafe {word}", "Konditori {last}"]),
        ("food/restaurants", ["Restaurant {word}", "Spisested {word}"]),
        ("food/fast_food", ["{word} Pizzeria", "{word} Grillbar", "Shawarma {word}"]),
        ("food/groceries", ["Købmand {last}", "{word} Kiosk"]),
        ("health/hair_beauty", ["Frisør {first}", "{word} Frisørsalon"]),
        ("health/dentist", ["Tandlæge {last}", "{city} Tandklinik"]),
        ("transport/taxi", ["{city} Taxa", "Taxi {last}"]),
        ("pets/vet", ["Dyrlæge {last}", "{city} Dyreklinik"]),
    ],
    "NL": [
        ("food/cafes", ["Bakkerij {last}", "Koffiebar {word}", "Lunchroom {word}"]),
        ("food/restaurants", ["Restaurant {word}", "Eetcafe {word}", "Brasserie {word}"]),
        ("food/fast_food", ["Snackbar {word}", "Cafetaria {word}", "Pizzeria {word}"]),
        ("food/groceries", ["Slagerij {last}", "Toko {word}", "Groenteboer {last}"]),
        ("health/hair_beauty", ["Kapsalon {first}", "Kapper {word}"]),
        ("health/dentist", ["Tandartspraktijk {last}"]),
        ("health/doctors", ["Huisartsenpraktijk {last}"]),
        ("transport/parking", ["Parkeergarage {place}"]),
        ("pets/vet", ["Dierenkliniek {city}", "Dierenarts {last}"]),
    ],
    "FR": [
        ("food/cafes", ["Boulangerie {last}", "Patisserie {word}", "Cafe {word}"]),
        ("food/restaurants", ["Restaurant {word}", "Brasserie {word}", "Bistrot {word}"]),
        ("food/fast_food", ["Kebab {word}", "Pizzeria {word}", "Tacos {word}"]),
        ("food/groceries", ["Boucherie {last}", "Epicerie {word}", "Primeur {last}"]),
        ("health/pharmacy", ["Pharmacie {word}", "Pharmacie du {place}"]),
        ("health/hair_beauty", ["Coiffure {first}", "Salon {word} Coiffeur"]),
        ("health/doctors", ["Cabinet Medical {word}", "Dr {last} Medecin"]),
        ("transport/fuel", ["Station Service {word}"]),
        ("pets/vet", ["Clinique Veterinaire {word}"]),
    ],
    "GB": [
        ("food/cafes", ["{word} Coffee", "{last}s Bakery", "{word} Cafe"]),
        ("food/restaurants", ["{word} Restaurant", "{word} Grill House"]),
        ("food/fast_food", ["{word} Takeaway", "{word} Fish and Chips", "{word} Kebab"]),
        ("food/bars", ["The {word} Arms", "{word} Pub", "The {word} Inn"]),
        ("health/hair_beauty", ["{first}s Hair Salon", "{word} Barber"]),
        ("health/dentist", ["{word} Dental", "{last} Dentist"]),
        ("transport/taxi", ["{city} Cabs", "{word} Taxis"]),
        ("pets/vet", ["{word} Vets", "{last} Veterinary"]),
    ],
}
WORDS = ["Luna", "Sonne", "Lindenhof", "Central", "Roma", "Olympia", "Bella", "Nord", "Havn",
         "Tivoli", "Paradis", "Lotus", "Aurora", "Mamma", "Dolce", "Sol", "Fjord", "Vita",
         "Rosa", "Atlas", "Bristol", "Corner", "Oak", "Victoria", "Metro", "Anker", "Kronen",
         "Mozart", "Sakura", "Istanbul", "Akropolis", "Napoli", "Jasmin", "Baltic"]
PLACES = ["Markt", "Rathaus", "Bahnhof", "Dom", "Stadtpark", "Schloss", "Torget", "Plein",
          "Centrum", "Marche", "Havnen", "Parc"]

# Public bodies, employers, landlords: (country, kind, holder, reference templates,
# type, category). {month} {mm} {yyyy} {n}.
EMPLOYERS = {
    "DE": ["Siemens AG", "Robert Bosch GmbH", "Stadt Muenchen", "Helios Kliniken GmbH",
           "Mueller Logistik GmbH", "Allgemeine Baugesellschaft mbH"],
    "NO": ["Equinor ASA", "Oslo kommune", "Aker Solutions AS", "Helse Bergen HF", "Kongsberg Gruppen"],
    "SE": ["Volvo Car Corporation", "Ericsson AB", "Region Stockholm", "Skanska Sverige AB"],
    "DK": ["Novo Nordisk A/S", "A.P. Moller - Maersk A/S", "Koebenhavns Kommune", "Vestas Wind Systems A/S"],
    "NL": ["Philips Nederland B.V.", "ASML Netherlands B.V.", "Gemeente Utrecht", "Heineken Nederland B.V."],
    "FR": ["Airbus SAS", "L'Oreal SA", "AP-HP", "Renault SAS"],
    "GB": ["NHS Trust Leeds", "Unilever UK Ltd", "BAE Systems plc", "Leeds City Council"],
}
SALARY_TEXT = {
    "DE": ["LOHN / GEHALT {mm}/{yyyy}", "Gehalt {month} {yyyy}", "Bezuege {mm}.{yyyy} PersNr {n}",
           "Entgeltabrechnung {mm}/{yyyy}"],
    "NO": ["Lønn {month}", "LONN {mm}.{yyyy}", "Lønnsutbetaling {month} {yyyy}"],
    "SE": ["LÖN {month}", "Lön {yyyy}-{mm}", "LON {month} {yyyy}"],
    "DK": ["Løn {month} {yyyy}", "LOEN {mm}-{yyyy}", "Lønoverførsel {month}"],
    "NL": ["Salaris {month} {yyyy}", "SALARIS {mm}-{yyyy} pers.nr {n}", "Loon {month}"],
    "FR": ["VIR SEPA SALAIRE {month} {yyyy}", "SALAIRE {mm}/{yyyy}", "PAIE {month}"],
    "GB": ["SALARY {month}", "PAYROLL {mm}/{yyyy}", "WAGES {month} {yyyy}"],
}
# (holder, texts, type, main/sub)
PUBLIC = {
    "DE": [
        ("Deutsche Rentenversicherung Bund", ["RV-RENTE {mm}/{yy} {n}", "Rente {month} {yyyy}"], "CREDIT", "income/pension"),
        ("Renten Service der Deutschen Post AG", ["RENTE {mm}/{yyyy} Rentenzahlung"], "CREDIT", "income/pension"),
        ("Bundesagentur fuer Arbeit - Familienkasse", ["KINDERGELD {mm}/{yyyy} KG-NR {n}"], "CREDIT", "income/child_benefit"),
        ("Bundesagentur fuer Arbeit", ["Arbeitslosengeld {month} {yyyy}", "ALG I {mm}/{yyyy}"], "CREDIT", "income/unemployment_benefit"),
        ("Finanzamt Muenchen", ["EINKOMMENSTEUER {yyyy} STNR {n}", "ESt-Vorauszahlung {mm}/{yyyy}"], "DEBIT", "taxes/income_tax"),
        ("Finanzamt Berlin", ["Erstattung Einkommensteuer {yyyy} StNr {n}"], "CREDIT", "income/tax_refund"),
        ("Stadtkasse Koeln", ["Grundsteuer {yyyy} Kassenzeichen {n}", "Grundbesitzabgaben Q{q} {yyyy}"], "DEBIT", "taxes/property_tax"),
        ("Bundeskasse", ["Kfz-Steuer {yyyy} Kennzeichen B-XY {n}"], "DEBIT", "taxes/vehicle_tax"),
        ("Bussgeldstelle Berlin", ["Verwarnungsgeld Az {n}", "Bussgeldbescheid {n}"], "DEBIT", "taxes/fines"),
        ("Stadt Leipzig", ["KITA-Beitrag {month} {yyyy}", "Elternbeitrag Kita {mm}/{yyyy}"], "DEBIT", "family/childcare"),
    ],
    "NO": [
        ("NAV", ["Alderspensjon {month}", "NAV PENSJON {mm}.{yyyy}"], "CREDIT", "income/pension"),
        ("NAV", ["Barnetrygd {month}", "BARNETRYGD {mm}/{yyyy}"], "CREDIT", "income/child_benefit"),
        ("NAV", ["Dagpenger {month}", "Sykepenger {month}"], "CREDIT", "income/unemployment_benefit"),
        ("Skatteetaten", ["Restskatt {yyyy}", "Skatteoppgjør {yyyy} restskatt"], "DEBIT", "taxes/income_tax"),
        ("Skatteetaten", ["Skatt til gode {yyyy}", "Skatteoppgjør {yyyy}"], "CREDIT", "income/tax_refund"),
        ("Oslo kommune", ["Barnehage {month} {yyyy}", "Foreldrebetaling barnehage {month}"], "DEBIT", "family/childcare"),
        ("Statens vegvesen", ["Trafikkforsikringsavgift {yyyy}"], "DEBIT", "taxes/vehicle_tax"),
    ],
    "SE": [
        ("Pensionsmyndigheten", ["Allmän pension {month}", "PENSION {yyyy}-{mm}"], "CREDIT", "income/pension"),
        ("Försäkringskassan", ["Barnbidrag {month}", "BARNBIDRAG {yyyy}-{mm}"], "CREDIT", "income/child_benefit"),
        ("Skatteverket", ["Skatteåterbäring {yyyy}", "SKATTEVERKET ATERBETALNING"], "CREDIT", "income/tax_refund"),
        ("Skatteverket", ["Kvarskatt {yyyy}", "Skattekonto {n}"], "DEBIT", "taxes/income_tax"),
        ("Stockholms stad", ["Förskoleavgift {month}", "Avgift förskola {yyyy}-{mm}"], "DEBIT", "family/childcare"),
    ],
    "DK": [
        ("Udbetaling Danmark", ["Folkepension {month}", "FOLKEPENSION {mm}-{yyyy}"], "CREDIT", "income/pension"),
        ("Udbetaling Danmark", ["Børne- og ungeydelse Q{q} {yyyy}", "BOERNEPENGE {yyyy}"], "CREDIT", "income/child_benefit"),
        ("Skattestyrelsen", ["Overskydende skat {yyyy}", "OVERSKYDENDE SKAT"], "CREDIT", "income/tax_refund"),
        ("Skattestyrelsen", ["Restskat {yyyy}", "Indbetaling restskat"], "DEBIT", "taxes/income_tax"),
        ("Koebenhavns Kommune", ["Daginstitution {month}", "Betaling vuggestue {month}"], "DEBIT", "family/childcare"),
    ],
    "NL": [
        ("Sociale Verzekeringsbank", ["AOW uitkering {month} {yyyy}", "AOW {mm}-{yyyy}"], "CREDIT", "income/pension"),
        ("Sociale Verzekeringsbank", ["Kinderbijslag Q{q} {yyyy}"], "CREDIT", "income/child_benefit"),
        ("Belastingdienst", ["Teruggaaf inkomstenbelasting {yyyy}", "Voorlopige teruggaaf {yyyy}"], "CREDIT", "income/tax_refund"),
        ("Belastingdienst", ["Aanslag inkomstenbelasting {yyyy} {n}", "Betaling aanslag {n}"], "DEBIT", "taxes/income_tax"),
        ("Gemeente Amsterdam", ["Gemeentelijke belastingen {yyyy} OZB", "Afvalstoffenheffing {yyyy}"], "DEBIT", "taxes/property_tax"),
        ("CJIB", ["Boete kenmerk {n}", "CJIB beschikking {n}"], "DEBIT", "taxes/fines"),
    ],
    "FR": [
        ("CNAV", ["RETRAITE DE BASE {month} {yyyy}", "CNAV RETRAITE {mm}/{yyyy}"], "CREDIT", "income/pension"),
        ("AGIRC-ARRCO", ["RETRAITE COMPLEMENTAIRE {mm}/{yyyy}"], "CREDIT", "income/pension"),
        ("CAF DE PARIS", ["ALLOCATIONS FAMILIALES {month}", "CAF PRESTATIONS {mm}/{yyyy}"], "CREDIT", "income/child_benefit"),
        ("DGFIP", ["IMPOT SUR LE REVENU {yyyy}", "PRELEVEMENT A LA SOURCE {mm}/{yyyy}"], "DEBIT", "taxes/income_tax"),
        ("DGFIP", ["REMBOURSEMENT IMPOT {yyyy}"], "CREDIT", "income/tax_refund"),
        ("TRESOR PUBLIC", ["TAXE FONCIERE {yyyy}"], "DEBIT", "taxes/property_tax"),
        ("ANTAI", ["AMENDE {n}", "AMENDE FORFAITAIRE {n}"], "DEBIT", "taxes/fines"),
    ],
    "GB": [
        ("DWP", ["DWP STATE PENSION {n}", "DWP SP {mm}/{yyyy}"], "CREDIT", "income/pension"),
        ("HMRC", ["HMRC CHILD BENEFIT {n}", "CHB {n}"], "CREDIT", "income/child_benefit"),
        ("HMRC", ["HMRC SELF ASSESSMENT {n}", "HMRC SA {yyyy}"], "DEBIT", "taxes/income_tax"),
        ("HMRC", ["HMRC TAX REFUND {yyyy}"], "CREDIT", "income/tax_refund"),
        ("Leeds City Council", ["COUNCIL TAX {n}", "LCC COUNCIL TAX {mm}/{yyyy}"], "DEBIT", "taxes/property_tax"),
        ("DVLA", ["DVLA VEHICLE TAX {n}", "DVLA-{n}"], "DEBIT", "taxes/vehicle_tax"),
    ],
}
LANDLORDS = {
    "DE": ["Vonovia SE", "Hausverwaltung Meier GmbH", "Wohnungsbaugenossenschaft Berlin eG"],
    "NO": ["OBOS", "Heimstaden AS", "Utleie Bakken AS"],
    "SE": ["Akelius Lägenheter AB", "Stockholmshem AB", "Heimstaden AB"],
    "DK": ["Boligselskabet Sjaelland", "Heimstaden Danmark", "KAB"],
    "NL": ["Woonstad Rotterdam", "Ymere", "Vesteda"],
    "FR": ["Paris Habitat", "Foncia", "SCI Les Lilas"],
    "GB": ["Foxtons Ltd", "Greystar", "Grainger plc"],
}
RENT_TEXT = {
    "DE": ["Miete {month} {yyyy} Whg {n2}", "MIETE {mm}/{yyyy}", "Miete inkl. NK {month}"],
    "NO": ["Husleie {month}", "HUSLEIE {mm}.{yyyy}", "Husleie {month} leil {n2}"],
    "SE": ["Hyra {month}", "HYRA {yyyy}-{mm}", "Hyresavi {n}"],
    "DK": ["Husleje {month}", "HUSLEJE {mm}-{yyyy}", "Husleje lejl {n2}"],
    "NL": ["Huur {month} {yyyy}", "HUUR {mm}-{yyyy}", "Huurpenningen {month}"],
    "FR": ["LOYER {month} {yyyy}", "VIR LOYER {mm}/{yyyy}", "Loyer appartement {month}"],
    "GB": ["RENT {month}", "RENT {mm}/{yyyy} FLAT {n2}", "Monthly rent {month}"],
}
# The consumer's banks: (brand name, holder, country); fees, interest, loans, ATM.
BANKS = {
    "DE": [("Sparkasse", "Sparkasse KoelnBonn"), ("Deutsche Bank", "Deutsche Bank AG"),
           ("Commerzbank", "Commerzbank AG"), ("ING", "ING-DiBa AG")],
    "NO": [("DNB", "DNB Bank ASA"), ("Nordea", "Nordea Bank Abp filial i Norge"),
           ("SpareBank 1", "SpareBank 1 Ostlandet")],
    "SE": [("Swedbank", "Swedbank AB"), ("Handelsbanken", "Svenska Handelsbanken AB"),
           ("SEB", "Skandinaviska Enskilda Banken AB")],
    "DK": [("Danske Bank", "Danske Bank A/S"), ("Jyske Bank", "Jyske Bank A/S"),
           ("Nordea", "Nordea Danmark")],
    "NL": [("ING", "ING Bank N.V."), ("ABN AMRO", "ABN AMRO Bank N.V."), ("Rabobank", "Rabobank")],
    "FR": [("BNP Paribas", "BNP Paribas"), ("Société Générale", "Societe Generale"),
           ("Crédit Agricole", "Credit Agricole")],
    "GB": [("Barclays", "Barclays Bank UK PLC"), ("HSBC", "HSBC UK Bank plc"),
           ("Lloyds Bank", "Lloyds Bank plc")],
}
FEE_TEXT = {
    "DE": ["Kontofuehrungsentgelt {mm}/{yyyy}", "Entgelt Kontopaket {month}", "Rechnungsabschluss {q}. Quartal"],
    "NO": ["Gebyr {month} {yyyy}", "Kontoholdsgebyr {month}", "GEBYR KONTO"],
    "SE": ["Kontoavgift {month}", "Månadsavgift bankpaket", "AVGIFT BANKKORT"],
    "DK": ["Kontogebyr {month}", "Gebyr {month} {yyyy}", "BANKGEBYR"],
    "NL": ["Kosten betaalpakket {month}", "Kosten rekening {mm}-{yyyy}", "KOSTEN BETAALREKENING"],
    "FR": ["FRAIS TENUE DE COMPTE {mm}/{yyyy}", "COTISATION CARTE {yyyy}", "FRAIS BANCAIRES"],
    "GB": ["MONTHLY ACCOUNT FEE", "ACCOUNT FEE {month}", "OVERDRAFT FEE {month}"],
}
FEE_CATEGORY = {"COTISATION CARTE {yyyy}": "fees/card", "OVERDRAFT FEE {month}": "fees/interest_charges"}
INTEREST_TEXT = {
    "DE": ["Zinsen {q}. Quartal {yyyy}", "Habenzinsen {yyyy}"],
    "NO": ["Renter {q}. kvartal {yyyy}", "Kreditrenter {yyyy}"],
    "SE": ["Ränta {yyyy}", "Inlåningsränta {yyyy}"],
    "DK": ["Renter {yyyy}", "Rente {q}. kvartal"],
    "NL": ["Rente {q}e kwartaal {yyyy}", "Creditrente {yyyy}"],
    "FR": ["INTERETS CREDITEURS {yyyy}", "INTERETS LIVRET A {yyyy}"],
    "GB": ["INTEREST PAID {month}", "CREDIT INTEREST {yyyy}"],
}
LOAN_TEXT = {
    "DE": [("Tilgung Darlehen {n}", "loans/consumer_loans"), ("Baufinanzierung Rate {mm}/{yyyy}", "loans/mortgage")],
    "NO": [("Terminbeløp lån {n}", "loans/consumer_loans"), ("Boliglån {month}", "loans/mortgage")],
    "SE": [("Amortering lån {n}", "loans/consumer_loans"), ("Bolån {month} ränta och amortering", "loans/mortgage")],
    "DK": [("Afdrag lån {n}", "loans/consumer_loans"), ("Boliglån termin {q}", "loans/mortgage")],
    "NL": [("Aflossing lening {n}", "loans/consumer_loans"), ("Hypotheek {month}", "loans/mortgage")],
    "FR": [("ECHEANCE PRET {n}", "loans/consumer_loans"), ("ECHEANCE PRET IMMOBILIER {mm}/{yyyy}", "loans/mortgage")],
    "GB": [("LOAN REPAYMENT {n}", "loans/consumer_loans"), ("MORTGAGE PAYMENT {month}", "loans/mortgage")],
}
ATM_TEXT = {
    "DE": ["GA NR{n8} BLZ{n8} {d1} {dd}.{mm}/{hh}.{mi}", "Bargeldauszahlung {city} {dd}.{mm}", "Geldautomat {city} {dd}.{mm}.{yyyy}"],
    "NO": ["Minibank {city} {dd}.{mm}", "Kontantuttak {city}", "MINIBANK {dd}.{mm} {city}"],
    "SE": ["UTTAG {city} {yy}{mm}{dd}", "Bankomat {city}", "Kontantuttag {city} {yyyy}-{mm}-{dd}"],
    "DK": ["Hævning {city} {dd}.{mm}", "Kontanthævning {city}", "HAEVEAUTOMAT {city}"],
    "NL": ["Geldautomaat {city} {dd}-{mm}-{yyyy}", "GEA {city} pas {n3}", "Geldmaat {city}"],
    "FR": ["RETRAIT DAB {dd}/{mm} {city}", "RETRAIT DAB {city} CARTE {n4}", "RET DAB {dd}/{mm}"],
    "GB": ["CASH {city} {dd}{mon}", "ATM WITHDRAWAL {city}", "CASH WITHDRAWAL {city} {dd}/{mm}"],
}
OWN_TEXT = {
    "DE": ["Uebertrag auf Sparkonto", "Umbuchung Tagesgeld", "Übertrag Girokonto", "Eigenuebertrag"],
    "NO": ["Overføring til sparekonto", "Overføring egen konto", "Til sparing"],
    "SE": ["Överföring till sparkonto", "Överföring eget konto", "Till sparkonto"],
    "DK": ["Overførsel til opsparing", "Overførsel egen konto", "Til opsparingskonto"],
    "NL": ["Naar spaarrekening", "Overboeking eigen rekening", "Van spaarrekening"],
    "FR": ["VIR INTERNE VERS LIVRET A", "VIREMENT COMPTE A COMPTE", "VIR VERS LIVRET"],
    "GB": ["TRANSFER TO SAVINGS", "INTERNAL TRANSFER", "TO SAVINGS ACCOUNT"],
}
CARD_SETTLE_TEXT = {
    "DE": "Kreditkartenabrechnung {mm}/{yyyy}", "NO": "Faktura kredittkort {month}",
    "SE": "Kreditkortsfaktura {month}", "DK": "Kreditkort opgørelse {month}",
    "NL": "Creditcard afrekening {month}", "FR": "RELEVE CARTE DE CREDIT {mm}/{yyyy}",
    "GB": "CREDIT CARD PAYMENT {month}",
}
P2P_TEXT = {
    "DE": ["Danke", "Essen gestern", "Pizza", "Kino", "Geburtstag {first}", "Anteil Urlaub",
           "Rückzahlung", "fuer Konzertkarten", "WG Einkauf", "", "Tankgeld", "Geschenk Mama"],
    "NO": ["Takk for middag", "Middag", "Pizza", "Kino", "Bursdag {first}", "Hytta", "Lån",
           "Takk", "", "Felles gave", "Taxi hjem"],
    "SE": ["Tack", "Middag", "Pizza", "Bio", "Födelsedag {first}", "Hyra stugan", "Lunch",
           "", "Present", "Resa"],
    "DK": ["Tak", "Middag", "Pizza", "Biograf", "Fødselsdag {first}", "Sommerhus", "Frokost",
           "", "Gave", "Taxi"],
    "NL": ["Bedankt", "Etentje", "Pizza", "Bioscoop", "Verjaardag {first}", "Weekendje weg",
           "Boodschappen", "", "Cadeau", "Tikkie"],
    "FR": ["Merci", "Resto", "Pizza", "Cine", "Anniversaire {first}", "Vacances", "Courses",
           "", "Cadeau"],
    "GB": ["Thanks", "Dinner", "Pizza", "Cinema", "Birthday {first}", "Holiday", "Drinks",
           "", "Gift", "Tickets"],
}
DD_TEXT = {
    "telecom": {"DE": ["Rechnung {mm}/{yyyy} Kd-Nr. {n}", "Mobilfunk Rechnung {month}"],
                "NO": ["Faktura {month} kundenr {n}", "Mobilabonnement {month}"],
                "SE": ["Faktura {yyyy}-{mm}", "Mobilabonnemang {month}"],
                "DK": ["Regning {month} kundenr {n}", "Abonnement {month}"],
                "NL": ["Factuur {month} klantnr {n}", "Abonnement {mm}-{yyyy}"],
                "FR": ["FACTURE {mm}/{yyyy} N CLIENT {n}", "FORFAIT {month}"],
                "GB": ["BILL {month} ACC {n}", "MONTHLY BILL"]},
    "utilities": {"DE": ["Abschlag {month} Vertragskonto {n}", "Strom Abschlag {mm}/{yyyy}"],
                  "NO": ["Faktura strøm {month}", "Nettleie {month}"],
                  "SE": ["Elräkning {month}", "Faktura el {yyyy}-{mm}"],
                  "DK": ["El aconto {month}", "Forbrug {month}"],
                  "NL": ["Termijnbedrag energie {month}", "Voorschot {mm}-{yyyy}"],
                  "FR": ["ECHEANCE {month} CONTRAT {n}", "FACTURE ENERGIE {mm}/{yyyy}"],
                  "GB": ["ENERGY DD {n}", "ACCOUNT {n} {month}"]},
    "insurance": {"DE": ["Beitrag {mm}/{yyyy} Vertrag {n}", "Versicherungsbeitrag {month}"],
                  "NO": ["Forsikring {month} avtale {n}", "Premie {yyyy}"],
                  "SE": ["Försäkring {month}", "Premie {yyyy} avtal {n}"],
                  "DK": ["Forsikring {month} police {n}", "Præmie {yyyy}"],
                  "NL": ["Premie {month} polis {n}", "Verzekering {mm}-{yyyy}"],
                  "FR": ["COTISATION {month} CONTRAT {n}", "ASSURANCE {mm}/{yyyy}"],
                  "GB": ["POLICY {n} {month}", "INSURANCE PREMIUM {month}"]},
    "default": {"DE": ["Rechnung {n}", "Beitrag {month} {yyyy}", "Abo {mm}/{yyyy} Kd {n}"],
                "NO": ["Faktura {n}", "Avtale {n} {month}"],
                "SE": ["Faktura {n}", "Avgift {month}"],
                "DK": ["Regning {n}", "Betaling {month}"],
                "NL": ["Factuur {n}", "Incasso {month} {yyyy}"],
                "FR": ["FACTURE {n}", "ECHEANCE {month}"],
                "GB": ["REF {n}", "{month} PAYMENT"]},
}
REFUND_TEXT = {
    "DE": ["Erstattung Bestellung {n}", "Gutschrift Retoure {n}", "Rueckzahlung {n}", "{stem} Erstattung"],
    "NO": ["Refusjon ordre {n}", "Retur {n}", "{stem} refusjon"],
    "SE": ["Återbetalning order {n}", "Retur {n}", "{stem} återköp"],
    "DK": ["Refusion ordre {n}", "Returnering {n}", "{stem} tilbagebetaling"],
    "NL": ["Terugbetaling bestelling {n}", "Retour {n}", "{stem} restitutie"],
    "FR": ["REMBOURSEMENT COMMANDE {n}", "AVOIR {stem} {n}", "REMB {stem}"],
    "GB": ["REFUND {stem} {n}", "{stem} RETURN", "REFUND ORDER {n}"],
}


@dataclass(frozen=True)
class Merchant:
    kind: str
    name: str
    country: str
    category: str
    channels: str
    forms: tuple[str, ...]
    legal: str


def read_merchants(path: Path = MERCHANTS_FILE) -> list[Merchant]:
    merchants = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, name, country, category, channels, forms, legal = line.split("|")
        merchants.append(Merchant(kind, name, country, category, channels,
                                  tuple(f.strip() for f in forms.split(";") if f.strip()),
                                  legal.strip()))
    return merchants


class Noise:
    """The noise model: everything random goes through one Random."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    def alnum(self, n: int) -> str:
        return "".join(self.rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))

    def date_parts(self) -> dict[str, str]:
        rng = self.rng
        month = rng.randint(1, 12)
        day = rng.randint(1, 28)
        year = rng.choice([2024, 2025])
        return {"dd": f"{day:02d}", "mm": f"{month:02d}", "yyyy": str(year), "yy": str(year)[2:],
                "hh": f"{rng.randint(7, 22):02d}", "mi": f"{rng.randint(0, 59):02d}",
                "mon": MON3[month - 1], "q": str((month - 1) // 3 + 1), "month_index": month}

    def fill(self, template: str, country: str, **extra: str) -> str:
        parts = self.date_parts()
        month = MONTHS[country][int(parts.pop("month_index")) - 1]
        values = {**parts, "month": month, "n": self.digits(self.rng.choice([6, 8, 10])),
                  "n2": self.digits(2), "n3": self.digits(3), "n4": self.digits(4),
                  "n8": self.digits(8), "d1": self.digits(1),
                  "city": self.rng.choice(CITIES[country]),
                  "first": self.rng.choice(FIRST[country]), **extra}
        return template.format(**values)

    def spelling(self, text: str) -> str:
        """Umlauts and other letters as banks print them: kept, transliterated or stripped."""
        if text.isascii():
            return text
        choice = self.rng.random()
        if choice < 0.2:
            return text
        if choice < 0.6:
            table = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "ss",
                     "å": "aa", "Å": "AA", "ø": "oe", "Ø": "OE", "æ": "ae", "Æ": "AE"}
            return "".join(table.get(c, c) for c in text)
        stripped = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O")
                                         .replace("æ", "ae").replace("Æ", "AE"))
        return "".join(c for c in stripped if not unicodedata.combining(c))

    def case(self, text: str) -> str:
        choice = self.rng.random()
        if choice < 0.6:
            return text.upper()
        if choice < 0.9:
            return text
        return text.lower()

    def cut(self, text: str) -> str:
        """Card networks keep 22 or 25 characters of the merchant name."""
        if self.rng.random() < 0.3:
            return text[: self.rng.choice([22, 25])]
        return text

    def glued(self, text: str, limit: int) -> str:
        """A name the way PayPal and friends print it: spaces and punctuation dropped, cut."""
        squashed = "".join(c for c in text if c.isalnum())
        return squashed[:limit] if self.rng.random() < 0.7 else squashed

    def stem(self, merchant: Merchant) -> str:
        """A store or card stem of the merchant (not a web domain)."""
        stems = [f for f in merchant.forms if "." not in f or " " in f] or list(merchant.forms)
        return self.spelling(self.rng.choice(stems))

    def domain(self, merchant: Merchant) -> str | None:
        domains = [f for f in merchant.forms if "." in f and " " not in f]
        return self.rng.choice(domains) if domains else None


# --------------------------------------------------------------------- descriptor templates


def card_line(noise: Noise, country: str, stem: str) -> str:
    rng = noise.rng
    stem = noise.cut(noise.case(stem))
    city = rng.choice(CITIES[country])
    p = noise.date_parts()
    templates = {
        "DE": [f"{stem} {city}", f"{stem} SAGT DANKE {noise.digits(5)}", f"{stem} {noise.digits(4)} {city}",
               f"{stem}//{city}/DE", f"Kartenzahlung {stem} {city}",
               f"{stem} FIL.{noise.digits(4)} {city}",
               f"{stem}, {city} {p['yyyy']}-{p['mm']}-{p['dd']}T{p['hh']}:{p['mi']}:00 KFN 1 VJ 2712",
               f"VISA {stem} {city} DE"],
        "NO": [f"{p['dd']}.{p['mm']} {stem} {city}",
               f"*{noise.digits(4)} {p['dd']}.{p['mm']} NOK {rng.randint(20, 900)},{noise.digits(2)} {stem} Kurs: 1.0000",
               f"Varekjøp {stem} {city} betal dato {p['yyyy']}-{p['mm']}-{p['dd']}",
               f"VISA {noise.digits(6)}XXXXXX{noise.digits(4)} {p['dd']}.{p['mm']} {stem}", f"{stem} {city}"],
        "SE": [f"{stem} {city}", f"KORTKÖP {p['yy']}{p['mm']}{p['dd']} {stem}", f"{stem}/{p['yy']}-{p['mm']}-{p['dd']}",
               f"{stem} {noise.digits(4)} {city}"],
        "DK": [f"{stem} {city}", f"Visa/Dankort {stem} {city}", f"Dankort-nota {stem} {noise.digits(5)}",
               f"{stem} Notanr {noise.digits(6)}", f"{stem} {noise.digits(4)} {city}"],
        "NL": [f"BEA, Betaalpas {stem},PAS{noise.digits(3)} NR:{noise.alnum(8)}, {p['dd']}.{p['mm']}.{p['yy']}/{p['hh']}:{p['mi']} {city}",
               f"BEA, Apple Pay {stem},PAS{noise.digits(3)} NR:{noise.alnum(8)} {city}",
               f"{stem} {city} NLD", f"Betaalautomaat {p['hh']}:{p['mi']} pasnr. {noise.digits(3)} {stem}"],
        "FR": [f"CB {stem} {p['dd']}{p['mm']}", f"CARTE X{noise.digits(4)} {p['dd']}/{p['mm']} {stem} {city}",
               f"PAIEMENT CB {p['dd']}{p['mm']} {city} {stem}",
               f"FACTURE CARTE DU {p['dd']}{p['mm']}{p['yy']} {stem} CARTE 4974XXXXXXXX{noise.digits(4)}"],
        "GB": [f"{stem} {city} GB", f"CARD PAYMENT TO {stem} ON {p['dd']} {p['mon']}", f"{stem} {city}",
               f"CONTACTLESS {stem} {city} GB", f"{stem} {noise.digits(4)} {city}"],
    }
    return rng.choice(templates[country])


def online_line(noise: Noise, country: str, merchant: Merchant) -> str:
    rng = noise.rng
    domain = noise.domain(merchant)
    stem = noise.case(noise.stem(merchant))
    options = [f"{stem}*{noise.alnum(6)}", f"{stem} {noise.alnum(8)}", f"{stem} {country}"]
    if domain:
        options += [noise.case(domain), f"WWW.{domain.upper()}", f"{domain.upper()} {noise.digits(10)}",
                    f"{noise.case(domain)} {country}"]
    line = rng.choice(options)
    if rng.random() < 0.25:
        line = card_line(noise, country, line) if country != "NL" else f"{line} {country}"
    return line


INTERMEDIARY_TERMINAL = [("SumUp", "SUMUP *{s}"), ("SumUp", "SumUp  *{s}"), ("Zettle", "ZETTLE_*{s}"),
                         ("Zettle", "IZ *{s}"), ("Square", "SQ *{s}")]


def terminal_line(noise: Noise, country: str, name: str) -> tuple[str, str]:
    via, template = noise.rng.choice(INTERMEDIARY_TERMINAL)
    stem = noise.case(noise.spelling(name))
    if noise.rng.random() < 0.5:
        stem = noise.glued(stem, 20)
    line = template.format(s=stem)
    if noise.rng.random() < 0.5:
        line = f"{line} {noise.rng.choice(CITIES[country])}"
    return line, via


def paypal_line(noise: Noise, country: str, merchant: Merchant) -> tuple[str, str, str | None]:
    """(reference, intermediary, holder) of a PayPal or Klarna payment."""
    rng = noise.rng
    stem = noise.stem(merchant)
    if rng.random() < 0.65:
        glued = noise.glued(stem.upper(), rng.choice([12, 15, 20]))
        options = [f"PAYPAL *{glued}", f"PAYPAL *{glued} {noise.digits(11)}", f"PP*{noise.digits(4)}CODE {stem.upper()}",
                   f"PP.{noise.digits(4)}.PP . {stem}, Ihr Einkauf bei {stem}"]
        holder = "PayPal Europe S.a.r.l. et Cie S.C.A" if rng.random() < 0.5 else None
        return rng.choice(options), "PayPal", holder
    options = [f"KLARNA*{stem.upper()}", f"Klarna {stem} order {noise.digits(9)}", f"{stem} via Klarna"]
    holder = "Klarna Bank AB" if rng.random() < 0.5 else None
    return rng.choice(options), "Klarna", holder


WALLET = {"NO": ("Vipps", ["VIPPS*{s}", "Vipps: {s}", "Vipps {s} {n}"]),
          "DK": ("MobilePay", ["MobilePay {s}", "MOBILEPAY*{s}", "MobilePay køb {s}"]),
          "SE": ("Swish", ["Swish {s}", "SWISH BETALNING {s}", "Swish handel {s}"])}


def wallet_line(noise: Noise, country: str, name: str) -> tuple[str, str] | None:
    if country not in WALLET:
        return None
    via, templates = WALLET[country]
    stem = noise.case(noise.spelling(name))
    return noise.rng.choice(templates).format(s=stem, n=noise.digits(8)), via


def direct_debit(noise: Noise, country: str, merchant_category: str, legal: str,
                 stem: str) -> tuple[str, dict]:
    """(reference, bank transaction code) of a direct debit or e-invoice."""
    rng = noise.rng
    main = merchant_category.split("/")[0]
    texts = DD_TEXT.get(main, DD_TEXT["default"])[country]
    text = noise.fill(rng.choice(texts), country)
    if rng.random() < 0.4:
        text = f"{stem} {text}"
    mandate = f"{noise.alnum(3)}{noise.digits(9)}"
    templates = {
        "DE": [f"SEPA-LASTSCHRIFT {text} Mandatsref. {mandate} Glaeubiger-ID DE{noise.digits(2)}ZZZ{noise.digits(11)}",
               f"{text} EREF: {noise.digits(12)} MREF: {mandate} CRED: DE{noise.digits(2)}ZZZ{noise.digits(11)}",
               f"Lastschrift {legal} {text}"],
        "NO": [f"AvtaleGiro {legal} {text}", f"eFaktura {legal} KID {noise.digits(12)}", f"{text}"],
        "SE": [f"AUTOGIRO {legal.upper()} {text}", f"Autogiro {text}", f"BG {noise.digits(7)} {text}"],
        "DK": [f"BS {legal} {noise.digits(8)} {text}", f"Betalingsservice {legal} {text}", f"{text}"],
        "NL": [f"SEPA Incasso algemeen doorlopend Incassant: NL{noise.digits(2)}ZZZ{noise.digits(12)} Naam: {legal} Machtiging: {mandate} Omschrijving: {text} IBAN: NL{noise.digits(2)}INGB{noise.digits(10)}",
               f"{legal} {text}"],
        "FR": [f"PRLV SEPA {legal.upper()} : {text} ICS : FR{noise.digits(2)}ZZZ{noise.digits(6)} RUM : {mandate}",
               f"PRLV {legal.upper()} {text}"],
        "GB": [f"DIRECT DEBIT {legal.upper()} {text}", f"DD {legal.upper()} {noise.digits(8)}", f"{text}"],
    }
    code = rng.choice([None, None, {"code": "PMNT", "sub_code": "RDDT", "description": "Direct debit"},
                       {"code": "DDBT", "sub_code": "DirectDebit"}])
    return rng.choice(templates[country]), code


# --------------------------------------------------------------------- record assembly


def transaction(noise: Noise, country: str, reference: str, type_: str, method: str | None,
                holder: str | None = None, code: dict | None = None, amount: int | None = None,
                address_country: bool = False) -> dict:
    rng = noise.rng
    txn: dict = {"reference": reference, "type": type_,
                 "amount": {"amount": amount if amount is not None else rng.randint(150, 25000),
                            "currency": CURRENCY[country]}}
    if method is not None and rng.random() > 0.1:
        txn["method"] = method
    elif rng.random() < 0.5:
        txn["method"] = "UNKNOWN"
    if holder:
        txn["counter_party"] = {"holder_name": holder}
        if address_country and rng.random() < 0.5:
            txn["counter_party"]["holder_address"] = {"country": country}
    if rng.random() < 0.2:
        txn["bank_references"] = {"unstructured": reference}
    if code is not None:
        txn["bank_transaction_code"] = code
    elif method == "CARD" and rng.random() < 0.3:
        txn["bank_transaction_code"] = rng.choice(
            [{"code": "PMNT", "sub_code": "CardPayment"}, {"code": "CCRD", "sub_code": "POSD"},
             {"code": "PMNT", "sub_code": "CCRD", "description": "Card payment"}])
    return txn


def expected(category: str, brand: str | None, via: str | None = None) -> dict:
    main, _, sub = category.partition("/")
    return {"brand": brand, "via": via, "main": main, "sub": category if sub else None}


def brand_records(noise: Noise, merchant: Merchant) -> list[tuple[str, dict, dict]]:
    """(channel, transaction, expected) for one merchant of the ground truth."""
    rng = noise.rng
    country = merchant.country
    brand = merchant.name if merchant.kind == "brand" else None
    out: list[tuple[str, dict, dict]] = []
    channels = list(merchant.channels.replace("r", ""))
    count = 6 if merchant.kind == "brand" else 3
    for _ in range(count):
        channel = rng.choice(channels)
        holder = None
        if channel == "c":
            reference = card_line(noise, country, noise.stem(merchant))
            if rng.random() < 0.35:
                holder = noise.spelling(rng.choice([merchant.legal, noise.stem(merchant)]))
            out.append(("card", transaction(noise, country, reference, "DEBIT", "CARD", holder,
                                            address_country=True), expected(merchant.category, brand)))
        elif channel == "o":
            reference = online_line(noise, country, merchant)
            if rng.random() < 0.3:
                holder = noise.spelling(merchant.legal)
            out.append(("online", transaction(noise, country, reference, "DEBIT", "CARD", holder),
                        expected(merchant.category, brand)))
        elif channel == "d":
            stem = noise.case(noise.stem(merchant))
            reference, code = direct_debit(noise, country, merchant.category,
                                           noise.spelling(merchant.legal), stem)
            holder = noise.spelling(merchant.legal) if rng.random() < 0.8 else None
            out.append(("direct_debit", transaction(noise, country, reference, "DEBIT",
                                                    "DIRECT_DEBIT", holder, code),
                        expected(merchant.category, brand)))
        elif channel == "t":
            reference, via = terminal_line(noise, country, noise.stem(merchant))
            out.append(("terminal", transaction(noise, country, reference, "DEBIT", "CARD"),
                        expected(merchant.category, brand, via)))
        elif channel == "p":
            reference, via, holder = paypal_line(noise, country, merchant)
            out.append(("paypal_klarna", transaction(noise, country, reference, "DEBIT",
                                                     rng.choice(["CARD", "DIRECT_DEBIT"]), holder),
                        expected(merchant.category, brand, via)))
        elif channel == "v":
            found = wallet_line(noise, country, noise.stem(merchant))
            if found is not None:
                out.append(("wallet", transaction(noise, country, found[0], "DEBIT", "TRANSFER"),
                            expected(merchant.category, brand, found[1])))
    if "r" in merchant.channels:
        stem = noise.case(noise.stem(merchant))
        text = noise.fill(rng.choice(REFUND_TEXT[country]), country, stem=stem)
        holder = noise.spelling(merchant.legal) if rng.random() < 0.6 else None
        reference = text if holder or stem.lower() in text.lower() else f"{stem} {text}"
        out.append(("refund", transaction(noise, country, reference, "CREDIT",
                                          rng.choice(["CARD", "TRANSFER"]), holder),
                    expected("refunds/purchase_refunds", brand)))
    return out


def local_merchants(noise: Noise) -> list[Merchant]:
    rng = noise.rng
    merchants = []
    for country, groups in LOCAL.items():
        for category, templates in groups:
            for template in templates:
                for _ in range(2):
                    name = template.format(last=rng.choice(LAST[country]), first=rng.choice(FIRST[country]),
                                           city=rng.choice(CITIES[country]).title(),
                                           word=rng.choice(WORDS), place=rng.choice(PLACES))
                    merchants.append(Merchant("local", name, country, category,
                                              "cct" + ("v" if country in WALLET else ""),
                                              (name,), name))
    return merchants


def person(noise: Noise, country: str) -> str:
    return f"{noise.rng.choice(FIRST[country])} {noise.rng.choice(LAST[country])}"


def institution_records(noise: Noise) -> list[tuple[str, str, dict, dict]]:
    """(country, channel, transaction, expected) of salaries, public bodies, banks, people."""
    rng = noise.rng
    out: list[tuple[str, str, dict, dict]] = []
    sala = {"code": "PMNT", "sub_code": "RCDT", "description": "Salary"}
    for country in CURRENCY:
        for _ in range(14):  # salaries
            holder = rng.choice(EMPLOYERS[country])
            text = noise.fill(rng.choice(SALARY_TEXT[country]), country)
            code = rng.choice([None, None, {"code": "PMNT-RCDT-SALA"}, {"code": "SALA", "sub_code": "SalaryPayment"}, sala])
            out.append((country, "salary", transaction(noise, country, text, "CREDIT", "TRANSFER", holder, code,
                                                       amount=rng.randint(180000, 650000)),
                        expected("income/salary", None)))
        for holder, texts, type_, category in PUBLIC[country]:
            for _ in range(5):
                text = noise.fill(rng.choice(texts), country)
                out.append((country, "public", transaction(noise, country, text, type_, "TRANSFER", holder),
                            expected(category, None)))
        for _ in range(10):  # rent
            holder = rng.choice(LANDLORDS[country] + [person(noise, country)])
            text = noise.fill(rng.choice(RENT_TEXT[country]), country)
            out.append((country, "rent", transaction(noise, country, text, "DEBIT",
                                                     rng.choice(["TRANSFER", "STANDING_ORDER"]), holder),
                        expected("housing/rent", None)))
        for brand, holder in BANKS[country]:
            for _ in range(2):
                template = rng.choice(FEE_TEXT[country])
                category = FEE_CATEGORY.get(template, "fees/bank")
                out.append((country, "bank_fee", transaction(noise, country, noise.fill(template, country), "DEBIT",
                                                             None, holder, amount=rng.randint(100, 1500)),
                            expected(category, brand)))
            out.append((country, "interest", transaction(noise, country, noise.fill(rng.choice(INTEREST_TEXT[country]), country),
                                                         "CREDIT", None, holder, amount=rng.randint(1, 5000)),
                        expected("income/interest_income", brand)))
            template, category = rng.choice(LOAN_TEXT[country])
            out.append((country, "loan", transaction(noise, country, noise.fill(template, country), "DEBIT",
                                                     "DIRECT_DEBIT", holder),
                        expected(category, brand)))
        for _ in range(8):  # ATM
            text = noise.fill(rng.choice(ATM_TEXT[country]), country)
            code = rng.choice([None, None, {"code": "CWDL", "sub_code": "CashWithdrawal"}])
            out.append((country, "atm", transaction(noise, country, text, "DEBIT", rng.choice(["CASH", "CARD"]), None, code,
                                                    amount=rng.choice([2000, 5000, 10000, 20000])),
                        expected("cash/atm", None)))
        owner = person(noise, country)
        for _ in range(8):  # own accounts
            text = rng.choice(OWN_TEXT[country])
            type_ = "CREDIT" if any(w in text.lower() for w in ("van ", "from")) else rng.choice(["DEBIT", "CREDIT"])
            out.append((country, "own_transfer", transaction(noise, country, text, type_, "TRANSFER",
                                                             owner if rng.random() < 0.6 else None),
                        expected("transfers/own_accounts", None)))
        for _ in range(3):
            out.append((country, "card_settlement", transaction(noise, country, noise.fill(CARD_SETTLE_TEXT[country], country),
                                                                "DEBIT", "DIRECT_DEBIT", owner),
                        expected("loans/credit_card", None)))
        for _ in range(40):  # people
            name = person(noise, country)
            text = noise.fill(rng.choice(P2P_TEXT[country]), country)
            type_ = rng.choice(["DEBIT", "CREDIT"])
            wallet = WALLET.get(country)
            if wallet is not None and rng.random() < 0.4:
                via, templates = wallet
                line = rng.choice(templates).format(s=name, n=noise.digits(8))
                reference = f"{line} {text}".strip()
                out.append((country, "p2p_wallet", transaction(noise, country, reference, type_, "TRANSFER",
                                                               name if rng.random() < 0.5 else None),
                            expected("transfers/people", None, via)))
            else:
                out.append((country, "p2p", transaction(noise, country, text, type_, "TRANSFER", noise.spelling(name)),
                            expected("transfers/people", None)))
    return out


def build(seed: int, merchants_file: Path = MERCHANTS_FILE) -> list[dict]:
    """The labeled rows for `seed` from the ground truth in `merchants_file`."""
    noise = Noise(seed)
    rows: list[dict] = []
    merchants = read_merchants(merchants_file)
    for merchant in merchants + local_merchants(noise):
        for channel, txn, exp in brand_records(noise, merchant):
            rows.append({"country": merchant.country, "kind": merchant.kind, "channel": channel,
                         "merchant": merchant.name, "transaction": txn, "expected": exp})
    for country, channel, txn, exp in institution_records(noise):
        kind = "person" if channel.startswith("p2p") else "institution"
        rows.append({"country": country, "kind": kind, "channel": channel,
                     "merchant": (txn.get("counter_party") or {}).get("holder_name"),
                     "transaction": txn, "expected": exp})
    noise.rng.shuffle(rows)
    for number, row in enumerate(rows):
        row["id"] = f"e{seed % 100000:05d}-{number:05d}"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--merchants", type=Path, default=MERCHANTS_FILE,
                        help="ground truth file (default: enrichment_merchants.txt)")
    args = parser.parse_args()
    rows = build(args.seed, args.merchants)
    with args.out.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {len(rows)} labeled descriptors to {args.out}")


if __name__ == "__main__":
    main()
