"""Record validation of each source on hand-written vendor-format records: every kind, with its reason."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone

import pyarrow as pa
import pytest

from ingestion.email.helpers import parse_file as parse_sendgrid
from ingestion.quarantine import REASONS, QuarantineError, future_limit, quarantine_row
from ingestion.sales.helpers import split_batch
from ingestion.support.helpers import validate as validate_zendesk
from ingestion.web.helpers import parse_file as parse_segment

GOOD_SENDGRID = {"email": "a@example.com", "timestamp": 1761955200, "event": "open", "sg_event_id": "e1",
                 "category": "promo"}
GOOD_SEGMENT = {"type": "page", "messageId": "m1", "anonymousId": "a1", "timestamp": "2026-11-01T10:00:00.000Z",
                "context": {"page": {"url": "https://shop.example/"}}}
GOOD_TICKET = {"id": 1, "requester_id": 7, "status": "open", "created_at": "2026-11-01T10:00:00Z",
               "updated_at": "2026-11-01T10:00:00Z", "tags": ["a"], "via": {"channel": "email"}}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"timestamp": "yesterday"}, "wrong_type"),
        ({"timestamp": True}, "wrong_type"),
        ({"sg_event_id": None}, "missing_key"),
        ({"timestamp": 4102444800}, "future_timestamp"),
        ({"event": "teleported"}, "invalid_value"),
        ({"category": ["a", 1]}, "wrong_type"),
    ],
)
def test_sendgrid_event_kinds(change: dict, reason: str) -> None:
    bad = {k: v for k, v in {**GOOD_SENDGRID, **change}.items() if v is not None}
    good, quarantined = parse_sendgrid(json.dumps([GOOD_SENDGRID, bad]).encode(), "file:///x.json")
    assert [g["sg_event_id"] for g in good] == ["e1"]
    assert good[0]["category"] == ["promo"]
    assert len(quarantined) == 1
    assert quarantined[0]["reason"].startswith(reason + ": ")
    assert json.loads(quarantined[0]["payload"]) == bad
    assert quarantined[0]["origin"] == "file:///x.json"


def test_sendgrid_unparseable_file_is_one_record() -> None:
    good, quarantined = parse_sendgrid(b'[{"email": "a@', "file:///cut.json")
    assert good == [] and len(quarantined) == 1
    assert quarantined[0]["reason"].startswith("unparseable: ")
    assert quarantined[0]["payload"] == '[{"email": "a@'


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"timestamp": 1730000000}, "wrong_type"),
        ({"timestamp": "01/11/2026"}, "wrong_type"),
        ({"messageId": None}, "missing_key"),
        ({"anonymousId": None}, "missing_key"),
        ({"timestamp": "2099-11-01T10:00:00.000Z"}, "future_timestamp"),
        ({"type": "teleport"}, "invalid_value"),
        ({"context": "not an object"}, "wrong_type"),
    ],
)
def test_segment_event_kinds(change: dict, reason: str) -> None:
    bad = {k: v for k, v in {**GOOD_SEGMENT, **change}.items() if v is not None}
    lines = [json.dumps(GOOD_SEGMENT), json.dumps(bad), '{"type": "tra']
    good, quarantined = parse_segment(gzip.compress("\n".join(lines).encode()), "s3://b/k.gz")
    assert list(good) == ["pages"] and len(good["pages"]) == 1
    reasons = sorted(q["reason"].split(":")[0] for q in quarantined)
    assert reasons == sorted([reason, "unparseable"])


def test_segment_truncated_gzip_keeps_complete_lines() -> None:
    data = gzip.compress((json.dumps(GOOD_SEGMENT) + "\n").encode() * 50)
    good, quarantined = parse_segment(data[: len(data) - 10], "k.gz")
    assert quarantined and quarantined[-1]["reason"].startswith("unparseable: ")
    assert sum(len(v) for v in good.values()) >= 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"requester_id": "abc"}, "wrong_type"),
        ({"requester_id": None}, "missing_key"),
        ({"created_at": "2099-01-01T00:00:00Z"}, "future_timestamp"),
        ({"priority": "critical"}, "invalid_value"),
        ({"updated_at": "not a time"}, "wrong_type"),
    ],
)
def test_zendesk_ticket_kinds(change: dict, reason: str) -> None:
    validate_zendesk("tickets", GOOD_TICKET, future_limit())
    bad = {k: v for k, v in {**GOOD_TICKET, **change}.items() if v is not None}
    with pytest.raises(QuarantineError) as err:
        validate_zendesk("tickets", bad, future_limit())
    assert err.value.reason == reason


def test_sales_batch_is_split_vectorized() -> None:
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    ts = pa.array([datetime(2026, 10, 1), datetime(2026, 10, 2), datetime(2099, 1, 1), datetime(2026, 10, 3),
                   datetime(2026, 10, 4)], pa.timestamp("us"))
    batch = pa.table({
        "id": [1, 2, 3, 4, 5],
        "customer_id": [10, None, 12, 13, 14],
        "status": ["paid", "paid", "paid", "shiped", "paid"],
        "currency": ["EUR"] * 5,
        "subtotal": [1.0, 1.0, 1.0, 1.0, 1.0],
        "discount": [0.0] * 5,
        "total": [1.0, 1.0, 1.0, 1.0, -1.0],
        "created_at": ts,
        "updated_at": ts,
    })
    good, bad = split_batch("orders", batch, future_limit(now))
    assert good["id"].to_pylist() == [1]
    reasons = {json.loads(q["payload"])["id"]: q["reason"].split(":")[0] for q in bad}
    assert reasons == {2: "missing_key", 3: "future_timestamp", 4: "invalid_value", 5: "invalid_value"}
    assert all(q["origin"] == "table orders" for q in bad)


def test_quarantine_reason_must_be_a_known_kind() -> None:
    assert quarantine_row("web", "tracks", "f", "unparseable", b"x")["payload"] == "x"
    with pytest.raises(ValueError, match="|".join(REASONS)):
        quarantine_row("web", "tracks", "f", "weird", "x")
