"""Categorization rules that do not depend on a brand: keywords, bank transaction codes, method.

Keywords are phrases in German, Norwegian, Swedish, Danish, Dutch, French and English (pattern
syntax of `matcher`: ``*`` at the end of the last word for a prefix, at the start of a one-word
keyword for a suffix, which is how compounds like ``Hausratversicherung`` are caught). Each
category's keywords carry

* a direction: the keywords count only for DEBIT or only for CREDIT transactions, or for both;
* a strength: 3 for words that say what kind of transaction it is whatever the counterparty
  (salary, pension, refund, tax, loan instalment, reminder fee, transfer between own
  accounts); 2 for words that name what was paid for (rent, electricity, insurance, parking);
  1 for words that name a kind of shop (bakery, pharmacy, restaurant), which also appear in
  payments between people (``Pizza``, ``Kino``) and so never beat the person rule.

Bank transaction codes: `code` and `sub_code` (ISO 20022 domain/family/sub-family codes such as
``PMNT-RCDT-SALA``, their spelled-out names such as ``SalaryPayment``, or German GVC numbers)
are split into words; the first word with a meaning below decides. `description` is read only
when both are missing, because banks fill it with generic sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers.domain.enrichment.text import tokens

__all__ = [
    "BANK_CODES",
    "KEYWORDS",
    "KeywordRule",
    "bank_code_words",
    "could_be_between_people",
    "keyword_rules",
]

DEBIT, CREDIT = "DEBIT", "CREDIT"


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """A keyword's category, the direction it applies to (None: both) and its strength."""

    category: str
    direction: str | None
    strength: int


