"""The orchestration of a batch: batch 0 (the history up to the reference time) or one increment (the next
day: new people, updates, bridges), and :func:`generate`, which writes it with truth.csv and the manifest."""

from __future__ import annotations

import csv
import gzip
import json
import math
import zlib
from datetime import date
from pathlib import Path
from typing import Any

from samples.generator.common import (
    DAY, EVENT_HISTORY_DAYS, SALES_HISTORY_DAYS, STATE_FILE, SUPPORT_HISTORY_DAYS, Batch, Ids, Messiness, Rand,
    email_key, iso_z, parse_iso, reference_time, sql_ts,
)
from samples.generator.email import email_child, finalize_known, plan_campaigns
from samples.generator.hard import HARD_FACTOR, HardRates, HardRenderer
from samples.generator.households import MUST_NOT_MERGE, Households
from samples.generator.people import People, Pools, Renderer, assign_identities, realize_person
from samples.generator.sales import corrupt_orders, customer_row, make_products, orders_for
from samples.generator.support import advance_ticket, agent_users, batch_tickets, new_zendesk_user
from samples.generator.web import web_events
from samples.generator.writers import SalesWriter, SupportWriter, clear_folder, fork


#: Named generator profiles (`c360 generate --profile`); docs/readme/generator.md describes both.
PROFILES = ("default", "hard")


class Generator:
    """The state of a sample folder (people, ids, products, ticket lives, what truth.csv already holds) and
    the writing of one batch; the state is saved in the state file between increments."""

    def __init__(self, out: Path, seed: int, customers: int, m: Messiness, state: dict | None, t0: int,
                 profile: str = "default", messiness: float = 1.0, chunk_rows: int = 50_000) -> None:
        self.out = out
        self.chunk_rows = chunk_rows  # rows a writer holds before writing them (bounds memory, not the output)
        self.t0 = t0  # the reference time: the end of batch 0
        self.sales_start = t0 - SALES_HISTORY_DAYS * DAY
        self.support_start = t0 - SUPPORT_HISTORY_DAYS * DAY
        self.seed = seed
        self.customers = customers
        self.m = m
        self.render = Renderer(m)
        self.pools = Pools(seed)
        state = state or {}
        self.shared_emails: set[str] = set()   # family and company mailboxes (hard profile)
        self.shared_cookies: set[str] = set()  # family computers (hard profile)
        self.hard: Households | None = None
        if profile == "hard":
            rates = HardRates().scaled(messiness)
            self.render = HardRenderer(m, rates)
            self.hard = Households(self, rates, state.get("hard"))
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
        } | ({"hard": self.hard.state()} if self.hard else {})

    def rng(self, batch: int, part: str) -> Rand:
        return Rand(f"{self.seed}/{batch}/{part}")

    def add_person(self, rng: Rand, b: Batch, kind: str, created: int) -> dict[str, Any]:
        p = self.people.new_person(rng, kind, created, self.m)
        self.persons.append(p)
        self.by_pid[p["pid"]] = p
        return p

    def truth(self, b: Batch, source: str, record_id: Any, person_id: str) -> None:
        b.truth.append((source, str(record_id), person_id))

    # ------------------------------------------------------------------ batch 0

    def run_initial(self) -> Batch:
        t0 = self.t0
        b = Batch(0, t0 - EVENT_HISTORY_DAYS * DAY, t0)
        rng = self.rng(0, "people")
        self.products = make_products(self.rng(0, "products"), self.sales_start)
        self.product_index = {pr["id"]: pr for pr in self.products}
        self.agents = [self.ids.next("user", rng.randint(3, 40)) for _ in self.pools.agents]
        n_customers = self.customers
        n_prospects = max(1, round(0.1 * self.customers))
        # Sign-ups grow over time: the square root skews creation times towards the reference time.
        start = self.sales_start
        created = sorted(int(start + (t0 - DAY - start) * math.sqrt(rng.random())) for _ in range(n_customers))
        plans = []
        for c in created:
            plans.append(("customer", c))
        for _ in range(n_prospects):
            plans.append(("prospect", rng.randint(b.start, t0 - DAY)))
        plans.sort(key=lambda x: x[1])
        for kind, c in plans:
            self.add_person(rng, b, kind, c)
        if self.hard:
            self.hard.add_households(self.rng(0, "households"), b)
        persons = list(self.persons)
        n_pending = max(2, round(0.002 * len(persons)))
        assign_identities(self, rng, b, persons, n_pending)
        if self.hard:
            self.hard.after_assign(self.rng(0, "households-web"), b, persons)
        self.write_all(b, persons, initial=True)
        return b

    # ------------------------------------------------------------------ writing a batch

    def write_all(self, b: Batch, new_persons: list[dict], initial: bool) -> None:
        rng = self.rng(b.number, "records")
        sales = SalesWriter(self.out / "sales.sqlite", initial, self.chunk_rows)
        support = SupportWriter(self.out / "support", initial, self.ticket_lives)
        if initial:
            for prod in self.products:
                sales.product(prod, b)
            for user in agent_users(self, b):
                support.user(user, b)
        for p in new_persons:
            realize_person(self, rng, b, p, sales, support)
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
            orders_for(self, orng, b, p, sales, window_orders, initial, p["pid"] in new_pids)
        corrupt_orders(self, self.rng(b.number, "bad-orders"), b, sales, window_orders)
        # support tickets
        trng = self.rng(b.number, "tickets")
        batch_tickets(self, trng, b, support, new_persons, initial)
        # SendGrid and Segment
        finalize_known(self, self.rng(b.number, "known"), new_persons if initial else self.persons)
        erng = self.rng(b.number, "email")
        campaigns = plan_campaigns(self, erng, b)
        # SendGrid and Segment files are independent: write them on two cores (a forked child for SendGrid).
        n_truth = len(b.truth)
        child = fork(lambda: email_child(self, erng, b, window_orders, initial, campaigns))
        web_events(self, self.rng(b.number, "web"), b, window_orders, initial)
        if self.hard:
            self.hard.finish_batch(b)
        result = child()
        b.tables["email.events"] = result["table"]
        b.late["email.events"] = result["late"]
        b.truth[n_truth:n_truth] = [tuple(t) for t in result["truth"]]
        self.emails_in_truth.update(result["emails"])
        sales.close()
        support.close(b)
        self.ticket_lives = support.lifecycle_state()

    # ------------------------------------------------------------------ increments

    def run_increment(self, number: int) -> Batch:
        start = self.t0 + (number - 1) * DAY
        b = Batch(number, start, start + DAY)
        rng = self.rng(number, "people")
        n_new = max(1, round(0.01 * self.customers))
        new_persons = []
        for _ in range(n_new):
            kind = "customer" if rng.random() < 0.85 else "prospect"
            new_persons.append(self.add_person(rng, b, kind, rng.randint(b.start, b.end - 3 * 3600)))
        assign_identities(self, rng, b, new_persons, 0)
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
                sales.customer(customer_row(self, rng, p, cid, p["created"], guest=False, now=b.end), b)
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
            new_zendesk_user(self, rng, b, p, support, pending=True)
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


