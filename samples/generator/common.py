"""What every part of the generator shares: the time frame, the messiness rates, the seeded RNG, the id
counters, and the counts of one batch (they become its manifest entry)."""

from __future__ import annotations

import binascii
import dataclasses
import random
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

# dlt depends on orjson; it serialises the millions of events ~20x faster than the json module
import orjson

DAY = 86_400
#: History of batch 0, in days before the reference time (the "now" of batch 0; increment n is written as
#: of the reference time + n days). Every time is relative to it, so a sample has the same shape whatever its
#: reference date: e-mail and web events, the order database (since 2023-01-01 for 2026-11-01) and Zendesk
#: (since 2024-01-01 for 2026-11-01).
EVENT_HISTORY_DAYS = 120
SALES_HISTORY_DAYS = 1400
SUPPORT_HISTORY_DAYS = 1035
#: Malformed records' "future" timestamps: far enough ahead for any reference date.
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


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


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


def reference_time(day: date | None = None) -> int:
    """The reference time of batch 0: the start (00:00 UTC) of ``day``, by default of today (UTC).

    Today's date makes the sample end when it is generated, so freshness checks on it mean something; a
    fixed date gives reproducible files (same seed and date -> byte-identical output).
    """
    if day is None:
        day = datetime.now(timezone.utc).date()
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


def parse_iso(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


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
