"""The people model: name, street and city pools, people with unique identifying attributes, how one record
renders a person's attributes (:class:`Renderer`), and which identity records a new person gets where."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from samples import _data as D
from samples.generator.common import Batch, Ids, Messiness, Rand, email_key
from samples.generator.sales import customer_row
from samples.generator.support import new_zendesk_user

if TYPE_CHECKING:
    from samples.generator.run import Generator
    from samples.generator.writers import SalesWriter, SupportWriter


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

    # Per-record hooks: the default profile renders from the person's true values exactly as before (same
    # random draws, so its output stays byte-identical); the hard profile (hard.HardRenderer) overrides them.

    def person_name(self, rng: Rand, p: dict, record: str) -> tuple[str, str]:
        """The name as one record holds it; ``record`` is "account", "guest", "support" or "web"."""
        return self.name(rng, p["first"], p["last"])

    def birth_date(self, rng: Rand, p: dict) -> str | None:
        return p["dob"]

    def address(self, rng: Rand, p: dict, record: str) -> tuple[str, str, str]:
        """(street, city, postal code) as one record holds them."""
        return self.street(rng, p["street"]), p["city"], p["postal"]

    def account_email(self, rng: Rand, p: dict) -> str:
        """The e-mail of the sales account row."""
        return self.email(rng, p["emails"][0])

    def zendesk_name(self, rng: Rand, p: dict, first: str, last: str) -> str:
        return f"{first} {last}" if rng.random() > 0.05 else f"{last}, {first}"

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


def assign_identities(gen: Generator, rng: Rand, b: Batch, persons: list[dict], n_pending: int) -> None:
    """Decide who is a customer with which rows, who has Zendesk users, cookies and SendGrid addresses."""
    m = gen.m
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


def realize_person(gen: Generator, rng: Rand, b: Batch, p: dict, sales: "SalesWriter", support: "SupportWriter") -> None:
    """Write the identity records of a new person: sales rows, Zendesk users (orders etc. come later)."""
    r = gen.render
    if p["kind"] == "customer":
        cid = gen.ids.next("customer")
        p["sales"].append(cid)
        sales.customer(customer_row(gen, rng, p, cid, p["created"], guest=False, now=b.end), b)
        gen.truth(b, "sales", cid, p["pid"])
        if p["guest_link"]:
            for _ in range(1 if rng.random() < 0.85 else 2):
                gid = gen.ids.next("customer")
                gcreated = rng.randint(min(p["created"] + 3600, b.end - 3600), b.end - 60)
                p["sales"].append(gid)
                p.setdefault("guest_created", {})[str(gid)] = gcreated
                sales.customer(customer_row(gen, rng, p, gid, gcreated, guest=True, now=b.end), b)
                gen.truth(b, "sales", gid, p["pid"])
    plan = p.pop("zd_plan", None)
    if plan:
        new_zendesk_user(gen, rng, b, p, support, pending=(plan == "pending"))
    for cookie in p["cookies"]:
        if cookie[1] in ("anon_identify",):
            # an anonymous identify carries an address of the person: it must be one other records know
            if not p["known"] and p["kind"] == "customer":
                cookie[1] = "login"
            elif not p["known"]:
                p["known"].append(r.email(rng, p["emails"][0]))
