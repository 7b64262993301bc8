"""DuckDB's memory limit and spill folder are set on purpose (C360_DUCKDB_MEMORY_LIMIT / C360_DUCKDB_TEMP_DIR)
for the heavy users of the warehouse: dlt's loads, dbt (through transform/profiles.yml) and the quality checks.
Without them DuckDB takes 80 % of the machine's RAM per process (issue 11)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from c360 import settings
from c360.settings import ConfigError
from quality.suites import connect_read_only

REPO = Path(__file__).resolve().parents[2]


def _limit_and_temp(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    return con.execute("select current_setting('memory_limit'), current_setting('temp_directory')").fetchone()


def test_defaults_spill_next_to_the_warehouse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("C360_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("C360_DUCKDB_TEMP_DIR", raising=False)
    assert settings.duckdb_config() == {"memory_limit": "1GB", "temp_directory": str(tmp_path / "w.duckdb.tmp")}


@pytest.mark.parametrize("text", ["lots", "2", "-1GB", "2 GBs", "%"])
def test_a_bad_limit_names_the_setting(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("C360_DUCKDB_MEMORY_LIMIT", text)
    with pytest.raises(ConfigError, match="C360_DUCKDB_MEMORY_LIMIT must be an amount of memory"):
        settings.duckdb_config()


def test_quality_connection_uses_the_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    monkeypatch.setenv("C360_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("C360_DUCKDB_MEMORY_LIMIT", "300MiB")
    monkeypatch.setenv("C360_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    con = connect_read_only(warehouse)
    try:
        limit, temp = _limit_and_temp(con)
    finally:
        con.close()
    assert limit == "300.0 MiB"
    assert temp == str(tmp_path / "spill")


def test_dbt_profile_uses_the_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The real profile, rendered by dbt itself: `dbt show` of the session's settings."""
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("C360_DUCKDB_MEMORY_LIMIT", "300MiB")
    monkeypatch.delenv("C360_DUCKDB_TEMP_DIR", raising=False)
    monkeypatch.delenv("C360_ENGINE", raising=False)
    settings.export_environment()
    transform = REPO / "transform"
    result = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "show", "--inline",
         "select current_setting('memory_limit') as m, current_setting('temp_directory') as t",
         "--project-dir", str(transform), "--profiles-dir", str(transform),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"), "--output", "json"],
        cwd=transform, env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert '"m": "300.0 MiB"' in result.stdout
    assert f'"t": "{tmp_path / "w.duckdb.tmp"}"' in result.stdout


def test_dlt_load_uses_the_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """dlt's own DuckDB (the load step's staging copy and merge) gets the same limit and spill folder."""
    from ingestion.pipelines import make_pipeline

    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("C360_DUCKDB_MEMORY_LIMIT", "300MiB")
    monkeypatch.setenv("C360_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    monkeypatch.delenv("C360_ENGINE", raising=False)
    pipeline = make_pipeline("sales", pipelines_dir=tmp_path / "dlt")
    with pipeline.sql_client() as client:
        limit, temp = client.execute_sql("select current_setting('memory_limit'), current_setting('temp_directory')")[0]
    assert (limit, temp) == ("300.0 MiB", str(tmp_path / "spill"))
