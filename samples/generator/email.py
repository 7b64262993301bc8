"""SendGrid: which addresses get mail, marketing campaigns and order e-mails, and the Event Webhook batches
(email/YYYY/MM/DD/sendgrid-events-<window start>-NNN.json) their events arrive in."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from samples import _data as D
from samples.generator.common import DAY, FAR_FUTURE, SHOP_URL, Batch, Rand, dumps, norm_email
from samples.generator.writers import EventSink

if TYPE_CHECKING:
    from samples.generator.run import Generator


def finalize_known(gen: Generator, rng: Rand, persons: Iterable[dict]) -> None:
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
        if rng.chance(gen.m.gmail_dots * 0.3) and len(known) > 1 and known[1] not in p["sg"]:
            p["sg"].append(known[1])


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
            if address in D.JUNK_EMAILS:
                pid = f"junk:{address}"
            elif norm_email(address) in self.gen.shared_emails:  # a family or company mailbox (hard profile)
                pid = f"shared:{norm_email(address)}"
            else:
                pid = self.owner[address]
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
            events = [dumps(dict(json.loads(t), sg_event_id=self.rng.b64id())) for _, _, t in picks]
            text = "[" + ",".join(events) + "]"
            cut = len(text) // 2
            window = arrival // 1000 // (6 * 3600) * 6 * 3600
            self.cut.setdefault(window // DAY, []).append((window, text[:cut].encode()))
            # the events complete before the cut are salvaged by the reader; the broken rest is one record
            complete = sum(1 for n in range(len(events)) if len("[" + ",".join(events[: n + 1])) <= cut)
            if complete:
                self.b.count(self.table, complete)
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


def email_child(gen: Generator, rng: Rand, b: Batch, window_orders: list, initial: bool, campaigns: list) -> dict:
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


def _message_events(rng: Rand, events: EmailSink, address: str, sent: int, categories: Any, campaign: dict | None,
                    horizon: int) -> None:
    msg = f"{rng.hex(10)}.{rng.hex(4)}.{rng.hex(6)}"
    sg_message_id = f"{msg}.filterdrecv-{rng.randint(100, 999)}-{rng.hex(5)}-1-{rng.hex(8).upper()}-{rng.randint(1, 40)}.0"
    smtp_id = f"<{msg}@ismtpd-{rng.randint(1, 300)}>"
    base: dict[str, Any] = {"email": address, "smtp-id": smtp_id, "sg_message_id": sg_message_id,
                            "category": categories}
    if campaign:
        base["marketing_campaign_id"] = campaign["id"]
        base["marketing_campaign_name"] = campaign["name"]

    def add(event: str, ts: int, **extra: Any) -> dict | None:
        if ts >= horizon:
            return None
        obj = dict(base, event=event, timestamp=ts, sg_event_id=rng.b64id(), **extra)
        arrival = ts * 1000 + 2_000 + int(rng.random() * 600_000)
        events.append([arrival, ts * 1000, obj, address])
        return obj

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
            unsubscribe = add("group_unsubscribe", t + rng.randint(60, DAY), useragent=ua, ip=ip,
                              url=f"{SHOP_URL}/unsubscribe", asm_group_id=campaign["asm_group_id"])
            if unsubscribe is not None:
                _group_resubscribe(events, unsubscribe)
        elif rng.random() < 0.002:
            add("spamreport", t + rng.randint(60, DAY))


def _group_resubscribe(sink: EmailSink, unsubscribe: dict[str, Any]) -> None:
    """Three in ten group unsubscribers re-join the group from the preference page within a month (SendGrid's
    group_resubscribe). Drawn from a generator seeded by the unsubscribe event and written past the sink's
    messiness (no late copy, no duplicate): every other record of a seeded sample stays byte-identical."""
    own = Rand(unsubscribe["sg_event_id"])
    if own.random() >= 0.3:
        return
    ts = unsubscribe["timestamp"] + own.randint(DAY, 30 * DAY)
    arrival = ts * 1000 + 2_000 + int(own.random() * 600_000)
    if not sink.lo <= arrival < sink.hi:
        return
    obj = dict(unsubscribe, event="group_resubscribe", timestamp=ts, sg_event_id=own.b64id())
    sink.put(arrival, ts * 1000, dumps(obj))
    sink.b.count(sink.table, 1)


def _email_path(out: Path, start: int, seq: int) -> Path:
    tm = time.gmtime(start)
    return out / "email" / time.strftime("%Y/%m/%d", tm) / f"sendgrid-events-{time.strftime('%Y%m%dT%H%M%SZ', tm)}-{seq:03d}.json"
