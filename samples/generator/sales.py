"""The sales order database: the catalogue, customer rows (accounts and guest checkouts), orders with their
items and status history, and the malformed rows a typed database still lets through."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from samples import _data as D
from samples.generator.common import DAY, FAR_FUTURE, Batch, Rand, n_malformed, sql_ts

if TYPE_CHECKING:
    from samples.generator.run import Generator
    from samples.generator.writers import SalesWriter


def make_products(rng: Rand, sales_start: int) -> list[dict[str, Any]]:
    products = []
    pid = 0
    for category, (nouns, lo, hi) in D.CATEGORIES.items():
        names = [f"{a} {n}" for a in D.ADJECTIVES for n in nouns]
        for name in sorted(rng.sample(names, min(len(names), 18))):
            pid += 1
            price = round(math.exp(rng.uniform(math.log(lo), math.log(hi))), 0) - 0.01
            products.append({"id": pid, "name": name, "category": category, "price": price,
                             "cost": round(price * rng.uniform(0.35, 0.7), 2),
                             "created_at": sql_ts(sales_start - 90 * DAY), "updated_at": sql_ts(sales_start - 90 * DAY)})
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


def customer_row(gen: Generator, rng: Rand, p: dict, cid: int, created: int, guest: bool, now: int) -> dict[str, Any]:
    """A sales customers row for person p (the account, or a guest checkout)."""
    row = _customer_row(gen, rng, p, cid, created, guest, now)
    if row["email"]:
        p.setdefault("sales_email", {})[str(cid)] = row["email"]
    if gen.hard:
        gen.hard.record_written("sales", row, p, guest=guest)
    return row


def _customer_row(gen: Generator, rng: Rand, p: dict, cid: int, created: int, guest: bool, now: int) -> dict[str, Any]:
    m, r = gen.m, gen.render
    first, last = r.person_name(rng, p, "guest" if guest else "account")
    street, city, postal = r.address(rng, p, "guest" if guest else "account")
    row: dict[str, Any] = {
        "id": cid, "first_name": first, "last_name": last, "gender": p["gender"], "country": p["country"],
        "birth_date": r.birth_date(rng, p), "street": street, "city": city, "postal_code": postal,
        "created_at": sql_ts(created), "updated_at": sql_ts(min(now - 1, created + rng.randint(0, 3600))),
    }
    if guest:
        # A guest checkout shares no e-mail or phone with the account: a new address, or none.
        row["phone"] = None
        if rng.random() < 0.7:
            domain = rng.choice(D.EMAIL_DOMAINS[p["country"]])
            address = gen.people.new_email(rng, p["first"], p["last"], domain, suffix_p=0.8)
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
        row["email"] = r.account_email(rng, p)
        p["known"].append(row["email"])
    if rng.chance(m.junk_identifier):
        row["phone"] = rng.choice(D.JUNK_PHONES)
    elif rng.chance(m.missing_phone):
        row["phone"] = None
    else:
        row["phone"] = r.phone(rng, p["phone"], national_ok=True)
    if rng.chance(m.missing_gender):
        row["gender"] = None
    # (the draw is made either way, so the other records stay as they were)
    if p["guest_link"] != "dob" and rng.chance(m.missing_birth_date) and not p.get("dob_tells_apart"):
        row["birth_date"] = None
    if p["guest_link"] != "address" and rng.chance(m.missing_address):
        row["street"] = row["city"] = row["postal_code"] = None
    return row


def orders_for(gen: Generator, rng: Rand, b: Batch, p: dict, sales: "SalesWriter", window_orders: list,
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
            new_order(gen, rng, b, p, account, t, sales, window_orders)
        for gid in p["sales"][1:]:
            # the guest row is created by its checkout
            t = p["guest_created"][str(gid)]
            new_order(gen, rng, b, p, gid, t, sales, window_orders, guest=True)
    else:
        # an existing customer ordering during the increment day
        if p["pid"] in gen.buyers:
            t = rng.randint(b.start, b.end - 60)
            new_order(gen, rng, b, p, p["sales"][0], t, sales, window_orders)


def new_order(gen: Generator, rng: Rand, b: Batch, p: dict, cid: int, created: int, sales: "SalesWriter",
              window_orders: list, guest: bool = False) -> None:
    oid = gen.ids.next("order")
    currency, fx = D.COUNTRIES[p["country"]][2], D.COUNTRIES[p["country"]][3]
    items = []
    subtotal = 0.0
    for prod in rng.sample(gen.products, rng.choices([1, 2, 3, 4], [0.45, 0.3, 0.15, 0.1])[0]):
        qty = 1 if rng.random() < 0.8 else rng.randint(2, 4)
        promo = 0.85 if rng.random() < 0.1 else 1.0
        unit_price = round(prod["price"] * fx * promo, 2)
        unit_cost = round(prod["cost"] * fx, 2)
        subtotal += qty * unit_price
        items.append({"id": gen.ids.next("item"), "order_id": oid, "product_id": prod["id"], "quantity": qty,
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


def corrupt_orders(gen: Generator, rng: Rand, b: Batch, sales: "SalesWriter", window_orders: list) -> None:
    """Malformed rows a typed order database still lets through (never in the updated_at cursor)."""
    order_ids, item_ids = sales.new_order_ids, sales.new_item_ids
    k = n_malformed(gen.m, len(order_ids))
    if k:
        # sampling positions draws exactly what sampling the rows themselves did
        picks = rng.sample(range(len(order_ids)), min(len(order_ids), 3 * k))
        for i, pos in enumerate(picks):
            kind = ("missing_key", "future_timestamp", "invalid_value")[i // k]
            if kind == "missing_key":
                sales.patch("orders", order_ids[pos], lambda o: o.update(customer_id=None))
            elif kind == "future_timestamp":
                at = sql_ts(FAR_FUTURE + rng.randint(0, 300 * DAY))
                sales.patch("orders", order_ids[pos], lambda o: o.update(created_at=at))
            else:
                status = rng.choice(["on_hold?", "UNKNOWN", "shiped"])
                sales.patch("orders", order_ids[pos], lambda o: o.update(status=status))
            gen.malformed_orders.add(order_ids[pos])
            b.malformed("sales.orders", kind)
    k = n_malformed(gen.m, len(item_ids))
    if not k:
        return
    # the events of the window's orders show the broken quantity too: they hold the same item dicts
    window_items = {it["id"]: it for _, order in window_orders for it in order["items"]}
    for pos in rng.sample(range(len(item_ids)), min(len(item_ids), k)):
        row = sales.patch("order_items", item_ids[pos], lambda it: it.update(quantity=-it["quantity"]))
        shown = window_items.get(item_ids[pos])
        if shown is not None and shown is not row:  # the row was read back from the file: a copy
            shown["quantity"] = row["quantity"]
        b.malformed("sales.order_items", "invalid_value")
