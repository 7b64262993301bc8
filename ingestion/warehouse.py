"""Where c360 keeps its data: the one place that reads environment settings for paths.

Every package (ingestion, transform via profiles.yml, quality, orchestration) asks this module,
so switching environments means changing environment variables, never code.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable -> default, relative to the working directory.
DEFAULTS: dict[str, str] = {
    "C360_WAREHOUSE": "data/warehouse.duckdb",
    "C360_PUBLISHED": "data/published.duckdb",
    "C360_PUBLISHED_PARQUET_DIR": "data/published",
    "C360_QUALITY_DIR": "data/quality",
    "C360_SAMPLE_DIR": "data/sample",
}

#: The raw dataset (DuckDB schema) each source loads into.
RAW_DATASETS: dict[str, str] = {
    "sales": "raw_sales",
    "support": "raw_support",
    "email": "raw_email",
    "web": "raw_web",
}


def _path(name: str) -> Path:
    return Path(os.environ.get(name) or DEFAULTS[name]).expanduser().resolve()


def warehouse_path() -> Path:
    """The DuckDB file every writer (dlt, dbt, quality results) uses. One writer at a time."""
    return _path("C360_WAREHOUSE")


def published_path() -> Path:
    """The DuckDB file downstream tools read; replaced atomically on each publication."""
    return _path("C360_PUBLISHED")


def published_parquet_dir() -> Path:
    """One Parquet file per published mart."""
    return _path("C360_PUBLISHED_PARQUET_DIR")


def quality_dir() -> Path:
    """Data Docs and the steward front pages."""
    return _path("C360_QUALITY_DIR")


def sample_dir() -> Path:
    """Where `c360 generate` / `c360 demo` write the generated source systems by default."""
    return _path("C360_SAMPLE_DIR")


def export_environment() -> dict[str, str]:
    """Absolute paths for subprocesses (dbt resolves relative paths against its own cwd)."""
    os.environ["C360_WAREHOUSE"] = str(warehouse_path())
    return {"C360_WAREHOUSE": os.environ["C360_WAREHOUSE"]}
