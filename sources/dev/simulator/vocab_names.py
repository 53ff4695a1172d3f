"""Name vocabularies per language group, nicknames and e-mail domains for the synthetic population."""

from __future__ import annotations


def _w(text: str) -> list[str]:
    return text.split()


# Lists are ordered by rough frequency: the population draws them with Zipf-like weights, so the
# first entries (John, Smith) repeat a lot and create same-name different-person pairs.
MALE = {
    "en": _w("""
        James John Robert Michael William David Richard Thomas Christopher Daniel Matthew Anthony Joseph
        Andrew Steven Paul Mark George Edward Peter Samuel Benjamin Alexander Jonathan Nicholas Timothy
        Charles Henry Jack Oliver Harry Jacob Liam Noah Ethan Lewis Adam Ryan Stephen Simon Patrick
        Kevin Gary Ian Graham Neil Martin Philip Keith Colin Alan Craig Dean Luke Callum Connor Kieran
        Owen Rhys Aaron Jamie Scott Stuart Lee Wayne Shaun Dominic
    """),
    "ie": _w("Sean Ciaran Declan Padraig Eoin Cormac Niall Darragh Oisin Conor"),
    "de": _w("""
        Jürgen Klaus Stefan Andreas Thomas Michael Lukas Maximilian Jonas Felix Uwe Dieter
    """),
    "fr": _w("""
        Jean Pierre François Nicolas Julien Mathieu Antoine Olivier Sébastien Hugo Louis
    """),
    "nl": _w("Jan Pieter Joris Bram Sander Thijs Daan Ruben Joost Maarten"),
}
FEMALE = {
    "en": _w("""
        Mary Elizabeth Sarah Emma Jennifer Jessica Katherine Margaret Susan Rebecca Victoria Charlotte
        Olivia Sophie Emily Hannah Laura Rachel Amy Lucy Helen Claire Nicola Louise Karen Deborah
        Patricia Alexandra Abigail Samantha Amelia Isla Ava Grace Chloe Ella Megan Lauren Zoë Natalie
        Joanne Julie Michelle Lisa Kelly Gemma Kirsty Leanne Donna Jane Anne Ruth Fiona Alison Catherine
        Caroline Harriet Eleanor Florence Imogen Poppy Freya Anna
    """),
    "ie": _w("Aoife Siobhan Niamh Ciara Saoirse Orla Roisin Sinead Grainne Aisling"),
    "de": _w("Anna Katrin Sabine Julia Lena Hannah Ursula Monika Petra Jutta Birgit Sophie"),
    "fr": _w("Marie Camille Chloé Léa Manon Élodie Sophie Isabelle Nathalie Céline Amélie"),
    "nl": _w("Anke Femke Sanne Lotte Eva Marieke Ingrid Joke Els Fleur"),
}
LAST = {
    "en": _w("""
        Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson
        Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner
        Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott
        Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson
        Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams
        Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell
        Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens
        Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews
        Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson
        Bradley Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells
        Armstrong Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page
        Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins
    """),
    "ie": _w("""
        Murphy Kelly O'Sullivan Walsh O'Connor McCarthy Byrne Ryan O'Neill Doyle Gallagher Kennedy
    """),
    "de": _w("""
        Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein
        Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger
    """),
    "fr": _w("""
        Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefèvre
        Michel Garcia David Bertrand Roux Vincent Fournier
    """),
    # Dutch particles ("de", "van den") belong to the surname: a list, not words.
    "nl": [
        "de Jong",
        "Jansen",
        "de Vries",
        "van den Berg",
        "van Dijk",
        "Bakker",
        "Visser",
        "Smit",
        "Meijer",
        "de Boer",
        "Mulder",
        "Bos",
        "Vos",
        "Peters",
        "Hendriks",
    ],
}

# Formal name -> nicknames people actually type. Only these names ever appear as nicknames, so
# a matcher that knows the usual English pairs can undo the noise.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cathy", "Kate"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Michael": ("Mike", "Mick"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Richard": ("Rick", "Rich", "Dick"),
    "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris",),
    "Jennifer": ("Jen", "Jenny"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony", "Ant"),
    "Joseph": ("Joe", "Joey"),
    "Samuel": ("Sam",),
    "Alexander": ("Alex", "Sandy"),
    "Nicholas": ("Nick", "Nicky"),
    "Benjamin": ("Ben",),
    "Jonathan": ("Jon", "Jonny"),
    "Edward": ("Ed", "Ted", "Eddie"),
    "Patricia": ("Pat", "Trish"),
    "Susan": ("Sue", "Susie"),
    "Rebecca": ("Becky", "Becca"),
    "Victoria": ("Vicky", "Tori"),
    "Deborah": ("Debbie", "Deb"),
    "Charlotte": ("Charlie", "Lottie"),
    "Andrew": ("Andy", "Drew"),
    "Steven": ("Steve",),
    "David": ("Dave", "Davy"),
    "Peter": ("Pete",),
    "Timothy": ("Tim",),
    "Jessica": ("Jess", "Jessie"),
    "Abigail": ("Abby", "Gail"),
    "Alexandra": ("Alex", "Lexi"),
    "Samantha": ("Sam", "Sammy"),
    "Charles": ("Charlie", "Chuck"),
    "Henry": ("Harry", "Hal"),
    "Stephen": ("Steve",),
    "Philip": ("Phil",),
    "Patrick": ("Paddy", "Pat"),
    "Eleanor": ("Ellie", "Nell"),
    "Harriet": ("Hattie",),
    "Florence": ("Flo",),
    "Natalie": ("Nat",),
    "Nicola": ("Nicky",),
    "Gregory": ("Greg",),
    "Lucy": ("Lu",),
    "Mary": ("Molly", "Polly"),
    "Emily": ("Em", "Emmy"),
}

# Fictitious mail domains (no real provider), weighted by position like the names.
EMAIL_DOMAINS = {
    "en": [
        "mailbox.example",
        "inbox.example.co.uk",
        "post.example.com",
        "webmail.example.net",
        "example.com",
        "example.co.uk",
        "example.org",
        "fastmail.example",
        "btmail.example.co.uk",
    ],
    "ie": ["inbox.example.ie", "mailbox.example", "example.com", "eircom.example.net"],
    "de": ["web.example.de", "gmx.example.de", "mailbox.example", "t-online.example.de"],
    "fr": ["orange.example.fr", "free.example.fr", "mailbox.example", "laposte.example.net"],
    "nl": ["ziggo.example.nl", "kpn.example.nl", "mailbox.example", "example.nl"],
}

# Diacritics are transliterated into e-mail local parts, as people do (Müller -> mueller).
TRANSLIT: dict[str, str] = {
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "ß": "ss",
    "é": "e",
    "è": "e",
    "ê": "e",
    "ë": "e",
    "à": "a",
    "ç": "c",
    "ï": "i",
    "î": "i",
    "ô": "o",
    "û": "u",
    "É": "e",
    "'": "",
    " ": "",
}
