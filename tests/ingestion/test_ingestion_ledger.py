"""The bounded ledger of loaded files (issue 11 item 5): a file delivered late, a file re-delivered and a file
rewritten in place (even with the same size and modification time) are each loaded exactly once per content,
in open and in sealed folders, a killed load included; the run report counts the rows that landed; the
ledger's size depends on the number of folders, not of files."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import posixpath
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingestion.ledger import MAX_OPEN_NAMES, FileLedger
from ingestion.pipelines import make_pipeline, run_source
from kill_point import kill_run

DAY0 = datetime(2025, 12, 1, tzinfo=timezone.utc)
TS = 1_764_000_000  # 2025-11-24


def _item(path: str, mtime: datetime) -> dict[str, Any]:
    return {"relative_path": path, "modification_date": mtime, "file_url": f"file:///{path}"}


def _load(ledger: FileLedger, items: list[dict[str, Any]]) -> list[str]:
    read = list(ledger.new(items))
    for item in read:
        ledger.mark(item)
    ledger.compact()
    return [i["relative_path"] for i in read]


def test_ledger_state_is_bounded_by_folders_not_files() -> None:
    state: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    for day in range(60):  # 60 daily folders of 50 files each, loaded one day per run
        new = [_item(f"2025/d{day:02}/f{n}.json", DAY0 + timedelta(days=day, minutes=n)) for n in range(50)]
        items += new
        assert _load(FileLedger(state), items) == [i["relative_path"] for i in new]
    assert _load(FileLedger(state), items) == []  # nothing loaded twice
    open_names = sum(len(v) for v in state["open"].values())
    assert open_names <= 4 * 50  # the last days only
    assert len(state["sealed"]) + len(state["open"]) == 60
    assert len(json.dumps(state)) < 20_000  # 3,000 names would take ~150 kB


def test_ledger_caps_the_names_of_recent_folders() -> None:
    state: dict[str, Any] = {}
    items = [_item(f"day/f{n}.json", DAY0) for n in range(MAX_OPEN_NAMES + 10)]
    items += [_item("other/f.json", DAY0)]
    _load(FileLedger(state), items)
    assert sum(len(v) for v in state["open"].values()) <= MAX_OPEN_NAMES
    assert _load(FileLedger(state), items) == []


def test_ledger_in_a_sealed_folder() -> None:
    state: dict[str, Any] = {}
    old = [_item(f"old/f{n}.json", DAY0) for n in range(5)]
    recent = [_item("new/f.json", DAY0 + timedelta(days=10))]
    _load(FileLedger(state), old + recent)
    assert "old" in state["sealed"] and "old" not in state["open"]
    # a late file with an old modification time: only it is read, once
    late = _item("old/late.json", DAY0 - timedelta(days=300))
    assert _load(FileLedger(state), old + [late] + recent) == ["old/late.json"]
    assert _load(FileLedger(state), old + [late] + recent) == []
    # rewritten in place (new modification time): the folder is read again, then never again
    rewritten = [_item("old/f0.json", DAY0 + timedelta(hours=1))] + old[1:] + [late]
    assert sorted(_load(FileLedger(state), rewritten + recent)) == sorted(i["relative_path"] for i in rewritten)
    assert _load(FileLedger(state), rewritten + recent) == []


def test_ledger_reads_the_unbounded_state_of_earlier_versions() -> None:
    state = {"2026/07/04/a.json": DAY0.isoformat(), "2026/07/04/b.json": DAY0.isoformat()}
    items = [_item("2026/07/04/a.json", DAY0), _item("2026/07/04/b.json", DAY0), _item("2026/07/05/c.json", DAY0)]
    assert _load(FileLedger(state), items) == ["2026/07/05/c.json"]


def test_ledger_reads_the_bounded_state_of_the_previous_version() -> None:
    """Open entries that are a plain mtime and seals of three fields (sums of ``(name, mtime)`` hashes) keep
    matching: an upgrade reads no file again."""
    old = [_item(f"old/f{n}.json", DAY0) for n in range(3)]
    recent = [_item("new/f.json", DAY0 + timedelta(days=10))]
    # the previous version's hash of a name and mtime, written out
    total = sum(int.from_bytes(hashlib.blake2b(f"{posixpath.basename(i['relative_path'])}\0{DAY0.isoformat()}".encode(),
                                               digest_size=8).digest(), "big") for i in old) % 2**64
    state = {"open": {"new": {"f.json": recent[0]["modification_date"].isoformat()}},
             "sealed": {"old": [3, format(total, "x"), DAY0.isoformat()]}}
    assert _load(FileLedger(state), old + recent) == []
    late = _item("old/late.json", DAY0 - timedelta(days=1))
    assert _load(FileLedger(state), old + [late] + recent) == ["old/late.json"]
    assert _load(FileLedger(state), old + [late] + recent) == []


# ------------------------------------------------------------------------------------------- end to end


def _write(path: Path, ids: list[str], mtime: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    events = [{"email": "l@example.com", "timestamp": TS, "event": "delivered", "sg_event_id": i} for i in ids]
    path.write_text(json.dumps(events))
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))


@pytest.fixture
def bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "email"
    for day in range(8):  # days 0-3 get sealed after the first run (more than 3 days older than day 7)
        for n in range(3):
            _write(root / f"2025/12/{day + 1:02}" / f"f{n}.json", [f"d{day}-{n}-{k}" for k in range(2)],
                   DAY0 + timedelta(days=day, hours=n))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SOURCES__EMAIL__BUCKET_URL", str(root))
    return root


def _run(bucket: Path) -> int:
    return run_source("email", pipelines_dir=bucket.parent / "dlt").loaded.get("events", 0)


def _events(bucket: Path) -> tuple[int, int]:
    with duckdb.connect(str(bucket.parent / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select count(*), count(distinct sg_event_id) from raw_email.events").fetchone()


def _handed(bucket: Path) -> int:
    """Events the last run handed to the load (dlt's normalize count), whether or not the merge kept them."""
    trace = make_pipeline("email", pipelines_dir=bucket.parent / "dlt").last_trace
    return trace.last_normalize_info.row_counts.get("events", 0)


def _quarantined(bucket: Path) -> int:
    with duckdb.connect(str(bucket.parent / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from raw_email.quarantine").fetchone()[0]


def _rewrite(path: Path, events: list[Any]) -> None:
    """New content in place, the modification time put back (as ``cp -p`` or ``rsync -a`` would)."""
    before = path.stat()
    path.write_text(json.dumps(events))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns


def _ledger(bucket: Path) -> dict[str, Any]:
    return make_pipeline("email", pipelines_dir=bucket.parent / "dlt").state["sources"]["email"]["loaded_files"]["events"]


def test_late_redelivered_and_rewritten_files_load_once_per_content(bucket: Path) -> None:
    assert _run(bucket) == 48
    sealed = set(_ledger(bucket)["sealed"])
    assert sealed == {f"2025/12/{d:02}" for d in range(1, 5)}

    # late, into a sealed folder, with an old modification time: only its events are read
    _write(bucket / "2025/12/01/late.json", ["late-1", "late-2"], DAY0 - timedelta(days=30))
    assert _run(bucket) == 2 and _events(bucket) == (50, 50)
    assert _run(bucket) == 0

    # re-delivered: the same content again under the same name (new modification time), in an open and a
    # sealed folder: read again, nothing new in the warehouse
    again = datetime.now(timezone.utc)
    _write(bucket / "2025/12/08/f0.json", ["d7-0-0", "d7-0-1"], again)
    _write(bucket / "2025/12/02/f0.json", ["d1-0-0", "d1-0-1"], again)
    _run(bucket)
    assert _events(bucket) == (50, 50)
    assert _run(bucket) == 0

    # rewritten in place with new content: the new events load once
    _write(bucket / "2025/12/08/f1.json", ["d7-1-0", "d7-1-1", "rewritten"], again + timedelta(minutes=1))
    # (the run hands the file's 3 events to the merge, which inserts 1: the report counts what landed)
    assert _run(bucket) == 1 and _events(bucket) == (51, 51)
    assert _run(bucket) == 0 and _events(bucket) == (51, 51)


def test_rewritten_in_place_with_the_same_mtime_and_size_loads_only_its_new_events(bucket: Path) -> None:
    assert _run(bucket) == 48
    # open (day 8) and sealed (day 2) folders: one event id changed, same length, so the same size and mtime
    for day in (8, 2):
        path = bucket / f"2025/12/{day:02}/f1.json"
        size = path.stat().st_size
        old = json.loads(path.read_text())
        _rewrite(path, [old[0], {**old[1], "sg_event_id": old[1]["sg_event_id"].replace("d", "r")}])
        assert path.stat().st_size == size
    report = run_source("email", pipelines_dir=bucket.parent / "dlt")
    assert report.loaded == {"events": 2}  # the two new events; the others were already there
    assert _events(bucket) == (50, 50)  # events are immutable: the old ones stay (insert-only)
    assert _run(bucket) == 0 and _handed(bucket) == 0


def test_redelivered_identical_files_are_read_once_and_load_nothing(bucket: Path) -> None:
    assert _run(bucket) == 48
    # the same bytes again: with a new mtime in an open folder, with the old mtime in a sealed folder
    fresh = bucket / "2025/12/08/f0.json"
    fresh.write_bytes(fresh.read_bytes())
    _rewrite(bucket / "2025/12/03/f2.json", json.loads((bucket / "2025/12/03/f2.json").read_text()))
    # and under another name: a SendGrid retry of a batch the receiver had stored (ingestion/email/webhook.py)
    (bucket / "2025/12/07/retry.json").write_bytes((bucket / "2025/12/07/f0.json").read_bytes())
    report = run_source("email", pipelines_dir=bucket.parent / "dlt")
    assert report.loaded == {} and report.quarantined == 0
    assert _events(bucket) == (48, 48)
    # the same content under its old name is recognized and not parsed again; another name is another
    # delivery: its events reach the merge, which keeps none (dedup on sg_event_id)
    assert _handed(bucket) == 2
    assert "2025/12/03" in _ledger(bucket)["sealed"]  # same content: the folder stays summarized
    assert _run(bucket) == 0 and _handed(bucket) == 0


def test_rewritten_file_with_a_bad_event_counts_only_what_landed(bucket: Path) -> None:
    bad = {"email": "l@example.com", "timestamp": TS, "event": "delivered"}  # no sg_event_id
    _write(bucket / "2025/12/08/bad.json", [], DAY0 + timedelta(days=7))
    _rewrite(bucket / "2025/12/08/bad.json", [bad, *json.loads((bucket / "2025/12/08/f0.json").read_text())])
    first = run_source("email", pipelines_dir=bucket.parent / "dlt")
    assert first.loaded == {"events": 48} and first.quarantined == 1
    path = bucket / "2025/12/08/bad.json"
    _rewrite(path, [*json.loads(path.read_text()), {**bad, "sg_event_id": "added"}])
    again = run_source("email", pipelines_dir=bucket.parent / "dlt")
    # the re-read file hands its bad event and its two old events again: neither counts, nothing doubles
    assert _handed(bucket) == 3
    assert again.loaded == {"events": 1} and again.quarantined == 0 and again.quarantined_by_table == {}
    assert _events(bucket) == (49, 49) and _quarantined(bucket) == 1


def test_a_killed_load_of_a_rewritten_file_does_not_double(bucket: Path) -> None:
    assert _run(bucket) == 48
    path = bucket / "2025/12/08/f2.json"
    _rewrite(path, [*json.loads(path.read_text()), {**json.loads(path.read_text())[0], "sg_event_id": "after-kill"}])
    # killed once every load job committed, before the package is marked loaded
    kill_run("email", "load:end", bucket.parent / "dlt")
    assert _events(bucket) == (49, 49)
    rerun = run_source("email", pipelines_dir=bucket.parent / "dlt")
    assert rerun.loaded == {}  # the killed load had landed the new event; the rerun adds nothing
    assert _events(bucket) == (49, 49)
    assert _run(bucket) == 0 and _handed(bucket) == 0


def test_segment_log_rewritten_in_place_loads_only_its_new_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The web source shares the ledger: a gzipped Segment log rewritten with its mtime put back, then the
    same bytes delivered again under the same name."""
    def log(*ids: str) -> bytes:
        pages = [{"type": "page", "messageId": i, "anonymousId": "a0", "timestamp": "2025-12-29T10:00:00.000Z"} for i in ids]
        return gzip.compress(b"\n".join(json.dumps(p).encode() for p in pages) + b"\n", mtime=0)

    path = tmp_path / "web" / "segment-logs" / "src" / "1767000000000" / "f.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(log("m0", "m1"))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SOURCES__WEB__BUCKET_URL", str(tmp_path / "web"))

    def run() -> dict[str, int]:
        return run_source("web", pipelines_dir=tmp_path / "dlt").loaded

    assert run() == {"pages": 2}
    before = path.stat()
    path.write_bytes(log("m0", "m1", "m2"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert run() == {"pages": 1}
    path.write_bytes(path.read_bytes())  # re-delivered as it is
    assert run() == {}
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), count(distinct message_id) from raw_web.pages").fetchone() == (3, 3)
    trace = make_pipeline("web", pipelines_dir=tmp_path / "dlt").last_trace
    assert trace.last_normalize_info.row_counts.get("pages", 0) == 0  # recognized, not parsed again
