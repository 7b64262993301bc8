"""The full Dagster job on a small generated sample: sources -> raw -> dbt -> checks -> published marts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from c360.settings import RAW_DATASETS
from orchestration.build import build_definitions
from c360.cli import main
from orchestration.runner import format_summary, run_job

MARTS = (
    "customer_360", "identity_map", "customer_id_history", "customer_segments", "customer_satisfaction",
    "satisfaction_by_segment_month", "customer_interactions", "customer_value", "retention_cohorts",
    "channel_preference",
)


def test_full_pipeline_fills_and_publishes_the_marts(c360_env, monkeypatch):
    lines: list[str] = []
    instance = dg.DagsterInstance.ephemeral()
    summary = run_job("full_pipeline_job", instance=instance, echo=lines.append)
    progress = "\n".join(lines)
    assert summary.success, progress + format_summary(summary)

    # progress was reported as it went: every step started and finished, rows per raw table
    for step in ("ingest_sales", "ingest_support", "ingest_email", "ingest_web", "dbt_build", "quality_raw",
                 "quality_identity", "quality_marts", "published_marts"):
        assert f"> {step}" in progress and f"ok {step}" in progress, step
    assert "raw_sales.customers:" in progress and "rows loaded" in progress

    # every asset of the code location was materialized by the one job
    all_keys = {k.to_user_string().replace("/", ".") for k in build_definitions().resolve_all_asset_keys()}
    assert all_keys <= set(summary.materialized)

    warehouse = Path(c360_env["C360_WAREHOUSE"])
    published = Path(c360_env["C360_PUBLISHED"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # the counts in the summary are the warehouse's
        for source, dataset in RAW_DATASETS.items():
            quarantined = con.execute(f"select count(*) from {dataset}.quarantine").fetchall()[0][0]
            assert summary.rows_quarantined[source] == quarantined
            assert summary.loaded_by_source()[source] > 0
        mart_rows = {m: con.execute(f"select count(*) from marts.{m}").fetchall()[0][0] for m in MARTS}
        # the quality results of this run cover the three layers
        layers = con.execute(
            "select distinct suite from quality.validation_results where run_id = ?", [summary.run_id]
        ).fetchall()
    assert {"raw_sales", "raw_support", "raw_email", "raw_web", "identity", "marts"} <= {r[0] for r in layers}
    assert mart_rows["customer_360"] > 0 and mart_rows["identity_map"] > mart_rows["customer_360"]
    assert summary.customers == mart_rows["customer_360"]

    # published: the same marts in the published DuckDB file and as Parquet
    assert summary.published is True
    with duckdb.connect(str(published), read_only=True) as con:
        for mart, rows in mart_rows.items():
            assert con.execute(f"select count(*) from marts.{mart}").fetchall()[0][0] == rows, mart
    parquet = list(Path(c360_env["C360_PUBLISHED_PARQUET_DIR"]).rglob("customer_360*.parquet"))
    assert parquet
    assert (Path(c360_env["C360_QUALITY_DIR"]) / "index.html").exists()

    text = format_summary(summary)
    assert "customers resolved" in text and str(published) in text and "steward report" in text

    # Then email is switched off: the source is paused, as a paused connector. The next run skips it, and what
    # it loaded stays in staging, in the customers and in their timelines (turning a source off is not an
    # erasure; `c360 erase` is). The run still passes the quality gate and publishes.
    def email_rows() -> tuple[int, ...]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return tuple(con.execute(q).fetchall()[0][0] for q in (
                "select count(*) from staging.stg_email__events",
                "select count(*) from marts.customer_interactions where channel = 'email'",
                "select count(*) from marts.customer_360"))

    before = email_rows()
    assert before[0] > 0 and before[1] > 0
    monkeypatch.setenv("SOURCES__EMAIL__ENABLED", "false")
    lines = []
    paused = run_job("full_pipeline_job", instance=instance, echo=lines.append)
    assert paused.success and paused.published is True, "\n".join(lines) + format_summary(paused)
    assert "> ingest_email" not in "\n".join(lines) and "SOURCES__EMAIL__ENABLED=false" in format_summary(paused)
    assert email_rows() == before


def test_missing_source_setting_fails_fast_naming_it(c360_env, monkeypatch, capsys, tmp_path, webhook):
    missing = tmp_path / "nowhere" / "sales.sqlite"
    monkeypatch.setenv("SOURCES__SALES__CREDENTIALS", f"sqlite:///{missing}")
    monkeypatch.setenv("C360_ALERT_WEBHOOK_URL", webhook.url)
    code = main(["ingest", "--source", "sales"])
    hook = webhook
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED ingest_sales" in out
    assert "SOURCES__SALES__CREDENTIALS" in out
    assert "retrying" not in out  # a missing setting is not a transient error
    # a failed in-process run alerts like a daemon-launched one
    assert "alert sent" in out
    assert len(hook.received) == 1 and hook.received[0]["failed_steps"] == ["ingest_sales"]
    assert "SOURCES__SALES__CREDENTIALS" in hook.received[0]["message"]


def test_transient_source_error_is_retried_by_dagster(sample_dir, tmp_path, monkeypatch):
    from samples.zendesk_server import ZendeskServer

    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("C360_DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("C360_INGESTION_RETRY_DELAY", "1")
    # no retries inside the HTTP client, so the failure reaches Dagster and its retry policy
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "1")
    with ZendeskServer(sample_dir / "support", port=0, api_token="retry-test-token") as server:
        monkeypatch.setenv("SOURCES__SUPPORT__BASE_URL", server.url)
        monkeypatch.setenv("SOURCES__SUPPORT__API_TOKEN", "retry-test-token")
        monkeypatch.setenv("SOURCES__SUPPORT__EMAIL", "agent@example.com")
        monkeypatch.delenv("SOURCES__SUPPORT__OAUTH_TOKEN", raising=False)
        server.fail_next(1, status=503)
        lines: list[str] = []
        summary = run_job("ingest_support_job", instance=dg.DagsterInstance.ephemeral(), echo=lines.append)
        statuses = [status for _, _, status in server.requests]
    progress = "\n".join(lines)
    assert summary.success, progress + format_summary(summary)
    assert 503 in statuses and statuses[-1] == 200
    assert "retrying ingest_support" in progress
    assert summary.loaded_by_source()["support"] > 0
