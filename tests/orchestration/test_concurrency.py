"""Overlapping writers wait for the warehouse instead of failing on DuckDB's one-writer lock; overlapping runs
run one after the other (the run lock), each publishing only what it checked."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time

import duckdb

from orchestration.resources import WarehouseLock


def _start(source: str, env: dict[str, str]) -> tuple[subprocess.Popen, "queue.Queue[str]"]:
    process = subprocess.Popen(
        [sys.executable, "-m", "c360.cli", "ingest", "--source", source],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put("")  # end of output

    threading.Thread(target=pump, daemon=True).start()
    return process, lines


def _wait_for(lines: "queue.Queue[str]", needle: str, seen: list[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            return False
        if line == "":
            return False
        seen.append(line)
        if needle in line:
            return True
    return False


def test_two_overlapping_ingestion_runs_both_succeed(c360_env):
    env = {**os.environ, **c360_env}
    warehouse = c360_env["C360_WAREHOUSE"]
    outputs: dict[str, list[str]] = {"email": [], "web": []}

    # Another writer holds the warehouse (the lock and DuckDB's own file lock) while both runs start.
    with WarehouseLock().hold():
        writer = duckdb.connect(warehouse)
        writer.execute("create schema if not exists scratch")
        writer.execute("create or replace table scratch.other_writer as select 1 as x")
        # The first run gets inside its writing step and waits for the writer lock; the second waits for the
        # run lock before any step (one run at a time, end to end) and says so.
        runs = {"email": _start("email", env)}
        assert _wait_for(runs["email"][1], "> ingest_email", outputs["email"], timeout=120), "".join(outputs["email"])
        runs["web"] = _start("web", env)
        assert _wait_for(runs["web"][1], "(a pipeline run) is in use by another process; waiting", outputs["web"],
                         timeout=120), "".join(outputs["web"])
        assert not any("> ingest_web" in line for line in outputs["web"])
        # Both must wait, not fail.
        time.sleep(2)
        for source, (process, _) in runs.items():
            assert process.poll() is None, f"{source} run ended while the warehouse was locked:\n" + "".join(outputs[source])
        writer.close()

    for source, (process, lines) in runs.items():
        process.wait(timeout=300)
        while True:
            line = lines.get(timeout=10)
            if line == "":
                break
            outputs[source].append(line)
        text = "".join(outputs[source])
        assert process.returncode == 0, text
        assert "Could not set lock" not in text
        assert f"ok ingest_{source}" in text
        assert f"ingest_{source}_job: succeeded" in text

    with duckdb.connect(warehouse, read_only=True) as con:
        assert con.execute("select count(*) from raw_email.events").fetchall()[0][0] > 0
        assert con.execute("select count(*) from raw_web.tracks").fetchall()[0][0] > 0
        assert con.execute("select x from scratch.other_writer").fetchall() == [(1,)]
