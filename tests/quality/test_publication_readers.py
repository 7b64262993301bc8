"""Readers of the published marts are never hurt by publications (issue 14, item 5).

Downstream tools open ``published.duckdb`` at any moment: fresh read-only opens and long-lived connections,
in processes of their own, while publications replace the file. Each publication here has different row
counts (the warehouse loses rows in between), so a reader can tell a whole publication (every mart's count
equals the count its ``_publication`` rows record) from a mixture. Also: a killed publication's temporary
files are removed by the next one, and a stray WAL beside the published file never reaches readers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from quality.publish import leftovers, publish
from quality.suites import run_suites

PUBLICATIONS = 55

READER = r"""
import json, sys, time, duckdb
path, stop, out, mode = sys.argv[1:5]
stats = {"opens": 0, "reads": 0, "errors": [], "mixed": [], "runs": []}

def check(con):
    run = con.execute("select run_id from _publication order by published_at desc limit 1").fetchone()[0]
    expected = dict(con.execute("select table_name, row_count from _publication where run_id = ?", [run]).fetchall())
    for table, rows in expected.items():
        got = con.execute(f'select count(*) from marts."{table}"').fetchone()[0]
        if got != rows:
            stats["mixed"].append([run, table, rows, got])
    stats["reads"] += 1
    if not stats["runs"] or stats["runs"][-1] != run:
        stats["runs"].append(run)

import os
held = None
while not os.path.exists(stop):
    try:
        if mode == "fresh":
            con = duckdb.connect(path, read_only=True)
            stats["opens"] += 1
            check(con)
            con.close()
        else:
            if held is None:
                held = duckdb.connect(path, read_only=True)
                stats["opens"] += 1
            check(held)
            if stats["reads"] % 25 == 0:  # reopen now and then: a long-lived reader of each generation
                held.close()
                held = None
    except Exception as exc:
        stats["errors"].append(f"{type(exc).__name__}: {exc}"[:300])
    time.sleep(0.003)  # leave the publisher some of the machine's cores
json.dump(stats, open(out, "w"))
"""


def test_readers_see_only_whole_publications_and_no_error(site, tmp_path):
    outcomes = run_suites("marts", site.warehouse, "stress-check", quality_dir=site.quality_dir)
    assert outcomes and not any(o.is_blocking for o in outcomes)
    stop = tmp_path / "stop"
    script = tmp_path / "reader.py"
    script.write_text(READER)
    readers = []
    for i, mode in enumerate(("fresh", "held")):
        out = tmp_path / f"reader{i}.json"
        readers.append((out, subprocess.Popen([sys.executable, str(script), str(site.published), str(stop), str(out), mode])))
    published = []
    try:
        time.sleep(0.5)
        for n in range(PUBLICATIONS):
            # each publication differs from the previous one: a few rows fewer in every mart
            con = duckdb.connect(str(site.warehouse))
            try:
                for table in ("customer_360", "identity_map", "customer_segments"):
                    con.execute(f"delete from marts.{table} where rowid in (select rowid from marts.{table} limit 2)")
            finally:
                con.close()
            result = publish(site.warehouse, f"stress-{n:03d}", outcomes=outcomes)
            assert result.published, result.reason
            published.append(result.run_id)
    finally:
        stop.touch()
        stats = []
        for out, proc in readers:
            proc.wait(timeout=60)
            stats.append(json.loads(out.read_text()))
    opens = sum(s["opens"] for s in stats)
    reads = sum(s["reads"] for s in stats)
    print(f"reader stress: {len(published)} publications, {opens} opens, {reads} whole-publication reads")
    assert opens >= 100, f"the readers barely ran ({opens} opens)"
    assert [e for s in stats for e in s["errors"]] == []
    assert [m for s in stats for m in s["mixed"]] == []
    seen = {run for s in stats for run in s["runs"]}
    assert len(seen & set(published)) >= 5, "readers saw publications come and go"
    assert leftovers(site.published, site.parquet_dir) == []
    assert not Path(str(site.published) + ".wal").exists()


def test_killed_publication_leaves_nothing_behind_after_the_next_one(site):
    """The temporary files a publication killed before its rename leaves are removed by the next publication."""
    stale_db = site.published.with_name(f".{site.published.name}.20260101T000000000000Z-killed.tmp")
    duckdb.connect(str(stale_db)).execute("create table t as select 1").close()
    Path(str(stale_db) + ".wal").write_bytes(b"\0" * 1024)
    stale_version = site.parquet_dir / "versions" / ".20260101T000000000000Z-killed.tmp"
    stale_version.mkdir(parents=True)
    (stale_version / "customer_360.parquet").write_bytes(b"partial")
    os.symlink("versions/x", site.parquet_dir / ".current.20260101T000000000000Z-killed.tmp")
    # someone opened the published file read-write and left a WAL: it must not be replayed onto the next file
    rw = duckdb.connect(str(site.published))
    rw.execute("create table scratch as select 1 as x")
    rw.close()
    Path(str(site.published) + ".wal").write_bytes(b"garbage from an older file")
    assert len(leftovers(site.published, site.parquet_dir)) == 4

    outcomes = run_suites("marts", site.warehouse, "after-kill", quality_dir=site.quality_dir)
    result = publish(site.warehouse, "after-kill", outcomes=outcomes)

    assert result.published, result.reason
    assert leftovers(site.published, site.parquet_dir) == []
    assert not Path(str(site.published) + ".wal").exists()
    con = duckdb.connect(str(site.published), read_only=True)
    try:
        assert con.execute("select count(*) from _publication where run_id = 'after-kill'").fetchone()[0] > 0
    finally:
        con.close()


def test_a_run_publishes_only_marts_it_built_itself(site):
    """Run A built and checked; run B rebuilt the marts since: A's publication is refused (B publishes what it
    checked), and B's goes through."""
    from quality.publish import last_build, record_build

    outcomes_a = run_suites("marts", site.warehouse, "run-a", quality_dir=site.quality_dir)
    record_build(site.warehouse, "run-a")
    record_build(site.warehouse, "run-b")
    outcomes_b = run_suites("marts", site.warehouse, "run-b", quality_dir=site.quality_dir)
    assert last_build(site.warehouse) == "run-b"

    refused = publish(site.warehouse, "run-a", outcomes=outcomes_a, require_own_build=True)
    assert not refused.published
    assert "rebuilt by run run-b" in refused.reason and "last good publication stays" in refused.reason
    done = publish(site.warehouse, "run-b", outcomes=outcomes_b, require_own_build=True)
    assert done.published, done.reason
    con = duckdb.connect(str(site.published), read_only=True)
    try:
        assert {r[0] for r in con.execute("select distinct run_id from _publication").fetchall()} == {"baseline-run", "run-b"}
    finally:
        con.close()


