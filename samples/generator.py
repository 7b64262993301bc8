"""Sample source systems for c360: a sales order database, Zendesk, SendGrid and Segment, plus ground truth.

``generate(out, customers, seed)`` writes the four systems in their vendors' formats (layout in
docs/contracts.md section 1), ``truth.csv`` (which person every identifying record belongs to) and
``manifest.json`` (exact counts per table, malformed records per kind, duplicates, updates, bridges).
``generate(..., increment=True)`` adds the next increment onto an existing folder.

Reproducible: every random draw comes from RNGs seeded with (seed, batch); times are anchored to a fixed
reference time (:data:`REFERENCE_TIME` for batch 0, one day later per increment), never the wall clock.

Design of the people model: each person has one true name, birth date, address, phone and one or two
e-mail addresses. Records in the sources render these with realistic variation (:class:`Messiness`), but
every record of a person stays discoverable from what records really share (normalised e-mail or phone,
the sales customer id in Segment ``userId`` / Zendesk ``external_id``, an ``anonymousId`` seen together with
a ``userId``, name + birth date, name + postal code + street). The exception are deliberate *pending
bridges* (a dormant cookie, a Zendesk user under a work address): separate until an increment links them,
listed in the manifest under ``bridges``.
"""

from __future__ import annotations

import binascii
import csv
import dataclasses
import gzip
import io
import json
import math
import random
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from samples import _data as D
from samples import sales_db

#: "Now" of batch 0; increment n is written as of REFERENCE_TIME + n days.
REFERENCE_TIME = datetime(2026, 11, 1, tzinfo=timezone.utc)
T0 = int(REFERENCE_TIME.timestamp())
DAY = 86_400
#: Event history (e-mail, web) of batch 0, in days before the reference time.
EVENT_HISTORY_DAYS = 120
SALES_START = int(datetime(2023, 1, 1, tzinfo=timezone.utc).timestamp())
SUPPORT_START = int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp())
FAR_FUTURE = int(datetime(2099, 1, 1, tzinfo=timezone.utc).timestamp())

ZENDESK_BASE = "https://c360shop.zendesk.com/api/v2"
SHOP_URL = "https://shop.c360.example"
STATE_FILE = "generator_state.json.gz"
MALFORMED_KINDS = ("unparseable", "wrong_type", "missing_key", "future_timestamp", "invalid_value")
TABLES = ("sales.customers", "sales.orders", "sales.order_items", "sales.products", "support.users",
          "support.tickets", "support.satisfaction_ratings", "email.events", "web.events")


@dataclass(frozen=True)
class Messiness:
    """Rates of real-world messiness at ``messiness=1``; :meth:`scaled` multiplies them (0 = clean data)."""

    second_email: float = 0.15          # person also uses a work address
    email_case: float = 0.10            # John.Smith@Gmail.com
    email_whitespace: float = 0.03      # " john@x.com "
    gmail_dots: float = 0.25            # johnsmith@gmail.com vs john.smith@gmail.com
    gmail_plus_tag: float = 0.08        # john.smith+shop@gmail.com
    googlemail: float = 0.05            # john.smith@googlemail.com
    phone_format: float = 0.85          # any format but E.164 (national, 00-prefix, punctuation)
    nickname: float = 0.08              # Bill for William
    name_typo: float = 0.02             # one edit
    name_swap: float = 0.01             # first and last name swapped
    address_abbreviation: float = 0.25  # Street -> St, Straße -> Str.
    missing_phone: float = 0.15
    missing_birth_date: float = 0.12
    missing_gender: float = 0.10
    missing_address: float = 0.03
    missing_email: float = 0.01         # sales customer without an e-mail
    guest_checkout: float = 0.03        # extra sales customer row with a new (or no) e-mail, same name
    junk_identifier: float = 0.01       # test@test.com, 0000000000, n/a shared by unrelated people
    duplicate_event: float = 0.01       # at-least-once delivery: same sg_event_id / messageId again
    late_event: float = 0.005           # lands days after its timestamp
    malformed: float = 0.0005           # per kind and table, at least one each when messiness > 0

    def scaled(self, factor: float) -> "Messiness":
        return Messiness(**{f.name: min(1.0, getattr(self, f.name) * factor) for f in dataclasses.fields(self)})


# ----------------------------------------------------------------------------------------------- helpers


