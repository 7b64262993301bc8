"""Fixtures of the privacy tests: a small generated sample of their own (tests add files to it) and every c360
path setting inside one data folder, so a test can look at every file c360 wrote."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CUSTOMERS = 60
SEED = 11


@pytest.fixture(scope="session")
def generated_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from samples.generator import generate

    out = tmp_path_factory.mktemp("privacy-sample")
    generate(out=out, customers=CUSTOMERS, seed=SEED, messiness=1.0, increment=False)
    return out


@pytest.fixture()
def sample(tmp_path: Path, generated_sample: Path) -> Path:
    import shutil

    return Path(shutil.copytree(generated_sample, tmp_path / "sample"))


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every path setting of c360 inside ``tmp_path/data`` (the sample lives outside it)."""
    data = tmp_path / "data"
    data.mkdir()
    for key, name in (("C360_WAREHOUSE", "warehouse.duckdb"), ("C360_PUBLISHED", "published.duckdb"),
                      ("C360_PUBLISHED_PARQUET_DIR", "published"), ("C360_QUALITY_DIR", "quality"),
                      ("C360_DAGSTER_HOME", "dagster"), ("C360_EXPORTS_DIR", "exports")):
        monkeypatch.setenv(key, str(data / name))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("C360_ALERT_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("C360_PRIVACY_SALT", raising=False)
    return data


@pytest.fixture()
def sources(sample: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The sources pointed at ``sample`` (its Zendesk API served on loopback), as `c360 demo` does."""
    from samplekit import sample_sources

    with sample_sources(sample, monkeypatch) as served:
        yield {**served.env, "PATH": os.environ.get("PATH", "")}
