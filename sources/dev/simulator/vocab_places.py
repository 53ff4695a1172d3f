"""Countries, cities, streets, phone numbering and stores the synthetic population lives among."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    region: str
    postcode: str  # "gb:SW|SE", "ie:D02|D04", "de:10115-14199", "fr:75001-75020", "nl:1011-1109"
    landline: str  # area code digits after the trunk 0, e.g. "20" for London
    landline_len: int  # digits of the national significant number
    weight: float
    stores: int


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    dial: str  # country calling code
    lang: str  # name vocabulary, see vocab_names
    weight: float
    tz: str  # "uk" (+00:00 / +01:00 in summer) or "cet" (+01:00 / +02:00)
    mobile_prefixes: tuple[str, ...]
    mobile_len: int
    mobile_split: tuple[int, int]
    street_format: str  # "{n} {street}" or "{street} {n}"
    streets: tuple[str, ...]
    cities: tuple[City, ...]


GB_STREETS = tuple(
    f"{a} {b}"
    for a in (
        "High",
        "Station",
        "Church",
        "Park",
        "Victoria",
        "Green",
        "Manor",
        "Kings",
        "Queens",
        "Mill",
        "Albert",
        "York",
        "Grange",
        "Springfield",
        "Windsor",
        "Richmond",
        "Chester",
        "Oak",
        "Elm",
        "Cedar",
        "Meadow",
        "Orchard",
        "Bridge",
        "Hill",
        "Main",
        "North",
        "New",
        "Castle",
        "Ash",
    )
    for b in ("Street", "Road", "Lane", "Avenue", "Close", "Drive", "Way", "Gardens", "Crescent", "Terrace")
)

COUNTRIES: tuple[Country, ...] = (
    Country(
        "GB",
        "United Kingdom",
        "44",
        "en",
        0.88,
        "uk",
        ("7",),
        10,
        (4, 10),
        "{n} {street}",
        GB_STREETS,
        (
            City("London", "Greater London", "gb:SW|SE|N|E|W|NW|EC|WC", "20", 10, 9.0, 8),
            City("Manchester", "Greater Manchester", "gb:M", "161", 10, 2.8, 2),
            City("Birmingham", "West Midlands", "gb:B", "121", 10, 2.8, 2),
            City("Leeds", "West Yorkshire", "gb:LS", "113", 10, 1.6, 1),
            City("Glasgow", "Glasgow City", "gb:G", "141", 10, 1.6, 1),
            City("Edinburgh", "City of Edinburgh", "gb:EH", "131", 10, 1.2, 1),
            City("Bristol", "Bristol", "gb:BS", "117", 10, 1.2, 1),
            City("Liverpool", "Merseyside", "gb:L", "151", 10, 1.2, 1),
            City("Cardiff", "South Glamorgan", "gb:CF", "29", 10, 0.9, 1),
            City("Belfast", "County Antrim", "gb:BT", "28", 10, 0.8, 1),
            City("Newcastle upon Tyne", "Tyne and Wear", "gb:NE", "191", 10, 0.8, 1),
            City("Sheffield", "South Yorkshire", "gb:S", "114", 10, 1.0, 1),
            City("Nottingham", "Nottinghamshire", "gb:NG", "115", 10, 0.8, 1),
            City("Leicester", "Leicestershire", "gb:LE", "116", 10, 0.7, 1),
            City("Brighton", "East Sussex", "gb:BN", "1273", 10, 0.6, 1),
            City("Oxford", "Oxfordshire", "gb:OX", "1865", 10, 0.4, 1),
            City("Cambridge", "Cambridgeshire", "gb:CB", "1223", 10, 0.4, 1),
            City("Reading", "Berkshire", "gb:RG", "118", 10, 0.5, 0),
            City("Southampton", "Hampshire", "gb:SO", "23", 10, 0.6, 1),
            City("York", "North Yorkshire", "gb:YO", "1904", 10, 0.4, 0),
            City("Norwich", "Norfolk", "gb:NR", "1603", 10, 0.4, 0),
            City("Exeter", "Devon", "gb:EX", "1392", 10, 0.3, 0),
        ),
    ),
    Country(
        "IE",
        "Ireland",
        "353",
        "ie",
        0.04,
        "uk",
        ("83", "85", "86", "87", "89"),
        9,
        (2, 5),
        "{n} {street}",
        GB_STREETS[::7],
        (
            City("Dublin", "County Dublin", "ie:D02|D04|D06|D08|D12|D15", "1", 8, 3.0, 2),
            City("Cork", "County Cork", "ie:T12|T23", "21", 9, 1.0, 1),
            City("Galway", "County Galway", "ie:H91", "91", 9, 0.6, 0),
        ),
    ),
    Country(
        "DE",
        "Germany",
        "49",
        "de",
        0.04,
        "cet",
        ("151", "160", "170", "176"),
        11,
        (3, 11),
        "{street} {n}",
        (
            "Hauptstraße",
            "Bahnhofstraße",
            "Gartenstraße",
            "Schulstraße",
            "Lindenstraße",
            "Goethestraße",
            "Schillerstraße",
            "Friedrichstraße",
            "Kirchweg",
            "Am Markt",
        ),
        (
            City("Berlin", "Berlin", "de:10115-14199", "30", 10, 2.0, 1),
            City("Hamburg", "Hamburg", "de:20095-22769", "40", 10, 1.2, 1),
            City("München", "Bayern", "de:80331-81929", "89", 10, 1.2, 1),
        ),
    ),
    Country(
        "FR",
        "France",
        "33",
        "fr",
        0.02,
        "cet",
        ("6", "7"),
        9,
        (1, 5),
        "{n} {street}",
        (
            "rue de la Paix",
            "rue Victor Hugo",
            "avenue Jean Jaurès",
            "boulevard Voltaire",
            "rue du Moulin",
            "rue de l'Église",
            "place de la République",
            "rue Pasteur",
        ),
        (
            City("Paris", "Île-de-France", "fr:75001-75020", "1", 9, 2.0, 2),
            City("Lyon", "Auvergne-Rhône-Alpes", "fr:69001-69009", "4", 9, 0.8, 1),
        ),
    ),
    Country(
        "NL",
        "Netherlands",
        "31",
        "nl",
        0.02,
        "cet",
        ("6",),
        9,
        (1, 9),
        "{street} {n}",
        (
            "Kerkstraat",
            "Dorpsstraat",
            "Stationsweg",
            "Molenweg",
            "Prinsengracht",
            "Herengracht",
            "Keizersgracht",
            "Nieuwstraat",
        ),
        (
            City("Amsterdam", "Noord-Holland", "nl:1011-1109", "20", 9, 1.5, 1),
            City("Rotterdam", "Zuid-Holland", "nl:3011-3089", "10", 9, 1.0, 1),
        ),
    ),
)

LINE2 = ("Flat {k}", "Flat {k}", "Apartment {k}", "Unit {k}", "Floor {k}", "Suite {k}")

# Street-type abbreviations people and tills use; staging has to expand or ignore them.
STREET_ABBREV = {
    " Street": " St",
    " Road": " Rd",
    " Avenue": " Ave",
    " Lane": " Ln",
    " Drive": " Dr",
    " Crescent": " Cres",
    " Gardens": " Gdns",
    " Terrace": " Terr",
    "straße": "str.",
}

# Extra spellings of each country besides the ISO code (the contract allows code or name).
COUNTRY_NAMES = {
    "GB": ("United Kingdom",),
    "IE": ("Ireland",),
    "DE": ("Germany", "Deutschland"),
    "FR": ("France",),
    "NL": ("Netherlands", "Nederland"),
}
