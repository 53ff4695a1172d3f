"""Names, places and the record schema the synthetic identity population draws from."""

from __future__ import annotations

import pyarrow as pa

SOURCES = ("web", "pos", "callcenter", "response_list", "compiled_list")
# Share of records per feed; web and POS dominate real volumes.
SOURCE_WEIGHTS = (0.30, 0.20, 0.20, 0.15, 0.15)


def _words(text: str) -> list[str]:
    return text.split()


# Formal first name -> the nicknames records use for it ("Robert:Bob,Rob,Bobby").
_NICK_PAIRS = _words(
    "Robert:Bob,Rob,Bobby William:Bill,Will James:Jim,Jimmy John:Johnny,Jack Richard:Rick,Dick "
    "Michael:Mike,Mick Thomas:Tom Elizabeth:Liz,Beth Margaret:Maggie,Peggy Katherine:Kate,Kathy "
    "Jennifer:Jen,Jenny Christopher:Chris Daniel:Dan,Danny Matthew:Matt Anthony:Tony Joseph:Joe "
    "Edward:Ed,Ted Patricia:Pat Susan:Sue Alexander:Alex Samuel:Sam Benjamin:Ben Nicholas:Nick "
    "Andrew:Andy Rebecca:Becky Victoria:Vicky"
)
NICKNAMED = {pair.split(":")[0]: pair.split(":")[1].split(",") for pair in _NICK_PAIRS}
PLAIN_FIRST = _words(
    "Emma Olivia Sophie Grace Oliver Harry George Amelia Chloe Lucy Mohammed Priya Aisha Hannah "
    "Laura Paul Mark David Sarah Helen Claire Gary Karen Ian Wendy Ruth Simon Adam Zoe Ella"
)
FIRST_NAMES = list(NICKNAMED) + PLAIN_FIRST
LAST_NAMES = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen "
    "Scott Phillips Watson Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter "
    "Richardson Bailey Collins Bell Shaw Murphy Miller Khan Marshall Anderson Simpson Ellis Adams "
    "Singh Wilkinson Foster"
)
# (city, postcode area, region); underscores stand for spaces.
_CITY_WORDS = _words(
    "London,SW,Greater_London London,N,Greater_London Manchester,M,Greater_Manchester "
    "Leeds,LS,West_Yorkshire Birmingham,B,West_Midlands Bristol,BS,Bristol Glasgow,G,Scotland "
    "Cardiff,CF,Wales"
)
CITIES = [tuple(w.replace("_", " ").split(",")) for w in _CITY_WORDS]
_STREET_WORDS = _words(
    "High_Street Station_Road Church_Lane Park_Avenue Victoria_Road Mill_Lane Queens_Road "
    "Kings_Road The_Green London_Road"
)
STREETS = [w.replace("_", " ") for w in _STREET_WORDS]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com", "icloud.com"]
COLUMNS = _words(
    "source_system source_record_id observed_at first_name last_name email email_canonical phone "
    "address_line1 address_line2 city postcode region country date_of_birth account_id "
    "loyalty_card anonymous_id"
)
_TYPES = {"observed_at": pa.timestamp("us"), "date_of_birth": pa.date32()}
SCHEMA = pa.schema([(c, _TYPES.get(c, pa.string())) for c in COLUMNS])
