"""Downstream compatibility of the publication: the published DuckDB file opens and answers queries in a
DuckDB 1.x client (most BI drivers today) as well as in the project's DuckDB 2.x, and carries no column of
the loader."""

from __future__ import annotations

import json
import subprocess

import duckdb

import duckdb1_client
from quality import run_quality
from quality.publish import STORAGE_VERSION
from quality_factory import execute

_READ = r"""
import json, sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(json.dumps({
    "version": duckdb.__version__,
    "customers": con.execute("select count(*), sum(revenue)::double from customer_360").fetchall()[0],
    "segments": con.execute("select count(*) from marts.customer_segments where recency_score between 1 and 5").fetchall()[0][0],
    "columns": [r[0] for r in con.execute("select column_name from information_schema.columns "
                                          "where table_schema = 'marts' and table_name = 'customer_segments'").fetchall()],
    "runs": [r[0] for r in con.execute("select distinct run_id from _publication order by run_id").fetchall()],
}))
"""


def _publish_with_loader_columns(site):
    # dbt's incremental marts carry dlt's load id as their cursor (customer_interactions does).
    execute(site.warehouse,
            "alter table marts.customer_segments add column _dlt_load_id varchar default '1764460800.123'",
            "alter table marts.customer_segments add column _dlt_id varchar default 'x'")
    run = run_quality(site.warehouse, "compat-run", layers=("marts",), quality_dir=site.quality_dir,
                      publish_marts=True, published_path=site.published, parquet_dir=site.parquet_dir)
    assert run.publication.published, run.publication.reason
    return run


def test_published_file_opens_in_duckdb_1_and_2(site):
    run = _publish_with_loader_columns(site)
    expected_customers = run.publication.row_counts["customer_360"]

    # The project's DuckDB (2.x): opens the file, which is in the storage format chosen for 1.x readers.
    con = duckdb.connect(str(site.published), read_only=True)
    try:
        assert duckdb.__version__.startswith("2.")
        (tags,) = con.execute("select tags from duckdb_databases() where not internal and database_name <> 'memory'").fetchone()
        assert tags["storage_version"].startswith(STORAGE_VERSION), tags
        ours = con.execute("select count(*), sum(revenue)::double from customer_360").fetchone()
    finally:
        con.close()
    assert ours[0] == expected_customers

    # A DuckDB 1.x client in its own virtualenv: opens the same file and gets the same answers.
    done = subprocess.run([str(duckdb1_client.python()), "-c", _READ, str(site.published)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["version"].startswith("1."), seen["version"]
    assert tuple(seen["customers"]) == tuple(ours)
    assert seen["segments"] == run.publication.row_counts["customer_segments"]
    assert "compat-run" in seen["runs"]
    assert "segment" in seen["columns"] and not [c for c in seen["columns"] if c.startswith("_dlt_")]


def test_loader_columns_stay_in_the_warehouse(site):
    _publish_with_loader_columns(site)
    con = duckdb.connect(str(site.published), read_only=True)
    try:
        published = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'customer_segments'").fetchall()}
        rows = con.execute("select count(*) from customer_segments").fetchone()[0]
    finally:
        con.close()
    assert {"customer_id", "segment"} <= published and not [c for c in published if c.startswith("_dlt_")]
    parquet = (site.parquet_dir / "current" / "customer_segments.parquet").resolve()
    columns = [r[0] for r in duckdb.sql(f"describe select * from '{parquet}'").fetchall()]
    assert "segment" in columns and not [c for c in columns if c.startswith("_dlt_")]
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall()[0][0] == rows
    # The warehouse keeps them: incremental models need their cursor.
    con = duckdb.connect(str(site.warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from marts.customer_segments where _dlt_load_id is not null").fetchone()[0] == rows
    finally:
        con.close()
