"""`c360 generate --profile hard`: reproducible, every phenomenon present in the written files, exact manifest
and complete truth as in the default profile, and must_not_merge.csv pairs that really are different people
sharing the identifier they state.

Every phenomenon is counted from the files (sales.sqlite, Zendesk jsonl, Segment files, truth.csv) with
readers written here and in test_generator.py, never from the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from test_generator import (
    FORMAL, JUNK, as_comparable, count_web, fold, identifying_records, jsonl, manifest, norm_email, recount_batch,
    sales_rows, tree_digest, truth_rows, web_files,
)

from samples._data import name_groups
from samplekit import REFERENCE_DATE
from samples.generator import generate
from samples.generator.hard import PHONETIC_GROUPS

CUSTOMERS = 600
SEED = 11
CALLING_CODES = {"US": "1", "GB": "44", "DE": "49", "FR": "33", "NL": "31"}
GENERIC_LOCALS = {"info", "office", "contact", "hello", "sales"}
REASONS = {"twins", "parent_child_same_name", "family_email", "household_landline", "family_computer",
           "company_generic_email"}


@pytest.fixture(scope="module")
def hard(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("hard")
    out = base / "live"
    generate(out, CUSTOMERS, SEED, profile="hard", reference_date=REFERENCE_DATE)
    snapshot = base / "batch0"
    shutil.copytree(out, snapshot)
    generate(out, CUSTOMERS, SEED, increment=True)
    return {"batch0": snapshot, "live": out}


# ------------------------------------------------------------------------------------------ readers


def e164(text: str | None, country: str | None) -> str | None:
    """A phone number as +<country code><number>, from any of the formats people write (None if unknown)."""
    if not text or text.strip().lower() in ("n/a", "none"):
        return None
    t = text.replace("(0)", "")
    digits = re.sub(r"\D", "", t)
    if set(digits) <= {"0"} or digits == "1234567890":
        return None
    if t.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if country is None:
        return None
    if country == "US":
        return "+1" + (digits[1:] if len(digits) == 11 and digits.startswith("1") else digits)
    return "+" + CALLING_CODES[country] + digits.lstrip("0")


def key(text: str | None) -> str:
    """Folded, without spaces: how the identifiers in must_not_merge.csv spell names and postcodes."""
    return fold(text).replace(" ", "")


def first_key(first: str | None) -> str:
    words = (first or "").split()
    return key(name_groups().get(words[0], words[0])) if words else ""


def postal_key(postal: str | None, country: str) -> str:
    folded = key(postal)
    return folded[:5] if country == "US" else folded


class Files:
    """The identifying records of a hard sample, each with its truth person."""

    def __init__(self, folder: Path) -> None:
        self.truth = {(s, r): p for s, r, p in truth_rows(folder)}
        self.customers = sales_rows(folder, "customers")
        self.users = [u for u in jsonl(folder, "users") if u["role"] == "end-user"]
        _, self.events = count_web(web_files(folder))
        self.person = lambda source, rid: self.truth[(source, str(rid))]
        # (person, kind, value) of every name a record holds: kind "first" / "last"
        self.names: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for c in self.customers:
            self.names[self.person("sales", c["id"])].append((c["first_name"] or "", c["last_name"] or ""))
        for ev in self.events:
            traits = ev.get("traits") or {}
            if ev.get("userId") and traits.get("lastName"):
                self.names[self.person("web_user", ev["userId"])].append((traits["firstName"], traits["lastName"]))


@pytest.fixture(scope="module")
def files(hard) -> Files:
    return Files(hard["batch0"])


def name_pairs(files: Files, index: int):
    """Distinct pairs of one name part (0 first, 1 last) among each person's records."""
    for names in files.names.values():
        values = sorted({n[index] for n in names if n[index]})
        for i, a in enumerate(values):
            for b in values[i + 1:]:
                yield a, b


# ------------------------------------------------------------------------------------------ tests