def test_c360_quality_waits_for_a_running_pipeline_with_a_clear_message(site, tmp_path):
    """While a run holds the warehouse, `c360 quality` says it waits (no DuckDB lock traceback), then runs."""
    from c360.locks import run_lock

    env = {**os.environ, "C360_WAREHOUSE": str(site.warehouse), "C360_QUALITY_DIR": str(site.quality_dir)}
    with run_lock(warehouse=site.warehouse):
        proc = subprocess.Popen([sys.executable, "-m", "c360.cli", "quality", "--layer", "marts"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        first = ""
        while time.monotonic() < deadline and "waiting" not in first:
            first += proc.stderr.readline()
        assert "c360 quality:" in first and "(a pipeline run) is in use by another process; waiting" in first, first
        assert proc.poll() is None, "it gave up instead of waiting"
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    assert "Traceback" not in err and "Could not set lock" not in err


KILLED_PUBLISHER = r"""
import os, signal, sys
from pathlib import Path
from quality.publish import publish
from quality.suites import run_suites

warehouse, quality_dir = Path(sys.argv[1]), Path(sys.argv[2])
outcomes = run_suites("marts", warehouse, "killed-run", quality_dir=quality_dir)

def replace_then_die(src, dst):  # the temp DuckDB file and Parquet folder are complete: die at the commit point
    os.killpg(os.getpgid(0), signal.SIGKILL)

os.replace = replace_then_die  # the whole process dies at its first rename
publish(warehouse, "killed-run", outcomes=outcomes)
"""


def _marts(path: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' and table_type = 'BASE TABLE'"
        ).fetchall()]
        out = {}
        for table in sorted(tables):
            cols = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
                "and column_name not like '\\_dlt\\_%' escape '\\' order by ordinal_position", [table]).fetchall()]
            select = ", ".join(f'"{c}"' for c in cols)
            out[table] = con.execute(
                f"select count(*), sum(hash({select})) from (select {select} from marts.\"{table}\")").fetchone()
        return out
    finally:
        con.close()


def test_kill_during_publication_then_a_rerun_publishes_the_warehouse_marts_and_no_temp_files(site, tmp_path):
    script = tmp_path / "killed_publisher.py"
    script.write_text(KILLED_PUBLISHER)
    proc = subprocess.run([sys.executable, str(script), str(site.warehouse), str(site.quality_dir)],
                          env={**os.environ, "C360_PUBLISHED": str(site.published),
                               "C360_PUBLISHED_PARQUET_DIR": str(site.parquet_dir)},
                          capture_output=True, text=True, timeout=300, start_new_session=True)
    assert proc.returncode == -9, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert leftovers(site.published, site.parquet_dir), "the kill left the publication's temporary files"

    outcomes = run_suites("marts", site.warehouse, "rerun", quality_dir=site.quality_dir)
    result = publish(site.warehouse, "rerun", outcomes=outcomes)

    assert result.published, result.reason
    assert leftovers(site.published, site.parquet_dir) == []
    assert _marts(site.published) == _marts(site.warehouse)
