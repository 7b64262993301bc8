"""The hard profile's people (`c360 generate --profile hard`): households and shared identifiers, and the
pairs of records that must NOT be merged (must_not_merge.csv).

Batch 0 adds, on top of the default people:

* twins (same surname and birth date, often the same address), parents and children with the same first
  and last name at the same address, spouses sharing a family e-mail address and/or a landline, and a family
  computer: one Segment anonymousId on which two people of a household log in;
* small companies whose staff order with the company's generic address (info@, office@, ...);
* people who moved (the sales account still holds the old address), changed surname on marriage (the
  account holds the new or hyphenated name, other records the former one), middle names, flat numbers;
* cookies tied to the customer only by a server-side Segment alias call (previousId -> userId).

Every record stays discoverable from what it really shares (the identifiers above are additional, not
replacements), and a shared mailbox or cookie is its own pseudo person in truth.csv (``shared:<value>``),
like the junk addresses. must_not_merge.csv lists record pairs of different people that share an
identifier or look alike, with the identifier they share.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from samples import _data as D
from samples.generator.common import DAY, Batch, Rand, email_key, norm_email
from samples.generator.hard import MIDDLE_EXTRA, HardRates
from samples.generator.people import pick

if TYPE_CHECKING:
    from samples.generator.run import Generator

MUST_NOT_MERGE = "must_not_merge.csv"
MUST_NOT_MERGE_COLUMNS = ["reason", "identifier", "source_a", "source_record_id_a", "person_id_a",
                          "source_b", "source_record_id_b", "person_id_b"]


class Households:
    """The hard profile's people and the must-not-merge pairs of a batch; its state lives in the state file."""

    def __init__(self, gen: Generator, rates: HardRates, state: dict[str, Any] | None) -> None:
        self.gen = gen
        self.rates = rates
        state = state or {}
        gen.shared_emails = set(state.get("shared_emails", []))
        gen.shared_cookies = set(state.get("shared_cookies", []))
        self.shared_phones: set[str] = set(state.get("shared_phones", []))
        #: (kind, pid a, pid b) of the look-alike relations: "twins", "parent_child", "spouses"
        self.relations: list[list[str]] = state.get("relations", [])
        self.records: list[dict[str, Any]] = []  # identifying records written in this batch (shared values)
        self.pairs: list[list[str]] = []

    def state(self) -> dict[str, Any]:
        return {"shared_emails": sorted(self.gen.shared_emails), "shared_cookies": sorted(self.gen.shared_cookies),
                "shared_phones": sorted(self.shared_phones), "relations": self.relations}

    # ------------------------------------------------------------------ people (batch 0)

    def add_households(self, rng: Rand, b: Batch) -> None:
        gen = self.gen
        customers = [p for p in gen.persons if p["kind"] == "customer"]
        n = len(customers)
        for p in gen.persons:
            if rng.chance(self.rates.middle_name):
                p["middle"] = self._middle(rng, p)
            if rng.random() < 0.2:
                p["unit"] = str(rng.randint(1, 40)) + (rng.choice("ABCD") if p["country"] == "US" and rng.random() < 0.4 else "")
            if p["country"] == "US":
                p["zip4"] = f"{rng.randint(1, 9999):04d}"
        k_twins, k_parents = max(2, round(0.015 * n)), max(2, round(0.015 * n))
        k_spouses, k_companies = max(3, round(0.05 * n)), max(1, round(n / 150))
        k_movers = max(2, round(0.05 * n))
        pool = rng.sample(customers, min(n, k_twins + k_parents + k_spouses + 4 * k_companies + k_movers))
        for anchor in pool[:k_twins]:
            self._twin(rng, b, anchor)
        for anchor in pool[k_twins:k_twins + k_parents]:
            self._parent_child(rng, b, anchor)
        for anchor in pool[k_twins + k_parents:k_twins + k_parents + k_spouses]:
            self._spouse(rng, b, anchor)
        rest = pool[k_twins + k_parents + k_spouses:]
        for c in range(k_companies):
            staff = rest[4 * c: 4 * c + rng.choice([3, 4])]
            domain = rng.choice(gen.pools.work_domains)
            address = f"{rng.choice(['info', 'office', 'contact', 'hello', 'sales'])}@{domain}"
            gen.shared_emails.add(norm_email(address))
            for p in staff:
                p["account_email"] = address
        for p in rest[4 * k_companies:]:
            street, city, postal = gen.people.new_address(rng, p["country"])
            p["moved_from"] = [street, city, postal, None]

    def _middle(self, rng: Rand, p: dict) -> str:
        for _ in range(5):
            middle = pick(rng, self.gen.pools.first[p["country"]][p["gender"]])
            if middle != p["first"]:
                return middle
        return rng.choice(MIDDLE_EXTRA)

    def _member(self, rng: Rand, b: Batch, anchor: dict, gender: str, first: str, last: str, dob: str) -> dict:
        """A new customer in the anchor's country, with their own e-mail, phone and address."""
        gen = self.gen
        created = min(gen.t0 - DAY, max(gen.sales_start, anchor["created"] + rng.randint(-200, 200) * DAY))
        p = gen.add_person(rng, b, "customer", created)
        country = anchor["country"]
        p.update(country=country, gender=gender, first=first, last=last, dob=dob)
        p["street"], p["city"], p["postal"] = gen.people.new_address(rng, country)
        p["phone"] = gen.people.new_phone(rng, country)
        p["emails"] = [gen.people.new_email(rng, first, last, rng.choice(D.EMAIL_DOMAINS[country]))]
        p.pop("middle", None)
        if country == "US":
            p["zip4"] = f"{rng.randint(1, 9999):04d}"
        return p

    def _same_home(self, member: dict, anchor: dict, landline: bool) -> None:
        for key in ("street", "city", "postal", "unit", "zip4"):
            if key in anchor:
                member[key] = anchor[key]
        if landline:
            member["phone"] = anchor["phone"]
            self.shared_phones.add(phone_key(anchor["phone"]))

    def _first_name(self, rng: Rand, country: str, gender: str, other: str) -> str:
        groups = self.gen.people.groups
        for _ in range(50):
            first = pick(rng, self.gen.pools.first[country][gender])
            if groups.get(first, first) != groups.get(other, other) and first[:3] != other[:3]:
                return first
        return "Alexis" if other != "Alexis" else "Morgan"

    def _twin(self, rng: Rand, b: Batch, anchor: dict) -> None:
        gender = anchor["gender"] if rng.random() < 0.6 else ("M" if anchor["gender"] == "F" else "F")
        first = self._first_name(rng, anchor["country"], gender, anchor["first"])
        twin = self._member(rng, b, anchor, gender, first, anchor["last"], anchor["dob"])
        if rng.random() < 0.5:
            self._same_home(twin, anchor, landline=False)
        self.relations.append(["twins", anchor["pid"], twin["pid"]])

    def _parent_child(self, rng: Rand, b: Batch, anchor: dict) -> None:
        born = date.fromisoformat(anchor["dob"])
        gap = rng.randint(22, 34)
        if born.year + gap <= 2006:
            other = born.replace(year=born.year + gap, day=min(born.day, 28))
        else:
            other = born.replace(year=born.year - gap, day=min(born.day, 28))
        other = other.replace(month=rng.randint(1, 12), day=rng.randint(1, 28))
        member = self._member(rng, b, anchor, anchor["gender"], anchor["first"], anchor["last"], other.isoformat())
        self._same_home(member, anchor, landline=rng.random() < 0.5)
        # same name, same home, maybe the same landline: only the birth date tells them apart, so their sales
        # accounts always carry it (without it no evidence in the files separates them, and must_not_merge.csv
        # would ask a resolver for what no steward could decide either)
        member["dob_tells_apart"] = anchor["dob_tells_apart"] = True
        self.relations.append(["parent_child", anchor["pid"], member["pid"]])

    def _spouse(self, rng: Rand, b: Batch, anchor: dict) -> None:
        gen = self.gen
        gender = "M" if anchor["gender"] == "F" else "F"
        if rng.random() < 0.1:
            gender = anchor["gender"]
        first = self._first_name(rng, anchor["country"], gender, anchor["first"])
        own_last = pick(rng, gen.pools.last[anchor["country"]])
        born = date.fromisoformat(anchor["dob"])
        dob = born.replace(year=min(2006, max(1940, born.year + rng.randint(-6, 6))), day=min(born.day, 28))
        dob = dob.replace(day=rng.randint(1, 28))
        spouse = self._member(rng, b, anchor, gender, first, own_last, dob.isoformat())
        r = rng.random()
        if r < 0.45 and own_last != anchor["last"]:  # took the partner's surname
            spouse["former_last"], spouse["last"] = own_last, anchor["last"]
        elif r < 0.65 and own_last != anchor["last"]:  # double-barrelled
            spouse["former_last"], spouse["last"] = own_last, f"{own_last}-{anchor['last']}"
        share_email = rng.random() < 0.55
        self._same_home(spouse, anchor, landline=not share_email or rng.random() < 0.4)
        if share_email:
            country = anchor["country"]
            family = self._family_email(rng, anchor)
            gen.shared_emails.add(norm_email(family))
            for p in (anchor, spouse):  # the family address is what both give; their own ones come second
                p["emails"] = [family] + [a for a in p["emails"] if a != family]
        self.relations.append(["spouses", anchor["pid"], spouse["pid"]])

    def _family_email(self, rng: Rand, anchor: dict) -> str:
        country = anchor["country"]
        base = D.ascii_fold(anchor["last"]) + rng.choice(["family", ".family", "home", "haus" if country == "DE" else "s"])
        domain = rng.choice(D.EMAIL_DOMAINS[country])
        taken = self.gen.people.emails
        for attempt in range(50):
            address = f"{base}{rng.randint(1, 99) if attempt or rng.random() < 0.3 else ''}@{domain}"
            if email_key(address) not in taken:
                taken.add(email_key(address))
                return address
        raise RuntimeError("could not find a free family e-mail address")  # pragma: no cover

    def after_assign(self, rng: Rand, b: Batch, persons: list[dict]) -> None:
        """Cookies of batch 0 people: family computers and alias-only cookies; movers' guest rows."""
        gen = self.gen
        by_pid = gen.by_pid
        for p in persons:
            if p.get("moved_from") and p["guest_link"] == "address":
                p["guest_link"] = "dob"  # a guest checkout at the new address links by name + birth date
        shared = []
        for kind, a, bb in self.relations:
            pa, pb = by_pid[a], by_pid[bb]
            if kind == "twins" or not (pa["web"] and pb["web"]):
                continue
            logins = [c for c in pa["cookies"] if c[1] == "login"]
            if logins and (rng.random() < 0.4 or not shared):
                shared.append((pa, pb, logins[0][0]))
        for pa, pb, anon in shared:
            pb["cookies"].append([anon, "login"])  # the partner logs in on the same browser, no reset()
            gen.shared_cookies.add(anon)
        in_household = {pid for rel in self.relations for pid in rel[1:]}
        web = [p for p in persons if p["kind"] == "customer" and p["web"] and p["pid"] not in in_household]
        for p in rng.sample(web, min(len(web), max(2, round(0.04 * len(web))))):
            p["cookies"].append([rng.uuid4(), "alias"])

    # ------------------------------------------------------------------ records and pairs

    def phone_only_caller(self, rng: Rand, p: dict) -> bool:
        return p["kind"] == "customer" and bool(p.get("account_phone")) and rng.chance(self.rates.phone_only_caller)

    def record_written(self, source: str, row: dict, p: dict, guest: bool = False) -> None:
        """Note what a written sales row or Zendesk user holds (for the must-not-merge pairs)."""
        phone = row.get("phone")
        real_phone = bool(phone) and phone not in D.JUNK_PHONES
        if source == "sales" and not guest and real_phone:
            p["account_phone"] = True
        email = row.get("email")
        if source == "sales":
            first, last = row["first_name"], row["last_name"]
        else:
            first, last = row["name"], ""
        self.records.append({
            "source": source, "id": str(row["id"]), "pid": p["pid"],
            "email": norm_email(email) if email else None,
            "phone": phone_key(p["phone"]) if real_phone else None,
            "first": first_name_key(first), "last": D.ascii_fold(last or ""),
            "dob": row.get("birth_date"), "postal": postal_key(row.get("postal_code"), p["country"]),
            "guest": guest,
        })

    def finish_batch(self, b: Batch) -> None:
        """The must-not-merge pairs among this batch's records (batch 0 builds the households)."""
        if b.number != 0:
            return
        seen: set[tuple] = set()

        def add(reason: str, identifier: str, ra: tuple[str, str, str], rb: tuple[str, str, str]) -> None:
            if ra[2] == rb[2]:
                return
            key = tuple(sorted([ra[:2], rb[:2]]))
            if key in seen:
                return
            seen.add(key)
            first, second = sorted([ra, rb])
            self.pairs.append([reason, identifier, *first, *second])

        by_email: dict[str, list[dict]] = {}
        by_phone: dict[str, list[dict]] = {}
        for r in self.records:
            if r["email"] in self.gen.shared_emails:
                by_email.setdefault(r["email"], []).append(r)
            if r["phone"] in self.shared_phones:
                by_phone.setdefault(r["phone"], []).append(r)
        company = {norm_email(p["account_email"]) for p in self.gen.persons if p.get("account_email")}
        for value, recs in sorted(by_email.items()):
            reason = "company_generic_email" if value in company else "family_email"
            for i, ra in enumerate(recs):
                for rb in recs[i + 1:]:
                    add(reason, f"email:{value}", _rec(ra), _rec(rb))
        for value, recs in sorted(by_phone.items()):
            for i, ra in enumerate(recs):
                for rb in recs[i + 1:]:
                    add("household_landline", f"phone:{value}", _rec(ra), _rec(rb))
        sales_of: dict[str, list[dict]] = {}
        for r in self.records:
            if r["source"] == "sales":
                sales_of.setdefault(r["pid"], []).append(r)
        for kind, a, bb in self.relations:
            for ra in sales_of.get(a, []):
                for rb in sales_of.get(bb, []):
                    if kind == "twins" and ra["last"] == rb["last"]:
                        if ra["dob"] and ra["dob"] == rb["dob"]:
                            add("twins", f"last_name+birth_date:{ra['last']}|{ra['dob']}", _rec(ra), _rec(rb))
                        elif ra["postal"] and ra["postal"] == rb["postal"]:
                            add("twins", f"last_name+postal_code:{ra['last']}|{ra['postal']}", _rec(ra), _rec(rb))
                    if (kind == "parent_child" and ra["first"] == rb["first"] and ra["last"] == rb["last"]
                            and ra["postal"] and ra["postal"] == rb["postal"]):
                        add("parent_child_same_name", f"name+postal_code:{ra['first']} {ra['last']}|{ra['postal']}",
                            _rec(ra), _rec(rb))
        logged_in: dict[str, list[dict]] = {}  # shared cookie -> the people who logged in on it
        for p in self.gen.persons:
            for anon in p.get("logged_in", []):
                if anon in self.gen.shared_cookies:
                    logged_in.setdefault(anon, []).append(p)
        for anon in sorted(self.gen.shared_cookies):
            users = logged_in.get(anon, [])
            for i, pa in enumerate(users):
                for pb in users[i + 1:]:
                    add("family_computer", f"anonymousId:{anon}", ("web_user", str(pa["sales"][0]), pa["pid"]),
                        ("web_user", str(pb["sales"][0]), pb["pid"]))
        self.pairs.sort()

    def write_pairs(self, out: Path, increment: bool) -> None:
        """Batch 0 writes must_not_merge.csv; increments leave it as it is (their new people are singles)."""
        if increment:
            return
        with open(out / MUST_NOT_MERGE, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(MUST_NOT_MERGE_COLUMNS)
            w.writerows(self.pairs)


def _rec(r: dict) -> tuple[str, str, str]:
    return r["source"], r["id"], r["pid"]


def first_name_key(first: str | None) -> str:
    """The first given name, folded, as its nickname group (Val and Valerie are one name; middle names dropped)."""
    words = (first or "").split()
    if not words:
        return ""
    return D.ascii_fold(D.name_groups().get(words[0], words[0]))


def postal_key(postal: str | None, country: str) -> str:
    """A postcode without spaces or case; a US ZIP+4 as its five-digit ZIP."""
    key = D.ascii_fold(postal or "")
    return key[:5] if country == "US" else key


def phone_key(phone: list[str]) -> str:
    """E.164 of a person's phone ([country, area, subscriber])."""
    country, area, sub = phone
    return f"+{D.COUNTRIES[country][4]}{area}{sub}"