def test_hard_profile_is_reproducible_and_seeded(hard, tmp_path):
    again = tmp_path / "again"
    generate(again, CUSTOMERS, SEED, profile="hard", reference_date=REFERENCE_DATE)
    assert tree_digest(again) == tree_digest(hard["batch0"])
    generate(again, CUSTOMERS, SEED, increment=True)
    assert tree_digest(again) == tree_digest(hard["live"])
    other = tmp_path / "other"
    generate(other, CUSTOMERS, SEED + 1, profile="hard", reference_date=REFERENCE_DATE)
    assert tree_digest(other)["must_not_merge.csv"] != tree_digest(hard["batch0"])["must_not_merge.csv"]


def test_hard_profile_differs_from_default_and_is_recorded(hard, tmp_path):
    default = tmp_path / "default"
    generate(default, CUSTOMERS, SEED, reference_date=REFERENCE_DATE)
    assert "profile" not in manifest(default) and not (default / "must_not_merge.csv").exists()
    assert manifest(hard["live"])["profile"] == "hard"
    assert tree_digest(default)["sales.sqlite"] != tree_digest(hard["batch0"])["sales.sqlite"]
    with pytest.raises(ValueError, match="profile must be one of default, hard"):
        generate(tmp_path / "x", 10, 1, profile="harder")


def test_manifest_counts_and_truth_hold_as_in_the_default_profile(hard):
    for folder, previous, batch in ((hard["batch0"], None, 0), (hard["live"], hard["batch0"], 1)):
        entry = manifest(folder)["batches"][batch]
        assert as_comparable(entry["tables"]) == recount_batch(folder, previous, entry["window"])
        rows = truth_rows(folder)
        keys = [(s, r) for s, r, _ in rows]
        assert len(keys) == len(set(keys))
        assert set(keys) == identifying_records(folder)
    # a family or company mailbox, and a family computer's cookie, is nobody's alone
    truth = {(s, r): p for s, r, p in truth_rows(hard["live"])}
    shared = {r for (s, r), p in truth.items() if p.startswith("shared:")}
    assert any("@" in r for r in shared) and any("@" not in r for r in shared)
    for (source, record), person in truth.items():
        if person.startswith("shared:"):
            assert source in ("email", "web_anonymous")
            assert person == "shared:" + (norm_email(record) if source == "email" else record)
    # increments leave the must-not-merge pairs of batch 0 as they were
    assert (hard["live"] / "must_not_merge.csv").read_bytes() == (hard["batch0"] / "must_not_merge.csv").read_bytes()


def test_households_and_shared_identifiers_are_in_the_files(files):
    by_email, by_phone = defaultdict(set), defaultdict(set)
    for c in files.customers:
        pid = files.person("sales", c["id"])
        if c["email"] and c["email"].strip().lower() not in JUNK:
            by_email[norm_email(c["email"])].add(pid)
        if (phone := e164(c["phone"], c["country"])):
            by_phone[phone].add(pid)
    for u in files.users:
        if u["email"] and u["email"].strip().lower() not in JUNK:
            by_email[norm_email(u["email"])].add(files.person("support", u["id"]))
    shared = {e: p for e, p in by_email.items() if len(p) > 1}
    company = [e for e, p in shared.items() if e.split("@")[0] in GENERIC_LOCALS and len(p) >= 3]
    family = [e for e in shared if e.split("@")[0] not in GENERIC_LOCALS]
    assert company and family
    assert any(len(p) > 1 for p in by_phone.values())  # a household landline
    twins, parent_child = defaultdict(set), defaultdict(set)
    for c in files.customers:
        pid = files.person("sales", c["id"])
        if c["birth_date"]:
            twins[(key(c["last_name"]), c["birth_date"])].add((pid, first_key(c["first_name"])))
            parent_child[(first_key(c["first_name"]), key(c["last_name"]),
                          postal_key(c["postal_code"], c["country"]))].add((pid, c["birth_date"]))
    assert any(len({p for p, _ in v}) > 1 and len({f for _, f in v}) > 1 for v in twins.values())
    assert any(len({p for p, _ in v}) > 1 and len({d for _, d in v}) > 1 for k, v in parent_child.items() if k[2])
    # a family computer: one anonymousId on which two different customers logged in
    users_of = defaultdict(set)
    for ev in files.events:
        if ev.get("anonymousId") and ev.get("userId"):
            users_of[ev["anonymousId"]].add(files.person("web_user", ev["userId"]))
    assert any(len(p) > 1 for p in users_of.values())


