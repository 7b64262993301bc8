"""The hard profile's record rendering (`c360 generate --profile hard`): how one record writes a person's
name, birth date, address and Zendesk display name when data entry is as careless as it gets in practice.

The default :class:`~samples.generator.people.Renderer` renders from the person's true values; this subclass
adds what the default never does: a former (maiden) or hyphenated surname, a middle name or initial,
phonetic spellings (Catherine/Kathryn, Meyer/Meier), typos of two edits, day and month swapped, flat and unit
numbers and postcode spellings in each country's own forms, the address someone moved away from, and
Zendesk's name forms ("SMITH, JANE", "Mrs. Jane Smith", "J. Smith"). Households and shared identifiers are
built by :mod:`samples.generator.households`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from samples.generator.common import Messiness, Rand
from samples.generator.people import Renderer, typo

#: The hard profile doubles every default messiness rate (``--messiness`` still scales on top).
HARD_FACTOR = 2.0


@dataclass(frozen=True)
class HardRates:
    """Rates of the hard profile's own phenomena at ``messiness=1`` (per record or per person)."""

    middle_name: float = 0.18        # person has a middle name
    middle_shown: float = 0.35       # a record of such a person shows it ("Mary Ann", "Mary A.")
    phonetic: float = 0.08           # a record spells the name another way that sounds the same
    second_typo: float = 0.35        # a typo'd name gets a second edit
    dob_swap: float = 0.15           # day and month swapped (where both are <= 12)
    former_surname: float = 0.45     # a record of a renamed person still holds the former surname
    unit_shown: float = 0.7          # a record of someone living in a flat shows the flat number
    postcode_variant: float = 0.3    # SW1A1AA, 1234ab, 94105-2231
    zendesk_form: float = 0.45       # a Zendesk name in another form than "First Last"
    phone_only_caller: float = 0.25  # a Zendesk user created from a phone call: phone, no e-mail

    def scaled(self, factor: float) -> "HardRates":
        return HardRates(**{f.name: min(1.0, getattr(self, f.name) * factor) for f in dataclasses.fields(self)})


#: Spellings that sound alike (each group is one name); first names and surnames of the five countries.
PHONETIC_GROUPS = [
    ("Catherine", "Katherine", "Kathryn", "Katharine"), ("Steven", "Stephen"), ("Jon", "John"),
    ("Sean", "Shaun", "Shawn"), ("Philip", "Phillip"), ("Jeffrey", "Geoffrey", "Jeffery"), ("Sara", "Sarah"),
    ("Ann", "Anne"), ("Claire", "Clare"), ("Brian", "Bryan"), ("Eric", "Erik"), ("Carl", "Karl"),
    ("Mohammed", "Muhammad", "Mohamed"), ("Isabel", "Isabelle", "Isobel"), ("Nicolas", "Nicholas"),
    ("Christina", "Kristina"), ("Christopher", "Kristopher"), ("Tracy", "Tracey"), ("Lindsay", "Lindsey"),
    ("Mathew", "Matthew"), ("Alan", "Allan", "Allen"), ("Rebecca", "Rebekah"), ("Caroline", "Carolyn"),
    ("Sophie", "Sofie"), ("Sophia", "Sofia"), ("Jörg", "Joerg"), ("Jürgen", "Juergen"),
    ("Hélène", "Helene"), ("Thérèse", "Therese"), ("Mathias", "Matthias"), ("Henrik", "Hendrik"),
    ("Smith", "Smyth"), ("Thompson", "Thomson"), ("Reid", "Reed", "Read"), ("Meyer", "Meier", "Mayer", "Maier"),
    ("Schmidt", "Schmitt", "Schmid"), ("Müller", "Mueller", "Muller"), ("Schulz", "Schultz"),
    ("Fischer", "Fisher"), ("Becker", "Bäcker"), ("Hoffmann", "Hofmann"), ("Jansen", "Janssen", "Jansens"),
    ("de Vries", "De Vries", "deVries"), ("Bakker", "Baker"), ("Visser", "Fisser"), ("Leroy", "Le Roy"),
    ("Lefebvre", "Lefèvre", "Lefebure"), ("Dupont", "Du Pont"), ("Moreau", "Moreaux"), ("Gray", "Grey"),
    ("Clark", "Clarke"), ("Davies", "Davis"), ("Stewart", "Stuart"), ("Macdonald", "MacDonald", "McDonald"),
    ("Phillips", "Philips"), ("Anderson", "Andersen"), ("Peterson", "Petersen"), ("Neal", "Neil", "Neill"),
]
PHONETIC: dict[str, tuple[str, ...]] = {}
for _group in PHONETIC_GROUPS:
    for _name in _group:
        PHONETIC[_name] = tuple(n for n in dict.fromkeys(_group) if n != _name)

TITLES = {"F": ("Mrs.", "Ms.", "Ms", "Mrs", "Dr."), "M": ("Mr.", "Mr", "Dr.")}

