"""Several loads in one Python process (a code server, a notebook, the test suite) each load every record
(issue 14: the known loss).

Samples generated with the same reference date have the same file names and modification times. A load's
ledger of loaded files (and its cursors) lives in dlt state, which must come from the warehouse being loaded
and nowhere else: not from a pipeline of the same name that ran earlier in the process, nor from dlt's
working folder of another warehouse. Here an in-process Dagster run loads one sample, then two other samples
are loaded one after the other into their own warehouses, in the same process; each must be complete.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pytest

from samplekit import generate_sample, sample_sources

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion"))
from ingestion_testkit import RAW_TABLES, expected  # noqa: E402

CUSTOMERS = 40


def _counts(warehouse: Path) -> dict[str, int]:
    """Rows loaded per manifest table, and rows quarantined per source."""
    out: dict[str, int] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, (source, tables) in RAW_TABLES.items():
            out[name] = sum(con.execute(f"select count(*) from raw_{source}.{t}").fetchone()[0] for t in tables)
            out[f"{source} quarantine"] = con.execute(f"select count(*) from raw_{source}.quarantine").fetchone()[0]
    return out


def _expected(sample: Path) -> dict[str, int]:
    tables = json.loads((sample / "manifest.json").read_text())["batches"][0]["tables"]
    out: dict[str, int] = {}
    for name, (source, _) in RAW_TABLES.items():
        loaded, quarantined = expected(tables[name])
        out[name] = loaded
        out[f"{source} quarantine"] = out.get(f"{source} quarantine", 0) + quarantined
    return out


def test_loads_after_an_in_process_dagster_run_each_load_every_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ingestion import pipelines
    from orchestration.runner import run_job

    samples = {name: tmp_path / name for name in ("dagster", "first", "second")}
    for seed, (name, folder) in enumerate(samples.items(), start=21):
        generate_sample(folder, customers=CUSTOMERS, seed=seed)
    monkeypatch.setenv("C360_DAGSTER_HOME", str(tmp_path / "dagster-home"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)

    with monkeypatch.context() as m:
        m.setenv("C360_WAREHOUSE", str(tmp_path / "dagster.duckdb"))
        with sample_sources(samples["dagster"], m):
            summary = run_job("ingest_events_job", echo=lambda line: None)
    assert summary.success, summary.failed_steps

    for name in ("first", "second"):
        warehouse = tmp_path / f"{name}.duckdb"
        with monkeypatch.context() as m:
            m.setenv("C360_WAREHOUSE", str(warehouse))
            with sample_sources(samples[name], m):
                pipelines.run(echo=False)  # dlt state next to this warehouse, as in production
        assert _counts(warehouse) == _expected(samples[name]), f"the {name} load in this process lost records"