def test_cookies_linked_only_by_an_alias_call(files):
    with_user = {ev["anonymousId"] for ev in files.events if ev.get("anonymousId") and ev.get("userId")}
    aliases = [ev for ev in files.events if ev["type"] == "alias"]
    only_alias = [ev for ev in aliases if ev["previousId"] not in with_user]
    assert only_alias
    for ev in aliases:
        assert ev["userId"] and ev["previousId"] and "anonymousId" not in ev  # server-side alias
        assert files.person("web_anonymous", ev["previousId"]) == files.person("sales", ev["userId"])


def test_names_and_dates_vary_within_a_person(files):
    phonetic = {frozenset((a, b)) for g in PHONETIC_GROUPS for a in g for b in g if a != b}
    counts = defaultdict(int)
    for a, b in name_pairs(files, 0):
        ta, tb = a.split(), b.split()
        if len(ta) != len(tb) and ta[0] == tb[0]:
            counts["middle_name"] += 1
        elif FORMAL.get(a, {a}) & FORMAL.get(b, {b}):
            counts["nickname"] += 1
    for index in (0, 1):
        for a, b in name_pairs(files, index):
            if frozenset((a, b)) in phonetic:
                counts["phonetic"] += 1
            elif " " not in a + b and "-" not in a + b and not FORMAL.get(a, {a}) & FORMAL.get(b, {b}):
                edits = OSA.distance(fold(a), fold(b))
                if edits in (1, 2):
                    counts[f"typo_{edits}"] += 1
    for a, b in name_pairs(files, 1):
        if "-" in a and b in a.split("-") or "-" in b and a in b.split("-"):
            counts["hyphenated_surname"] += 1
        elif fuzz.ratio(fold(a), fold(b)) < 60:
            counts["changed_surname"] += 1
    dobs = defaultdict(set)
    for c in files.customers:
        if c["birth_date"]:
            dobs[files.person("sales", c["id"])].add(c["birth_date"])
    counts["dob_swapped"] = sum(
        1 for ds in dobs.values() for a in ds for b in ds if a < b and a[5:7] == b[8:10] and a[8:10] == b[5:7])
    for phenomenon in ("middle_name", "nickname", "phonetic", "typo_1", "typo_2", "hyphenated_surname",
                       "changed_surname", "dob_swapped"):
        assert counts[phenomenon] > 0, (phenomenon, dict(counts))
    missing_dob = sum(c["birth_date"] is None for c in files.customers) / len(files.customers)
    assert missing_dob > 0.15  # twice the default rate, plus guest checkouts without one


def test_addresses_moves_and_international_forms(files):
    streets = [c["street"] or "" for c in files.customers]
    units = {c["country"] for c in files.customers if re.search(
        r"(\bApt\b|#\d|\bUnit\b|\bSuite\b|\bFlat\b|\bWhg\.|\bWohnung\b|\bappartement\b|\bBât\.|\bOG\b|-\d+$)",
        c["street"] or "")}
    assert len(units) >= 3 and streets
    assert any(re.fullmatch(r"\d{5}-\d{4}", c["postal_code"] or "") for c in files.customers)  # ZIP+4
    assert any(c["country"] == "GB" and c["postal_code"] and " " not in c["postal_code"] for c in files.customers)
    # moved: the account holds another postcode than the person's newer records (Segment traits)
    account_postal = {files.person("sales", c["id"]): postal_key(c["postal_code"], c["country"])
                      for c in files.customers if c["postal_code"]}
    moved = {files.person("web_user", ev["userId"]) for ev in files.events
             if ev.get("userId") and (ev.get("traits") or {}).get("address")
             and account_postal.get(files.person("web_user", ev["userId"])) not in (
                 None, postal_key(ev["traits"]["address"]["postalCode"], ev["traits"]["address"]["country"]))}
    assert moved
    formats = {c["country"]: set() for c in files.customers}
    for c in files.customers:
        if c["phone"] and e164(c["phone"], c["country"]):
            formats[c["country"]].add("intl" if c["phone"].lstrip().startswith(("+", "00")) else "national")
    assert all(f == {"intl", "national"} for f in formats.values()), formats


