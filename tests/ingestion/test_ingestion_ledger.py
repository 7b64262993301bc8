"""The bounded ledger of loaded files (issue 11 item 5): a file delivered late, a file re-delivered and a file
rewritten in place are each loaded exactly once per content, in open and in sealed folders, and the ledger's
size depends on the number of folders, not of files."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ingestion.common import MAX_OPEN_NAMES, FileLedger
from ingestion.pipelines import make_pipeline, run_source

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
    # (the run reads the whole file: its report counts the 3 rows it handed to the merge, which inserts 1)
    assert _run(bucket) == 3 and _events(bucket) == (51, 51)
    assert _run(bucket) == 0 and _events(bucket) == (51, 51)
