"""The sales source against a real PostgreSQL server on loopback (started by `make test`)."""

from __future__ import annotations

import logging
import os
import uuid
from typing import Iterator

import pytest
import sqlalchemy as sa

from ingestion.pipelines import IngestionError, preflight, run_source
from samples.sales_db import copy_sales_db
from ingestion_testkit import IngestionEnv, expected
from samplekit import postgres_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """(URL whose search_path is a fresh schema, schema name); the schema is dropped afterwards."""
    with postgres_schema("c360_test") as scoped:
        yield scoped


def test_sales_loads_from_postgresql(
    ingestion_env: IngestionEnv,
    pg_schema: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, schema = pg_schema
    copy_sales_db(ingestion_env.sample / "sales.sqlite", url)
    monkeypatch.setenv("SOURCES__SALES__CREDENTIALS", url)
    monkeypatch.setenv("SOURCES__SALES__SCHEMA", schema)
    caplog.set_level(logging.INFO)
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "INFO")  # dlt's own log lines, which must not carry the password

    report = run_source("sales", pipelines_dir=ingestion_env.pipelines_dir)

    batch = ingestion_env.batch(0)
    for table in ("customers", "orders", "order_items", "products"):
        want_loaded, want_quarantined = expected(batch[f"sales.{table}"])
        assert ingestion_env.count("sales", table) == want_loaded, table
        assert report.loaded.get(table, 0) == want_loaded, table
        assert report.quarantined_by_table.get(table, 0) == want_quarantined, table

    # incremental: the same database again loads nothing
    again = run_source("sales", pipelines_dir=ingestion_env.pipelines_dir)
    assert again.loaded == {} and again.quarantined == 0

    password = sa.engine.make_url(url).password
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert f":{password}@" not in logged


def test_unreachable_database_names_the_setting(ingestion_env: IngestionEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-" + uuid.uuid4().hex[:6]
    monkeypatch.setenv("SOURCES__SALES__CREDENTIALS", f"postgresql+psycopg2://c360:{secret}@127.0.0.1:1/nowhere")
    with pytest.raises(IngestionError) as err:
        preflight("sales")
    assert "SOURCES__SALES__CREDENTIALS" in str(err.value)
    assert secret not in str(err.value)