def generate(out: Path, customers: int, seed: int, messiness: float = 1.0, increment: bool = False,
             reference_date: date | None = None, profile: str = "default", chunk_rows: int = 50_000) -> dict:
    """Write the sample source systems (or the next increment) to ``out``; return the manifest batch entry.

    Batch 0 ends at the start (00:00 UTC) of ``reference_date``, by default of today; an increment continues
    the folder's own reference time (``reference_date`` is then ignored, like ``seed`` and ``customers``).
    ``profile`` "hard" doubles the messiness rates and adds households, shared identifiers and the rest of
    :mod:`samples.generator.households`, plus must_not_merge.csv; "default" is the realistic baseline.
    ``chunk_rows``: how many rows a writer holds before writing them; it bounds memory and never changes the files.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
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
        profile = manifest.get("profile", "default")
        t0 = parse_iso(manifest["reference_time"])
    else:
        if customers < 1:
            raise ValueError(f"customers must be at least 1, got {customers}")
        out.mkdir(parents=True, exist_ok=True)
        for sub in ("email", "web", "support"):
            clear_folder(out / sub)
        t0 = reference_time(reference_date)
        manifest = {"seed": seed, "customers": customers, "messiness": messiness,
                    "generated_at": iso_z(t0), "reference_time": iso_z(t0), "state_file": STATE_FILE,
                    "batches": []}
        if profile != "default":  # the default manifest stays as it always was
            manifest["profile"] = profile
        (out / MUST_NOT_MERGE).unlink(missing_ok=True)
        state = None
    m = Messiness().scaled(messiness * (HARD_FACTOR if profile == "hard" else 1))
    gen = Generator(out, seed, customers, m, state, t0, profile, messiness, chunk_rows)
    b = gen.run_increment(len(manifest["batches"])) if increment else gen.run_initial()
    entry = b.manifest_entry()
    manifest["batches"].append(entry)
    manifest["generated_at"] = iso_z(b.end)
    with open(out / "truth.csv", "a" if increment else "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        if not increment:
            w.writerow(["source", "source_record_id", "person_id"])
        w.writerows(b.truth)
    if gen.hard:
        gen.hard.write_pairs(out, increment)
    write_state(out / STATE_FILE, gen.state())
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return entry


def write_state(path: Path, state: dict[str, Any], chunk: int = 10_000) -> None:
    """Write ``state`` as gzip.compress(json.dumps(state, separators=(",", ":")).encode(), mtime=0) does,
    without holding the whole text twice (str and bytes; ~2 GB each at 1M customers): each top-level list or
    dict is encoded ``chunk`` elements at a time. A slice of a compact JSON array or object is the encoding
    of the slice, and deflate's output does not depend on how its input is cut, so the bytes are the same
    (gzip.compress with mtime=0 is zlib's own gzip wrapper, wbits=31, level 9)."""
    def enc(obj: Any) -> str:
        return json.dumps(obj, separators=(",", ":"))

    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as fh:
        def put(text: str) -> None:
            fh.write(z.compress(text.encode()))

        put("{")
        for n, (key, value) in enumerate(state.items()):
            put(("," if n else "") + enc(key) + ":")
            if isinstance(value, (list, dict)) and len(value) > chunk:
                items = list(value.items()) if isinstance(value, dict) else value
                put("{" if isinstance(value, dict) else "[")
                for i in range(0, len(items), chunk):
                    part = dict(items[i:i + chunk]) if isinstance(value, dict) else items[i:i + chunk]
                    put(("," if i else "") + enc(part)[1:-1])
                put("}" if isinstance(value, dict) else "]")
            else:
                put(enc(value))
        put("}")
        fh.write(z.flush())
