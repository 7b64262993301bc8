"""The batch readers of the file sources (DuckDB, issue 11 item 1): the exact reason of every rule, duplicates
across batches of one run, and the raw columns made from events the generator never writes (always-null
fields, empty and nested objects, lists, a field whose JSON type varies)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from ingestion import common
from ingestion.common import EventScratch
from ingestion.errors import IngestionError
from ingestion.email import email
from ingestion.email.helpers import parse_file as parse_sendgrid
from ingestion.email.helpers import read_batch as read_sendgrid
from ingestion.pipelines import run_source
from ingestion.web import web
from ingestion.web.helpers import parse_file as parse_segment
from ingestion.web.helpers import read_batch as read_segment

TS = 1_767_000_000  # 2025-12-29, in the past for any test run
GOOD = {"email": "a@example.com", "timestamp": TS, "event": "open", "sg_event_id": "e0", "category": "promo"}

# (change to a good event, the reason text the quarantine has always given for it)
SENDGRID_REASONS = [
    ({"email": None}, "missing_key: email"),
    ({"email": 5}, "wrong_type: email is int, expected str"),
    ({"timestamp": "yesterday"}, "wrong_type: timestamp is str, expected int"),
    ({"timestamp": True}, "wrong_type: timestamp is bool, expected int"),
    ({"timestamp": 1.5e9}, "wrong_type: timestamp is float, expected int"),
    ({"event": None}, "missing_key: event"),
    ({"sg_event_id": None}, "missing_key: sg_event_id"),
    ({"sg_event_id": ["x"]}, "wrong_type: sg_event_id is list, expected str"),
    ({"url": {"a": 1}}, "wrong_type: url is dict, expected str"),
    ({"attempt": 1.5}, "wrong_type: attempt is float, expected str or int"),
    ({"category": 7}, "wrong_type: category is int, expected str or list"),
    ({"asm_group_id": "12"}, "wrong_type: asm_group_id is str, expected int"),
    ({"sg_event_id": " \t\u00a0"}, "invalid_value: sg_event_id is empty"),
    ({"email": "nobody"}, "invalid_value: email 'nobody' is not an address"),
    ({"email": "it's"}, "invalid_value: email \"it's\" is not an address"),
    ({"event": "teleported"}, "invalid_value: event 'teleported' is not a SendGrid event type"),
    ({"timestamp": 4102444800}, "future_timestamp: timestamp 2100-01-01T00:00:00+00:00 is more than a day ahead"),
    ({"category": ["a", None]}, "wrong_type: category list holds non-strings"),
]


@pytest.mark.parametrize(("change", "reason"), SENDGRID_REASONS)
def test_sendgrid_rule_gives_the_reason_text(change: dict, reason: str) -> None:
    bad = {k: v for k, v in {**GOOD, "sg_event_id": "bad", **change}.items() if v is not None}
    good, quarantined = parse_sendgrid(json.dumps([GOOD, bad]).encode(), "file:///x.json")
    assert [g["sg_event_id"] for g in good] == ["e0"]
    assert [(q["reason"], json.loads(q["payload"])) for q in quarantined] == [(reason, bad)]


@pytest.mark.parametrize(("event", "name"), [(5, "int"), ("x", "str"), (None, "NoneType"), ([1], "list")])
def test_sendgrid_item_that_is_not_an_object(event: object, name: str) -> None:
    good, quarantined = parse_sendgrid(json.dumps([event, GOOD]).encode(), "f.json")
    assert len(good) == 1
    assert quarantined[0]["reason"] == f"wrong_type: event is a JSON {name}, not an object"
    # the payload as the quarantine always kept it: a string verbatim, anything else as compact JSON
    assert quarantined[0]["payload"] == (event if isinstance(event, str) else json.dumps(event, separators=(",", ":")))


def test_sendgrid_columns_from_events_the_generator_never_makes() -> None:
    events = [
        {**GOOD, "sg_event_id": "a", "always_null": None, "empty": {}, "nested": {"x": {"y": 1}},
         "tags": ["p", "q"], "varies": 1, "category": ["c1", "c2"]},
        {**GOOD, "sg_event_id": "b", "always_null": None, "empty": {}, "nested": {"x": {"y": 2.5}},
         "varies": "one", "category": None},
        # a bad event: its extra field makes no column and does not change the type of another
        {**GOOD, "sg_event_id": "c", "event": "nope", "only_bad": 1, "varies": 2},
    ]
    with EventScratch() as scratch:
        batch = read_sendgrid(scratch, [("f.json", json.dumps(events).encode())])
    table = batch.events
    assert table is not None and len(batch.quarantine) == 1
    assert "always_null" not in table.column_names and "empty" not in table.column_names
    assert "only_bad" not in table.column_names and "category" not in table.column_names
    rows = {r["sg_event_id"]: r for r in table.to_pylist()}
    assert rows["a"]["nested__x__y"] == 1.0 and rows["b"]["nested__x__y"] == 2.5
    assert json.loads(rows["a"]["tags"]) == ["p", "q"] and rows["b"]["tags"] is None
    assert (rows["a"]["varies"], rows["b"]["varies"]) == ("1", "one")  # two JSON types: kept as text
    assert str(table.schema.field("timestamp").type) == "int64"
    assert sorted((r["_dlt_parent_id"], r["_dlt_list_idx"], r["value"]) for r in batch.categories.to_pylist()) == [
        ("a", 0, "c1"), ("a", 1, "c2")]


@pytest.mark.parametrize(("change", "reason"), [
    ({"timestamp": "yesterday"}, "wrong_type: timestamp is str, expected int"),
    ({"url": {"a": 1}}, "wrong_type: url is dict, expected str"),
    ({"asm_group_id": 2**64 - 1}, None),  # an unsigned 64-bit integer is an int, and a good event
    ({"attempt": "3"}, None),
])
def test_sendgrid_field_of_one_type_in_every_event_of_the_batch(change: dict, reason: str | None) -> None:
    # the reader types a field from the batch's structure when every event has it in one type: a type the
    # rule refuses must still give each event its reason, not a missing key
    events = [{**GOOD, "sg_event_id": f"e{i}", **change} for i in range(3)]
    good, quarantined = parse_sendgrid(json.dumps(events).encode(), "f.json")
    if reason is None:
        assert quarantined == [] and [g["sg_event_id"] for g in good] == ["e0", "e1", "e2"]
        if "attempt" in change:
            assert [g["attempt"] for g in good] == ["3"] * 3
    else:
        assert good == [] and [q["reason"] for q in quarantined] == [reason] * 3


@pytest.mark.parametrize("vary", [False, True])
def test_sendgrid_escaped_strings_keep_their_value(vary: bool) -> None:
    odd = 'q"uo\\te \u00e9 \n'  # JSON escapes: a quote, a backslash, a non-ASCII letter, a newline
    events = [{**GOOD, "sg_event_id": odd, "email": "é@example.com", "category": odd},
              {**GOOD, "sg_event_id": odd}]  # the same id again: dropped
    if vary:  # an id of another type in the batch: the ids are read from their raw JSON
        events.append({**GOOD, "sg_event_id": 7})
    good, quarantined = parse_sendgrid(json.dumps(events).encode(), "f.json")
    assert [(g["sg_event_id"], g["email"], g["category"]) for g in good] == [(odd, "é@example.com", [odd])]
    assert [q["reason"] for q in quarantined] == (["wrong_type: sg_event_id is int, expected str"] if vary else [])


def test_sendgrid_empty_and_clean_files() -> None:
    with EventScratch() as scratch:
        assert read_sendgrid(scratch, [("e.json", b"[]"), ("w.json", b"  [ ]\n")]).events is None
        batch = read_sendgrid(scratch, [("c.json", json.dumps([GOOD]).encode())])
    assert batch.events.num_rows == 1 and batch.quarantine == []


def test_duplicates_across_batches_of_one_run_load_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = tmp_path / "email"
    bucket.mkdir()
    for n in range(4):  # every file repeats events of the others (SendGrid delivers at least once)
        events = [{**GOOD, "sg_event_id": f"e{i}", "category": [f"c{i}"]} for i in range(n, n + 3)]
        (bucket / f"sendgrid-events-{n}.json").write_text(json.dumps(events))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SOURCES__EMAIL__BUCKET_URL", str(bucket))
    # one file per batch: the duplicates are in different batches
    report = run_source("email", pipelines_dir=tmp_path / "dlt", source=email(batch_bytes=1))
    assert report.loaded == {"events": 6, "events__category": 6}
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), count(distinct sg_event_id) from raw_email.events").fetchone() == (6, 6)
        assert con.execute("select count(*) from raw_email.events__category").fetchone() == (6,)


# ------------------------------------------------------------------------------------------- Segment

PAGE = {"type": "page", "messageId": "m0", "anonymousId": "a0", "timestamp": "2025-12-29T10:00:00.000Z"}

SEGMENT_REASONS = [
    ({"type": None}, "events", "missing_key: type"),
    ({"messageId": None}, "pages", "missing_key: messageId"),
    ({"timestamp": None}, "pages", "missing_key: timestamp"),
    ({"userId": 7}, "pages", "wrong_type: userId is int, expected str"),
    ({"traits": ["x"]}, "pages", "wrong_type: traits is list, expected an object"),
    ({"type": "teleport"}, "events", "invalid_value: type 'teleport' is not a Segment event type"),
    ({"anonymousId": ""}, "pages", "missing_key: userId or anonymousId"),
    ({"messageId": "  "}, "pages", "invalid_value: messageId is empty"),
    ({"type": "track"}, "tracks", "missing_key: event"),
    ({"type": "group"}, "groups", "missing_key: groupId"),
    ({"type": "alias", "previousId": "p"}, "aliases", "missing_key: previousId and userId"),
    ({"timestamp": 1730000000}, "pages", "wrong_type: timestamp is int, expected an ISO-8601 string"),
    ({"sentAt": "01/11/2026"}, "pages", "wrong_type: sentAt '01/11/2026' is not an ISO-8601 timestamp"),
    ({"receivedAt": "2099-01-01T00:00:00Z"}, "pages", "future_timestamp: receivedAt 2099-01-01T00:00:00Z is more than a day ahead"),
]


def _segment_file(*events: object) -> bytes:
    return gzip.compress(b"\n".join(json.dumps(e).encode() for e in events) + b"\n")


@pytest.mark.parametrize(("change", "resource", "reason"), SEGMENT_REASONS)
def test_segment_rule_gives_the_reason_text(change: dict, resource: str, reason: str) -> None:
    bad = {k: v for k, v in {**PAGE, "messageId": "bad", **change}.items() if v is not None}
    good, quarantined = parse_segment(_segment_file(PAGE, bad), "s3://b/k.gz")
    assert [e["message_id"] for e in good["pages"]] == ["m0"]
    assert [(q["resource"], q["reason"], json.loads(q["payload"])) for q in quarantined] == [(resource, reason, bad)]


@pytest.mark.parametrize("stamp", ["2025-12-29", "2025-12-29 10:00", "2025-12-29T10", "2025-12-29T10:00:00,5+01:00",
                                   "2025-12-29T10:00:00.123456789Z"])
def test_segment_takes_the_iso_forms_python_takes(stamp: str) -> None:
    good, quarantined = parse_segment(_segment_file({**PAGE, "timestamp": stamp}), "k.gz")
    assert quarantined == []
    want = datetime.fromisoformat(stamp)
    want = want if want.tzinfo else want.replace(tzinfo=timezone.utc)
    assert good["pages"][0]["timestamp"] == want


def test_segment_tables_get_their_own_columns() -> None:
    track = {"type": "track", "event": "Viewed", "messageId": "t1", "userId": "u1", "timestamp": "2025-12-29T10:00:00Z",
             "properties": {"value": 3, "tags": ["a"]}, "integrations": {}}
    page = {**PAGE, "properties": {"value": "three"}, "context": {"page": {"url": "https://x/"}}, "integrations": {}}
    with EventScratch() as scratch:
        batch = read_segment(scratch, [("k.gz", _segment_file(track, page, "not an event"))])
    tracks, pages = batch.tables["tracks"], batch.tables["pages"]
    assert tracks["properties__value"].to_pylist() == [3]  # an int here, though pages send a string
    assert pages["properties__value"].to_pylist() == ["three"]
    assert json.loads(tracks["properties__tags"][0].as_py()) == ["a"]
    assert "context__page__url" not in tracks.column_names and "event" not in pages.column_names
    assert "integrations" not in tracks.column_names  # an empty object is no value
    assert str(pages.schema.field("timestamp").type) == "timestamp[us, tz=UTC]"
    assert [q["reason"] for q in batch.quarantine] == ["wrong_type: event is a JSON str, not an object"]


def test_segment_escaped_strings_keep_their_value() -> None:
    odd = 'm"1\\ é \t'
    lines = [{**PAGE, "messageId": odd, "userId": "ü\"", "name": odd}, {**PAGE, "messageId": odd}]
    good, quarantined = parse_segment(_segment_file(*lines), "k.gz")
    assert quarantined == []
    assert [(e["message_id"], e["user_id"], e["name"]) for e in good["pages"]] == [(odd, "ü\"", odd)]


def test_segment_lines_end_at_cr_lf_or_crlf() -> None:
    lines = [json.dumps({**PAGE, "messageId": f"m{i}"}).encode() for i in range(4)]
    data = gzip.compress(lines[0] + b"\r\n" + lines[1] + b"\r" + lines[2] + b"\n\n" + lines[3])
    good, quarantined = parse_segment(data, "k.gz")
    assert quarantined == [] and sorted(e["message_id"] for e in good["pages"]) == ["m0", "m1", "m2", "m3"]


def test_segment_duplicates_across_batches_load_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "web" / "segment-logs" / "src" / "1767000000000"
    folder.mkdir(parents=True)
    for n in range(3):
        (folder / f"{n}.gz").write_bytes(_segment_file(*({**PAGE, "messageId": f"m{i}"} for i in range(n, n + 2))))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SOURCES__WEB__BUCKET_URL", str(tmp_path / "web"))
    report = run_source("web", pipelines_dir=tmp_path / "dlt", source=web(batch_bytes=1))
    assert report.loaded == {"pages": 4}
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(distinct message_id), count(*) from raw_web.pages").fetchone() == (4, 4)


def test_a_batch_duckdb_cannot_read_fails_naming_the_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = tmp_path / "email"
    bucket.mkdir()
    events = [{**GOOD, "sg_event_id": f"e{i}", "pad": "x" * 2000} for i in range(3000)]
    (bucket / "big.json").write_text(json.dumps(events))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SOURCES__EMAIL__BUCKET_URL", str(bucket))
    monkeypatch.setattr(common, "SCRATCH_MEMORY_LIMIT", "1MB")  # far below what one batch needs
    with pytest.raises(IngestionError) as err:
        run_source("email", pipelines_dir=tmp_path / "dlt")
    assert "email source: DuckDB could not read the batch of 1 files from big.json" in str(err.value)
    assert "1MB" in str(err.value)


def test_sendgrid_categories_of_both_forms_in_a_large_batch() -> None:
    # string categories are no JSON: the rule on list items must never look at them, however DuckDB orders work
    events = [{**GOOD, "sg_event_id": f"e{i}", "category": "promo, \"x" if i % 3 else ["a", "b"]} for i in range(20_000)]
    events[7]["category"] = ["a", 3]
    with EventScratch() as scratch:
        batch = read_sendgrid(scratch, [("f.json", json.dumps(events).encode())])
    assert batch.events.num_rows == 19_999 and [q["reason"] for q in batch.quarantine] == [
        "wrong_type: category list holds non-strings"]
    assert batch.categories.num_rows == sum(1 if i % 3 else 2 for i in range(20_000) if i != 7)


def test_segment_columns_come_named_as_dlt_names_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capfd: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture) -> None:
    # vendor fields dlt's snake_case folds into one name: firstName/first_name (Segment's reserved trait and a
    # custom one), and a custom top-level message_id that must never replace the validated messageId
    first = {**PAGE, "messageId": "m1", "context": {"userAgent": "UA"}, "message_id": "custom",
             "properties": {"firstName": "Ann", "first_name": "Anna"}}
    second = {**PAGE, "messageId": "m2", "properties": {"firstName": "Bo"}}
    folder = tmp_path / "web" / "segment-logs" / "src" / "1767000000000"
    folder.mkdir(parents=True)
    (folder / "0.gz").write_bytes(_segment_file(first, second))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SOURCES__WEB__BUCKET_URL", str(tmp_path / "web"))
    report = run_source("web", pipelines_dir=tmp_path / "dlt", source=web())
    assert report.loaded == {"pages": 2} and report.quarantined == 0
    logged = caplog.text + "".join(capfd.readouterr())
    assert "collides with other column" not in logged  # dlt saw message_id under one name only
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select message_id, context__user_agent, properties__first_name from raw_web.pages "
                           "order by message_id").fetchall()
        columns = {c for (c,) in con.execute("select column_name from information_schema.columns "
                                             "where table_schema = 'raw_web' and table_name = 'pages'").fetchall()}
    assert rows == [("m1", "UA", "Anna"), ("m2", None, "Bo")]
    assert not {c for c in columns if c != c.lower() or "message_id_" in c or "__v_" in c}


def test_one_bad_event_is_counted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the run report counts the quarantine table once, per intended table; the rows equal the report
    folder = tmp_path / "web" / "segment-logs" / "src" / "1767000000000"
    folder.mkdir(parents=True)
    (folder / "0.gz").write_bytes(_segment_file(PAGE, {**PAGE, "messageId": "m1", "timestamp": "soon"}))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SOURCES__WEB__BUCKET_URL", str(tmp_path / "web"))
    first = run_source("web", pipelines_dir=tmp_path / "dlt", source=web())
    assert (first.loaded, first.quarantined, first.quarantined_by_table) == ({"pages": 1}, 1, {"pages": 1})
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw_web.quarantine").fetchall() == [(1,)]
    (folder / "0.gz").write_bytes((folder / "0.gz").read_bytes() + _segment_file({**PAGE, "messageId": "m2"}))
    again = run_source("web", pipelines_dir=tmp_path / "dlt", source=web())  # the bad event is read again
    assert (again.loaded, again.quarantined, again.quarantined_by_table) == ({"pages": 1}, 0, {})