# category key -> (direction, strength, {language: "phrase, phrase, ..."}); a key may end in
# "#label" to give a second group of keywords of the same category another strength.
KEYWORDS: dict[str, tuple[str | None, int, dict[str, str]]] = {
    # ---------------------------------------------------------------- income
    "income/salary": (CREDIT, 3, {
        "de": "gehalt, *gehalt, gehalt*, lohn, *lohn, lohn gehalt, bezüge, dienstbezüge, "
              "entgeltabrechnung, gehaltszahlung, lohnzahlung, vergütung, arbeitsentgelt, "
              "weihnachtsgeld, urlaubsgeld",
        "no": "lønn, *lønn, lønn*, lønnsutbetaling, feriepenger, honorar",
        "sv": "lön, *lön, löneutbetalning, semesterersättning",
        "da": "løn, *løn, lønoverførsel, løn*, feriepenge",
        "nl": "salaris, *salaris, loon, loonbetaling, vakantiegeld, salarisbetaling",
        "fr": "salaire, salaires, virement salaire, paie, rémunération",
        "en": "salary, payroll, wages, paycheck, paycheque, pay slip",
    }),
    "income/pension": (CREDIT, 3, {
        "de": "rentenzahlung, *rente, renten service, rentenservice, rentenversicherung, "
              "deutsche rentenversicherung, drv, versorgungsbezüge, betriebsrente, "
              "altersrente, rv rente, postrente",
        "no": "pensjon, *pensjon, pensjon*, alderspensjon, tjenestepensjon, klp, "
              "statens pensjonskasse, spk",
        "sv": "pension, *pension, pensionsmyndigheten, allmän pension, tjänstepension, amf",
        "da": "pension, *pension, folkepension, atp livslang pension, udbetaling danmark pension",
        "nl": "pensioen, *pensioen, aow, pensioenfonds, abp, pfzw",
        "fr": "retraite, pension retraite, cnav, carsat, agirc arrco, assurance retraite",
        "en": "pension, state pension, annuity",
    }),
    "income/child_benefit": (CREDIT, 3, {
        "de": "kindergeld, familienkasse, kinderzuschlag",
        "no": "barnetrygd, kontantstøtte",
        "sv": "barnbidrag",
        "da": "børnepenge, børne og ungeydelse, børnecheck",
        "nl": "kinderbijslag, kindgebonden budget",
        "fr": "allocations familiales, caf allocations, caf, prestations familiales, prestations caf",
        "en": "child benefit",
    }),
    "income/unemployment_benefit": (CREDIT, 3, {
        "de": "arbeitslosengeld, agentur für arbeit, bundesagentur für arbeit, jobcenter, "
              "bürgergeld, alg",
        "no": "dagpenger, arbeidsavklaringspenger, aap",
        "sv": "a kassa ersättning, arbetslöshetsersättning, aktivitetsstöd",
        "da": "dagpenge, a kasse udbetaling",
        "nl": "ww uitkering, uwv, werkloosheidsuitkering",
        "fr": "pôle emploi, france travail, allocation chômage",
        "en": "jobseeker, unemployment benefit",
    }),
    "income/sickness_parental_benefit": (CREDIT, 3, {
        "de": "krankengeld, elterngeld, mutterschaftsgeld",
        "no": "sykepenger, foreldrepenger, svangerskapspenger, nav utbetaling, nav",
        "sv": "föräldrapenning, sjukpenning, försäkringskassan",
        "da": "sygedagpenge, barselsdagpenge",
        "nl": "ziektewet uitkering, zwangerschapsverlof uitkering",
        "fr": "indemnités journalières, congé maternité",
        "en": "statutory sick pay, maternity pay, sickness benefit",
    }),
    "income/social_benefits": (CREDIT, 3, {
        "de": "wohngeld, sozialhilfe, grundsicherung, sozialamt",
        "no": "bostøtte, husbanken, sosialhjelp, økonomisk sosialhjelp",
        "sv": "bostadsbidrag, försörjningsstöd",
        "da": "boligstøtte, kontanthjælp, boligydelse",
        "nl": "huurtoeslag, zorgtoeslag, toeslagen, bijstand",
        "fr": "aide au logement, apl, rsa, prime d activité",
        "en": "universal credit, housing benefit, dwp",
    }),
    "income/student_support": (CREDIT, 3, {
        "de": "bafög, stipendium",
        "no": "stipend, studielån utbetaling, lånekassen utbetaling",
        "sv": "studiemedel, studiebidrag",
        "da": "su udbetaling, statens uddannelsesstøtte",
        "nl": "studiefinanciering",
        "fr": "bourse crous, bourse d études",
        "en": "student finance, maintenance loan, scholarship",
    }),
    "income/tax_refund": (CREDIT, 3, {
        "de": "steuererstattung, finanzamt, einkommensteuererstattung, erstattung finanzamt",
        "no": "skatteoppgjør, skatt til gode, skatteetaten, tilgodebeløp skatt",
        "sv": "skatteåterbäring, skatteverket, skatteverket återbetalning",
        "da": "overskydende skat, skattestyrelsen, skat udbetaling",
        "nl": "belastingdienst, teruggaaf inkomstenbelasting, belastingteruggave",
        "fr": "remboursement impôt, dgfip, impots gouv, trésor public",
        "en": "hmrc, tax refund, tax rebate",
    }),
    "income/interest_income": (CREDIT, 3, {
        "de": "zinsen, habenzinsen, zinsgutschrift, zinsertrag",
        "no": "renter, rente, kreditrente, kreditrenter, *renter, renteinntekt, innskuddsrente, sparerente",
        "sv": "ränta, inlåningsränta, räntor",
        "da": "renter, rente, indlånsrente",
        "nl": "rente, creditrente, rentebijschrijving",
        "fr": "intérêts, intérêts créditeurs, interets livret",
        "en": "interest, interest paid, credit interest",
    }),
    "income/investment_income": (CREDIT, 3, {
        "de": "dividende, ausschüttung, ertragsausschüttung",
        "no": "utbytte, aksjeutbytte",
        "sv": "utdelning, aktieutdelning",
        "da": "udbytte",
        "nl": "dividend, dividenduitkering",
        "fr": "dividende, dividendes",
        "en": "dividend, dividends",
    }),
    "income/rental_income": (CREDIT, 3, {
        "de": "mieteinnahme, mieteinnahmen",
        "no": "leieinntekt, husleie inn",
        "sv": "hyresintäkt",
        "da": "lejeindtægt",
        "nl": "huurinkomsten",
        "fr": "revenus locatifs",
        "en": "rental income",
    }),
    "income/sales": (CREDIT, 2, {
        "de": "verkaufserlös, auszahlung verkauf",
        "no": "utbetaling salg",
        "sv": "utbetalning försäljning",
        "da": "udbetaling salg",
        "nl": "uitbetaling verkoop",
        "fr": "virement vente",
        "en": "payout, seller payout",
    }),
    # ---------------------------------------------------------------- refunds
    "refunds/purchase_refunds": (CREDIT, 2, {
        "de": "rückerstattung, erstattung, gutschrift retoure, retoure, storno, stornierung, "
              "rückzahlung, rücküberweisung, rückbuchung, erstattet",
        "no": "refusjon, tilbakebetaling, retur, kreditnota, tilbakeføring, refundert",
        "sv": "återbetalning, retur, kreditering, återköp",
        "da": "refusion, tilbagebetaling, returnering, kreditnota, tilbageførsel",
        "nl": "terugbetaling, restitutie, retour, terugstorting, creditnota",
        "fr": "remboursement, avoir, rembt, annulation",
        "en": "refund, return, reversal, refunded, chargeback",
    }),
    "refunds/expense_reimbursements": (CREDIT, 3, {
        "de": "reisekosten, reisekostenerstattung, spesen, auslagenerstattung, auslagen",
        "no": "utlegg, reiseregning, utleggsrefusjon",
        "sv": "utlägg, reseräkning",
        "da": "udlæg, rejseafregning",
        "nl": "declaratie, onkostenvergoeding, reiskostenvergoeding",
        "fr": "note de frais, remboursement frais",
        "en": "expenses claim, expense reimbursement, reimbursement",
    }),
    "refunds/insurance_payouts": (CREDIT, 3, {
        "de": "schadensregulierung, schadenzahlung, leistungsabrechnung, versicherungsleistung",
        "no": "erstatning, skadeutbetaling, forsikringsoppgjør",
        "sv": "ersättning, skadeersättning, skadereglering",
        "da": "erstatning, skadeudbetaling",
        "nl": "schade uitkering, schadevergoeding, vergoeding zorgkosten",
        "fr": "indemnisation, remboursement cpam, remboursement mutuelle, cpam",
        "en": "claim payment, insurance claim, claim settlement",
    }),
    # ---------------------------------------------------------------- housing
    "housing/rent": (DEBIT, 2, {
        "de": "miete, *miete, mietzahlung, kaltmiete, warmmiete, wohnungsmiete, "
              "nutzungsgebühr wohnung, hausverwaltung, wohnungsbaugenossenschaft, "
              "wohnungsgenossenschaft, vonovia",
        "no": "husleie, *husleie, leie leilighet, depositum, boligutleie",
        "sv": "hyra, *hyra, hyran, hyresavi, hyresvärd, bostadsbolag",
        "da": "husleje, *husleje, boligudlejning, boligforening husleje",
        "nl": "huur, *huur, huurpenningen, kale huur, woningcorporatie, woonstichting",
        "fr": "loyer, loyers, quittance loyer, bailleur",
        "en": "rent, monthly rent, rent payment, landlord, letting agent",
    }),
    "housing/service_charges": (DEBIT, 2, {
        "de": "hausgeld, nebenkosten, nebenkostenabrechnung, betriebskosten, weg hausgeld",
        "no": "felleskostnader, felleskost, fellesutgifter, borettslag, sameie, *borettslag, "
              "*sameie",
        "sv": "månadsavgift brf, avgift brf, brf, bostadsrättsförening",
        "da": "fællesudgifter, andelsboligforening, ejerforening, boligafgift",
        "nl": "vve, vve bijdrage, servicekosten",
        "fr": "charges de copropriété, syndic, charges locatives",
        "en": "service charge, ground rent, management company",
    }),
    "housing/repairs": (DEBIT, 2, {
        "de": "handwerker, sanitär, heizungsbau, elektroinstallation, malerbetrieb, "
              "dachdecker, schlüsseldienst, tischlerei, schreinerei",
        "no": "rørlegger, elektriker, snekker, håndverker, maler as, taktekker, låsesmed",
        "sv": "rörmokare, elektriker, hantverkare, snickare, målare, låssmed",
        "da": "vvs, tømrer, håndværker, elektriker, maler, låsesmed",
        "nl": "loodgieter, aannemer, schilder, klusbedrijf, installatiebedrijf, slotenmaker",
        "fr": "plombier, électricien, artisan, serrurier, menuisier",
        "en": "plumber, electrician, handyman, locksmith, roofing",
    }),
    "housing/security": (DEBIT, 2, {
        "de": "alarmanlage, sicherheitsdienst", "no": "boligalarm, alarm abonnement",
        "sv": "hemlarm, larmabonnemang", "da": "tyverialarm", "nl": "alarmsysteem",
        "fr": "télésurveillance", "en": "home alarm, alarm monitoring",
    }),
    "housing/household_services": (DEBIT, 2, {
        "de": "reinigungsservice, haushaltshilfe, gebäudereinigung, putzfrau, putzhilfe",
        "no": "vaskehjelp, renhold, rengjøring",
        "sv": "städning, hemstädning, städfirma, städ",
        "da": "rengøring, rengøringshjælp",
        "nl": "schoonmaak, schoonmaakbedrijf, huishoudelijke hulp",
        "fr": "ménage, femme de ménage, nettoyage",
        "en": "cleaning service, cleaner, house cleaning",
    }),
    # ---------------------------------------------------------------- utilities
    "utilities/electricity": (DEBIT, 2, {
        "de": "strom, strom*, stromabschlag, abschlag strom, stadtwerke, "
              "energieversorgung, energie abschlag, ökostrom, stromkosten",
        "no": "strøm, strøm*, strømregning, nettleie, kraft as, energi as, elektrisitet",
        "sv": "elräkning, elnät, elavtal, elförbrukning, elhandel, elbolag",
        "da": "elregning, elselskab, el aconto, elforbrug, el og gas",
        "nl": "stroom, elektriciteit, energie termijnbedrag, energierekening, energie voorschot",
        "fr": "électricité, facture électricité, énergie",
        "en": "electricity, energy bill, power bill",
    }),
    "utilities/heating": (DEBIT, 2, {
        "de": "gas abschlag, gasabschlag, erdgas, fernwärme, heizöl, heizkosten, gasversorgung",
        "no": "fjernvarme, fyringsolje, varmepumpe",
        "sv": "fjärrvärme, eldningsolja",
        "da": "fjernvarme, varmeregning, naturgas, gasregning",
        "nl": "gas termijn, stadsverwarming, warmtenet",
        "fr": "gaz, facture gaz, fioul, chauffage",
        "en": "gas bill, heating oil, district heating",
    }),
    "utilities/water": (DEBIT, 2, {
        "de": "wasser, abwasser, wasserversorgung, wassergeld, trinkwasser, wasserwerk",
        "no": "vann og avløp, kommunale avgifter, vannavgift",
        "sv": "vatten och avlopp, va avgift, vattenavgift",
        "da": "vandafgift, vandværk, vandregning, forsyning",
        "nl": "waterbedrijf, waterschapsbelasting, drinkwater, waterrekening",
        "fr": "facture eau, eau potable, service des eaux",
        "en": "water bill, water rates, sewerage",
    }),
    "utilities/waste": (DEBIT, 2, {
        "de": "abfallgebühr, müllabfuhr, abfallwirtschaft, müllgebühr, abfall",
        "no": "renovasjon, avfallsgebyr, renovasjonsgebyr",
        "sv": "sophämtning, avfallsavgift, renhållning",
        "da": "renovation, affaldsgebyr, affald",
        "nl": "afvalstoffenheffing, reinigingsheffing",
        "fr": "ordures ménagères, teom, collecte déchets",
        "en": "waste collection, bin collection",
    }),
    "utilities/broadcasting_fee": (DEBIT, 2, {
        "de": "rundfunkbeitrag, rundfunk, gez, beitragsnummer",
        "no": "nrk lisens, kringkastingsavgift", "sv": "radio och tv avgift",
        "da": "medielicens", "nl": "omroepbijdrage", "fr": "redevance audiovisuelle",
        "en": "tv licence",
    }),
    # ---------------------------------------------------------------- telecom
    "telecom/mobile": (DEBIT, 2, {
        "de": "mobilfunk, mobilfunkrechnung, handyrechnung, handyvertrag, prepaid aufladung, "
              "guthabenaufladung, handy",
        "no": "mobilabonnement, mobilregning, mobil abonnement, mobiltelefon, taletid",
        "sv": "mobilabonnemang, mobilräkning, kontantkort, mobiltelefoni",
        "da": "mobilabonnement, mobilregning, taletidskort",
        "nl": "mobiel abonnement, beltegoed, sim only, telefoonrekening mobiel",
        "fr": "forfait mobile, recharge mobile, téléphonie mobile",
        "en": "mobile phone, phone bill, top up, airtime",
    }),
    "telecom/internet": (DEBIT, 2, {
        "de": "dsl, glasfaser, internet, breitband, internetanschluss, kabelinternet",
        "no": "bredbånd, fiber, internett, bredbånd*",
        "sv": "bredband, fiber, internet",
        "da": "bredbånd, internet, fibernet",
        "nl": "glasvezel, internet, breedband",
        "fr": "fibre, box internet, internet",
        "en": "broadband, fibre, internet",
    }),
    "telecom/landline": (DEBIT, 2, {
        "de": "festnetz, telefonanschluss", "no": "fasttelefon", "sv": "fast telefoni",
        "da": "fastnet", "nl": "vaste telefonie", "fr": "téléphone fixe", "en": "landline",
    }),
    "telecom/cable_tv": (DEBIT, 2, {
        "de": "kabelfernsehen, kabelanschluss, tv anschluss", "no": "kabel tv, tv abonnement",
        "sv": "kabel tv, tv paket", "da": "tv pakke, kabel tv", "nl": "tv pakket, kabeltelevisie",
        "fr": "bouquet tv", "en": "cable tv, satellite tv",
    }),
    # ---------------------------------------------------------------- subscriptions
    "subscriptions/tv_streaming": (DEBIT, 2, {
        "de": "streaming abo, videostreaming", "no": "strømmetjeneste",
        "sv": "streamingtjänst", "da": "streamingtjeneste", "nl": "streamingdienst",
        "fr": "abonnement streaming", "en": "streaming subscription, video streaming",
    }),
    "subscriptions/music_streaming": (DEBIT, 2, {
        "de": "hörbuch, musikstreaming", "no": "lydbok, lydbøker", "sv": "ljudbok, ljudböcker",
        "da": "lydbog, lydbøger", "nl": "luisterboek", "fr": "livre audio",
        "en": "audiobook, music subscription",
    }),
    "subscriptions/software": (DEBIT, 2, {
        "de": "software, lizenz, webhosting, domain", "no": "programvare, lisens",
        "sv": "programvara, licens", "da": "software, licens", "nl": "software, licentie",
        "fr": "logiciel, licence", "en": "software, license, licence, subscription software, "
                                      "cloud storage, hosting, vpn",
    }),
    "subscriptions/news": (DEBIT, 2, {
        "de": "zeitung, zeitschrift, abo zeitung, tageszeitung, zeitungsabo, digitalabo, verlag",
        "no": "avisabonnement, tidsskrift, magasin abonnement",
        "sv": "tidning, prenumeration, dagstidning",
        "da": "avisabonnement, dagblad",
        "nl": "krant, abonnement krant, tijdschrift, dagblad",
        "fr": "journal, abonnement presse, magazine",
        "en": "newspaper, magazine subscription, news subscription",
    }),
    "subscriptions/apps_games": (DEBIT, 2, {
        "de": "in app kauf, app store", "no": "app kjøp", "sv": "appköp", "da": "app køb",
        "nl": "in app aankoop", "fr": "achat intégré", "en": "in app purchase, app store, "
                                                             "game credits",
    }),
    # ---------------------------------------------------------------- food
    "food/groceries": (DEBIT, 1, {
        "de": "supermarkt, lebensmittel, getränkemarkt, biomarkt, hofladen, wochenmarkt, "
              "markthalle, metzgerei, fleischerei, kiosk, spätkauf, späti, feinkost, *markt",
        "no": "dagligvare, dagligvarer, matbutikk, kolonial, nærbutikk, slakter, fiskebutikk",
        "sv": "livsmedel, matbutik, mataffär, närbutik, livs, saluhall",
        "da": "dagligvarer, købmand, supermarked, slagter, fiskehandler, kiosk",
        "nl": "supermarkt, slager, slagerij, groenteboer, toko, kaasboer, avondwinkel, markt",
        "fr": "supermarché, épicerie, boucherie, primeur, supérette, marché, alimentation, "
              "fromagerie, hypermarché",
        "en": "supermarket, grocery, groceries, butcher, greengrocer, off licence, "
              "convenience store, food store",
    }),
    "food/restaurants": (DEBIT, 1, {
        "de": "restaurant, gaststätte, gasthaus, gasthof, wirtshaus, trattoria, ristorante, "
              "osteria, brauhaus, biergarten, steakhaus, sushi, taverna, mensa, kantine",
        "no": "restaurant, restaurang, spiseri, kantine",
        "sv": "restaurang, krog, lunchrestaurang, matsal",
        "da": "restaurant, spisested, kantine",
        "nl": "restaurant, eetcafe, brasserie, eethuis",
        "fr": "restaurant, brasserie, bistrot, bistro, crêperie, resto",
        "en": "restaurant, restaurants, diner, grill house, grillhouse, steakhouse, canteen",
    }),
    "food/cafes": (DEBIT, 1, {
        "de": "café, cafe, kaffee, bäckerei, backhaus, backstube, konditorei, eiscafe, "
              "eisdiele, *bäckerei, *backshop",
        "no": "kafé, kafe, kaffebar, bakeri, *bakeri, konditori",
        "sv": "kafé, kafe, café, bageri, *bageri, konditori, fik",
        "da": "café, cafe, bageri, *bageri, konditori, kaffebar",
        "nl": "koffie, bakkerij, *bakkerij, banketbakker, lunchroom, koffiebar",
        "fr": "café, boulangerie, pâtisserie, salon de thé",
        "en": "coffee, cafe, bakery, coffee shop, tea room",
    }),
    "food/fast_food": (DEBIT, 1, {
        "de": "imbiss, döner, doener, kebab, pizzeria, pizza, burger, currywurst, "
              "pommes, snackbar, asia imbiss, *imbiss",
        "no": "gatekjøkken, kebab, pizza, burger, grillbar",
        "sv": "gatukök, kebab, pizzeria, pizza, hamburgare, grillkiosk",
        "da": "pølsevogn, grillbar, pizzeria, pizza, burger, shawarma",
        "nl": "snackbar, cafetaria, frituur, shoarma, pizzeria, pizza, burger, friettent",
        "fr": "kebab, pizzeria, pizza, burger, snack, tacos, sandwicherie",
        "en": "takeaway, take away, kebab, pizza, burger, chippy, fish and chips, fast food",
    }),
    "food/food_delivery": (DEBIT, 2, {
        "de": "lieferdienst, essenslieferung", "no": "matlevering, hjemlevering mat",
        "sv": "matleverans, hemleverans", "da": "madlevering", "nl": "maaltijdbezorging",
        "fr": "livraison repas", "en": "food delivery, meal delivery",
    }),
    "food/bars": (DEBIT, 1, {
        "de": "bar, kneipe, pub, cocktailbar, lounge, club, diskothek, weinbar, bierbar",
        "no": "bar, pub, utested, nattklubb, vinbar",
        "sv": "bar, pub, nattklubb, vinbar",
        "da": "bar, værtshus, pub, natklub, vinbar, bodega",
        "nl": "kroeg, bar, café bar, cafe bar, nachtclub, proeflokaal",
        "fr": "bar, pub, boîte de nuit, bar à vin",
        "en": "bar, *bar, pub, *pub, nightclub, wine bar, tavern, inn, arms",
    }),
    "food/alcohol": (DEBIT, 1, {
        "de": "weinhandlung, spirituosen, weinhaus", "no": "polet",
        "sv": "bolaget", "da": "vinhandel", "nl": "slijterij, wijnhandel",
        "fr": "cave à vin, caviste", "en": "wine shop, liquor store, bottle shop",
    }),
    # ---------------------------------------------------------------- shopping
    "shopping/clothes": (DEBIT, 1, {
        "de": "mode, modehaus, bekleidung, boutique, textil, herrenmode, damenmode",
        "no": "klær, klesbutikk, mote",
        "sv": "kläder, klädbutik, mode",
        "da": "tøj, tøjbutik, mode",
        "nl": "kleding, mode, modehuis, kledingwinkel",
        "fr": "vêtements, prêt à porter, boutique mode",
        "en": "clothing, fashion, apparel, boutique",
    }),
    "shopping/shoes": (DEBIT, 1, {
        "de": "schuhe, schuhhaus, schuhgeschäft, *schuhe", "no": "sko, skobutikk",
        "sv": "skor, skobutik", "da": "sko, skobutik", "nl": "schoenen, schoenwinkel",
        "fr": "chaussures", "en": "shoes, footwear, shoe shop",
    }),
    "shopping/electronics": (DEBIT, 1, {
        "de": "elektronik, elektromarkt, computer, handyshop", "no": "elektronikk, databutikk",
        "sv": "elektronik, hemelektronik", "da": "elektronik", "nl": "elektronica",
        "fr": "électronique, informatique", "en": "electronics, computer store",
    }),
    "shopping/home": (DEBIT, 1, {
        "de": "möbel, möbelhaus, einrichtung, wohnen, küchenstudio, *möbel, haushaltswaren",
        "no": "møbler, interiør, møbelbutikk",
        "sv": "möbler, inredning, heminredning",
        "da": "møbler, boligindretning, isenkræmmer",
        "nl": "meubels, meubelzaak, woonwinkel, interieur",
        "fr": "meubles, ameublement, décoration",
        "en": "furniture, homeware, home store",
    }),
    "shopping/diy_garden": (DEBIT, 1, {
        "de": "baumarkt, *baumarkt, gartencenter, gärtnerei, baustoffe, eisenwaren",
        "no": "byggevare, byggevarehus, hagesenter, jernvare",
        "sv": "byggvaruhus, bygghandel, plantskola, järnhandel",
        "da": "byggemarked, trælast, planteskole, havecenter",
        "nl": "bouwmarkt, tuincentrum, ijzerwaren, bouwmaterialen",
        "fr": "bricolage, jardinerie, quincaillerie",
        "en": "diy store, hardware store, garden centre, builders merchant",
    }),
    "shopping/sports": (DEBIT, 1, {
        "de": "sportartikel, sportgeschäft, fahrradladen, radsport", "no": "sportsbutikk, sport",
        "sv": "sportbutik, sportaffär", "da": "sportsbutik, cykelhandler",
        "nl": "sportwinkel, fietsenwinkel, rijwielhandel", "fr": "articles de sport, cycles",
        "en": "sports shop, bike shop, outdoor store",
    }),
    "shopping/books": (DEBIT, 1, {
        "de": "buchhandlung, bücher, schreibwaren, *buchhandlung", "no": "bokhandel, bøker",
        "sv": "bokhandel, böcker", "da": "boghandel, bøger", "nl": "boekhandel, boeken",
        "fr": "librairie, papeterie", "en": "bookshop, bookstore, books, stationery",
    }),
    "shopping/toys_baby": (DEBIT, 1, {
        "de": "spielwaren, spielzeug, babyausstattung", "no": "leker, lekebutikk",
        "sv": "leksaker", "da": "legetøj", "nl": "speelgoed, babywinkel",
        "fr": "jouets", "en": "toys, toy shop, baby store",
    }),
    "shopping/marketplaces": (DEBIT, 1, {
        "de": "onlineshop, online shop, versandhandel, bestellung", "no": "nettbutikk, netthandel",
        "sv": "nätbutik, webbshop", "da": "webshop, netbutik", "nl": "webwinkel, bestelling",
        "fr": "boutique en ligne, commande", "en": "online store, webshop, order",
    }),
    "shopping/department_stores": (DEBIT, 1, {
        "de": "kaufhaus, warenhaus", "no": "varehus, kjøpesenter", "sv": "varuhus",
        "da": "stormagasin, varehus", "nl": "warenhuis", "fr": "grand magasin",
        "en": "department store, pound shop",
    }),
    "shopping/jewellery": (DEBIT, 1, {
        "de": "juwelier, schmuck, uhren", "no": "gullsmed, smykker", "sv": "guldsmed, smycken",
        "da": "guldsmed, smykker", "nl": "juwelier, sieraden", "fr": "bijouterie, horlogerie",
        "en": "jeweller, jewellery, jewelry",
    }),
    "shopping/gifts_flowers": (DEBIT, 1, {
        "de": "blumen, blumenladen, floristik, blumenhaus, geschenkartikel",
        "no": "blomster, blomsterbutikk, gavebutikk", "sv": "blommor, blomsterhandel",
        "da": "blomster, blomsterhandel", "nl": "bloemen, bloemist, bloemenwinkel",
        "fr": "fleuriste, fleurs", "en": "florist, flowers, gift shop",
    }),
    "shopping/second_hand": (DEBIT, 1, {
        "de": "second hand, gebrauchtwaren, flohmarkt", "no": "bruktbutikk, loppemarked",
        "sv": "second hand, loppis", "da": "genbrug, genbrugsbutik, loppemarked",
        "nl": "kringloop, kringloopwinkel, tweedehands", "fr": "friperie, dépôt vente, occasion",
        "en": "charity shop, thrift store, second hand",
    }),
    # ---------------------------------------------------------------- health & beauty
    "health/pharmacy": (DEBIT, 1, {
        "de": "apotheke, *apotheke, apotheken", "no": "apotek, *apotek, apotek*",
        "sv": "apotek, apoteket", "da": "apotek, *apotek", "nl": "apotheek, *apotheek",
        "fr": "pharmacie, pharma", "en": "pharmacy, chemist",
    }),
    "health/drugstore": (DEBIT, 1, {
        "de": "drogerie, parfümerie, kosmetik, *drogerie", "no": "parfymeri, kosmetikk",
        "sv": "parfymeri, kosmetik", "da": "parfumeri, materialist, kosmetik",
        "nl": "drogisterij, parfumerie, drogist", "fr": "parfumerie, cosmétiques, droguerie",
        "en": "drugstore, perfumery, cosmetics",
    }),
    "health/doctors": (DEBIT, 2, {
        "de": "arztpraxis, praxis dr, hausarzt, facharzt, klinik, krankenhaus, "
              "privatärztliche, arztrechnung, *klinik, ärztehaus, mvz",
        "no": "legesenter, legekontor, lege, legevakt, egenandel, sykehus, klinikk",
        "sv": "vårdcentral, läkare, vårdavgift, patientavgift, sjukhus, klinik",
        "da": "læge, lægehus, lægeklinik, hospital, klinik",
        "nl": "huisarts, huisartsenpraktijk, ziekenhuis, kliniek, eigen risico",
        "fr": "médecin, docteur, cabinet médical, clinique, hôpital, consultation",
        "en": "doctor, gp surgery, medical centre, clinic, hospital, nhs",
    }),
    "health/dentist": (DEBIT, 2, {
        "de": "zahnarzt, zahnarztpraxis, zahnklinik, kieferorthopäde, zahnärzte",
        "no": "tannlege, tannklinikk, tannhelse", "sv": "tandläkare, tandvård, tandklinik",
        "da": "tandlæge, tandklinik", "nl": "tandarts, tandartspraktijk, orthodontist",
        "fr": "dentiste, cabinet dentaire, orthodontiste", "en": "dentist, dental",
    }),
    "health/opticians": (DEBIT, 1, {
        "de": "optiker, augenoptik, brillen", "no": "optiker, briller", "sv": "optiker, glasögon",
        "da": "optiker, briller", "nl": "opticien, brillen", "fr": "opticien, lunettes",
        "en": "optician, opticians, eyewear",
    }),
    "health/therapy": (DEBIT, 2, {
        "de": "physiotherapie, krankengymnastik, ergotherapie, psychotherapie, osteopathie, "
              "heilpraktiker, logopädie",
        "no": "fysioterapi, fysioterapeut, psykolog, kiropraktor, naprapat, osteopat",
        "sv": "sjukgymnast, fysioterapi, psykolog, kiropraktor, naprapat",
        "da": "fysioterapi, fysioterapeut, psykolog, kiropraktor",
        "nl": "fysiotherapie, fysiotherapeut, psycholoog, oefentherapie",
        "fr": "kinésithérapeute, kiné, ostéopathe, psychologue",
        "en": "physiotherapy, physio, therapist, psychologist, chiropractor, osteopath",
    }),
    "health/hair_beauty": (DEBIT, 1, {
        "de": "friseur, friseure, frisör, friseursalon, barbershop, barbier, nagelstudio, "
              "kosmetikstudio, massage, *friseur",
        "no": "frisør, frisørsalong, hudpleie, negler, massasje, barber",
        "sv": "frisör, frisörsalong, hudvård, naglar, massage, barberare",
        "da": "frisør, frisørsalon, neglesalon, massage, barber, skønhedsklinik",
        "nl": "kapper, kapsalon, nagelstudio, schoonheidssalon, barbier, massage",
        "fr": "coiffeur, coiffure, salon de beauté, esthétique, onglerie, barbier",
        "en": "hairdresser, barber, hair salon, beauty salon, nail salon, spa, massage",
    }),
    # ---------------------------------------------------------------- transport
    "transport/public_transport": (DEBIT, 2, {
        "de": "fahrkarte, fahrschein, monatskarte, verkehrsbetriebe, nahverkehr, "
              "verkehrsverbund, *verkehrsbetriebe, busfahrt, ubahn, straßenbahn",
        "no": "billett, periodebillett, kollektivtrafikk, månedskort, trikk, bussbillett",
        "sv": "biljett, månadskort, kollektivtrafik, lokaltrafik, *trafiken, reskassa",
        "da": "rejsekort, buskort, pendlerkort, togbillet, bus billet",
        "nl": "ov chipkaart, openbaar vervoer, ov reis, ov kaart",
        "fr": "transport en commun, ticket métro, abonnement transport",
        "en": "bus fare, travelcard, contactless travel, tram ticket, metro ticket, underground",
    }),
    "transport/trains": (DEBIT, 2, {
        "de": "bahnticket, fernbus, zugticket, bahncard", "no": "togbillett", "sv": "tågbiljett",
        "da": "togbillet", "nl": "treinkaartje, treinreis", "fr": "billet de train",
        "en": "train ticket, rail ticket, railway, coach ticket",
    }),
    "transport/taxi": (DEBIT, 2, {
        "de": "taxi, taxi*, taxiruf, taxizentrale, *taxi", "no": "taxi, drosje, *taxi", "sv": "taxi, *taxi",
        "da": "taxa, taxi, *taxi", "nl": "taxi, *taxi, taxicentrale", "fr": "taxi, vtc, *taxi",
        "en": "taxi, taxis, cab, cabs, minicab, *taxi, ride",
    }),
    "transport/fuel": (DEBIT, 2, {
        "de": "tankstelle, tanken, kraftstoff, *tankstelle, *tankstellen",
        "no": "bensinstasjon, drivstoff, bensin, diesel", "sv": "bensinstation, drivmedel, bensin",
        "da": "tankstation, benzin, brændstof", "nl": "tankstation, brandstof, benzine, *tankstation",
        "fr": "station service, carburant, station essence, stationservice",
        "en": "petrol, petrol station, fuel, filling station, service station",
    }),
    "transport/ev_charging": (DEBIT, 2, {
        "de": "ladestation, laden elektroauto, ladesäule, ladevorgang, ladepunkt",
        "no": "ladestasjon, elbillading, lading elbil, hurtiglader",
        "sv": "laddstation, laddning elbil, laddplats", "da": "ladestander, opladning elbil",
        "nl": "laadpaal, laadsessie, snellader", "fr": "recharge véhicule électrique, borne de recharge",
        "en": "ev charging, charging session, charge point",
    }),
    "transport/parking": (DEBIT, 2, {
        "de": "parkhaus, parkplatz, parkgebühr, parkschein, parken, tiefgarage, *parkhaus, "
              "parkticket, parkautomat",
        "no": "parkering, *parkering, parkeringsavgift, p hus, parkeringshus",
        "sv": "parkering, *parkering, parkeringsavgift, p hus, parkeringsautomat",
        "da": "parkering, *parkering, parkeringsafgift, p hus, parkeringskælder",
        "nl": "parkeren, parkeergarage, parkeerautomaat, parkeerkosten, parkeervergunning",
        "fr": "parking, stationnement, horodateur",
        "en": "parking, car park, pay and display, parking charge",
    }),
    "transport/tolls": (DEBIT, 2, {
        "de": "maut, vignette, autobahngebühr", "no": "bompenger, bomstasjon, bompengeselskap",
        "sv": "trängselskatt, vägtull, infrastrukturavgift, broavgift",
        "da": "bropenge, broafgift, bizz", "nl": "tol, tolweg, tunnel tol",
        "fr": "péage, autoroute", "en": "toll, road toll, congestion charge, dart charge",
    }),
    "transport/car_rental": (DEBIT, 2, {
        "de": "autovermietung, mietwagen, carsharing, car sharing", "no": "bilutleie, leiebil, bildeling",
        "sv": "biluthyrning, hyrbil, bilpool", "da": "biludlejning, lejebil, delebil",
        "nl": "autoverhuur, huurauto, autodelen", "fr": "location voiture, location de voiture, autopartage",
        "en": "car hire, car rental, rental car, car sharing",
    }),
    "transport/car_service": (DEBIT, 2, {
        "de": "autowerkstatt, kfz werkstatt, werkstatt, autohaus, reifenservice, reifenwechsel, "
              "hauptuntersuchung, waschanlage, autowäsche, *werkstatt",
        "no": "bilverksted, verksted, dekkhotell, dekkskift, eu kontroll, bilvask, bilpleie",
        "sv": "bilverkstad, verkstad, däckbyte, bilbesiktning, besiktning, biltvätt",
        "da": "autoværksted, værksted, dækskifte, synshal, bilvask",
        "nl": "garage, autobedrijf, apk keuring, bandenservice, autowasstraat",
        "fr": "garage, contrôle technique, pneus, lavage auto, carrosserie",
        "en": "garage, car service, mot test, tyres, car wash, body shop",
    }),
    "transport/micromobility": (DEBIT, 2, {
        "de": "e scooter, leihrad, bikesharing", "no": "elsparkesykkel, bysykkel",
        "sv": "elsparkcykel, hyrcykel", "da": "elløbehjul, bycykel", "nl": "deelfiets, deelscooter",
        "fr": "trottinette, vélo en libre service", "en": "e scooter, bike hire, scooter ride",
    }),
    # ---------------------------------------------------------------- travel
    "travel/flights": (DEBIT, 2, {
        "de": "flug, flugticket, fluggesellschaft, airline, airlines, *airlines",
        "no": "flyreise, flybillett, flyselskap, airlines", "sv": "flygresa, flygbiljett, flyg",
        "da": "flybillet, flyrejse", "nl": "vliegticket, vlucht, luchtvaartmaatschappij",
        "fr": "billet d avion, vol, compagnie aérienne", "en": "airline, airlines, airways, flight",
    }),
    "travel/accommodation": (DEBIT, 2, {
        "de": "hotel, *hotel, pension, ferienwohnung, übernachtung, jugendherberge, hostel, "
              "gasthof zimmer, ferienhaus, campingplatz",
        "no": "hotell, *hotell, overnatting, hytteutleie, camping, vandrerhjem",
        "sv": "hotell, *hotell, vandrarhem, stugby, camping",
        "da": "hotel, *hotel, sommerhusudlejning, vandrerhjem, camping",
        "nl": "hotel, *hotel, vakantiehuis, vakantiepark, camping, hostel",
        "fr": "hôtel, hotel, gîte, chambre d hôte, camping, auberge",
        "en": "hotel, hostel, guest house, holiday cottage, campsite",
    }),
    "travel/package_holidays": (DEBIT, 2, {
        "de": "reisebüro, pauschalreise, reiseveranstalter, urlaubsreise", "no": "reisebyrå, pakkereise",
        "sv": "resebyrå, charterresa", "da": "rejsebureau, charterrejse", "nl": "reisbureau, pakketreis",
        "fr": "agence de voyage, voyage organisé", "en": "travel agent, package holiday",
    }),
    "travel/ferries": (DEBIT, 2, {
        "de": "fähre, fährticket, kreuzfahrt", "no": "ferje, hurtigbåt, cruise",
        "sv": "färja, båtbiljett, kryssning", "da": "færge, færgebillet",
        "nl": "veerboot, veerpont, cruise", "fr": "ferry, traversée, croisière",
        "en": "ferry, cruise",
    }),
    # ---------------------------------------------------------------- leisure
    "leisure/fitness": (DEBIT, 2, {
        "de": "fitnessstudio, fitness, sportverein, *fitness, yoga, schwimmbad, hallenbad, "
              "kletterhalle, tennisclub, golfclub",
        "no": "treningssenter, trening, idrettslag, svømmehall, klatresenter, yoga, golfklubb",
        "sv": "gym, träning, idrottsförening, simhall, klätterhall, yoga, golfklubb",
        "da": "fitnesscenter, træning, idrætsforening, svømmehal, yoga, golfklub",
        "nl": "sportschool, fitness, sportvereniging, zwembad, yoga, golfclub",
        "fr": "salle de sport, fitness, club de sport, piscine, yoga",
        "en": "gym, fitness, leisure centre, swimming pool, yoga, golf club, sports club",
    }),
    "leisure/events": (DEBIT, 1, {
        "de": "kino, theater, konzert, museum, ticket, tickets, eintritt, festival, oper, zoo",
        "no": "kino, teater, konsert, museum, billetter, festival, opera",
        "sv": "bio, teater, konsert, museum, biljetter, festival, opera",
        "da": "biograf, teater, koncert, museum, billetter, festival",
        "nl": "bioscoop, theater, concert, museum, tickets, festival",
        "fr": "cinéma, théâtre, concert, musée, billetterie, festival",
        "en": "cinema, theatre, concert, museum, tickets, festival, gig",
    }),
    "leisure/gambling": (DEBIT, 2, {
        "de": "lotto, lotterie, spielbank, casino, sportwetten, *lotto, toto",
        "no": "lotto, tipping, spill, casino", "sv": "lotto, lotteri, casino, spel",
        "da": "lotto, lotteri, casino", "nl": "loterij, casino, loten",
        "fr": "loterie, casino, paris sportifs", "en": "lottery, casino, betting, bet",
    }),
    "leisure/hobbies": (DEBIT, 1, {
        "de": "hobby, bastelbedarf, musikhaus, fotobuch, modellbau", "no": "hobby, hobbybutikk",
        "sv": "hobby, hobbyaffär", "da": "hobby, hobbybutik", "nl": "hobbywinkel",
        "fr": "loisirs créatifs", "en": "hobby shop, craft shop, music shop",
    }),
    "leisure/memberships": (DEBIT, 2, {
        "de": "mitgliedsbeitrag, vereinsbeitrag, mitgliedschaft, beitrag verein, e v beitrag, "
              "gewerkschaft",
        "no": "medlemskontingent, kontingent, medlemsavgift, fagforening",
        "sv": "medlemsavgift, fackavgift, medlemskap",
        "da": "kontingent, medlemsgebyr, fagforening",
        "nl": "contributie, lidmaatschap, vakbond",
        "fr": "cotisation, adhésion, syndicat",
        "en": "membership, membership fee, subscription fee, union dues",
    }),
    # ---------------------------------------------------------------- insurance
    "insurance": (DEBIT, 2, {
        "de": "versicherung, *versicherung, versicherung*, versicherungsbeitrag",
        "no": "forsikring, *forsikring, forsikring*, premie",
        "sv": "försäkring, *försäkring, försäkring*, premie",
        "da": "forsikring, *forsikring, forsikring*, præmie",
        "nl": "verzekering, *verzekering, verzekering*, premie",
        "fr": "assurance, assurances, mutuelle, cotisation assurance",
        "en": "insurance, insurance premium",
    }),
    "insurance/health": (DEBIT, 2, {
        "de": "krankenversicherung, krankenkasse, *krankenkasse, zahnzusatz, pflegeversicherung",
        "no": "helseforsikring, behandlingsforsikring", "sv": "sjukvårdsförsäkring",
        "da": "sundhedsforsikring, sygeforsikring, sygeforsikring danmark",
        "nl": "zorgverzekering, zorgverzekeraar, ziektekostenverzekering",
        "fr": "mutuelle santé, complémentaire santé", "en": "health insurance, private medical",
    }),
    "insurance/home": (DEBIT, 2, {
        "de": "hausratversicherung, wohngebäudeversicherung, hausrat",
        "no": "innboforsikring, husforsikring, innbo", "sv": "hemförsäkring, villaförsäkring",
        "da": "indboforsikring, husforsikring", "nl": "inboedelverzekering, opstalverzekering",
        "fr": "assurance habitation, multirisque habitation",
        "en": "home insurance, contents insurance, buildings insurance",
    }),
    "insurance/car": (DEBIT, 2, {
        "de": "kfz versicherung, kfzversicherung, autoversicherung, kfz haftpflicht, kasko, "
              "teilkasko, vollkasko",
        "no": "bilforsikring, kasko, trafikkforsikring", "sv": "bilförsäkring, trafikförsäkring",
        "da": "bilforsikring, kaskoforsikring", "nl": "autoverzekering, wa verzekering",
        "fr": "assurance auto, assurance automobile", "en": "car insurance, motor insurance",
    }),
    "insurance/life": (DEBIT, 2, {
        "de": "lebensversicherung, risikolebensversicherung, berufsunfähigkeit",
        "no": "livsforsikring, uføreforsikring", "sv": "livförsäkring", "da": "livsforsikring",
        "nl": "levensverzekering, overlijdensrisicoverzekering", "fr": "assurance vie, prévoyance",
        "en": "life insurance, life cover",
    }),
    "insurance/travel": (DEBIT, 2, {
        "de": "reiseversicherung, reiserücktritt, auslandskrankenversicherung",
        "no": "reiseforsikring", "sv": "reseförsäkring", "da": "rejseforsikring",
        "nl": "reisverzekering", "fr": "assurance voyage", "en": "travel insurance",
    }),
    "insurance/other": (DEBIT, 2, {
        "de": "haftpflicht, haftpflichtversicherung, rechtsschutz, rechtsschutzversicherung, "
              "unfallversicherung, tierversicherung",
        "no": "ansvarsforsikring, ulykkesforsikring, dyreforsikring",
        "sv": "olycksfallsförsäkring, djurförsäkring", "da": "ulykkesforsikring, ansvarsforsikring",
        "nl": "aansprakelijkheidsverzekering, rechtsbijstand, ongevallenverzekering",
        "fr": "responsabilité civile, protection juridique",
        "en": "liability insurance, pet insurance, legal cover",
    }),
    # ---------------------------------------------------------------- loans
    "loans/mortgage": (DEBIT, 3, {
        "de": "baufinanzierung, hypothek, immobilienkredit, baudarlehen, bausparkasse",
        "no": "boliglån, terminbeløp boliglån, husbanken lån", "sv": "bolån, amortering bolån",
        "da": "boliglån, realkredit, terminsbeløb, totalkredit, nykredit", "nl": "hypotheek, hypotheekrente",
        "fr": "prêt immobilier, crédit immobilier", "en": "mortgage, mortgage payment",
    }),
    "loans/consumer_loans": (DEBIT, 3, {
        "de": "kredit, kreditrate, darlehen, tilgung, ratenkredit, rate darlehen, annuität",
        "no": "avdrag lån, terminbeløp lån, lån nr, forbrukslån, nedbetaling lån, terminbeløp",
        "sv": "amortering lån, amortering, privatlån, avbetalning, lån nr",
        "da": "afdrag lån, afdrag, forbrugslån, ydelse lån, lån nr",
        "nl": "lening, aflossing, persoonlijke lening, doorlopend krediet",
        "fr": "prêt, crédit, échéance prêt, mensualité, remboursement prêt",
        "en": "loan, loan repayment, instalment, installment",
    }),
    "loans/credit_card": (DEBIT, 3, {
        "de": "kreditkartenabrechnung, kreditkarte, kreditkartenausgleich, visa abrechnung, "
              "mastercard abrechnung",
        "no": "kredittkort, kredittkortregning, faktura kredittkort",
        "sv": "kreditkort, kortfaktura, kreditkortsfaktura",
        "da": "kreditkort, kortopgørelse", "nl": "creditcard, creditcardafrekening",
        "fr": "carte de crédit, relevé carte", "en": "credit card payment, card repayment",
    }),
    "loans/car_loans": (DEBIT, 3, {
        "de": "autokredit, leasing, leasingrate, fahrzeugfinanzierung", "no": "billån, leasing",
        "sv": "billån, leasing", "da": "billån, leasing", "nl": "autolening, leasing, private lease",
        "fr": "crédit auto, leasing, location avec option d achat", "en": "car finance, car loan, lease",
    }),
    "loans/student_loans": (DEBIT, 3, {
        "de": "bafög rückzahlung, bundesverwaltungsamt", "no": "studielån, lånekassen",
        "sv": "studielån, csn", "da": "su lån", "nl": "studieschuld, aflossing duo",
        "fr": "prêt étudiant", "en": "student loan, slc",
    }),
    "loans/bnpl": (DEBIT, 3, {
        "de": "ratenkauf, rechnungskauf, ratenzahlung, später bezahlen", "no": "delbetaling",
        "sv": "delbetalning", "da": "afbetaling", "nl": "achteraf betalen, in termijnen",
        "fr": "paiement en plusieurs fois, paiement fractionné", "en": "pay later, pay in 3",
    }),
    # ---------------------------------------------------------------- savings
    "savings/savings": (None, 3, {
        "de": "sparplan, festgeld, sparbrief, sparrate, bausparvertrag, bauspareinlage",
        "no": "bsu, boligsparing, sparemål", "sv": "sparmål, fasträntekonto",
        "da": "børneopsparing, boligopsparing", "nl": "spaardeposito, termijndeposito",
        "fr": "plan épargne logement, pel, compte à terme", "en": "fixed term deposit, savings bond",
    }),
    "savings/investments": (DEBIT, 3, {
        "de": "wertpapierkauf, wertpapiere, depot einzahlung, fondssparplan, etf sparplan, "
              "aktienkauf, wertpapiersparplan",
        "no": "aksjesparekonto, aksjer, fondssparing, fond", "sv": "fonder, aktier, isk, fondsparande",
        "da": "aktiesparekonto, investering, aktier", "nl": "beleggen, beleggingsrekening",
        "fr": "placement, bourse", "en": "investment, stocks and shares, stocks and shares isa, brokerage",
    }),
    "savings/pension_savings": (DEBIT, 3, {
        "de": "riester, rürup, altersvorsorge, vermögenswirksame leistungen, vwl",
        "no": "ips, individuell pensjonssparing, pensjonssparing",
        "sv": "pensionssparande, ips", "da": "ratepension, aldersopsparing",
        "nl": "pensioensparen, lijfrente", "fr": "plan d épargne retraite", "en": "sipp, pension contribution",
    }),
    "savings/crypto": (DEBIT, 3, {
        "de": "krypto, bitcoin", "no": "krypto, bitcoin", "sv": "krypto, bitcoin",
        "da": "krypto, bitcoin", "nl": "crypto, bitcoin", "fr": "crypto, bitcoin",
        "en": "crypto, bitcoin, ethereum",
    }),
    # ---------------------------------------------------------------- transfers, cash, fees
    "transfers/own_accounts": (None, 3, {
        "de": "umbuchung, übertrag, eigenes konto, eigenübertrag, kontoübertrag, "
              "übertrag auf konto, eigene überweisung, sparkonto, tagesgeld, tagesgeldkonto, "
              "sparbuch, girokonto",
        "no": "overføring egen konto, egen overføring, overført til sparekonto, overføring mellom "
              "egne kontoer, egne kontoer, sparekonto, til sparing, fra sparing, brukskonto",
        "sv": "överföring eget konto, egen överföring, egna konton, överföring mellan egna konton, "
              "sparkonto, till sparkonto, från sparkonto",
        "da": "overførsel egen konto, egen overførsel, mellem egne konti, opsparing, "
              "opsparingskonto, til opsparing",
        "nl": "eigen rekening, naar spaarrekening, van spaarrekening, overboeking eigen rekening, "
              "spaarrekening",
        "fr": "virement interne, virement compte à compte, virement de compte à compte, livret a, "
              "vir interne, vers livret",
        "en": "own account, between accounts, internal transfer, to savings, from savings, "
              "savings account",
    }),
    "transfers/people": (None, 2, {
        "de": "privat, taschengeld zurück, danke fürs auslegen, geschenk für",
        "no": "vennebetaling", "sv": "privatperson", "da": "privat overførsel",
        "nl": "tikkie", "fr": "virement à un ami", "en": "money from friend",
    }),
    "transfers/money_transfer": (None, 2, {
        "de": "auslandsüberweisung, geldtransfer", "no": "pengeoverføring utland",
        "sv": "utlandsbetalning", "da": "udlandsoverførsel", "nl": "geldtransfer",
        "fr": "transfert d argent", "en": "money transfer, remittance",
    }),
    "cash/atm": (DEBIT, 3, {
        "de": "geldautomat, bargeldauszahlung, barauszahlung, bargeld, ga nr*, auszahlung ga, "
              "bargeldabhebung, abhebung",
        "no": "minibank, kontantuttak, uttak minibank, minibankuttak",
        "sv": "bankomat, uttag, kontantuttag, uttagsautomat",
        "da": "hæveautomat, kontanthævning, hævning, pengeautomat",
        "nl": "geldautomaat, geldopname, opname, geldmaat",
        "fr": "retrait, retrait dab, distributeur, dab",
        "en": "atm, cash withdrawal, cashpoint, cash machine",
    }),
    "cash/deposits": (CREDIT, 3, {
        "de": "bareinzahlung, einzahlung bar, einzahlung", "no": "kontantinnskudd, innskudd",
        "sv": "kontantinsättning, insättning", "da": "kontantindbetaling, indbetaling kontant",
        "nl": "storting, contante storting", "fr": "versement espèces, dépôt espèces",
        "en": "cash deposit, cash paid in",
    }),
    "cash/currency_exchange": (DEBIT, 3, {
        "de": "sortenkauf, devisen, geldwechsel, wechselstube", "no": "valutaveksling, valuta",
        "sv": "valutaväxling, valuta", "da": "valutaveksling, valuta", "nl": "wisselkantoor",
        "fr": "bureau de change, change devises", "en": "bureau de change, currency exchange, "
                                                          "travel money",
    }),
    "fees/bank": (DEBIT, 3, {
        "de": "kontoführungsentgelt, kontoführung, kontoführungsgebühr, rechnungsabschluss, "
              "kontopaket, entgelt kontopaket, kontoführungsentgelte",
        "no": "kontohold, kontoholdsgebyr, årsgebyr, transaksjonsgebyr, kontogebyr",
        "sv": "kontoavgift, bankavgift, avgift bankkort, månadsavgift bankpaket",
        "da": "kontogebyr, bankgebyr",
        "nl": "kosten betaalpakket, bankkosten, betaalrekening kosten, kosten rekening",
        "fr": "frais bancaires, frais de tenue de compte, frais tenue de compte",
        "en": "bank charge, monthly account fee, account fee",
    }),
    # generic words for a fee: they lose against a merchant's own category
    "fees/bank#generic": (DEBIT, 2, {
        "de": "entgelt, gebühr, gebühren, entgelte, abschluss, *entgelt, *gebühr",
        "no": "gebyr, *gebyr", "sv": "avgift, *avgift, årsavgift, månadsavgift",
        "da": "gebyr, *gebyr", "fr": "frais, commission", "en": "fee, fees, charge, charges, "
                                                                   "service charge, monthly fee",
    }),
    "fees/card": (DEBIT, 3, {
        "de": "jahresgebühr, kartengebühr, jahresentgelt karte, kartenentgelt, kreditkartengebühr",
        "no": "kortgebyr, årsavgift kort", "sv": "kortavgift, årsavgift kort",
        "da": "kortgebyr, årsgebyr kort", "nl": "kosten creditcard, jaarkosten creditcard",
        "fr": "cotisation carte, frais carte", "en": "annual card fee, card fee",
    }),
    "fees/interest_charges": (DEBIT, 3, {
        "de": "sollzinsen, überziehungszinsen, dispozinsen, zinsen dispo, zinsen",
        "no": "debetrente, overtrekksrente, overtrekk, renter", "sv": "skuldränta, övertrassering, ränta",
        "da": "debitorrente, overtræk, overtræksrente, renter", "nl": "debetrente, rood staan, rente",
        "fr": "agios, intérêts débiteurs, découvert", "en": "overdraft, overdraft interest, "
                                                            "debit interest, interest charged",
    }),
    "fees/collection": (DEBIT, 3, {
        "de": "mahngebühr, mahnung, mahnkosten, inkasso, inkassobüro, rücklastschrift, "
              "rücklastschriftgebühr, säumniszuschlag",
        "no": "purregebyr, purring, inkasso, inkassosalær, forsinkelsesrente",
        "sv": "påminnelseavgift, inkasso, inkassokostnad, förseningsavgift",
        "da": "rykkergebyr, rykker, inkasso", "nl": "aanmaning, incasso kosten, herinnering kosten, "
                                                    "incassobureau, aanmaningskosten",
        "fr": "relance, frais de recouvrement, recouvrement, pénalité de retard",
        "en": "late fee, late payment fee, debt collection, reminder fee, arrears",
    }),
    "fees/foreign_exchange": (DEBIT, 3, {
        "de": "auslandseinsatzentgelt, fremdwährungsgebühr, währungsumrechnung, auslandseinsatz",
        "no": "valutapåslag, valutagebyr", "sv": "valutapåslag, valutaavgift",
        "da": "valutatillæg, valutagebyr", "nl": "koersopslag, wisselkoerskosten",
        "fr": "frais de change, commission de change", "en": "foreign transaction fee, "
                                                              "non sterling transaction fee, fx fee",
    }),
    # ---------------------------------------------------------------- taxes
    "taxes/income_tax": (DEBIT, 3, {
        "de": "finanzamt, einkommensteuer, steuernummer, steuer, kirchensteuer, "
              "steuervorauszahlung, solidaritätszuschlag",
        "no": "skatteetaten, restskatt, forskuddsskatt, skatt, skatteinnbetaling",
        "sv": "skatteverket, kvarskatt, skatt, skattekonto", "da": "skattestyrelsen, restskat, skat",
        "nl": "belastingdienst, inkomstenbelasting, aanslag, belasting",
        "fr": "impôt, impôts, impot, dgfip, impots gouv, prélèvement à la source",
        "en": "hmrc, self assessment, income tax, tax payment",
    }),
    "taxes/property_tax": (DEBIT, 3, {
        "de": "grundsteuer, grundbesitzabgaben", "no": "eiendomsskatt",
        "sv": "fastighetsavgift, fastighetsskatt", "da": "ejendomsskat, grundskyld",
        "nl": "ozb, onroerendezaakbelasting, gemeentelijke belastingen",
        "fr": "taxe foncière, taxe d habitation", "en": "council tax",
    }),
    "taxes/vehicle_tax": (DEBIT, 3, {
        "de": "kfz steuer, kraftfahrzeugsteuer, kfzsteuer", "no": "trafikkforsikringsavgift, årsavgift bil, "
                                                                "omregistreringsavgift",
        "sv": "fordonsskatt, transportstyrelsen", "da": "vægtafgift, grøn ejerafgift, ejerafgift",
        "nl": "motorrijtuigenbelasting, mrb, wegenbelasting", "fr": "carte grise, certificat d immatriculation",
        "en": "vehicle tax, dvla, road tax",
    }),
    "taxes/fines": (DEBIT, 3, {
        "de": "bußgeld, bussgeld, verwarnungsgeld, bußgeldstelle, strafzettel, knöllchen",
        "no": "bot, forelegg, parkeringsbot, gebyr parkering, kontrollavgift",
        "sv": "böter, parkeringsbot, felparkeringsavgift, kontrollavgift",
        "da": "bøde, parkeringsafgift bøde, kontrolafgift", "nl": "boete, cjib, parkeerboete",
        "fr": "amende, antai, contravention", "en": "parking fine, speeding fine, penalty charge notice, pcn, penalty notice",
    }),
    "taxes/government_fees": (DEBIT, 3, {
        "de": "bürgeramt, stadtkasse, gemeindekasse, landeshauptkasse, gerichtskasse, "
              "verwaltungsgebühr, personalausweis, reisepass, führerschein, zulassungsstelle",
        "no": "politiet, passgebyr, statens vegvesen, tinglysing, kartverket, kommune",
        "sv": "polisen, passavgift, kommun, lantmäteriet", "da": "borgerservice, pasgebyr, kommune",
        "nl": "gemeente, leges, rijbewijs, paspoort, rdw", "fr": "préfecture, timbre fiscal, "
                                                                "trésor public, mairie",
        "en": "gov uk, passport office, council, dvla fee, court fee",
    }),
    # ---------------------------------------------------------------- family, pets, donations
    "family/childcare": (DEBIT, 3, {
        "de": "kita, kindertagesstätte, kindergarten, kinderbetreuung, tagesmutter, hort, "
              "kitagebühr, elternbeitrag, *kita",
        "no": "barnehage, *barnehage, sfo, aks, foreldrebetaling, barnepass",
        "sv": "förskola, fritids, barnomsorg, förskoleavgift",
        "da": "vuggestue, børnehave, daginstitution, dagpleje, sfo, institution",
        "nl": "kinderopvang, kinderdagverblijf, bso, gastouder, peuterspeelzaal",
        "fr": "crèche, garderie, assistante maternelle, périscolaire", "en": "nursery, childcare, "
                                                                          "childminder, after school club",
    }),
    "family/education": (DEBIT, 2, {
        "de": "schulgeld, studiengebühr, semesterbeitrag, universität, hochschule, "
              "volkshochschule, nachhilfe, fahrschule, musikschule, schule, klassenfahrt",
        "no": "skolepenger, semesteravgift, universitet, høgskole, kursavgift, trafikkskole",
        "sv": "terminsavgift, universitet, högskola, kursavgift, körskola",
        "da": "skolepenge, semestergebyr, universitet, kursusgebyr, køreskole, efterskole",
        "nl": "collegegeld, schoolgeld, universiteit, hogeschool, cursus, rijschool, ouderbijdrage",
        "fr": "frais de scolarité, école, université, auto école, cantine scolaire",
        "en": "tuition, school fees, university, college, driving school, course fee",
    }),
    "family/pocket_money": (DEBIT, 3, {
        "de": "taschengeld, klassenkasse", "no": "ukepenger, lommepenger, klassekasse",
        "sv": "veckopeng, månadspeng", "da": "lommepenge", "nl": "zakgeld",
        "fr": "argent de poche", "en": "pocket money, allowance",
    }),
    "family/child_support": (DEBIT, 3, {
        "de": "unterhalt, kindesunterhalt, unterhaltszahlung", "no": "barnebidrag, bidrag",
        "sv": "underhållsbidrag, underhåll", "da": "børnebidrag, bidrag",
        "nl": "alimentatie, kinderalimentatie", "fr": "pension alimentaire",
        "en": "child maintenance, maintenance payment, alimony",
    }),
    "pets/supplies": (DEBIT, 1, {
        "de": "tierbedarf, zoohandlung, futterhaus, tiernahrung", "no": "dyrebutikk, dyrefôr",
        "sv": "djuraffär, djurfoder", "da": "dyrehandel, foderbutik",
        "nl": "dierenwinkel, dierenspeciaalzaak, dierenvoeding", "fr": "animalerie",
        "en": "pet shop, pet store, pet food",
    }),
    "pets/vet": (DEBIT, 2, {
        "de": "tierarzt, tierklinik, tierarztpraxis", "no": "dyrlege, dyreklinikk, dyresykehus",
        "sv": "veterinär, djursjukhus, djurklinik", "da": "dyrlæge, dyreklinik, dyrehospital",
        "nl": "dierenarts, dierenkliniek", "fr": "vétérinaire, clinique vétérinaire",
        "en": "vet, vets, veterinary",
    }),
    "donations/charity": (DEBIT, 3, {
        "de": "spende, spenden, *spende, förderbeitrag, patenschaft",
        "no": "gave, innsamling, innsamlingsaksjon, fadder, støttemedlem",
        "sv": "gåva, insamling, månadsgivare, fadder", "da": "donation, indsamling, støttebeløb",
        "nl": "donatie, gift, collecte, goede doel", "fr": "faire un don, association caritative",
        "en": "donation, charity, sponsorship",
    }),
    "donations/religious": (DEBIT, 3, {
        "de": "kirchgeld, kirchengemeinde, kollekte, moschee", "no": "kirkelig fellesråd, menighet, kollekt",
        "sv": "svenska kyrkan, församling", "da": "kirkeskat, menighed", "nl": "kerkbijdrage, parochie, "
                                                                           "kerk, moskee",
        "fr": "denier du culte, paroisse", "en": "church, parish, mosque, tithe",
    }),
    "donations/gifts": (DEBIT, 2, {
        "de": "geburtstagsgeschenk, hochzeitsgeschenk, geschenk", "no": "bursdagsgave, bryllupsgave",
        "sv": "födelsedagspresent, present", "da": "fødselsdagsgave", "nl": "cadeau, verjaardagscadeau",
        "fr": "cadeau", "en": "gift, birthday present, wedding gift",
    }),
}


