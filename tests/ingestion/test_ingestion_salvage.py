"""Salvage, don't drop (issue 14, item 3): a byte-order mark, one event with bytes that are not UTF-8, a file
cut short — the valid events are kept, only the bad ones are quarantined, and the original bytes of what
could not be read come back from the quarantine payload byte for byte."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from ingestion.email.helpers import parse_file as parse_email
from ingestion.pipelines import run
from ingestion.quarantine import payload_bytes
from ingestion.salvage import BOM, gunzip_lines, json_array_items, strip_bom
from ingestion.web.helpers import parse_file as parse_web

NOW = 1_767_000_000  # 2025-12-29, in the past for any test run


def sendgrid(i: int) -> dict:
    return {"email": f"p{i}@example.com", "timestamp": NOW + i, "event": "delivered", "sg_event_id": f"sg-{i}",
            "sg_message_id": f"m-{i}", "category": ["c"]}


def segment(i: int) -> dict:
    return {"type": "track", "event": "Viewed", "messageId": f"msg-{i}", "userId": f"u{i}",
            "timestamp": "2025-12-29T10:00:00Z", "properties": {"n": i}}


def email_file(events: list[dict]) -> bytes:
    return json.dumps(events).encode()


def web_lines(events: list[dict]) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in events)


# ------------------------------------------------------------------------------------------- helpers


def test_strip_bom_only_strips_a_leading_mark() -> None:
    assert strip_bom(BOM + b"[1]") == b"[1]"
    assert strip_bom(b"[1]") == b"[1]"
    assert strip_bom(b"[" + BOM + b"]") == b"[" + BOM + b"]"


def test_json_array_items_keeps_good_events_around_a_bad_byte_and_a_cut() -> None:
    data = b'[{"a": 1}, {"b": "caf\xe9"}, {"c": 3}, {"d": '
    read = json_array_items(data)
    assert [i for i, _ in read.items] == [0, 1, 2]
    assert read.items[0][1] == {"a": 1} and read.items[2][1] == {"c": 3}
    assert read.items[1][1] == b'{"b": "caf\xe9"}'  # the event's own original bytes
    assert read.broken and "after event 3" in read.broken
    assert json_array_items(b"[]").items == [] and json_array_items(b" [ ] ").broken is None
    assert not json_array_items(b'{"a": 1}').is_array


def test_gunzip_lines_of_a_truncated_stream_keeps_complete_lines() -> None:
    data = gzip.compress(BOM + b"line1\nline2\nline3-is-long-enough-to-be-cut" * 50)
    lines, broken = gunzip_lines(data[: len(data) // 2])
    assert broken and "gzip" in broken
    assert lines[:2] == [b"line1", b"line2"]
    full, ok = gunzip_lines(data)
    assert ok is None and full[0] == b"line1"


# ------------------------------------------------------------------------------------------- SendGrid


def test_sendgrid_file_with_a_bom_loads_every_event() -> None:
    good, bad = parse_email(BOM + email_file([sendgrid(i) for i in range(5)]), "f.json")
    assert len(good) == 5 and bad == []


def test_sendgrid_event_with_invalid_utf8_is_the_only_one_quarantined() -> None:
    events = [sendgrid(i) for i in range(4)]
    data = email_file(events).replace(b'"p2@example.com"', b'"p2\xff@example.com"')
    good, bad = parse_email(data, "f.json")
    assert sorted(e["sg_event_id"] for e in good) == ["sg-0", "sg-1", "sg-3"]
    assert len(bad) == 1 and bad[0]["reason"].startswith("unparseable")
    assert bad[0]["payload_encoding"] == "base64"
    original = payload_bytes(bad[0]["payload"], bad[0]["payload_encoding"])
    assert b"p2\xff@example.com" in original and json.loads(original.decode("latin-1"))["sg_event_id"] == "sg-2"


def test_sendgrid_file_cut_short_keeps_complete_events_and_the_file_bytes() -> None:
    data = email_file([sendgrid(i) for i in range(6)])
    cut = data[: data.index(b'"sg-4"')]
    good, bad = parse_email(cut, "f.json")
    assert sorted(e["sg_event_id"] for e in good) == ["sg-0", "sg-1", "sg-2", "sg-3"]
    assert len(bad) == 1 and bad[0]["origin"] == "f.json"
    assert payload_bytes(bad[0]["payload"], bad[0]["payload_encoding"]) == cut


def test_sendgrid_file_that_is_not_json_keeps_its_bytes() -> None:
    data = b"\x89PNG\r\n\x1a\n\x00\x00binary"
    good, bad = parse_email(data, "f.json")
    assert good == [] and len(bad) == 1 and bad[0]["reason"].startswith("unparseable")
    assert payload_bytes(bad[0]["payload"], bad[0]["payload_encoding"]) == data


# ------------------------------------------------------------------------------------------- Segment


def test_segment_file_with_a_bom_and_a_bad_utf8_line() -> None:
    lines = web_lines([segment(i) for i in range(4)]).replace(b'"u1"', b'"u\xfe1"')
    good, bad = parse_web(gzip.compress(BOM + lines), "s.gz")
    assert sorted(e["message_id"] for e in good["tracks"]) == ["msg-0", "msg-2", "msg-3"]
    assert len(bad) == 1
    original = payload_bytes(bad[0]["payload"], bad[0]["payload_encoding"])
    assert b'"u\xfe1"' in original and original.startswith(b"{")


def test_segment_truncated_gzip_keeps_lines_and_the_original_bytes() -> None:
    data = gzip.compress(web_lines([segment(i) for i in range(400)]))
    cut = data[: int(len(data) * 0.6)]
    good, bad = parse_web(cut, "s.gz")
    kept = len(good.get("tracks", []))
    assert 0 < kept < 400
    file_rows = [b for b in bad if "gzip" in b["reason"]]
    assert len(file_rows) == 1 and len(bad) == 1
    assert payload_bytes(file_rows[0]["payload"], file_rows[0]["payload_encoding"]) == cut


# ------------------------------------------------------------------------------------------- end to end


@pytest.fixture
def bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    email_dir, web_dir = tmp_path / "email", tmp_path / "web" / "segment-logs" / "src" / "1767000000000"
    email_dir.mkdir(parents=True)
    web_dir.mkdir(parents=True)
    (email_dir / "bom.json").write_bytes(BOM + email_file([sendgrid(i) for i in range(3)]))
    bad = email_file([sendgrid(i) for i in range(3, 7)]).replace(b'"p5@example.com"', b'"p5\xff@example.com"')
    (email_dir / "bad-byte.json").write_bytes(bad)
    full = gzip.compress(web_lines([segment(i) for i in range(300)]))
    (web_dir / "cut.gz").write_bytes(full[: int(len(full) * 0.6)])
    (web_dir / "bom.gz").write_bytes(gzip.compress(BOM + web_lines([segment(i) for i in range(300, 305)])))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SOURCES__EMAIL__BUCKET_URL", str(email_dir))
    monkeypatch.setenv("SOURCES__WEB__BUCKET_URL", str(tmp_path / "web"))
    return {"warehouse": tmp_path / "warehouse.duckdb", "dlt": tmp_path / "dlt", "cut": web_dir / "cut.gz",
            "bad": email_dir / "bad-byte.json"}


def test_valid_events_load_and_only_the_bad_ones_are_quarantined_recoverably(bucket: dict[str, Path]) -> None:
    run(["email", "web"], pipelines_dir=bucket["dlt"], echo=False)
    with duckdb.connect(str(bucket["warehouse"]), read_only=True) as con:
        assert con.execute("select count(*) from raw_email.events").fetchone() == (6,)  # 3 + 4 - 1 bad
        email_q = con.execute("select payload, payload_encoding, origin from raw_email.quarantine").fetchall()
        tracks = con.execute("select count(*) from raw_web.tracks").fetchone()[0]
        web_q = con.execute("select payload, payload_encoding, reason from raw_web.quarantine").fetchall()
    assert len(email_q) == 1 and email_q[0][2].endswith("bad-byte.json")
    assert b"p5\xff@example.com" in payload_bytes(email_q[0][0], email_q[0][1])
    assert 5 < tracks < 305  # the bom file whole, the cut file up to its last complete line
    assert len(web_q) == 1 and "gzip" in web_q[0][2]
    assert payload_bytes(web_q[0][0], web_q[0][1]) == bucket["cut"].read_bytes()