#: Middle names drawn for people who have one (the country's first-name pool is used for most).
MIDDLE_EXTRA = ("Ann", "Marie", "Lee", "Jean", "James", "Louise", "Michael", "Elizabeth", "Maria", "Johann")


def two_edits(rng: Rand, word: str) -> str:
    """Two independent one-edit typos (the second may undo nothing of the first)."""
    return typo(rng, typo(rng, word))


class HardRenderer(Renderer):
    """Renders one record of a person for the hard profile (see the module docstring)."""

    def __init__(self, m: Messiness, rates: HardRates) -> None:
        super().__init__(m)
        self.rates = rates

    def person_name(self, rng: Rand, p: dict, record: str) -> tuple[str, str]:
        h = self.rates
        last = p["last"]
        # the account was opened under the current name; older or other records may still hold the former one
        if p.get("former_last") and record != "account" and rng.chance(h.former_surname):
            last = p["former_last"]
        first, last = self.name(rng, p["first"], last)
        if rng.chance(h.phonetic):
            if first in PHONETIC and rng.random() < 0.6:
                first = rng.choice(PHONETIC[first])
            elif last in PHONETIC:
                last = rng.choice(PHONETIC[last])
        if rng.chance(self.m.name_typo * h.second_typo):  # a typo of two edits
            if rng.random() < 0.5:
                first = two_edits(rng, first)
            else:
                last = two_edits(rng, last)
        if p.get("middle") and rng.chance(h.middle_shown):
            middle = p["middle"] if rng.random() < 0.5 else p["middle"][0] + "."
            first = f"{first} {middle}"
        return first, last

    def birth_date(self, rng: Rand, p: dict) -> str | None:
        dob = p["dob"]
        year, month, day = dob.split("-")
        if day != month and int(day) <= 12 and rng.chance(self.rates.dob_swap):
            return f"{year}-{day}-{month}"  # typed as DD/MM into an MM/DD form (or the other way round)
        return dob

    def address(self, rng: Rand, p: dict, record: str) -> tuple[str, str, str]:
        street, city, postal = p["street"], p["city"], p["postal"]
        unit = p.get("unit")
        if p.get("moved_from") and record == "account":
            # the account still holds the address the person moved away from; newer records the current one
            street, city, postal, unit = p["moved_from"]
        street = self.street(rng, street)
        if unit and rng.chance(self.rates.unit_shown):
            street = with_unit(rng, p["country"], street, unit)
        if rng.chance(self.rates.postcode_variant):
            postal = postcode_variant(rng, p["country"], postal, p.get("zip4"))
        return street, city, postal

    def account_email(self, rng: Rand, p: dict) -> str:
        if p.get("account_email"):  # the staff of a small company order with its generic address
            p["primary_email"] = False
            return self.email(rng, p["account_email"])
        return super().account_email(rng, p)

    def zendesk_name(self, rng: Rand, p: dict, first: str, last: str) -> str:
        if not rng.chance(self.rates.zendesk_form):
            return super().zendesk_name(rng, p, first, last)
        form = rng.randrange(7)
        if form == 0:
            return f"{last.upper()}, {first.upper()}"
        if form == 1:
            return f"{last}, {first}"
        if form == 2:
            return f"{rng.choice(TITLES[p['gender']])} {first} {last}"
        if form == 3:
            return f"{first[0]}. {last}"
        if form == 4:
            return f"{first} {last[0]}."
        if form == 5:
            return f"{first} {last}".lower()
        return f"{rng.choice(TITLES[p['gender']])} {last}"


def with_unit(rng: Rand, country: str, street: str, unit: str) -> str:
    """A flat or apartment number the way the country writes it (and the ways people shorten it)."""
    if country == "US":
        return f"{street} " + rng.choice([f"Apt {unit}", f"Apt. {unit}", f"#{unit}", f"Unit {unit}", f"Suite {unit}"])
    if country == "GB":
        return rng.choice([f"Flat {unit}, {street}", f"Flat {unit} {street}", f"{unit} {street}"])
    if country == "DE":
        return rng.choice([f"{street}, Whg. {unit}", f"{street} / {unit}. OG", f"{street}, Wohnung {unit}"])
    if country == "FR":
        return rng.choice([f"{street}, Apt {unit}", f"{street}, appartement {unit}", f"{street} Bât. {unit}"])
    return rng.choice([f"{street}-{unit}", f"{street} {unit}", f"{street}-hs" if unit == "1" else f"{street}-{unit}"])


def postcode_variant(rng: Rand, country: str, postal: str, zip4: str | None) -> str:
    """The same postcode as people also write it: no space, lower case, ZIP+4."""
    if country == "US":
        return f"{postal}-{zip4}" if zip4 else postal
    if country in ("GB", "NL"):
        return postal.replace(" ", "") if rng.random() < 0.6 else postal.lower()
    return postal
