"""C360_ENGINE=spark, the first half of the pipeline: dlt loads the same sources as Parquet into the lakehouse
(dlt's filesystem destination), and the dbt project's on-run-start registers them as Spark tables - the same rows
as the DuckDB warehouse holds for the same sample."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sample_loader
from conftest import Built

HERE = Path(__file__).parent


def test_lakehouse_holds_the_warehouses_raw_rows(built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = tmp_path / "lake"
    monkeypatch.setenv("C360_ENGINE", "spark")
    monkeypatch.setenv("C360_SPARK_DIR", str(lake))
    # the loader's warehouse argument only places the dlt state; the rows go to the lakehouse
    sample_loader.load(built.sample_dir, tmp_path / "unused.duckdb")
    assert not (tmp_path / "unused.duckdb").exists()
    assert list((lake / "raw" / "raw_sales" / "customers").glob("*.parquet"))

    sample_loader.dbt(tmp_path / "unused.duckdb", "run-operation", "register_raw_tables", target_path=tmp_path / "target")
    schemas = ["raw_sales", "raw_support", "raw_email", "raw_web"]
    result = subprocess.run([sys.executable, str(HERE / "spark_session.py"), str(lake), *schemas],
                            capture_output=True, text=True, env={**os.environ}, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    spark_counts = json.loads(result.stdout.strip().splitlines()[-1])

    duck_tables = {f"{s}.{t}" for s, t in built.query(
        "select table_schema, table_name from information_schema.tables where table_schema in (?, ?, ?, ?) "
        "and table_name not like '\\_dlt%' escape '\\' and table_name <> 'quarantine'", schemas)}
    # every raw table staging reads is registered (declared tables with no folder are empty tables)
    assert duck_tables <= set(spark_counts), duck_tables - set(spark_counts)
    for table in sorted(duck_tables):
        (rows,) = built.query(f"select count(*) from {table}")[0]
        assert spark_counts[table] == rows, table
    assert spark_counts["raw_sales.customers"] > 200
