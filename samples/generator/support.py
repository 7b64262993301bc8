"""Zendesk: end users and agents, tickets with their planned life (status, metric set, satisfaction rating
revealed batch by batch), and malformed tickets and ratings."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from samples import _data as D
from samples.generator.common import (
    DAY, FAR_FUTURE, ZENDESK_BASE, Batch, Rand, email_key, iso_z, n_malformed, parse_iso,
)

if TYPE_CHECKING:
    from samples.generator.run import Generator
    from samples.generator.writers import SupportWriter


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


def new_zendesk_user(gen: Generator, rng: Rand, b: Batch, p: dict, support: "SupportWriter", pending: bool) -> int:
    m, r = gen.m, gen.render
    uid = gen.ids.next("user", rng.randint(1, 60))
    created = max(gen.support_start, p["created"]) + rng.randint(0, 30 * DAY)
    created = min(created, b.end - rng.randint(600, 20 * DAY if b.number == 0 else DAY // 2))
    created = max(created, b.start if b.number else gen.support_start)
    first, last = r.person_name(rng, p, "support")
    name = r.zendesk_name(rng, p, first, last)
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
        if gen.hard and gen.hard.phone_only_caller(rng, p):
            # called in: the agent took a name and the phone number (the one the sales account holds), no e-mail
            email, phone, linked = None, r.phone(rng, p["phone"], national_ok=False), True
        if not linked:
            if p["kind"] == "customer":
                external_id = str(p["sales"][0])
        if email is not None and email not in D.JUNK_EMAILS:
            p["known"].append(email)
    p["zd"].append(uid)
    user = zendesk_user(gen, rng, p, uid, name, email, phone, external_id, created, b.end)
    support.user(user, b)
    # Some customers give support their other address too: Zendesk lists it as a secondary identity. Chosen by
    # id, not by a random draw, so every other file of the sample stays as it was.
    other = [e for e in p["emails"] if email_key(e) != email_key(email or "")]
    if not pending and email and email not in D.JUNK_EMAILS and other and uid % 4 == 0:
        support.identities[uid] = user_identities(user, secondary_email=other[0])
    gen.truth(b, "support", uid, p["pid"])
    if gen.hard:
        gen.hard.record_written("support", user, p)
    return uid


def user_identities(user: dict[str, Any], secondary_email: str) -> list[dict[str, Any]]:
    """Zendesk's identities of a user: its primary email and phone, and one more email address."""
    uid, stamp = user["id"], user["created_at"]
    values = [("email", user["email"], True), ("phone_number", user["phone"], True), ("email", secondary_email, False)]
    return [
        {"url": f"{ZENDESK_BASE}/users/{uid}/identities/{uid * 10 + n}.json", "id": uid * 10 + n, "user_id": uid,
         "type": kind, "value": value, "verified": bool(user["verified"]) or not primary, "primary": primary,
         "created_at": stamp, "updated_at": stamp}
        for n, (kind, value, primary) in enumerate(values, start=1) if value
    ]


