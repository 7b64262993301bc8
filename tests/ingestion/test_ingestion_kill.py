"""Exactly once under kill -9 (issue 14, item 1): a load killed at any point of dlt's work, then a rerun,
gives the warehouse an uninterrupted run gives — every generated record loaded or quarantined once, no
duplicate keys in raw or quarantine tables, no pending dlt package and no leftover working folder.

The kill is real: the loading process SIGKILLs its own process group at a named point (tests/ingestion/
kill_point.py wraps dlt's step functions), so no cleanup code runs; the rerun is an ordinary run.
"""

from __future__ import annotations

import glob
import os
import tempfile
from pathlib import Path

import pytest

from c360.settings import RAW_DATASETS
from ingestion.pipelines import make_pipeline, run_source
from ingestion_testkit import KEYS, RAW_TABLES, IngestionEnv, expected
from kill_point import kill_run

#: raw table -> key column
KEY = KEYS

CASES = [
    ("web", "extract"),
    ("web", "normalize"),
    ("web", "load:1"),
    ("web", "load:end"),
    ("email", "load:2"),
    ("sales", "load:end"),
    ("support", "load:3"),
]


@pytest.mark.parametrize("source, point", CASES, ids=[f"{s}-{p}" for s, p in CASES])
def test_rerun_after_kill_converges_to_an_uninterrupted_load(ingestion_env: IngestionEnv, source: str, point: str) -> None:
    env = ingestion_env
    kill_run(source, point, env.pipelines_dir)
    run_source(source, pipelines_dir=env.pipelines_dir)

    dataset = RAW_DATASETS[source]
    quarantined = 0
    for name, (src, tables) in RAW_TABLES.items():
        if src != source:
            continue
        want_loaded, want_quarantined = expected(env.batch(0)[name])
        quarantined += want_quarantined
        for table in tables:
            key = KEY.get(table, "id")
            dups = env.query(f"select {key}, count(*) from {dataset}.{table} group by 1 having count(*) > 1 limit 3")
            assert dups == [], f"{dataset}.{table} has duplicate {key}: {dups}"
        got = sum(env.count(source, t) for t in tables)
        assert got == want_loaded, f"{name}: {got} rows, the manifest says {want_loaded}"
    assert env.count(source, "quarantine") == quarantined
    dups = env.query(f"select quarantine_id from {dataset}.quarantine group by 1 having count(*) > 1 limit 3")
    assert dups == [], f"{dataset}.quarantine has duplicate rows: {dups}"

    # nothing half done is left: no pending package, no working folder of a dead process
    pipeline = make_pipeline(source, pipelines_dir=env.pipelines_dir)
    assert not pipeline.has_pending_data
    # (the file sources' scratch databases, c360-events-<pid>-*, included)
    stale = [p for prefix in ("c360-dlt-specs-", "c360-events-")
             for p in glob.glob(os.path.join(tempfile.gettempdir(), prefix + "*"))
             if (pid := Path(p).name[len(prefix):].split("-")[0]).isdigit() and not Path(f"/proc/{pid}").exists()]
    assert stale == []