def keyword_rules() -> list[tuple[str, KeywordRule]]:
    """(phrase, rule) for every keyword, phrases as written (normalize before indexing)."""
    rules: list[tuple[str, KeywordRule]] = []
    for key, (direction, strength, languages) in KEYWORDS.items():
        rule = KeywordRule(key.partition("#")[0], direction, strength)
        for phrases in languages.values():
            for phrase in phrases.split(","):
                phrase = phrase.strip()
                if phrase:
                    rules.append((phrase, rule))
    return rules


# Bank transaction code word -> (category for DEBIT, category for CREDIT); None: no category.
BANK_CODES: dict[str, tuple[str | None, str | None]] = {
    # salary, pension, benefits
    "sala": (None, "income/salary"), "salary": (None, "income/salary"),
    "payroll": (None, "income/salary"), "bonu": (None, "income/salary"),
    "pens": (None, "income/pension"), "pension": (None, "income/pension"),
    "ssbe": (None, "income/social_benefits"), "benefit": (None, "income/social_benefits"),
    "053": (None, "income/salary"), "153": (None, "income/salary"),
    # interest, dividends, taxes
    "intr": ("fees/interest_charges", "income/interest_income"),
    "interest": ("fees/interest_charges", "income/interest_income"),
    "dvca": (None, "income/investment_income"), "dividend": (None, "income/investment_income"),
    "taxe": ("taxes/income_tax", "income/tax_refund"), "tax": ("taxes/income_tax", "income/tax_refund"),
    # fees
    "chrg": ("fees/bank", None), "fees": ("fees/bank", None), "charges": ("fees/bank", None),
    "comm": ("fees/bank", None), "comt": ("fees/bank", None), "commission": ("fees/bank", None),
    "808": ("fees/bank", None),
    # cash
    "cwdl": ("cash/atm", None), "bcwd": ("cash/atm", None), "xbcw": ("cash/atm", None),
    "withdrawal": ("cash/atm", None), "atm": ("cash/atm", None), "083": ("cash/atm", None),
    "cdpt": (None, "cash/deposits"), "bcdp": (None, "cash/deposits"), "082": (None, "cash/deposits"),
    # own accounts, returns
    "owni": ("transfers/own_accounts", "transfers/own_accounts"),
    "owne": ("transfers/own_accounts", "transfers/own_accounts"),
    "rimb": (None, "refunds/purchase_refunds"), "rrtn": (None, "refunds/purchase_refunds"),
    "reversal": (None, "refunds/purchase_refunds"), "refund": (None, "refunds/purchase_refunds"),
}

