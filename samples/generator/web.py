"""Segment: visits (page, track, identify calls) per cookie and person, and a mobile app's calls (screen, alias at
login, group), written as Segment's S3 destination writes them
(web/segment-logs/<source_id>/<received day ms>/<received ms>-<uuid>.gz)."""

from __future__ import annotations

import gzip
import json
import math
import time
from typing import TYPE_CHECKING, Any

from samples import _data as D
from samples.generator.common import DAY, EVENT_HISTORY_DAYS, SHOP_URL, Batch, Rand, dumps, norm_email
from samples.generator.writers import EventSink

if TYPE_CHECKING:
    from samples.generator.run import Generator


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


def _owner_indexes(gen: Generator) -> None:
    gen.anon_owner = {}
    for p in gen.persons:
        for c in p["cookies"]:
            gen.anon_owner.setdefault(c[0], p["pid"])
    for anon in gen.shared_cookies:  # a family computer's cookie belongs to no one person (hard profile)
        gen.anon_owner[anon] = f"shared:{anon}"
    gen.sales_owner = {str(cid): p["pid"] for p in gen.persons for cid in p["sales"]}


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
            if state == "alias" and cid not in p.setdefault("aliased", []):
                _alias_call(gen, rng, events, p, cid, min(times[-1] + rng.randint(120, 3600), b.end - 200))
        for order in orders_by_pid.get(p["pid"], []):
            logged = [c for c in p["cookies"] if c[0] in p["logged_in"]]
            if not logged:
                continue
            cookie = rng.choice(logged)
            if cookie[0] not in ua_ip:
                continue
            _session(gen, rng, events, p, cookie, ua_ip[cookie[0]],
                     max(b.start, order["created"] - rng.randint(120, 1800)), str(p["sales"][0]), None, order)
    _mobile_app(gen, b, events)
    events.finish()


#: Share of logged-in web customers who also use the shop's mobile app, and of those whose account is a company.
MOBILE_SHARE = 0.15
COMPANY_SHARE = 0.3
ACCOUNTS = [("acct-001", "Northwind Traders", "Retail", "50"), ("acct-002", "Globex", "Manufacturing", "1200"),
            ("acct-003", "Initech", "Software", "300"), ("acct-004", "Umbrella Supplies", "Healthcare", "80"),
            ("acct-005", "Hooli Kitchens", "Hospitality", "25")]
_MOBILE_LIBRARY = {"name": "analytics-ios", "version": "1.5.4"}


def _mobile_app(gen: Generator, b: Batch, events: EventSink) -> None:
    """Mobile app use (Segment Spec: screen, alias, group): a device of its own (anonymousId), screen views before
    and after login, a server-side alias call at the first login (previousId = the device's anonymousId), for some a
    group call naming the customer's company. A random stream of its own, so the browser calls stay as they were."""
    rng = Rand(f"{gen.seed}/{b.number}/web/mobile")
    for p in gen.persons:
        if not p["web"] or not p["logged_in"] or not p["sales"] or rng.random() >= MOBILE_SHARE:
            continue
        start = max(b.start, p["created"])
        if start >= b.end - 600:
            continue
        uid = str(p["sales"][0])
        device = p.setdefault("mobile_device", rng.uuid4())
        gen.anon_owner[device] = p["pid"]
        ts = rng.randint(start, b.end - 600) * 1000
        context = {"app": {"name": "C360 Shop", "version": "4.2.0", "build": "420"},
                   "device": {"type": "ios", "model": "iPhone15,2"}, "os": {"name": "iOS", "version": "17.5"},
                   "library": _MOBILE_LIBRARY, "locale": D.COUNTRIES[p["country"]][7]}
        calls: list[tuple[str, str | None, dict[str, Any]]] = [("screen", None, {"name": "Home"})]
        if not p.get("mobile_aliased"):
            p["mobile_aliased"] = True
            calls.append(("alias", uid, {"previousId": device}))
        calls.append(("screen", uid, {"name": rng.choice(["Product Detail", "Cart", "Orders", "Search"])}))
        if rng.random() < COMPANY_SHARE:
            group_id, name, industry, employees = ACCOUNTS[int(p["pid"][1:]) % len(ACCOUNTS)]
            calls.append(("group", uid, {"groupId": group_id,
                                         "traits": {"name": name, "industry": industry, "employees": employees}}))
        for typ, user_id, fields in calls:
            ts += rng.randint(2_000, 90_000)
            recv = ts + rng.randint(40, 2_000)
            at = iso_ms_fast(ts)
            ev = {"anonymousId": device, "channel": "mobile", "context": context, "integrations": {},
                  "messageId": rng.uuid4(), "originalTimestamp": at, "receivedAt": iso_ms_fast(recv),
                  "sentAt": iso_ms_fast(recv - 30), "timestamp": at, "type": typ, "userId": user_id, "version": 2,
                  **fields}
            if typ == "alias":
                del ev["anonymousId"]  # sent from the shop's server at login: userId and previousId only
            events.append([recv, ts, ev, device, user_id])


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


def _alias_call(gen: Generator, rng: Rand, events: list, p: dict, previous_id: str, t: int) -> None:
    """A server-side Segment alias call (previousId -> userId, no anonymousId) after a sign-up: the only
    event that ties this cookie to the customer (hard profile). Spec: segment.com/docs/connections/spec/alias."""
    p["aliased"].append(previous_id)
    user_id = str(p["sales"][0])
    ts = t * 1000 + int(rng.random() * 1000)
    sent = ts + 5 + int(rng.random() * 400)
    recv = sent + 30 + int(rng.random() * 900)
    ev = {
        "channel": "server", "context": {"library": {"name": "analytics-python", "version": "2.3.2"}},
        "integrations": {}, "messageId": rng.uuid4(), "originalTimestamp": iso_ms_fast(ts),
        "previousId": previous_id, "receivedAt": iso_ms_fast(recv), "sentAt": iso_ms_fast(sent),
        "timestamp": iso_ms_fast(ts), "type": "alias", "userId": user_id, "version": 2,
    }
    events.append([recv, ts, ev, previous_id, user_id])


def _identify_traits(gen: Generator, rng: Rand, p: dict, anon: str, kind: str) -> dict[str, Any]:
    r = gen.render
    known = [a for a in p["known"] if a.strip().lower() not in D.JUNK_EMAILS]
    if kind != "login":  # newsletter sign-up form: an e-mail, no account
        # with an address of their own, not the family's or the company's mailbox (hard profile): a cookie known
        # only by a mailbox several people share could be any of them, which no resolver (or steward) can decide
        known = [a for a in known if norm_email(a) not in gen.shared_emails] or known
        p["identified"].append(anon)
        traits = {"email": known[0] if known else r.email(rng, p["emails"][0])}
        if not known:
            p["known"].append(traits["email"])
        return traits
    p["logged_in"].append(anon)
    first, last = r.person_name(rng, p, "web")
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
        street, city, postal = r.address(rng, p, "web")
        traits["address"] = {"street": street, "city": city, "postalCode": postal, "country": p["country"]}
    if rng.chance(gen.m.junk_identifier) and "email" in traits:
        traits["email"] = rng.choice(D.JUNK_EMAILS)
    return traits