def iso_z(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def sql_ts(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


try:  # dlt depends on orjson; it serialises the millions of events ~20x faster than the json module
    import orjson

    def dumps(obj: Any) -> str:
        return orjson.dumps(obj).decode()
except ImportError:  # pragma: no cover
    def dumps(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def email_key(address: str) -> str:
    """Aggressive normal form used only to keep people's addresses apart (dots, plus tags, case)."""
    local, _, domain = address.strip().lower().partition("@")
    local = local.split("+", 1)[0].replace(".", "")
    if domain == "googlemail.com":
        domain = "gmail.com"
    return f"{local}@{domain}"


def norm_email(address: str) -> str:
    """What a careful identity resolver does: trim, lower case, and for Gmail drop dots and plus tags."""
    local, _, domain = address.strip().lower().partition("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


class Ids:
    """Monotonic id counters, persisted in the state file."""

    def __init__(self, state: dict[str, int] | None = None) -> None:
        self.v = dict(state or {
            "customer": 10_000, "order": 500_000, "item": 0, "user": 372_000_000_000, "ticket": 1_000,
            "rating": 383_000_000_000, "person": 0, "campaign": 9_000,
        })

    def next(self, name: str, step: int = 1) -> int:
        self.v[name] += step
        return self.v[name]


class Rand(random.Random):
    def chance(self, p: float) -> bool:
        return p > 0 and self.random() < p

    def hex(self, n: int) -> str:
        return f"{self.getrandbits(4 * n):0{n}x}"

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.getrandbits(128), version=4))

    def b64id(self) -> str:
        return binascii.b2a_base64(self.getrandbits(128).to_bytes(16, "big"), newline=False).decode()


# ----------------------------------------------------------------------------------------------- pools


class Pools:
    """Name, street and city pools drawn once per run from Faker (per-person Faker calls are too slow)."""

    def __init__(self, seed: int) -> None:
        from faker import Faker

        self.first: dict[str, dict[str, tuple[list[str], list[float] | None]]] = {}
        self.last: dict[str, tuple[list[str], list[float] | None]] = {}
        self.streets: dict[str, list[str]] = {}
        self.cities: dict[str, list[tuple[str, str]]] = {}
        rng = random.Random(f"{seed}/pools")
        for country, spec in D.COUNTRIES.items():
            fk = Faker(spec[0])
            fk.seed_instance(seed)
            # Faker's own name lists (with its frequency weights where it has them): drawing from them with
            # our RNG is much faster than calling Faker once per person.
            person = next(p for p in fk.providers if ".person." in type(p).__module__)
            self.first[country] = {"F": _weighted(person.first_names_female), "M": _weighted(person.first_names_male)}
            self.last[country] = _weighted(person.last_names)
            if country in ("US", "GB"):
                streets = [f"{pick(rng, self.last[country])} {rng.choice(D.US_GB_STREET_TYPES)}" for _ in range(400)]
                streets += [fk.street_name() for _ in range(200)]
            else:
                streets = [fk.street_name() for _ in range(600)]
            self.streets[country] = streets
            self.cities[country] = [(fk.city(), fk.postcode()) for _ in range(300)]
        fk = Faker("en_US")
        fk.seed_instance(seed)
        domains = []
        for _ in range(400):
            word = D.ascii_fold(pick(rng, self.last["US"])) + rng.choice(
                ["-logistics", "-consulting", "group", "-labs", "-partners", "tech", "-media", "-health"])
            domains.append(word + rng.choice([".com", ".com", ".io", ".co", ".net"]))
        self.work_domains = sorted(set(domains))
        self.agents = [(fk.first_name(), fk.last_name()) for _ in range(12)]


def _weighted(names: Any) -> tuple[list[str], list[float] | None]:
    if isinstance(names, dict):
        cum, total = [], 0.0
        for w in names.values():
            total += w
            cum.append(total)
        return list(names), cum
    return list(names), None


def pick(rng: random.Random, pool: tuple[list[str], list[float] | None]) -> str:
    names, cum = pool
    return rng.choices(names, cum_weights=cum)[0] if cum else rng.choice(names)


# ----------------------------------------------------------------------------------------------- rendering


KEYBOARD_NEIGHBOURS = {
    "a": "qs", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo", "j": "hk",
    "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et", "s": "ad", "t": "ry",
    "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}


def typo(rng: Rand, word: str) -> str:
    """One edit (substitution by a neighbouring key, deletion, transposition or doubling), never the first letter."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    ch = word[i]
    if kind == 0 and ch.lower() in KEYBOARD_NEIGHBOURS:
        return word[:i] + rng.choice(KEYBOARD_NEIGHBOURS[ch.lower()]) + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    if kind == 2 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + ch + word[i:]


class Renderer:
    """Renders a person's true attributes the way one record in one system would hold them."""

    def __init__(self, m: Messiness) -> None:
        self.m = m
        self.nicks = D.nicknames()

    def name(self, rng: Rand, first: str, last: str) -> tuple[str, str]:
        m = self.m
        if rng.chance(m.nickname) and first in self.nicks:
            first = rng.choice(self.nicks[first])
        if rng.chance(m.name_typo):
            if rng.random() < 0.5:
                first = typo(rng, first)
            else:
                last = typo(rng, last)
        if rng.chance(m.name_swap):
            first, last = last, first
        return first, last

    def email(self, rng: Rand, address: str) -> str:
        m = self.m
        local, _, domain = address.partition("@")
        if domain == "gmail.com":
            if rng.chance(m.gmail_dots):
                if "." in local:
                    local = local.replace(".", "")
                elif len(local) > 3:
                    cut = rng.randrange(1, len(local) - 1)
                    local = local[:cut] + "." + local[cut:]
            if rng.chance(m.gmail_plus_tag):
                local += "+" + rng.choice(["shop", "news", "orders", "c360", "promo", "spam"])
            if rng.chance(m.googlemail):
                domain = "googlemail.com"
        text = f"{local}@{domain}"
        if rng.chance(m.email_case):
            style = rng.randrange(3)
            if style == 0:
                text = ".".join(p[:1].upper() + p[1:] for p in local.split(".")) + "@" + domain.capitalize()
            elif style == 1:
                text = text.upper()
            else:
                text = local[:1].upper() + local[1:] + "@" + domain
        if rng.chance(m.email_whitespace):
            text = rng.choice([" ", "  ", "\t"]) + text if rng.random() < 0.5 else text + " "
        return text

    def phone(self, rng: Rand, phone: list[str], national_ok: bool) -> str:
        country, area, sub = phone
        cc = D.COUNTRIES[country][4]
        if not rng.chance(self.m.phone_format):
            return f"+{cc}{area}{sub}"
        return rng.choice(_phone_formats(country, national_ok))(cc, area, sub)

    def street(self, rng: Rand, street: str) -> str:
        if rng.chance(self.m.address_abbreviation):
            for pattern, repl in D.STREET_ABBREVIATIONS:
                street = pattern.sub(repl, street)
            if "ß" in street and rng.random() < 0.3:
                street = street.replace("ß", "ss")
        return street


def _split(sub: str, *sizes: int) -> list[str]:
    out, i = [], 0
    for s in sizes:
        out.append(sub[i:i + s])
        i += s
    if i < len(sub):
        out.append(sub[i:])
    return [p for p in out if p]


def _phone_formats(country: str, national_ok: bool) -> list:
    if country == "US":
        intl = [
            lambda cc, a, s: f"+1 ({a}) {s[:3]}-{s[3:]}",
            lambda cc, a, s: f"+1 {a}-{s[:3]}-{s[3:]}",
            lambda cc, a, s: f"001{a}{s}",
            lambda cc, a, s: f"+1.{a}.{s[:3]}.{s[3:]}",
        ]
        nat = [
            lambda cc, a, s: f"{a}.{s[:3]}.{s[3:]}",
            lambda cc, a, s: f"({a}) {s[:3]}-{s[3:]}",
            lambda cc, a, s: f"{a}-{s[:3]}-{s[3:]}",
            lambda cc, a, s: f"{a}{s}",
            lambda cc, a, s: f"1-{a}-{s[:3]}-{s[3:]}",
        ]
    elif country == "FR":
        intl = [
            lambda cc, a, s: "+33 " + a + " " + " ".join(_split(s, 2, 2, 2, 2)),
            lambda cc, a, s: f"0033{a}{s}",
            lambda cc, a, s: f"+33 (0){a} " + " ".join(_split(s, 2, 2, 2, 2)),
        ]
        nat = [
            lambda cc, a, s: "0" + a + " " + " ".join(_split(s, 2, 2, 2, 2)),
            lambda cc, a, s: "0" + a + "." + ".".join(_split(s, 2, 2, 2, 2)),
            lambda cc, a, s: f"0{a}{s}",
        ]
    else:
        intl = [
            lambda cc, a, s: f"+{cc} {a} " + " ".join(_split(s, 3, 4) if len(s) == 7 else _split(s, 4, 4)),
            lambda cc, a, s: f"00{cc}{a}{s}",
            lambda cc, a, s: f"00{cc} {a} {s}",
            lambda cc, a, s: f"+{cc} (0){a} {s}",
            lambda cc, a, s: f"+{cc}-{a}-{s}",
        ]
        nat = [
            lambda cc, a, s: f"0{a} {s}",
            lambda cc, a, s: f"(0){a} {s}",
            lambda cc, a, s: f"0{a}-{s}",
            lambda cc, a, s: f"0{a}/{s}" if cc == "49" else f"0{a} " + " ".join(_split(s, 3, 4)),
        ]
    return intl + nat if national_ok else intl


# ----------------------------------------------------------------------------------------------- people


class People:
    """Creates people with unique identifying attributes (no accidental links between different people)."""

    def __init__(self, pools: Pools, ids: Ids, taken: dict[str, list] | None = None) -> None:
        self.pools = pools
        self.ids = ids
        taken = taken or {}
        self.emails: set[str] = set(taken.get("emails", []))
        self.phones: set[str] = set(taken.get("phones", []))
        self.name_dob: set[str] = set(taken.get("name_dob", []))
        self.addresses: set[str] = set(taken.get("addresses", []))
        self.groups = D.name_groups()
        self.countries = list(D.COUNTRIES)
        self.weights = [spec[1] for spec in D.COUNTRIES.values()]

    def dump(self) -> dict[str, list]:
        return {k: sorted(getattr(self, k)) for k in ("emails", "phones", "name_dob", "addresses")}

    def new_phone(self, rng: Rand, country: str) -> list[str]:
        while True:
            area, length = rng.choice(D.PHONE_PLANS[country])
            first = str(rng.randint(2, 9))
            sub = first + "".join(str(rng.randrange(10)) for _ in range(length - 1))
            key = f"{country}{area}{sub}"
            if key not in self.phones:
                self.phones.add(key)
                return [country, area, sub]

    def new_address(self, rng: Rand, country: str) -> tuple[str, str, str]:
        while True:
            street_name = rng.choice(self.pools.streets[country])
            number = rng.randint(1, 9999) if country == "US" else rng.randint(1, 180)
            street = f"{number} {street_name}" if country in ("US", "GB", "FR") else f"{street_name} {number}"
            city, postal = rng.choice(self.pools.cities[country])
            key = f"{D.ascii_fold(postal)}|{D.ascii_fold(street_name)}|{number}"
            if key not in self.addresses:
                self.addresses.add(key)
                return street, city, postal

    def new_email(self, rng: Rand, first: str, last: str, domain: str, suffix_p: float = 0.25) -> str:
        f, l = D.ascii_fold(first) or "x", D.ascii_fold(last) or "y"
        patterns = [f"{f}.{l}", f"{f}{l}", f"{f[0]}{l}", f"{f}_{l}", f"{f[0]}.{l}", f"{l}.{f}", f"{f}.{l[0]}"]
        for attempt in range(50):
            local = rng.choice(patterns)
            if attempt > 2 or rng.chance(suffix_p):
                local += str(rng.choice([rng.randint(1, 99), rng.randint(1960, 2006)]))
            address = f"{local}@{domain}"
            if email_key(address) not in self.emails:
                self.emails.add(email_key(address))
                return address
        raise RuntimeError("could not find a free e-mail address")  # pragma: no cover

    def new_person(self, rng: Rand, kind: str, created: int, m: Messiness) -> dict[str, Any]:
        country = rng.choices(self.countries, self.weights)[0]
        gender = "F" if rng.random() < 0.5 else "M"
        first = pick(rng, self.pools.first[country][gender])
        last = pick(rng, self.pools.last[country])
        group = self.groups.get(first, first)
        for _ in range(100):
            dob = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 56))
            keys = (f"{D.ascii_fold(last)}|{dob}", f"{D.ascii_fold(group)}|{dob}")
            if keys[0] not in self.name_dob and keys[1] not in self.name_dob:
                self.name_dob.update(keys)
                break
        street, city, postal = self.new_address(rng, country)
        domain = rng.choice(D.EMAIL_DOMAINS[country])
        emails = [self.new_email(rng, first, last, domain)]
        if rng.chance(m.second_email):
            emails.append(self.new_email(rng, first, last, rng.choice(self.pools.work_domains), suffix_p=0.0))
        return {
            "pid": f"p{self.ids.next('person'):07d}", "kind": kind, "country": country, "gender": gender,
            "first": first, "last": last, "dob": dob.isoformat(), "street": street, "city": city,
            "postal": postal, "phone": self.new_phone(rng, country), "emails": emails, "created": created,
            "sales": [],        # sales customer ids; [0] is the account, the rest guest checkouts
            "guest_link": None,  # how guest rows are linked: "dob" or "address"
            "primary_email": True,  # the account row carries a real address of the person
            "zd": [],           # Zendesk user ids
            "zd_work_pending": None,  # Zendesk user id waiting for its external_id (pending bridge)
            "cookies": [],      # [anonymousId, state] state: "login" | "anon_identify" | "anon" | "dormant" | "pending"
            "logged_in": [],    # cookies that already carried the userId
            "sg": [],           # SendGrid addresses (verbatim, lower case)
            "subscribed": False,
            "web": False,
            "known": [],        # addresses as written in non-SendGrid records (for SendGrid to mail)
        }


# ----------------------------------------------------------------------------------------------- batch context


class Batch:
    """Everything one batch writes, and its counts."""

    def __init__(self, number: int, start: int, end: int) -> None:
        self.number = number
        self.start = start
        self.end = end
        self.tables = {t: {"written": 0, "malformed": {}, "duplicates": 0, "updated": 0} for t in TABLES}
        self.truth: list[tuple[str, str, str]] = []
        self.bridges: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.late: dict[str, int] = {"email.events": 0, "web.events": 0}

    def count(self, table: str, n: int = 1, *, malformed: str | None = None, duplicate: bool = False,
              updated: bool = False) -> None:
        entry = self.tables[table]
        entry["written"] += n
        if malformed:
            entry["malformed"][malformed] = entry["malformed"].get(malformed, 0) + n
        if duplicate:
            entry["duplicates"] += n
        if updated:
            entry["updated"] += n

    def malformed(self, table: str, kind: str, n: int = 1) -> None:
        """Mark ``n`` already counted records as malformed (broken in place)."""
        entry = self.tables[table]["malformed"]
        entry[kind] = entry.get(kind, 0) + n

    def manifest_entry(self) -> dict[str, Any]:
        tables = {}
        for name, entry in self.tables.items():
            tables[name] = dict(entry, malformed=dict(sorted(entry["malformed"].items())))
            if name in self.late:
                tables[name]["late_arriving"] = self.late[name]
        return {
            "batch": self.number,
            "window": {"start": iso_z(self.start), "end": iso_z(self.end)},
            "tables": tables,
            "bridges": self.bridges,
            # records deliberately left unlinkable until a later increment bridges them
            "pending_bridges": self.pending,
            "truth_added": len(self.truth),
        }


def n_malformed(m: Messiness, n: int) -> int:
    """Malformed records of one kind for ``n`` records: a rate, but at least one whenever messiness is on."""
    if m.malformed <= 0 or n <= 0:
        return 0
    return max(1, round(m.malformed * n))


# ----------------------------------------------------------------------------------------------- generator


class Generator:
    def __init__(self, out: Path, seed: int, customers: int, m: Messiness, state: dict | None) -> None:
        self.out = out
        self.seed = seed
        self.customers = customers
        self.m = m
        self.render = Renderer(m)
        self.pools = Pools(seed)
        state = state or {}
        self.ids = Ids(state.get("ids"))
        self.people = People(self.pools, self.ids, state.get("taken"))
        self.persons: list[dict[str, Any]] = state.get("persons", [])
        self.by_pid = {p["pid"]: p for p in self.persons}
        self.products: list[dict[str, Any]] = state.get("products", [])
        self.product_index = {pr["id"]: pr for pr in self.products}
        self.source_id = state.get("source_id") or Rand(f"{seed}/source").hex(10).upper()
        self.malformed_orders: set[int] = set(state.get("malformed_orders", []))
        self.agents: list[int] = state.get("agents", [])
        self.campaigns: list[dict[str, Any]] = state.get("campaigns", [])
        self.ticket_lives: dict[str, dict] = state.get("tickets", {})
        self.emails_in_truth: set[str] = set(state.get("truth_emails", []))
        self.web_users_in_truth: set[str] = set(state.get("truth_web_users", []))
        self.anons_in_truth: set[str] = set(state.get("truth_anons", []))
        self.bridge_plan: list[tuple[str, dict]] = []

    def state(self) -> dict[str, Any]:
        return {
            "ids": self.ids.v, "taken": self.people.dump(), "persons": self.persons, "products": self.products,
            "source_id": self.source_id, "malformed_orders": sorted(self.malformed_orders), "agents": self.agents,
            "campaigns": self.campaigns, "tickets": self.ticket_lives,
            "truth_emails": sorted(self.emails_in_truth), "truth_web_users": sorted(self.web_users_in_truth),
            "truth_anons": sorted(self.anons_in_truth),
        }

    def rng(self, batch: int, part: str) -> Rand:
        return Rand(f"{self.seed}/{batch}/{part}")

    # ------------------------------------------------------------------ people & identity records

    def add_person(self, rng: Rand, b: Batch, kind: str, created: int) -> dict[str, Any]:
        p = self.people.new_person(rng, kind, created, self.m)
        self.persons.append(p)
        self.by_pid[p["pid"]] = p
        return p

    def truth(self, b: Batch, source: str, record_id: Any, person_id: str) -> None:
        b.truth.append((source, str(record_id), person_id))

    def customer_row(self, rng: Rand, p: dict, cid: int, created: int, guest: bool, now: int) -> dict[str, Any]:
        """A sales customers row for person p (the account, or a guest checkout)."""
        row = self._customer_row(rng, p, cid, created, guest, now)
        if row["email"]:
            p.setdefault("sales_email", {})[str(cid)] = row["email"]
        return row

    def _customer_row(self, rng: Rand, p: dict, cid: int, created: int, guest: bool, now: int) -> dict[str, Any]:
        m, r = self.m, self.render
        first, last = r.name(rng, p["first"], p["last"])
        street, city, postal = p["street"], p["city"], p["postal"]
        row: dict[str, Any] = {
            "id": cid, "first_name": first, "last_name": last, "gender": p["gender"], "country": p["country"],
            "birth_date": p["dob"], "street": r.street(rng, street), "city": city, "postal_code": postal,
            "created_at": sql_ts(created), "updated_at": sql_ts(min(now - 1, created + rng.randint(0, 3600))),
        }
        if guest:
            # A guest checkout shares no e-mail or phone with the account: a new address, or none.
            row["phone"] = None
            if rng.random() < 0.7:
                domain = rng.choice(D.EMAIL_DOMAINS[p["country"]])
                address = self.people.new_email(rng, p["first"], p["last"], domain, suffix_p=0.8)
                row["email"] = r.email(rng, address)
                p["known"].append(row["email"])
            else:
                row["email"] = None
            if p["guest_link"] == "dob":
                if rng.random() < 0.5:
                    row["street"] = row["city"] = row["postal_code"] = None
            else:
                row["birth_date"] = None if rng.random() < 0.6 else p["dob"]
            if rng.chance(m.missing_gender) or rng.random() < 0.5:
                row["gender"] = None
            return row
        # The account row.
        if rng.chance(m.junk_identifier):
            row["email"] = rng.choice(D.JUNK_EMAILS)
            p["primary_email"] = False
        elif rng.chance(m.missing_email):
            row["email"] = None
            p["primary_email"] = False
        else:
            row["email"] = r.email(rng, p["emails"][0])
            p["known"].append(row["email"])
        if rng.chance(m.junk_identifier):
            row["phone"] = rng.choice(D.JUNK_PHONES)
        elif rng.chance(m.missing_phone):
            row["phone"] = None
        else:
            row["phone"] = r.phone(rng, p["phone"], national_ok=True)
        if rng.chance(m.missing_gender):
            row["gender"] = None
        if p["guest_link"] != "dob" and rng.chance(m.missing_birth_date):
            row["birth_date"] = None
        if p["guest_link"] != "address" and rng.chance(m.missing_address):
            row["street"] = row["city"] = row["postal_code"] = None
        return row

    # ------------------------------------------------------------------ batch 0

    def run_initial(self) -> Batch:
        b = Batch(0, T0 - EVENT_HISTORY_DAYS * DAY, T0)
        rng = self.rng(0, "people")
        self.products = make_products(self.rng(0, "products"))
        self.product_index = {pr["id"]: pr for pr in self.products}
        self.agents = [self.ids.next("user", rng.randint(3, 40)) for _ in self.pools.agents]
        n_customers = self.customers
        n_prospects = max(1, round(0.1 * self.customers))
        # Sign-ups grow over time: the square root skews creation times towards the reference time.
        created = sorted(int(SALES_START + (T0 - DAY - SALES_START) * math.sqrt(rng.random())) for _ in range(n_customers))
        plans = []
        for c in created:
            plans.append(("customer", c))
        for _ in range(n_prospects):
            plans.append(("prospect", rng.randint(b.start, T0 - DAY)))
        plans.sort(key=lambda x: x[1])
        for kind, c in plans:
            self.add_person(rng, b, kind, c)
        persons = list(self.persons)
        n_pending = max(2, round(0.002 * len(persons)))
        self.assign_identities(rng, b, persons, n_pending)
        self.write_all(b, persons, initial=True)
        return b

    def assign_identities(self, rng: Rand, b: Batch, persons: list[dict], n_pending: int) -> None:
        """Decide who is a customer with which rows, who has Zendesk users, cookies and SendGrid addresses."""
        m = self.m
        customers = [p for p in persons if p["kind"] == "customer"]
        with_work = [p for p in customers if len(p["emails"]) > 1]
        pending_zd = set(p["pid"] for p in rng.sample(with_work, min(len(with_work), n_pending)))
        for p in persons:
            if p["kind"] == "customer":
                p["web"] = rng.random() < 0.7
                p["subscribed"] = rng.random() < 0.85
                if rng.chance(m.guest_checkout):
                    p["guest_link"] = "dob" if rng.random() < 0.5 else "address"
                p["zd_plan"] = "pending" if p["pid"] in pending_zd else ("user" if rng.random() < 0.30 else None)
                n_cookies = rng.choices([1, 2, 3], [0.6, 0.3, 0.1])[0] if p["web"] else 0
                p["cookies"] = [[rng.uuid4(), "anon_identify" if rng.random() < 0.08 else "login"] for _ in range(n_cookies)]
            else:
                p["web"] = True
                signup = rng.random() < 0.4
                p["subscribed"] = signup
                n_cookies = rng.choices([1, 2], [0.8, 0.2])[0] if signup else 1
                p["cookies"] = [[rng.uuid4(), "anon_identify" if signup else "anon"] for _ in range(n_cookies)]
                p["zd_plan"] = "user" if signup and rng.random() < 0.10 else None
        web_customers = [p for p in customers if p["web"]]
        for p in rng.sample(web_customers, min(len(web_customers), n_pending)):
            p["cookies"].append([rng.uuid4(), "dormant"])
            b.pending.append({"kind": "web_login", "person_id": p["pid"], "record": ["web_anonymous", p["cookies"][-1][0]]})

    def realize_person(self, rng: Rand, b: Batch, p: dict, sales: "SalesWriter", support: "SupportWriter") -> None:
        """Write the identity records of a new person: sales rows, Zendesk users (orders etc. come later)."""
        m, r = self.m, self.render
        if p["kind"] == "customer":
            cid = self.ids.next("customer")
            p["sales"].append(cid)
            sales.customer(self.customer_row(rng, p, cid, p["created"], guest=False, now=b.end), b)
            self.truth(b, "sales", cid, p["pid"])
            if p["guest_link"]:
                for _ in range(1 if rng.random() < 0.85 else 2):
                    gid = self.ids.next("customer")
                    gcreated = rng.randint(min(p["created"] + 3600, b.end - 3600), b.end - 60)
                    p["sales"].append(gid)
                    p.setdefault("guest_created", {})[str(gid)] = gcreated
                    sales.customer(self.customer_row(rng, p, gid, gcreated, guest=True, now=b.end), b)
                    self.truth(b, "sales", gid, p["pid"])
        plan = p.pop("zd_plan", None)
        if plan:
            self.new_zendesk_user(rng, b, p, support, pending=(plan == "pending"))
        for cookie in p["cookies"]:
            if cookie[1] in ("anon_identify",):
                # an anonymous identify carries an address of the person: it must be one other records know
                if not p["known"] and p["kind"] == "customer":
                    cookie[1] = "login"
                elif not p["known"]:
                    p["known"].append(r.email(rng, p["emails"][0]))

    def new_zendesk_user(self, rng: Rand, b: Batch, p: dict, support: "SupportWriter", pending: bool) -> int:
        m, r = self.m, self.render
        uid = self.ids.next("user", rng.randint(1, 60))
        created = max(SUPPORT_START, p["created"]) + rng.randint(0, 30 * DAY)
        created = min(created, b.end - rng.randint(600, 20 * DAY if b.number == 0 else DAY // 2))
        created = max(created, b.start if b.number else SUPPORT_START)
        first, last = r.name(rng, p["first"], p["last"])
        name = f"{first} {last}" if rng.random() > 0.05 else f"{last}, {first}"
        external_id = None
        phone = None
        if pending:
            email = r.email(rng, p["emails"][1])
            p["zd_work_pending"] = uid
            b.pending.append({"kind": "support_external_id", "person_id": p["pid"], "record": ["support", str(uid)]})
        else:
            use_work = len(p["emails"]) > 1 and rng.random() < 0.3
            email = r.email(rng, p["emails"][1 if use_work else 0])
            if p["kind"] == "customer" and rng.random() < 0.35:
                external_id = str(p["sales"][0])
            if rng.random() < 0.3 and not rng.chance(m.missing_phone):
                phone = r.phone(rng, p["phone"], national_ok=False)
            if p["kind"] == "customer" and rng.chance(m.junk_identifier * 3):
                email = rng.choice(D.JUNK_EMAILS)  # a phone ticket where the agent typed a placeholder
                external_id = str(p["sales"][0])
            linked = external_id is not None or (not use_work and p["primary_email"]) or p["kind"] == "prospect"
            if not linked:
                if p["kind"] == "customer":
                    external_id = str(p["sales"][0])
            if email not in D.JUNK_EMAILS:
                p["known"].append(email)
        p["zd"].append(uid)
        support.user(self.zendesk_user(rng, p, uid, name, email, phone, external_id, created, b.end), b)
        self.truth(b, "support", uid, p["pid"])
        return uid

    def zendesk_user(self, rng: Rand, p: dict, uid: int, name: str, email: str | None, phone: str | None,
                     external_id: str | None, created: int, now: int) -> dict[str, Any]:
        spec = D.COUNTRIES[p["country"]]
        updated = min(now - 1, created + rng.randint(0, 3 * 3600))
        return {
            "id": uid, "url": f"{ZENDESK_BASE}/users/{uid}.json", "name": name, "email": email,
            "created_at": iso_z(created), "updated_at": iso_z(updated), "time_zone": spec[5],
            "iana_time_zone": spec[6], "phone": phone, "shared_phone_number": None if phone is None else False,
            "photo": None, "locale_id": 1 if spec[7] == "en-US" else 1176, "locale": spec[7],
            "organization_id": None, "role": "end-user", "verified": rng.random() < 0.8,
            "external_id": external_id, "tags": [], "alias": "", "active": True, "shared": False,
            "shared_agent": False, "last_login_at": None, "two_factor_auth_enabled": None, "signature": None,
            "details": "", "notes": "", "role_type": None, "custom_role_id": None, "moderator": False,
            "ticket_restriction": "requested", "only_private_comments": False, "restricted_agent": True,
            "suspended": False, "default_group_id": None, "report_csv": False, "user_fields": {},
        }

    def agent_users(self, b: Batch) -> list[dict[str, Any]]:
        out = []
        for uid, (first, last) in zip(self.agents, self.pools.agents):
            created = SUPPORT_START - 30 * DAY
            out.append({
                "id": uid, "url": f"{ZENDESK_BASE}/users/{uid}.json", "name": f"{first} {last}",
                "email": f"{D.ascii_fold(first)}.{D.ascii_fold(last)}@support.c360.example",
                "created_at": iso_z(created), "updated_at": iso_z(created + 3600), "time_zone": "Amsterdam",
                "iana_time_zone": "Europe/Amsterdam", "phone": None, "shared_phone_number": None, "photo": None,
                "locale_id": 1, "locale": "en-US", "organization_id": None, "role": "agent", "verified": True,
                "external_id": None, "tags": [], "alias": "", "active": True, "shared": False,
                "shared_agent": False, "last_login_at": iso_z(T0 - 3600), "two_factor_auth_enabled": None,
                "signature": "", "details": "", "notes": "", "role_type": 0, "custom_role_id": None,
                "moderator": True, "ticket_restriction": None, "only_private_comments": False,
                "restricted_agent": False, "suspended": False, "default_group_id": 360001, "report_csv": True,
                "user_fields": {},
            })
            self.truth(b, "support", uid, f"agent:{uid}")
        return out

    # ------------------------------------------------------------------ writing a batch

    def write_all(self, b: Batch, new_persons: list[dict], initial: bool) -> None:
        rng = self.rng(b.number, "records")
        sales = SalesWriter(self.out / "sales.sqlite", initial)
        support = SupportWriter(self.out / "support", initial, self.ticket_lives)
        if initial:
            for prod in self.products:
                sales.product(prod, b)
            for user in self.agent_users(b):
                support.user(user, b)
        for p in new_persons:
            self.realize_person(rng, b, p, sales, support)
        if not initial:
            self.apply_updates(rng, b, sales, support)
        # orders
        orng = self.rng(b.number, "orders")
        window_orders: list[tuple[dict, dict]] = []  # (person, order) created in the event window
        new_pids = {p["pid"] for p in new_persons}
        if not initial:
            # about one customer in 250 orders on a given day (at least two)
            accounts = [p for p in self.persons if p["sales"] and p["pid"] not in new_pids]
            buyers = orng.sample(accounts, min(len(accounts), max(2, round(0.004 * len(accounts)))))
            self.buyers = {p["pid"] for p in buyers}
        for p in (new_persons if initial else self.persons):
            self.orders_for(orng, b, p, sales, window_orders, initial, p["pid"] in new_pids)
        self.corrupt_orders(self.rng(b.number, "bad-orders"), b, sales)
        # support tickets
        trng = self.rng(b.number, "tickets")
        self.tickets(trng, b, support, new_persons, initial)
        # SendGrid and Segment
        self.finalize_known(self.rng(b.number, "known"), new_persons if initial else self.persons)
        erng = self.rng(b.number, "email")
        campaigns = plan_campaigns(self, erng, b)
        # SendGrid and Segment files are independent: write them on two cores (a forked child for SendGrid).
        n_truth = len(b.truth)
        child = _fork(lambda: _email_child(self, erng, b, window_orders, initial, campaigns))
        web_events(self, self.rng(b.number, "web"), b, window_orders, initial)
        result = child()
        b.tables["email.events"] = result["table"]
        b.late["email.events"] = result["late"]
        b.truth[n_truth:n_truth] = [tuple(t) for t in result["truth"]]
        self.emails_in_truth.update(result["emails"])
        sales.close()
        support.close(b)
        self.ticket_lives = support.lifecycle_state()

    # ------------------------------------------------------------------ orders

    def orders_for(self, rng: Rand, b: Batch, p: dict, sales: "SalesWriter", window_orders: list,
                   initial: bool, is_new: bool) -> None:
        if not p["sales"]:
            return
        if initial or is_new:
            # the account: 0..many orders over its lifetime; each guest row: its one checkout
            account = p["sales"][0]
            start = p["created"]
            n = 0 if rng.random() < 0.12 else min(40, 1 + int(rng.expovariate(1 / 2.4)))
            span = max(600, b.end - 60 - start)
            times = sorted(start + int(span * rng.random() ** 0.7) for _ in range(n))
            for t in times:
                self.new_order(rng, b, p, account, t, sales, window_orders)
            for gid in p["sales"][1:]:
                # the guest row is created by its checkout
                t = p["guest_created"][str(gid)]
                self.new_order(rng, b, p, gid, t, sales, window_orders, guest=True)
        else:
            # an existing customer ordering during the increment day
            if p["pid"] in self.buyers:
                t = rng.randint(b.start, b.end - 60)
                self.new_order(rng, b, p, p["sales"][0], t, sales, window_orders)

    def new_order(self, rng: Rand, b: Batch, p: dict, cid: int, created: int, sales: "SalesWriter",
                  window_orders: list, guest: bool = False) -> None:
        oid = self.ids.next("order")
        currency, fx = D.COUNTRIES[p["country"]][2], D.COUNTRIES[p["country"]][3]
        items = []
        subtotal = 0.0
        for prod in rng.sample(self.products, rng.choices([1, 2, 3, 4], [0.45, 0.3, 0.15, 0.1])[0]):
            qty = 1 if rng.random() < 0.8 else rng.randint(2, 4)
            promo = 0.85 if rng.random() < 0.1 else 1.0
            unit_price = round(prod["price"] * fx * promo, 2)
            unit_cost = round(prod["cost"] * fx, 2)
            subtotal += qty * unit_price
            items.append({"id": self.ids.next("item"), "order_id": oid, "product_id": prod["id"], "quantity": qty,
                          "unit_price": unit_price, "unit_cost": unit_cost, "created_at": sql_ts(created),
                          "updated_at": sql_ts(created)})
        subtotal = round(subtotal, 2)
        discount = round(subtotal * 0.1, 2) if rng.random() < 0.15 else 0.0
        status, updated = order_status(rng, created, b.end)
        sales.order({"id": oid, "customer_id": cid, "status": status, "currency": currency, "subtotal": subtotal,
                     "discount": discount, "total": round(subtotal - discount, 2), "created_at": sql_ts(created),
                     "updated_at": sql_ts(updated)}, b)
        for item in items:
            sales.item(item, b)
        if created >= b.start:
            window_orders.append((p, {"id": oid, "customer_id": cid, "created": created, "total": round(subtotal - discount, 2),
                                      "currency": currency, "items": items, "guest": guest, "status": status}))

    def corrupt_orders(self, rng: Rand, b: Batch, sales: "SalesWriter") -> None:
        """Malformed rows a typed order database still lets through (never in the updated_at cursor)."""
        k = n_malformed(self.m, len(sales.new_orders))
        if k:
            picks = rng.sample(sales.new_orders, min(len(sales.new_orders), 3 * k))
            for i, order in enumerate(picks):
                kind = ("missing_key", "future_timestamp", "invalid_value")[i // k]
                if kind == "missing_key":
                    order["customer_id"] = None
                elif kind == "future_timestamp":
                    order["created_at"] = sql_ts(FAR_FUTURE + rng.randint(0, 300 * DAY))
                else:
                    order["status"] = rng.choice(["on_hold?", "UNKNOWN", "shiped"])
                self.malformed_orders.add(order["id"])
                b.malformed("sales.orders", kind)
        k = n_malformed(self.m, len(sales.new_items))
        for item in rng.sample(sales.new_items, min(len(sales.new_items), k)) if k else []:
            item["quantity"] = -item["quantity"]
            b.malformed("sales.order_items", "invalid_value")

    # ------------------------------------------------------------------ support tickets

    def tickets(self, rng: Rand, b: Batch, support: "SupportWriter", new_persons: list[dict], initial: bool) -> None:
        if initial:
            for p in new_persons:
                for uid in p["zd"]:
                    user = support.users[uid]
                    created = parse_iso(user["created_at"])
                    n = 1 + int(rng.expovariate(1 / 0.8))
                    for _ in range(n):
                        t = rng.randint(created, b.end - 600) if created < b.end - 600 else created
                        self.new_ticket(rng, b, p, uid, t, support)
                    if rng.random() < 0.1:  # support is busy: a share of tickets is still being worked on
                        self.new_ticket(rng, b, p, uid, rng.randint(max(created, b.end - 7 * DAY), b.end - 600), support)
        else:
            for p in new_persons:
                for uid in p["zd"]:
                    self.new_ticket(rng, b, p, uid, rng.randint(b.start, b.end - 60), support)
            new_pids = {p["pid"] for p in new_persons}
            requesters = [p for p in self.persons if p["zd"] and p["pid"] not in new_pids]
            k = max(2, round(0.01 * len(requesters)))
            for p in rng.sample(requesters, min(k, len(requesters))):
                self.new_ticket(rng, b, p, rng.choice(p["zd"]), rng.randint(b.start, b.end - 60), support)
        self.corrupt_tickets(self.rng(b.number, "bad-tickets"), b, support)

    def new_ticket(self, rng: Rand, b: Batch, p: dict, uid: int, created: int, support: "SupportWriter") -> None:
        tid = self.ids.next("ticket")
        user = support.users[uid]
        kind, subject, tags, description = rng.choice(D.SUPPORT_TOPICS)
        order = rng.randint(500_001, max(500_001, self.ids.v["order"]))
        subject = subject.format(order=order)
        description = description.format(order=order)
        channel = rng.choices(["email", "web", "chat", "voice", "api"], [0.45, 0.25, 0.18, 0.08, 0.04])[0]
        if channel == "email":
            source = {"from": {"address": user["email"], "name": user["name"]},
                      "to": {"name": "C360 Shop Support", "address": "support@c360shop.zendesk.com"}, "rel": None}
        elif channel == "voice":
            source = {"from": {"formatted_phone": user["phone"], "phone": user["phone"], "name": user["name"]},
                      "to": {"formatted_phone": "+1 (415) 555-0100", "phone": "+14155550100"}, "rel": "inbound"}
        elif channel == "web":
            source = {"from": {}, "to": {}, "rel": None}
        elif channel == "chat":
            source = {"from": {}, "to": {}, "rel": "chat_transcript"}
        else:
            source = {"from": {}, "to": {}, "rel": None}
        ticket = {
            "url": f"{ZENDESK_BASE}/tickets/{tid}.json", "id": tid, "external_id": None,
            "via": {"channel": channel, "source": source}, "created_at": iso_z(created), "updated_at": None,
            "generated_timestamp": 0, "type": kind, "subject": subject, "raw_subject": subject,
            "description": description, "priority": rng.choices([None, "low", "normal", "high", "urgent"],
                                                                [0.3, 0.15, 0.35, 0.15, 0.05])[0],
            "status": "new", "recipient": "support@c360shop.zendesk.com" if channel == "email" else None,
            "requester_id": uid, "submitter_id": uid if channel in ("email", "web", "api") else rng.choice(self.agents),
            "assignee_id": None, "organization_id": None, "group_id": 360001, "collaborator_ids": [],
            "follower_ids": [], "email_cc_ids": [], "forum_topic_id": None, "problem_id": None,
            "has_incidents": False, "is_public": True, "due_at": None, "tags": list(tags), "custom_fields": [],
            "satisfaction_rating": {"score": "unoffered"}, "sharing_agreement_ids": [], "custom_status_id": 1,
            "fields": [], "followup_ids": [], "ticket_form_id": 360000001, "brand_id": 360000002,
            "allow_channelback": False, "allow_attachments": True, "from_messaging_channel": channel == "chat",
        }
        life = ticket_life(rng, created)
        support.tickets[tid] = {"ticket": ticket, "life": life, "pid": p["pid"], "created": created}
        advance_ticket(rng, self, support, tid, b, new=True)

    def corrupt_tickets(self, rng: Rand, b: Batch, support: "SupportWriter") -> None:
        new = [tid for tid in support.new_ticket_ids]
        k = n_malformed(self.m, len(new))
        if not k:
            return
        picks = rng.sample(new, min(len(new), 4 * k))
        for i, tid in enumerate(picks):
            t = support.tickets[tid]["ticket"]
            kind = ("wrong_type", "missing_key", "future_timestamp", "invalid_value")[i // k]
            if kind == "wrong_type":
                t["requester_id"] = rng.choice(["abc", "n/a", str(t["requester_id"]) + "x"])
            elif kind == "missing_key":
                del t["requester_id"]
            elif kind == "future_timestamp":
                t["created_at"] = iso_z(FAR_FUTURE + rng.randint(0, 200 * DAY))
            else:
                t["priority"] = "critical"
            support.tickets[tid]["malformed"] = kind
            b.malformed("support.tickets", kind)
        ratings = list(support.new_rating_ids)
        k = n_malformed(self.m, len(ratings))
        for i, rid in enumerate(rng.sample(ratings, min(len(ratings), 2 * k)) if k else []):
            rating = support.ratings[rid]
            kind = ("wrong_type", "invalid_value")[i // k]
            if kind == "wrong_type":
                rating["ticket_id"] = f"#{rating['ticket_id']}"
            else:
                rating["score"] = "meh"
            b.malformed("support.satisfaction_ratings", kind)

    # ------------------------------------------------------------------ known addresses for SendGrid

    def finalize_known(self, rng: Rand, persons: Iterable[dict]) -> None:
        """Pick the SendGrid addresses: verbatim (lower-cased) forms of addresses other records hold."""
        for p in persons:
            if p["sg"] or not p["subscribed"]:
                continue
            known = []
            for address in p["known"]:
                address = address.strip().lower()
                if address and address not in known:
                    known.append(address)
            if not known:
                continue
            first = known[0]
            p["sg"] = [first]
            others = [a for a in known[1:] if norm_email(a) != norm_email(first)]
            if others and rng.random() < 0.5:
                p["sg"].append(others[0])
            if rng.chance(self.m.gmail_dots * 0.3) and len(known) > 1 and known[1] not in p["sg"]:
                p["sg"].append(known[1])

    # ------------------------------------------------------------------ increments

    def run_increment(self, number: int) -> Batch:
        start = T0 + (number - 1) * DAY
        b = Batch(number, start, start + DAY)
        rng = self.rng(number, "people")
        n_new = max(1, round(0.01 * self.customers))
        new_persons = []
        for _ in range(n_new):
            kind = "customer" if rng.random() < 0.85 else "prospect"
            new_persons.append(self.add_person(rng, b, kind, rng.randint(b.start, b.end - 3 * 3600)))
        self.assign_identities(rng, b, new_persons, 0)
        self.plan_bridges(self.rng(number, "bridges"), b, new_persons)
        self.write_all(b, new_persons, initial=False)
        return b

    def plan_bridges(self, rng: Rand, b: Batch, new_persons: list[dict]) -> None:
        """Choose this increment's bridges (applied while writing) and new pending ones for later."""
        k = max(2, round(0.0005 * self.customers))
        self.bridge_plan: list[tuple[str, dict]] = []
        new_pids = {p["pid"] for p in new_persons}
        dormant = [p for p in self.persons if p["pid"] not in new_pids and any(c[1] == "dormant" for c in p["cookies"])]
        for p in rng.sample(dormant, min(k, len(dormant))):
            self.bridge_plan.append(("web_login", p))
        zd_pending = [p for p in self.persons if p.get("zd_work_pending")]
        for p in rng.sample(zd_pending, min(k, len(zd_pending))):
            self.bridge_plan.append(("support_external_id", p))
        prospects = [p for p in self.persons if p["kind"] == "prospect" and p["pid"] not in new_pids
                     and len(p["cookies"]) == 1 and p["cookies"][0][1] == "anon" and p["created"] < b.start]
        for p in rng.sample(prospects, min(k, len(prospects))):
            self.bridge_plan.append(("prospect_conversion", p))
        # keep a supply of pending bridges for later increments
        web_customers = [p for p in self.persons if p["kind"] == "customer" and p["web"] and p["pid"] not in new_pids
                         and not p.get("converted")]
        for p in rng.sample(web_customers, min(k, len(web_customers))):
            p["cookies"].append([rng.uuid4(), "dormant_new"])
            b.pending.append({"kind": "web_login", "person_id": p["pid"], "record": ["web_anonymous", p["cookies"][-1][0]]})
        # a customer writes to support from a work address nothing else knows
        candidates = [p for p in self.persons if p["kind"] == "customer" and len(p["emails"]) > 1 and not p["zd"]
                      and p["pid"] not in new_pids and not p.get("converted")
                      and all(email_key(a) != email_key(p["emails"][1]) for a in p["known"] + p["sg"])]
        self.zd_pending_plan = rng.sample(candidates, min(k, len(candidates)))

    def apply_updates(self, rng: Rand, b: Batch, sales: "SalesWriter", support: "SupportWriter") -> None:
        """Updated customers, orders, users and tickets, and this increment's bridges."""
        m = self.m
        # bridges
        for kind, p in getattr(self, "bridge_plan", []):
            if kind == "web_login":
                cookie = next(c for c in p["cookies"] if c[1] == "dormant")
                cookie[1] = "bridge_login"
                b.bridges.append({"kind": kind, "person_id": p["pid"], "records": [
                    ["web_anonymous", cookie[0]], ["web_user", str(p["sales"][0])]]})
            elif kind == "support_external_id":
                uid = p.pop("zd_work_pending")
                user = support.users[uid]
                user["external_id"] = str(p["sales"][0])
                support.touch_user(uid, rng.randint(b.start + 60, b.end - 60), b)
                b.bridges.append({"kind": kind, "person_id": p["pid"], "records": [
                    ["support", str(uid)], ["sales", str(p["sales"][0])]]})
                p["known"].append(user["email"])
            else:  # prospect_conversion: the prospect registers, then logs in on the cookie seen before
                p["kind"] = "customer"
                p["created"] = rng.randint(b.start, b.end - 4 * 3600)
                cid = self.ids.next("customer")
                p["sales"].append(cid)
                sales.customer(self.customer_row(rng, p, cid, p["created"], guest=False, now=b.end), b)
                self.truth(b, "sales", cid, p["pid"])
                p["cookies"][0][1] = "bridge_login"
                p["subscribed"] = p["subscribed"] or rng.random() < 0.8
                p["converted"] = True
                b.bridges.append({"kind": kind, "person_id": p["pid"], "records": [
                    ["web_anonymous", p["cookies"][0][0]], ["sales", str(cid)], ["web_user", str(cid)]]})
        for p in self.persons:
            for c in p["cookies"]:
                if c[1] == "dormant_new":
                    c[1] = "dormant"
        for p in getattr(self, "zd_pending_plan", []):
            self.new_zendesk_user(rng, b, p, support, pending=True)
        # updated customers: a move or a new phone (only where no other record relies on the old value)
        accounts = [p for p in self.persons if p["sales"] and p["kind"] == "customer" and not p.get("converted")
                    and sales.exists(p["sales"][0])]
        for p in rng.sample(accounts, min(len(accounts), max(1, round(0.015 * len(accounts))))):
            cid = p["sales"][0]
            row = sales.load_customer(cid)
            if p["guest_link"] != "address" and rng.random() < 0.6:
                street, city, postal = self.people.new_address(rng, p["country"])
                p["street"], p["city"], p["postal"] = street, city, postal
                row.update(street=self.render.street(rng, street), city=city, postal_code=postal)
            elif rng.random() < 0.8:
                # never the only link of any record, so a new number breaks nothing
                p["phone"] = self.people.new_phone(rng, p["country"])
                row["phone"] = self.render.phone(rng, p["phone"], national_ok=True)
            else:
                row["last_name"] = p["last"] if row["last_name"] != p["last"] and row["first_name"] != p["last"] else row["last_name"]
                row["gender"] = row["gender"] or p["gender"]
            row["updated_at"] = sql_ts(rng.randint(b.start + 1, b.end - 1))
            sales.update_customer(row, b)
        # updated orders: status changes
        for order in sales.open_orders(rng, self.malformed_orders):
            nxt = {"pending": "paid", "paid": "shipped", "shipped": "completed", "completed": "refunded"}[order["status"]]
            if order["status"] == "pending" and rng.random() < 0.15:
                nxt = "cancelled"
            order["status"] = nxt
            order["updated_at"] = sql_ts(rng.randint(b.start + 1, b.end - 1))
            sales.update_order(order, b)
        # updated tickets: progress every unsolved ticket whose next step falls in this window
        for tid in list(support.tickets):
            advance_ticket(rng, self, support, tid, b, new=False)


# ----------------------------------------------------------------------------------------------- sales


def make_products(rng: Rand) -> list[dict[str, Any]]:
    products = []
    pid = 0
    for category, (nouns, lo, hi) in D.CATEGORIES.items():
        names = [f"{a} {n}" for a in D.ADJECTIVES for n in nouns]
        for name in sorted(rng.sample(names, min(len(names), 18))):
            pid += 1
            price = round(math.exp(rng.uniform(math.log(lo), math.log(hi))), 0) - 0.01
            products.append({"id": pid, "name": name, "category": category, "price": price,
                             "cost": round(price * rng.uniform(0.35, 0.7), 2),
                             "created_at": sql_ts(SALES_START - 90 * DAY), "updated_at": sql_ts(SALES_START - 90 * DAY)})
    return products


def order_status(rng: Rand, created: int, now: int) -> tuple[str, int]:
    r = rng.random()
    if r < 0.05:
        t = created + rng.randint(60, 2 * DAY)
        return ("cancelled", t) if t <= now else ("pending", created)
    stages = [("pending", created), ("paid", created + rng.randint(30, 3600))]
    stages.append(("shipped", stages[-1][1] + rng.randint(6 * 3600, 3 * DAY)))
    stages.append(("completed", stages[-1][1] + rng.randint(2 * DAY, 6 * DAY)))
    if r < 0.08:
        stages.append(("refunded", stages[-1][1] + rng.randint(3 * DAY, 30 * DAY)))
    status, t = stages[0]
    for s, st in stages:
        if st <= now:
            status, t = s, st
    return status, t


class SalesWriter:
    """Collects sales rows of one batch and writes them to the SQLite file (insert or replace)."""

    COLS = {t.name: [c.name for c in t.columns] for t in sales_db.TABLES}

    def __init__(self, path: Path, initial: bool) -> None:
        self.path = path
        if initial:
            if path.exists():
                path.unlink()
            engine = sales_db.create_schema(sales_db.sqlite_url(path))
            engine.dispose()
        self.con = sqlite3.connect(path)
        self.rows: dict[str, dict[int, dict]] = {t: {} for t in self.COLS}
        self.new_orders: list[dict] = []
        self.new_items: list[dict] = []

    def exists(self, cid: int) -> bool:
        return cid in self.rows["customers"] or bool(
            self.con.execute("select 1 from customers where id = ?", (cid,)).fetchall())

    def product(self, row: dict, b: Batch) -> None:
        self.rows["products"][row["id"]] = row
        b.count("sales.products")

    def customer(self, row: dict, b: Batch) -> None:
        self.rows["customers"][row["id"]] = row
        b.count("sales.customers")

    def order(self, row: dict, b: Batch) -> None:
        self.rows["orders"][row["id"]] = row
        self.new_orders.append(row)
        b.count("sales.orders")

    def item(self, row: dict, b: Batch) -> None:
        self.rows["order_items"][row["id"]] = row
        self.new_items.append(row)
        b.count("sales.order_items")

    def load_customer(self, cid: int) -> dict:
        if cid in self.rows["customers"]:
            return self.rows["customers"][cid]
        cur = self.con.execute(f"select {', '.join(self.COLS['customers'])} from customers where id = ?", (cid,))
        return dict(zip(self.COLS["customers"], cur.fetchall()[0]))

    def update_customer(self, row: dict, b: Batch) -> None:
        if row["id"] not in self.rows["customers"]:
            b.count("sales.customers", updated=True)
        self.rows["customers"][row["id"]] = row

    def open_orders(self, rng: Rand, malformed: set[int]) -> list[dict]:
        cols = self.COLS["orders"]
        cur = self.con.execute(
            f"select {', '.join(cols)} from orders where status in ('pending', 'paid', 'shipped', 'completed') order by id")
        out = []
        for rec in cur.fetchall():
            row = dict(zip(cols, rec))
            if row["id"] in malformed:
                continue
            p = {"pending": 0.5, "paid": 0.45, "shipped": 0.3, "completed": 0.0015}[row["status"]]
            if rng.random() < p:
                out.append(row)
        return out

    def update_order(self, row: dict, b: Batch) -> None:
        b.count("sales.orders", updated=True)
        self.rows["orders"][row["id"]] = row

    def close(self) -> None:
        with self.con:
            for table, rows in self.rows.items():
                cols = self.COLS[table]
                sql = f"insert or replace into {table} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})"
                self.con.executemany(sql, ([r.get(c) for c in cols] for r in sorted(rows.values(), key=lambda r: r["id"])))
        self.con.close()


# ----------------------------------------------------------------------------------------------- support


def parse_iso(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


def ticket_life(rng: Rand, created: int) -> dict[str, Any]:
    """The planned timeline of a ticket (what will happen when), revealed batch by batch."""
    assign = created + rng.randint(60, 4 * 3600)
    reply = created + int(rng.lognormvariate(math.log(3 * 3600), 1.0))
    solve = max(reply + 60, created + int(rng.lognormvariate(math.log(1.5 * DAY), 1.0)))
    reopen = rng.random() < 0.08
    life = {"assign": assign, "reply": max(assign, reply), "solve": solve, "replies": rng.randint(1, 4),
            "reopen": solve + rng.randint(3600, 3 * DAY) if reopen else None,
            "resolve2": None, "close_after": 4 * DAY, "hold": rng.random() < 0.05,
            "rate": rng.random() < 0.45, "rating_delay": rng.randint(3600, 2 * DAY)}
    if reopen:
        life["resolve2"] = life["reopen"] + int(rng.lognormvariate(math.log(DAY), 0.8))
    return life


def _minutes(a: int, b: int) -> dict[str, int]:
    cal = max(0, (b - a) // 60)
    return {"calendar": cal, "business": int(cal * 0.3)}


def advance_ticket(rng: Rand, gen: Generator, support: "SupportWriter", tid: int, b: Batch, new: bool) -> None:
    """Set a ticket's status, metric_set and rating to what they are at ``b.end``; record a change."""
    entry = support.tickets[tid]
    t, life = entry["ticket"], entry["life"]
    now = b.end
    if entry.get("malformed") and not new:
        return  # a broken record stays as it was: updating it would hide it among the updates
    created = entry["created"]
    events = [("new", created)]
    if life["assign"] <= now:
        events.append(("open", life["assign"]))
    if life["reply"] <= now:
        events.append(("pending" if not life["hold"] else "hold", life["reply"]))
    solved_at = None
    reopens = 0
    if life["solve"] <= now:
        events.append(("solved", life["solve"]))
        solved_at = life["solve"]
    if life["reopen"] and life["reopen"] <= now:
        events.append(("open", life["reopen"]))
        reopens = 1
        solved_at = None
        if life["resolve2"] <= now:
            events.append(("solved", life["resolve2"]))
            solved_at = life["resolve2"]
    final_solve = events[-1][1] if events[-1][0] == "solved" else None
    if final_solve and final_solve + life["close_after"] <= now:
        events.append(("closed", final_solve + life["close_after"]))
    status, updated = events[-1]
    rating_at = None
    if final_solve and life["rate"]:
        rating_at = final_solve + life["rating_delay"]
        if rating_at <= now:
            updated = max(updated, rating_at)
        else:
            rating_at = None
    if not new and updated == entry.get("updated") and status == t["status"]:
        return
    if not new and updated < b.start:
        return
    entry["updated"] = updated
    agent = t["assignee_id"] or gen.agents[tid % len(gen.agents)]
    if life["assign"] <= now:
        t["assignee_id"] = agent
    t["status"] = status
    t["updated_at"] = iso_z(updated)
    t["generated_timestamp"] = updated
    first_solve = life["solve"] if life["solve"] <= now else None
    t["metric_set"] = {
        "url": f"{ZENDESK_BASE}/ticket_metrics/{tid + 3_900_000_000}.json", "id": tid + 3_900_000_000,
        "ticket_id": tid, "created_at": iso_z(created), "updated_at": iso_z(updated),
        "group_stations": 1, "assignee_stations": 1 if life["assign"] <= now else 0, "reopens": reopens,
        "replies": life["replies"] if life["reply"] <= now else 0,
        "assignee_updated_at": iso_z(life["reply"]) if life["reply"] <= now else None,
        "requester_updated_at": iso_z(created), "status_updated_at": iso_z(events[-1][1]),
        "initially_assigned_at": iso_z(life["assign"]) if life["assign"] <= now else None,
        "assigned_at": iso_z(life["assign"]) if life["assign"] <= now else None,
        "solved_at": iso_z(solved_at) if solved_at else None,
        "latest_comment_added_at": iso_z(max(e[1] for e in events)),
        "reply_time_in_minutes": _minutes(created, life["reply"]) if life["reply"] <= now else {"calendar": None, "business": None},
        "first_resolution_time_in_minutes": _minutes(created, first_solve) if first_solve else {"calendar": None, "business": None},
        "full_resolution_time_in_minutes": _minutes(created, final_solve) if final_solve else {"calendar": None, "business": None},
        "agent_wait_time_in_minutes": {"calendar": None, "business": None},
        "requester_wait_time_in_minutes": _minutes(created, final_solve) if final_solve else {"calendar": None, "business": None},
        "on_hold_time_in_minutes": {"calendar": 0, "business": 0},
        "reply_time_in_seconds": {"calendar": (life["reply"] - created) if life["reply"] <= now else None},
    }
    if rating_at and "rating" not in entry:
        rid = gen.ids.next("rating", rng.randint(1, 50))
        score = rng.choices(["good", "bad", "offered"], [0.78, 0.17, 0.05])[0]
        rating: dict[str, Any] = {
            "url": f"{ZENDESK_BASE}/satisfaction_ratings/{rid}.json", "id": rid, "assignee_id": agent,
            "group_id": 360001, "requester_id": t.get("requester_id"), "ticket_id": tid, "score": score,
            "created_at": iso_z(rating_at), "updated_at": iso_z(rating_at),
        }
        if score == "good":
            rating.update(comment=rng.choice(D.GOOD_COMMENTS) or None, reason="No reason provided", reason_id=0)
        elif score == "bad":
            rid_, reason = rng.choice(D.BAD_REASONS)
            rating.update(comment=rng.choice(D.BAD_COMMENTS) or None, reason=reason, reason_id=rid_)
        else:
            rating.update(comment=None, reason=None, reason_id=None)
        entry["rating"] = rid
        support.add_rating(rating, b)
        t["satisfaction_rating"] = {"score": score, "id": rid, "comment": rating["comment"], "reason": rating["reason"]} \
            if score != "offered" else {"score": "offered"}
    if not new:
        support.touch_ticket(tid, b)
    else:
        support.add_ticket(tid, b)


class SupportWriter:
    """Holds the Zendesk objects (current state) and rewrites the jsonl files."""

    FILES = ("users", "tickets", "satisfaction_ratings")

    def __init__(self, folder: Path, initial: bool, lives: dict[str, dict] | None = None) -> None:
        self.folder = folder
        lives = lives or {}
        folder.mkdir(parents=True, exist_ok=True)
        self.users: dict[int, dict] = {}
        self.tickets: dict[int, dict] = {}
        self.ratings: dict[int, dict] = {}
        self.new_ticket_ids: list[int] = []
        self.new_rating_ids: list[int] = []
        self.updated_users: set[int] = set()
        self.updated_tickets: set[int] = set()
        if not initial:
            for line in (folder / "users.jsonl").read_text(encoding="utf-8").splitlines():
                u = json.loads(line)
                self.users[u["id"]] = u
            for line in (folder / "tickets.jsonl").read_text(encoding="utf-8").splitlines():
                t = json.loads(line)
                self.tickets[t["id"]] = {"ticket": t, **lives[str(t["id"])]}
            for line in (folder / "satisfaction_ratings.jsonl").read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                self.ratings[r["id"]] = r

    def user(self, u: dict, b: Batch) -> None:
        self.users[u["id"]] = u
        b.count("support.users")

    def touch_user(self, uid: int, ts: int, b: Batch) -> None:
        self.users[uid]["updated_at"] = iso_z(ts)
        if uid not in self.updated_users:
            self.updated_users.add(uid)
            b.count("support.users", updated=True)

    def add_ticket(self, tid: int, b: Batch) -> None:
        self.new_ticket_ids.append(tid)
        b.count("support.tickets")

    def touch_ticket(self, tid: int, b: Batch) -> None:
        if tid not in self.updated_tickets and tid not in self.new_ticket_ids:
            self.updated_tickets.add(tid)
            b.count("support.tickets", updated=True)

    def add_rating(self, r: dict, b: Batch) -> None:
        self.ratings[r["id"]] = r
        self.new_rating_ids.append(r["id"])
        b.count("support.satisfaction_ratings")

    def lifecycle_state(self) -> dict[str, Any]:
        return {str(tid): {k: v for k, v in e.items() if k != "ticket"} for tid, e in self.tickets.items()}

    def close(self, b: Batch) -> None:
        def write(name: str, objs: Iterable[dict]) -> None:
            with open(self.folder / f"{name}.jsonl", "w", encoding="utf-8") as fh:
                for obj in objs:
                    fh.write(dumps(obj))
                    fh.write("\n")

        write("users", (self.users[k] for k in sorted(self.users)))
        write("tickets", (self.tickets[k]["ticket"] for k in sorted(self.tickets)))
        write("satisfaction_ratings", (self.ratings[k] for k in sorted(self.ratings)))


# ----------------------------------------------------------------------------------------------- events


class EventSink:
    """One batch of events of one source: messiness applied per event, spooled to disk by arrival day
    (millions of events never sit in memory), then written as the vendor's files, day by day.

    Producers ``append([arrival_ms, timestamp_ms, event_dict, *identifiers])``. Each event may arrive
    late (batch 0: lands days after its timestamp; increments: its timestamp lies days before the window)
    and may be delivered twice (at-least-once: the very same JSON again, same or later file). At the end,
    malformed clones of real events are added (they never hold the only copy of an identifier).
    """

    table = ""

    def __init__(self, gen: Generator, b: Batch, initial: bool) -> None:
        self.gen, self.b, self.initial, self.m = gen, b, initial, gen.m
        self.rng = Rand(f"{gen.seed}/{b.number}/{self.table}/sink")
        self.spool = gen.out / f".spool-{self.table}"
        _clear(self.spool)
        self.spool.mkdir(parents=True)
        self.buffers: dict[int, list[str]] = {}
        self.buffered = 0
        self.n = 0
        self.reservoir: list[str] = []
        self.lo, self.hi = b.start * 1000, b.end * 1000

    # -- producing
    def append(self, item: list) -> None:
        arrival, ts, obj = item[0], item[1], item[2]
        if not (self.lo <= arrival < self.hi and ts < self.hi):
            return
        rng, m = self.rng, self.m
        if rng.chance(m.late_event):
            delay = rng.randint(1, 5) * DAY * 1000 + rng.randint(0, DAY * 1000)
            if self.initial:
                if min(arrival + delay, self.hi - 1000) - ts >= DAY * 1000:
                    arrival = min(arrival + delay, self.hi - 1000)
                    self.late_arrival(obj, arrival)
                    self.b.late[self.table] += 1
            else:
                ts -= delay
                self.late_timestamp(obj, ts)
                self.b.late[self.table] += 1
        text = dumps(obj)
        self.put(arrival, ts, text)
        self.n += 1
        self.identify(item)
        if rng.chance(m.duplicate_event):
            again = arrival if rng.random() < 0.5 else min(arrival + rng.randint(1000, DAY * 1000), self.hi - 1)
            self.put(again, ts, text)
            self.b.count(self.table, 1, duplicate=True)
        # reservoir sample: the originals of the malformed clones
        if len(self.reservoir) < 4096:
            self.reservoir.append(f"{arrival}\t{ts}\t{text}")
        else:
            j = rng.randrange(self.n)
            if j < 4096:
                self.reservoir[j] = f"{arrival}\t{ts}\t{text}"

    def put(self, arrival: int, ts: int, text: str) -> None:
        day = arrival // (DAY * 1000)
        self.buffers.setdefault(day, []).append(f"{arrival}\t{ts}\t{text}\n")
        self.buffered += 1
        if self.buffered >= 200_000:
            self.flush()

    def flush(self) -> None:
        for day, lines in self.buffers.items():
            with open(self.spool / f"{day}.tsv", "a", encoding="utf-8") as fh:
                fh.writelines(lines)
        self.buffers = {}
        self.buffered = 0

    # -- finishing
    def finish(self) -> None:
        self.b.count(self.table, self.n)
        k = n_malformed(self.m, self.n)
        if k and self.reservoir:
            for kind in ("wrong_type", "missing_key", "future_timestamp"):
                for _ in range(k):
                    arrival, ts, text = self.rng.choice(self.reservoir).split("\t", 2)
                    self.put(int(arrival), int(ts), dumps(self.break_record(kind, json.loads(text))))
                    self.b.count(self.table, 1, malformed=kind)
            self.unparseable(k)
        self.flush()
        for path in sorted(self.spool.glob("*.tsv"), key=lambda p: int(p.stem)):
            rows = []
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    arrival, ts, text = line.rstrip("\n").split("\t", 2)
                    rows.append((int(arrival), int(ts), text))
            rows.sort(key=lambda r: (r[0], r[1]))
            self.write_day(int(path.stem), rows)
        _clear(self.spool)

    # -- per source
    def late_arrival(self, obj: dict, arrival: int) -> None:
        pass

    def late_timestamp(self, obj: dict, ts: int) -> None:
        raise NotImplementedError

    def identify(self, item: list) -> None:
        raise NotImplementedError

    def break_record(self, kind: str, obj: dict) -> dict:
        raise NotImplementedError

    def unparseable(self, k: int) -> None:
        raise NotImplementedError

    def write_day(self, day: int, rows: list[tuple[int, int, str]]) -> None:
        raise NotImplementedError


class EmailSink(EventSink):
    """SendGrid Event Webhook batches: email/YYYY/MM/DD/sendgrid-events-<window start>-NNN.json."""

    table = "email.events"

    def __init__(self, gen: Generator, b: Batch, initial: bool) -> None:
        super().__init__(gen, b, initial)
        self.cut: dict[int, list[tuple[int, bytes]]] = {}  # day -> truncated files (window start, bytes)
        self.owner: dict[str, str] = {}
        for p in gen.persons:
            for a in p["sg"]:
                self.owner[a] = p["pid"]
            for a in p.get("sales_email", {}).values():
                self.owner.setdefault(a.strip().lower(), p["pid"])

    def late_timestamp(self, obj: dict, ts: int) -> None:
        obj["timestamp"] = ts // 1000

    def identify(self, item: list) -> None:
        address = item[3]
        if address not in self.gen.emails_in_truth:
            self.gen.emails_in_truth.add(address)
            pid = f"junk:{address}" if address in D.JUNK_EMAILS else self.owner[address]
            self.b.truth.append(("email", address, pid))

    def break_record(self, kind: str, obj: dict) -> dict:
        obj["sg_event_id"] = self.rng.b64id()
        if kind == "wrong_type":
            obj["timestamp"] = self.rng.choice(["yesterday", "n/a", "2026-13-45"])
        elif kind == "missing_key":
            del obj["sg_event_id"]
        else:
            obj["timestamp"] = FAR_FUTURE + self.rng.randint(0, 3_000_000)
        return obj

    def unparseable(self, k: int) -> None:
        # a batch cut off mid-transfer: a file of fresh copies of real events, truncated (counts as one record)
        for _ in range(k):
            picks = [self.rng.choice(self.reservoir).split("\t", 2) for _ in range(3)]
            arrival = int(picks[0][0])
            text = "[" + ",".join(dumps(dict(json.loads(t), sg_event_id=self.rng.b64id())) for _, _, t in picks) + "]"
            window = arrival // 1000 // (6 * 3600) * 6 * 3600
            self.cut.setdefault(window // DAY, []).append((window, text[: len(text) // 2].encode()))
            self.b.count(self.table, 1, malformed="unparseable")

    def write_day(self, day: int, rows: list[tuple[int, int, str]]) -> None:
        seq = 0
        window_s = 6 * 3600
        i = 0
        while i < len(rows):
            window = rows[i][0] // 1000 // window_s
            j = i
            while j < len(rows) and j - i < 2000 and rows[j][0] // 1000 // window_s == window:
                j += 1
            path = _email_path(self.gen.out, window * window_s, seq)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("[" + ",".join(r[2] for r in rows[i:j]) + "]", encoding="utf-8")
            seq += 1
            i = j
        for window, data in self.cut.pop(day, []):
            path = _email_path(self.gen.out, window, seq)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            seq += 1

    def finish(self) -> None:
        super().finish()
        for day in sorted(self.cut):  # truncated files on days without any other file
            self.write_day(day, [])


class WebSink(EventSink):
    """Segment's S3 destination: web/segment-logs/<source_id>/<received day ms>/<received ms>-<uuid>.gz."""

    table = "web.events"

    def __init__(self, gen: Generator, b: Batch, initial: bool) -> None:
        super().__init__(gen, b, initial)
        _owner_indexes(gen)

    def late_arrival(self, obj: dict, arrival: int) -> None:
        obj["receivedAt"] = iso_ms_fast(arrival)
        obj["sentAt"] = iso_ms_fast(arrival - 150)

    def late_timestamp(self, obj: dict, ts: int) -> None:
        obj["timestamp"] = obj["originalTimestamp"] = iso_ms_fast(ts)

    def identify(self, item: list) -> None:
        anon, uid = item[3], item[4]
        gen = self.gen
        if uid and uid not in gen.web_users_in_truth:
            gen.web_users_in_truth.add(uid)
            self.b.truth.append(("web_user", uid, gen.sales_owner[uid]))
        if anon and anon not in gen.anons_in_truth:
            gen.anons_in_truth.add(anon)
            self.b.truth.append(("web_anonymous", anon, gen.anon_owner[anon]))

    def break_record(self, kind: str, obj: dict) -> dict:
        obj["messageId"] = f"ajs-next-{self.rng.hex(32)}"
        if kind == "wrong_type":
            obj["timestamp"] = self.rng.choice(["yesterday", "n/a", "2026-13-45T25:61:00Z"])
        elif kind == "missing_key":
            if self.rng.random() < 0.5:
                del obj["messageId"]
            else:
                obj.pop("anonymousId", None)
                obj["userId"] = None
        else:
            obj["timestamp"] = obj["originalTimestamp"] = "2099-" + obj["timestamp"][5:]
        return obj

    def unparseable(self, k: int) -> None:
        for _ in range(k):  # a line cut off mid-write
            arrival, ts, text = self.rng.choice(self.reservoir).split("\t", 2)
            text = dumps(dict(json.loads(text), messageId=f"ajs-next-{self.rng.hex(32)}"))
            self.put(int(arrival), int(ts), text[: len(text) // 2])
            self.b.count(self.table, 1, malformed="unparseable")

    def write_day(self, day: int, rows: list[tuple[int, int, str]]) -> None:
        window_ms = 6 * 3600 * 1000
        folder = self.gen.out / "web" / "segment-logs" / self.gen.source_id / str(day * DAY * 1000)
        folder.mkdir(parents=True, exist_ok=True)
        i = 0
        while i < len(rows):
            window = rows[i][0] // window_ms
            j = i
            while j < len(rows) and j - i < 20000 and rows[j][0] // window_ms == window:
                j += 1
            data = "".join(r[2] + "\n" for r in rows[i:j]).encode()
            with open(folder / f"{rows[i][0]}-{self.rng.uuid4()}.gz", "wb") as fh:
                # mtime=0 and no file name in the header: the same seed gives byte-identical files
                with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=1) as gz:
                    gz.write(data)
            i = j


def _fork(work: Any) -> Any:
    """Run ``work()`` in a forked child (POSIX) and return a function that waits for its result."""
    import os
    import pickle
    import traceback

    if not hasattr(os, "fork"):
        result = work()
        return lambda: result
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        try:
            payload = pickle.dumps(("ok", work()))
        except BaseException:  # noqa: BLE001 - report everything to the parent
            payload = pickle.dumps(("error", traceback.format_exc()))
        with os.fdopen(write_fd, "wb") as fh:
            fh.write(payload)
        os._exit(0)
    os.close(write_fd)

    def wait() -> Any:
        with os.fdopen(read_fd, "rb") as fh:
            data = fh.read()
        os.waitpid(pid, 0)
        status, value = pickle.loads(data) if data else ("error", "the SendGrid writer process died")
        if status != "ok":
            raise RuntimeError(f"writing the SendGrid files failed:\n{value}")
        return value

    return wait


def _email_child(gen: Generator, rng: Rand, b: Batch, window_orders: list, initial: bool, campaigns: list) -> dict:
    n_truth = len(b.truth)
    before = set(gen.emails_in_truth)
    email_events(gen, rng, b, window_orders, initial, campaigns)
    return {"table": b.tables["email.events"], "late": b.late["email.events"], "truth": b.truth[n_truth:],
            "emails": sorted(gen.emails_in_truth - before)}


def plan_campaigns(gen: Generator, rng: Rand, b: Batch) -> list[dict[str, Any]]:
    """Marketing campaigns of the window: about one every three days."""
    days = range(b.start // DAY, b.end // DAY)
    new_campaigns = []
    for d in days:
        if Rand(f"{gen.seed}/campaign/{d}").random() < 0.35:
            cid = gen.ids.next("campaign", rng.randint(1, 9))
            theme = rng.choice(["Autumn Sale", "New Arrivals", "Weekly Picks", "Members Only", "Back in Stock",
                                "Black Friday Preview", "Gift Guide", "Outdoor Week"])
            cats = rng.choice([["newsletter"], ["newsletter", "promotion"], ["promotion"], ["newsletter", theme.lower().replace(" ", "_")]])
            new_campaigns.append({"id": cid, "name": f"{theme} {time.strftime('%Y-%m-%d', time.gmtime(d * DAY))}",
                                  "send": d * DAY + rng.randint(7 * 3600, 11 * 3600), "categories": cats,
                                  "asm_group_id": rng.choice([10, 11, 12])})
    gen.campaigns.extend({"id": c["id"], "name": c["name"]} for c in new_campaigns)
    return new_campaigns


def email_events(gen: Generator, rng: Rand, b: Batch, window_orders: list, initial: bool,
                 new_campaigns: list[dict[str, Any]]) -> None:
    """SendGrid Event Webhook batches for the window: marketing campaigns and order e-mails."""
    events = EmailSink(gen, b, initial)
    subscribers = [p for p in gen.persons if p["sg"]]
    for c in new_campaigns:
        for p in subscribers:
            if p["created"] > c["send"] or rng.random() > 0.22:
                continue
            address = p["sg"][0] if len(p["sg"]) == 1 or rng.random() < 0.7 else rng.choice(p["sg"][1:])
            _message_events(rng, events, address, c["send"] + rng.randint(0, 5400), c["categories"], c, b.end)
    for p, order in window_orders:
        row = order
        cid = row["customer_id"]
        email = _sales_email(gen, p, cid)
        if not email:
            continue
        _message_events(rng, events, email.strip().lower(), row["created"] + rng.randint(5, 120),
                        ["transactional", "order_confirmation"] if rng.random() < 0.8 else "order_confirmation",
                        None, b.end)
    events.finish()


def _sales_email(gen: Generator, p: dict, cid: int) -> str | None:
    """The e-mail the sales row holds (for order e-mails); remembered on the person at write time."""
    return p.get("sales_email", {}).get(str(cid))


def _message_events(rng: Rand, events: list, address: str, sent: int, categories: Any, campaign: dict | None,
                    horizon: int) -> None:
    msg = f"{rng.hex(10)}.{rng.hex(4)}.{rng.hex(6)}"
    sg_message_id = f"{msg}.filterdrecv-{rng.randint(100, 999)}-{rng.hex(5)}-1-{rng.hex(8).upper()}-{rng.randint(1, 40)}.0"
    smtp_id = f"<{msg}@ismtpd-{rng.randint(1, 300)}>"
    base: dict[str, Any] = {"email": address, "smtp-id": smtp_id, "sg_message_id": sg_message_id,
                            "category": categories}
    if campaign:
        base["marketing_campaign_id"] = campaign["id"]
        base["marketing_campaign_name"] = campaign["name"]

    def add(event: str, ts: int, **extra: Any) -> None:
        if ts >= horizon:
            return
        obj = dict(base, event=event, timestamp=ts, sg_event_id=rng.b64id(), **extra)
        arrival = ts * 1000 + 2_000 + int(rng.random() * 600_000)
        events.append([arrival, ts * 1000, obj, address])

    add("processed", sent)
    r = rng.random()
    junk = address in D.JUNK_EMAILS
    if junk or r < 0.015:
        reason, status, cls, typ = rng.choice(D.BOUNCE_REASONS[:2] if junk else D.BOUNCE_REASONS)
        add("bounce", sent + rng.randint(1, 120), reason=reason, status=status, bounce_classification=cls, type=typ)
        return
    if r < 0.025:
        add("dropped", sent + rng.randint(0, 5), reason="Bounced Address", status="5.0.0")
        return
    t = sent + rng.randint(1, 60)
    if r < 0.06:
        add("deferred", t, response="451 4.7.1 Please try again later", attempt=str(rng.randint(1, 5)))
        t += rng.randint(300, 4 * 3600)
    add("delivered", t, response="250 2.0.0 OK " + rng.hex(8), tls=1 if rng.random() < 0.97 else 0)
    if rng.random() < 0.45:
        n_open = rng.choices([1, 2, 3, 4], [0.5, 0.25, 0.15, 0.1])[0]
        ua = rng.choice(D.MAIL_USER_AGENTS)
        ip = f"{rng.randint(11, 220)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        ot = t
        for i in range(n_open):
            ot += int(rng.expovariate(1 / (8 * 3600)))
            machine = "GoogleImageProxy" not in ua and i == 0 and rng.random() < 0.25
            add("open", ot, useragent=ua, ip=ip, sg_machine_open=machine)
        if rng.random() < 0.25:
            ct = t + rng.randint(60, 2 * DAY)
            for _ in range(rng.choice([1, 1, 2])):
                url = rng.choice([f"{SHOP_URL}/", f"{SHOP_URL}/sale", f"{SHOP_URL}/new", f"{SHOP_URL}/account/orders"])
                add("click", ct, useragent=ua, ip=ip, url=url + "?utm_source=sendgrid&utm_medium=email",
                    url_offset={"index": rng.randint(0, 5), "type": "html"})
                ct += rng.randint(5, 600)
        if campaign and rng.random() < 0.01:
            add("unsubscribe", t + rng.randint(60, DAY))
        elif campaign and rng.random() < 0.01:
            add("group_unsubscribe", t + rng.randint(60, DAY), useragent=ua, ip=ip,
                url=f"{SHOP_URL}/unsubscribe", asm_group_id=campaign["asm_group_id"])
        elif rng.random() < 0.002:
            add("spamreport", t + rng.randint(60, DAY))


def _email_path(out: Path, start: int, seq: int) -> Path:
    tm = time.gmtime(start)
    return out / "email" / time.strftime("%Y/%m/%d", tm) / f"sendgrid-events-{time.strftime('%Y%m%dT%H%M%SZ', tm)}-{seq:03d}.json"


# ------------------------------------------------------------------------------------------- web (Segment)


PAGES = [("/", "C360 Shop", "Home"), ("/sale", "Sale | C360 Shop", "Sale"), ("/new", "New Arrivals | C360 Shop", "New"),
         ("/cart", "Cart | C360 Shop", "Cart"), ("/account", "My account | C360 Shop", "Account"),
         ("/help", "Help | C360 Shop", "Help"), ("/search", "Search | C360 Shop", "Search")]


def web_events(gen: Generator, rng: Rand, b: Batch, window_orders: list, initial: bool) -> None:
    days = (b.end - b.start) / DAY
    events = WebSink(gen, b, initial)
    ua_ip: dict[str, tuple[str, str, str]] = {}
    orders_by_pid: dict[str, list[dict]] = {}
    for p, order in window_orders:
        if not order["guest"]:
            orders_by_pid.setdefault(p["pid"], []).append(order)
    lam = 3.2 * days / EVENT_HISTORY_DAYS
    for p in gen.persons:
        if not p["web"] or not p["cookies"]:
            continue
        locale = D.COUNTRIES[p["country"]][7]
        start = max(b.start, p["created"] - (7 * DAY if p["kind"] == "customer" else 0))
        if start >= b.end - 600:
            start = b.end - 3600
        seen = p.setdefault("seen", [])
        identified = p.setdefault("identified", [])
        for cookie in p["cookies"]:
            cid, state = cookie
            if cid not in ua_ip:
                ua_ip[cid] = (rng.choice(D.USER_AGENTS), f"{rng.randint(11, 220)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}", locale)
            n = np_poisson(rng, lam)
            needs_login = state in ("login", "bridge_login") and cid not in p["logged_in"]
            needs_identify = state == "anon_identify" and cid not in identified
            if cid not in seen or needs_login or needs_identify:
                n = max(n, 1)  # every cookie is seen in the batch that creates it
            if n == 0:
                continue
            if cid not in seen:
                seen.append(cid)
            times = sorted(rng.randint(start, b.end - 300) for _ in range(n))
            login_at = None
            if needs_login:
                eligible = [i for i, t in enumerate(times) if t >= p["created"]]
                if not eligible:
                    times[-1] = rng.randint(min(p["created"], b.end - 400), b.end - 300)
                    times.sort()
                    eligible = [len(times) - 1]
                login_at = rng.choice(eligible) if rng.random() < 0.5 else eligible[0]
            for i, t in enumerate(times):
                uid = str(p["sales"][0]) if cid in p["logged_in"] else None
                identify = None
                if login_at == i:
                    identify = "login"
                elif needs_identify and i == 0:
                    identify = "anon"
                _session(gen, rng, events, p, cookie, ua_ip[cid], t, uid, identify, None)
            if state == "bridge_login":
                cookie[1] = "login"
        for order in orders_by_pid.get(p["pid"], []):
            logged = [c for c in p["cookies"] if c[0] in p["logged_in"]]
            if not logged:
                continue
            cookie = rng.choice(logged)
            if cookie[0] not in ua_ip:
                continue
            _session(gen, rng, events, p, cookie, ua_ip[cookie[0]],
                     max(b.start, order["created"] - rng.randint(120, 1800)), str(p["sales"][0]), None, order)
    events.finish()


def np_poisson(rng: Rand, lam: float) -> int:
    # Knuth; lam is small (a handful of sessions per window)
    L, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= L:
            return k
        k += 1


_DAY_PREFIX: dict[int, str] = {}
_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(DAY)]
_MILLIS = [f"{ms:03d}Z" for ms in range(1000)]


def iso_ms_fast(ms: int) -> str:
    """2026-10-01T12:34:56.789Z from epoch milliseconds, by table lookups: millions of timestamps are formatted."""
    day, rest = divmod(ms, DAY * 1000)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * DAY))
    sec, milli = divmod(rest, 1000)
    return prefix + _CLOCK[sec] + _MILLIS[milli]


_LIBRARY = {"name": "analytics.js", "version": "next-1.70.0"}


def _session(gen: Generator, rng: Rand, events: list, p: dict, cookie: list, agent: tuple[str, str, str], t: int,
             user_id: str | None, identify: str | None, order: dict | None) -> None:
    """One visit: a burst of page/track (and maybe identify) calls minutes apart. Appends
    [received_ms, timestamp_ms, json_text, anonymousId, userId] per event."""
    anon = cookie[0]
    ua, ip, locale = agent
    rand = rng.random
    bits = rng.getrandbits
    ts = t * 1000 + int(rand() * 1000)
    referrer = rng.choice(D.REFERRERS)
    campaign = None
    search = ""
    if rand() < 0.3:
        name, source, medium, term, content = rng.choice(D.UTM_CAMPAIGNS)
        campaign = {"name": name, "source": source, "medium": medium}
        if term:
            campaign["term"] = term
        if content:
            campaign["content"] = content
        search = "?" + "&".join(f"utm_{k}={v.replace(' ', '+')}" for k, v in
                                [("source", source), ("medium", medium), ("campaign", name)] + ([("term", term)] if term else []))
    n_pages = rng.choices((1, 2, 3, 4, 5), cum_weights=(0.25, 0.55, 0.75, 0.9, 1.0))[0]
    if order:
        by_id = gen.product_index
        products = [by_id[it["product_id"]] for it in order["items"]]
    else:
        products = [rng.choice(gen.products) for _ in range(int(rand() * 3.4))]
    plan: list[tuple[str, Any]] = [("page", rng.choice(PAGES))]
    if identify:
        plan.append(("identify", identify))
    for _ in range(n_pages - 1):
        plan.append(("page", rng.choice(PAGES)))
    for pr in products:
        plan.append(("page", (f"/products/{pr['id']}", f"{pr['name']} | C360 Shop", "Product")))
        plan.append(("track", ("Product Viewed", pr)))
        if order or rand() < 0.3:
            plan.append(("track", ("Product Added", pr)))
    if order:
        plan.append(("page", ("/checkout", "Checkout | C360 Shop", "Checkout")))
        plan.append(("track", ("Checkout Started", order)))
        plan.append(("track", ("Order Completed", order)))
    prev_url = referrer
    base_ctx = {"ip": ip, "library": _LIBRARY, "locale": locale, "userAgent": ua}
    ctx = base_ctx
    for i, (typ, arg) in enumerate(plan):
        if i:
            ts += 3_000 + int(rand() * 237_000)
        if order and typ == "track" and arg[0] == "Order Completed":
            ts = max(ts, order["created"] * 1000)
        sent = ts + 5 + int(rand() * 1500)
        recv = sent + 30 + int(rand() * 900)
        ots = iso_ms_fast(ts)
        ev: dict[str, Any] = {
            "anonymousId": anon, "channel": "client", "context": ctx, "integrations": {},
            "messageId": f"ajs-next-{bits(128):032x}", "originalTimestamp": ots, "receivedAt": iso_ms_fast(recv),
            "sentAt": iso_ms_fast(sent), "timestamp": ots, "type": typ, "userId": user_id, "version": 2,
        }
        if typ == "page":
            path, title, name = arg
            url = SHOP_URL + path + (search if i == 0 else "")
            page = {"path": path, "referrer": prev_url, "search": search if i == 0 else "", "title": title, "url": url}
            ctx = dict(base_ctx, page=page)
            if campaign and i == 0:
                ctx["campaign"] = campaign
            ev["context"] = ctx
            ev["name"] = name
            ev["properties"] = dict(page, name=name)
            prev_url = url
            if i == 0 and campaign:
                ctx = dict(base_ctx, page=page)  # the campaign context belongs to the landing page only
        elif typ == "identify":
            traits = _identify_traits(gen, rng, p, anon, arg)
            if arg == "login":
                user_id = str(p["sales"][0])
                ev["userId"] = user_id
            ev["traits"] = traits
            ev["context"] = dict(ctx, traits=traits)
        else:
            name, obj = arg
            ev["event"] = name
            if name in ("Product Viewed", "Product Added"):
                ev["properties"] = {"product_id": str(obj["id"]), "sku": f"C360-{obj['id']:05d}", "name": obj["name"],
                                    "category": obj["category"], "price": obj["price"], "quantity": 1,
                                    "currency": "USD"}
            else:
                prods = [{"product_id": str(it["product_id"]), "quantity": it["quantity"], "price": it["unit_price"]}
                         for it in obj["items"]]
                props = {"order_id": str(obj["id"]), "currency": obj["currency"], "products": prods}
                if name == "Order Completed":
                    props.update(revenue=obj["total"], total=obj["total"])
                else:
                    props.update(value=obj["total"])
                ev["properties"] = props
        events.append([recv, ts, ev, anon, ev["userId"]])


def _identify_traits(gen: Generator, rng: Rand, p: dict, anon: str, kind: str) -> dict[str, Any]:
    r = gen.render
    known = [a for a in p["known"] if a.strip().lower() not in D.JUNK_EMAILS]
    if kind != "login":  # newsletter sign-up form: an e-mail, no account
        p["identified"].append(anon)
        traits = {"email": known[0] if known else r.email(rng, p["emails"][0])}
        if not known:
            p["known"].append(traits["email"])
        return traits
    p["logged_in"].append(anon)
    first, last = r.name(rng, p["first"], p["last"])
    traits = {"firstName": first, "lastName": last}
    if len(p["emails"]) > 1 and rng.random() < 0.2 and not p.get("zd_work_pending"):
        traits["email"] = r.email(rng, p["emails"][1])
        p["known"].append(traits["email"])
    elif known or rng.random() < 0.9:
        traits["email"] = r.email(rng, p["emails"][0])
        if not p["primary_email"]:
            p["known"].append(traits["email"])
    if rng.random() < 0.4:
        traits["phone"] = r.phone(rng, p["phone"], national_ok=True)
    if rng.random() < 0.3:
        traits["address"] = {"street": r.street(rng, p["street"]), "city": p["city"], "postalCode": p["postal"],
                             "country": p["country"]}
    if rng.chance(gen.m.junk_identifier) and "email" in traits:
        traits["email"] = rng.choice(D.JUNK_EMAILS)
    return traits


# ----------------------------------------------------------------------------------------------- entry point


def generate(out: Path, customers: int, seed: int, messiness: float = 1.0, increment: bool = False) -> dict:
    """Write the sample source systems (or the next increment) to ``out``; return the manifest batch entry."""
    out = Path(out)
    manifest_path = out / "manifest.json"
    if increment:
        if not manifest_path.exists():
            raise FileNotFoundError(f"{manifest_path} does not exist: run `c360 generate --out {out}` before --increment")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not (out / STATE_FILE).exists():
            raise FileNotFoundError(f"{out / STATE_FILE} is missing: regenerate {out} with `c360 generate --out {out}` "
                                    "(an increment needs the state the first run saved)")
        state = json.loads(gzip.decompress((out / STATE_FILE).read_bytes()))
        # an increment continues the folder's own settings, whatever the caller passes
        seed, customers, messiness = manifest["seed"], manifest["customers"], manifest["messiness"]
    else:
        if customers < 1:
            raise ValueError(f"customers must be at least 1, got {customers}")
        out.mkdir(parents=True, exist_ok=True)
        for sub in ("email", "web", "support"):
            _clear(out / sub)
        manifest = {"seed": seed, "customers": customers, "messiness": messiness,
                    "generated_at": iso_z(T0), "reference_time": iso_z(T0), "state_file": STATE_FILE,
                    "batches": []}
        state = None
    m = Messiness().scaled(messiness)
    gen = Generator(out, seed, customers, m, state)
    b = gen.run_increment(len(manifest["batches"])) if increment else gen.run_initial()
    entry = b.manifest_entry()
    manifest["batches"].append(entry)
    manifest["generated_at"] = iso_z(b.end)
    with open(out / "truth.csv", "a" if increment else "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        if not increment:
            w.writerow(["source", "source_record_id", "person_id"])
        w.writerows(b.truth)
    (out / STATE_FILE).write_bytes(gzip.compress(json.dumps(gen.state(), separators=(",", ":")).encode(), mtime=0))
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return entry


def _owner_indexes(gen: Generator) -> None:
    gen.anon_owner = {c[0]: p["pid"] for p in gen.persons for c in p["cookies"]}
    gen.sales_owner = {str(cid): p["pid"] for p in gen.persons for cid in p["sales"]}


def _clear(folder: Path) -> None:
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