# Methods and bank transaction code words of card payments, direct debits and cash.
_NOT_BETWEEN_PEOPLE_METHODS = frozenset({"CARD", "DIRECT_DEBIT", "CASH", "ATM", "CARD_PAYMENT",
                                         "DEBIT_CARD", "CREDIT_CARD"})
_NOT_BETWEEN_PEOPLE_CODES = frozenset({"ccrd", "mcrd", "posd", "posc", "posp", "card", "cwdl",
                                       "ddbt", "rddt", "iddt", "esdd", "bbdd", "pmdd", "debit"})

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def bank_code_words(code: object, sub_code: object, description: object) -> list[str]:
    """The words of a bank transaction code that `BANK_CODES` is looked up with."""
    parts = [part for part in (code, sub_code) if isinstance(part, str) and part]
    if not parts and isinstance(description, str):
        parts = [description]
    words: list[str] = []
    for part in parts:
        words.extend(tokens(_CAMEL.sub(" ", part)))
    return words


def could_be_between_people(method: object, code_words: list[str]) -> bool:
    """False when `method` or the bank code says card payment, direct debit or cash: payments
    that have a merchant or a creditor on the other side, never a private person."""
    if isinstance(method, str) and method.upper() in _NOT_BETWEEN_PEOPLE_METHODS:
        return False
    return not any(word in _NOT_BETWEEN_PEOPLE_CODES for word in code_words)
