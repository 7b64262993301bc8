from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from quality_factory import build_warehouse


@dataclass
class Site:
    """Where one test's warehouse, publication and reports live (all under tmp_path)."""

    warehouse: Path
    published: Path
    parquet_dir: Path
    quality_dir: Path


@pytest.fixture(scope="session")
def clean_warehouse_template(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("template") / "warehouse.duckdb")


@pytest.fixture(scope="session")
def baseline(tmp_path_factory, clean_warehouse_template):
    """A clean warehouse validated on every layer and published once: the last good publication."""
    from quality import run_quality

    root = tmp_path_factory.mktemp("baseline")
    site = Site(root / "warehouse.duckdb", root / "published.duckdb", root / "published", root / "quality")
    shutil.copy(clean_warehouse_template, site.warehouse)
    run = run_quality(site.warehouse, "baseline-run", quality_dir=site.quality_dir, publish_marts=True,
                      published_path=site.published, parquet_dir=site.parquet_dir)
    return site, run


@pytest.fixture
def site(tmp_path, monkeypatch, clean_warehouse_template, baseline) -> Site:
    """A fresh clean warehouse plus a copy of the baseline publication, with the C360_* settings pointing here."""
    base, _ = baseline
    s = Site(tmp_path / "warehouse.duckdb", tmp_path / "published.duckdb", tmp_path / "published",
             tmp_path / "quality")
    shutil.copy(clean_warehouse_template, s.warehouse)
    shutil.copy(base.published, s.published)
    shutil.copytree(base.parquet_dir, s.parquet_dir, symlinks=True)
    monkeypatch.setenv("C360_WAREHOUSE", str(s.warehouse))
    monkeypatch.setenv("C360_PUBLISHED", str(s.published))
    monkeypatch.setenv("C360_PUBLISHED_PARQUET_DIR", str(s.parquet_dir))
    monkeypatch.setenv("C360_QUALITY_DIR", str(s.quality_dir))
    return s