def zendesk_user(gen: Generator, rng: Rand, p: dict, uid: int, name: str, email: str | None, phone: str | None,
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


def agent_users(gen: Generator, b: Batch) -> list[dict[str, Any]]:
    out = []
    for uid, (first, last) in zip(gen.agents, gen.pools.agents):
        created = gen.support_start - 30 * DAY
        out.append({
            "id": uid, "url": f"{ZENDESK_BASE}/users/{uid}.json", "name": f"{first} {last}",
            "email": f"{D.ascii_fold(first)}.{D.ascii_fold(last)}@support.c360.example",
            "created_at": iso_z(created), "updated_at": iso_z(created + 3600), "time_zone": "Amsterdam",
            "iana_time_zone": "Europe/Amsterdam", "phone": None, "shared_phone_number": None, "photo": None,
            "locale_id": 1, "locale": "en-US", "organization_id": None, "role": "agent", "verified": True,
            "external_id": None, "tags": [], "alias": "", "active": True, "shared": False,
            "shared_agent": False, "last_login_at": iso_z(gen.t0 - 3600), "two_factor_auth_enabled": None,
            "signature": "", "details": "", "notes": "", "role_type": 0, "custom_role_id": None,
            "moderator": True, "ticket_restriction": None, "only_private_comments": False,
            "restricted_agent": False, "suspended": False, "default_group_id": 360001, "report_csv": True,
            "user_fields": {},
        })
        gen.truth(b, "support", uid, f"agent:{uid}")
    return out


def batch_tickets(gen: Generator, rng: Rand, b: Batch, support: "SupportWriter", new_persons: list[dict], initial: bool) -> None:
    if initial:
        for p in new_persons:
            for uid in p["zd"]:
                user = support.users[uid]
                created = parse_iso(user["created_at"])
                n = 1 + int(rng.expovariate(1 / 0.8))
                for _ in range(n):
                    t = rng.randint(created, b.end - 600) if created < b.end - 600 else created
                    new_ticket(gen, rng, b, p, uid, t, support)
                if rng.random() < 0.1:  # support is busy: a share of tickets is still being worked on
                    new_ticket(gen, rng, b, p, uid, rng.randint(max(created, b.end - 7 * DAY), b.end - 600), support)
    else:
        for p in new_persons:
            for uid in p["zd"]:
                new_ticket(gen, rng, b, p, uid, rng.randint(b.start, b.end - 60), support)
        new_pids = {p["pid"] for p in new_persons}
        requesters = [p for p in gen.persons if p["zd"] and p["pid"] not in new_pids]
        k = max(2, round(0.01 * len(requesters)))
        for p in rng.sample(requesters, min(k, len(requesters))):
            new_ticket(gen, rng, b, p, rng.choice(p["zd"]), rng.randint(b.start, b.end - 60), support)
    corrupt_tickets(gen, gen.rng(b.number, "bad-tickets"), b, support)


def new_ticket(gen: Generator, rng: Rand, b: Batch, p: dict, uid: int, created: int, support: "SupportWriter") -> None:
    tid = gen.ids.next("ticket")
    user = support.users[uid]
    kind, subject, tags, description = rng.choice(D.SUPPORT_TOPICS)
    order = rng.randint(500_001, max(500_001, gen.ids.v["order"]))
    subject = subject.format(order=order)
    description = description.format(order=order)
    channel = rng.choices(["email", "web", "chat", "voice", "api"], [0.45, 0.25, 0.18, 0.08, 0.04])[0]
    if user["email"] is None:
        channel = "voice"  # a phone-only caller (hard profile)
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
        "requester_id": uid, "submitter_id": uid if channel in ("email", "web", "api") else rng.choice(gen.agents),
        "assignee_id": None, "organization_id": None, "group_id": 360001, "collaborator_ids": [],
        "follower_ids": [], "email_cc_ids": [], "forum_topic_id": None, "problem_id": None,
        "has_incidents": False, "is_public": True, "due_at": None, "tags": list(tags), "custom_fields": [],
        "satisfaction_rating": {"score": "unoffered"}, "sharing_agreement_ids": [], "custom_status_id": 1,
        "fields": [], "followup_ids": [], "ticket_form_id": 360000001, "brand_id": 360000002,
        "allow_channelback": False, "allow_attachments": True, "from_messaging_channel": channel == "chat",
    }
    life = ticket_life(rng, created)
    support.tickets[tid] = {"ticket": ticket, "life": life, "pid": p["pid"], "created": created}
    advance_ticket(rng, gen, support, tid, b, new=True)
    support.settle_ticket(tid)


def corrupt_tickets(gen: Generator, rng: Rand, b: Batch, support: "SupportWriter") -> None:
    new = [tid for tid in support.new_ticket_ids]
    k = n_malformed(gen.m, len(new))
    if not k:
        return
    picks = rng.sample(new, min(len(new), 4 * k))
    for i, tid in enumerate(picks):
        t = support.ticket(tid)
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
    k = n_malformed(gen.m, len(ratings))
    for i, rid in enumerate(rng.sample(ratings, min(len(ratings), 2 * k)) if k else []):
        rating = support.ratings[rid]
        kind = ("wrong_type", "invalid_value")[i // k]
        if kind == "wrong_type":
            rating["ticket_id"] = f"#{rating['ticket_id']}"
        else:
            rating["score"] = "meh"
        b.malformed("support.satisfaction_ratings", kind)
