"""Shared fixtures for ingestion tests: a generated sample, a running Zendesk server, an isolated warehouse.

``ingestion_env`` is the one to use: it generates (once per session) a small sample with
``samplekit.generate_sample`` (a fixed reference date), copies it so a test may add increments, starts the shipped
Zendesk-compatible server over its ``support/`` folder, and points C360_WAREHOUSE, C360_SAMPLE_DIR and
the dlt settings (SOURCES__SUPPORT__BASE_URL, SOURCES__SUPPORT__API_TOKEN, ...) at them. Everything lives
in pytest's tmp_path, so tests are isolated from each other and from data/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from samplekit import generate_sample
from ingestion_testkit import CUSTOMERS, SEED, IngestionEnv, apply_test_settings, copy_sample, make_env


@pytest.fixture(scope="session")
def generated_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated sample (read-only: copy it before adding increments; ``ingestion_env`` does)."""
    out = tmp_path_factory.mktemp("sample")
    generate_sample(out, customers=CUSTOMERS, seed=SEED)
    return out


@pytest.fixture
def dlt_test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast HTTP retries and a clean dlt environment for one test."""
    apply_test_settings(monkeypatch)


@pytest.fixture
def ingestion_env(
    generated_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dlt_test_settings: None
) -> Iterator[IngestionEnv]:
    """Generated sample (a private copy) + running Zendesk server + isolated warehouse, settings wired."""
    sample = copy_sample(generated_sample, tmp_path / "sample")
    yield from make_env(sample, tmp_path, monkeypatch)