def test_zendesk_name_forms_and_phone_only_callers(files):
    names = [u["name"] for u in files.users]
    assert any(re.fullmatch(r"[A-ZÀ-Ý\-' ]+, [A-ZÀ-Ý\-' ]+", n) for n in names)  # SMITH, JANE
    assert any(re.match(r"(Mr|Mrs|Ms|Dr)\.? ", n) for n in names)  # titles
    assert any(re.match(r"\w\. \w", n) for n in names)  # J. Smith
    callers = [u for u in files.users if u["email"] is None and u["phone"]]
    assert callers
    account_phones = defaultdict(set)
    for c in files.customers:
        account_phones[files.person("sales", c["id"])].add(e164(c["phone"], c["country"]))
    for u in callers:  # reachable by the phone the person's sales account holds
        assert e164(u["phone"], None) in account_phones[files.person("support", u["id"])]


def read_pairs(folder: Path) -> list[dict]:
    with open(folder / "must_not_merge.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_must_not_merge_pairs_are_different_people_sharing_the_stated_identifier(hard, files):
    pairs = read_pairs(hard["batch0"])
    assert {p["reason"] for p in pairs} == REASONS
    sales = {str(c["id"]): c for c in files.customers}
    users = {str(u["id"]): u for u in files.users}
    anon_users = defaultdict(set)
    for ev in files.events:
        if ev.get("anonymousId") and ev.get("userId"):
            anon_users[ev["anonymousId"]].add(ev["userId"])
    keys = set()
    for pair in pairs:
        a = (pair["source_a"], pair["source_record_id_a"])
        b = (pair["source_b"], pair["source_record_id_b"])
        assert files.truth[a] == pair["person_id_a"] and files.truth[b] == pair["person_id_b"]
        assert pair["person_id_a"] != pair["person_id_b"]
        assert frozenset((a, b)) not in keys
        keys.add(frozenset((a, b)))
        kind, _, value = pair["identifier"].partition(":")
        for source, rid in (a, b):
            row = sales.get(rid) if source == "sales" else users.get(rid) if source == "support" else None
            if kind == "email":
                assert norm_email(row["email"]) == value
            elif kind == "phone":
                assert e164(row["phone"], row.get("country")) == value
            elif kind == "anonymousId":
                assert source == "web_user" and rid in anon_users[value]
            elif kind == "last_name+birth_date":
                assert source == "sales" and f"{key(row['last_name'])}|{row['birth_date']}" == value
            elif kind == "last_name+postal_code":
                assert f"{key(row['last_name'])}|{postal_key(row['postal_code'], row['country'])}" == value
            else:
                assert kind == "name+postal_code" and pair["reason"] == "parent_child_same_name"
                name = f"{first_key(row['first_name'])} {key(row['last_name'])}"
                assert f"{name}|{postal_key(row['postal_code'], row['country'])}" == value


def test_cli_generates_the_hard_profile_and_rejects_unknown_ones(tmp_path, capsys):
    from c360.cli import main

    out = tmp_path / "cli"
    assert main(["generate", "--customers", "40", "--seed", "3", "--out", str(out), "--profile", "hard"]) == 0
    assert manifest(out)["profile"] == "hard" and read_pairs(out)
    with pytest.raises(SystemExit):
        main(["generate", "--out", str(out), "--profile", "harder"])
    assert "invalid choice: 'harder'" in capsys.readouterr().err
