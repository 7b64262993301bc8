"""The support source over real HTTP: rate limiting, transient errors, auth, settings, secrets."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Iterator

import pytest

from ingestion.pipelines import IngestionError, MissingSettingError, preflight, run_source, source_for
from ingestion.errors import SourceConfigError
from ingestion.support import ZendeskAuthError
from ingestion_testkit import API_TOKEN, IngestionEnv, apply_test_settings, copy_sample, expected, make_env

TABLES = ("users", "tickets", "satisfaction_ratings")
OAUTH_TOKEN = "oauth-access-token-e4b1"


@pytest.fixture
def throttled_env(generated_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestionEnv]:
    """Like ``ingestion_env``, but the server allows 2 export requests (6 in all) per second: Zendesk's
    stricter limit of the incremental exports, on a one-second clock."""
    apply_test_settings(monkeypatch)
    sample = copy_sample(generated_sample, tmp_path / "sample")
    monkeypatch.setenv("SOURCES__SUPPORT__PAGE_SIZE", "40")
    yield from make_env(sample, tmp_path, monkeypatch, rate_limit=6, incremental_rate_limit=2, rate_window_seconds=1.0)


def test_rate_limit_and_transient_error_are_retried(
    throttled_env: IngestionEnv,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = throttled_env
    env.server.fail_next(1, status=500)
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "INFO")  # dlt's own log lines, which must not carry the token

    report = run_source("support", pipelines_dir=env.pipelines_dir)

    statuses = [status for _, _, status in env.server.requests]
    assert 500 in statuses, statuses
    assert any(status == 429 and "/incremental/" in target for _, target, status in env.server.requests), statuses
    for table in TABLES:
        want_loaded, want_quarantined = expected(env.batch(0)[f"support.{table}"])
        assert env.count("support", table) == want_loaded, table
        assert report.loaded[table] == want_loaded, table
        assert report.quarantined_by_table.get(table, 0) == want_quarantined, table
    # more than one page per export, fetched with the cursor Zendesk hands out
    assert any("cursor=" in target for _, target, _ in env.server.requests)

    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "support" in logged or "dlt" in logged or caplog.records  # something was logged at all
    assert API_TOKEN not in logged


def test_api_token_with_email_authenticates(ingestion_env: IngestionEnv) -> None:
    """Zendesk's API-token form, HTTP Basic {email}/token:{api_token} (the server refuses a Bearer API token)."""
    report = run_source("support", pipelines_dir=ingestion_env.pipelines_dir)
    assert report.loaded["users"] == expected(ingestion_env.batch(0)["support.users"])[0]
    assert {status for _, _, status in ingestion_env.server.requests} == {200}


def test_api_token_without_email_fails_fast_naming_the_email_setting(
    ingestion_env: IngestionEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCES__SUPPORT__EMAIL")
    monkeypatch.chdir(ingestion_env.sample)  # no .dlt/config.toml here that could set an email
    with pytest.raises(MissingSettingError) as err:
        preflight("support")
    assert "SOURCES__SUPPORT__EMAIL" in str(err.value)
    started = time.monotonic()
    with pytest.raises(MissingSettingError) as err:
        run_source("support", pipelines_dir=ingestion_env.pipelines_dir, source=source_for("support"))
    assert "SOURCES__SUPPORT__EMAIL" in str(err.value) and API_TOKEN not in str(err.value)
    assert time.monotonic() - started < 30
    assert ingestion_env.server.requests == []  # nothing was sent: the configuration cannot work


def test_wrong_token_fails_at_once_naming_the_settings(ingestion_env: IngestionEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__SUPPORT__API_TOKEN", "not-the-token-91")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "6")
    with pytest.raises(ZendeskAuthError) as err:
        run_source("support", pipelines_dir=ingestion_env.pipelines_dir)
    message = str(err.value)
    assert "SOURCES__SUPPORT__API_TOKEN" in message and "SOURCES__SUPPORT__EMAIL" in message
    assert "HTTP 401" in message and len(message.splitlines()) == 1
    assert "not-the-token-91" not in message
    assert isinstance(err.value, SourceConfigError)  # a configuration error: the pipeline and Dagster never retry it
    # not retried: each resource stopped at its first (refused) request
    assert all(status == 401 for _, _, status in ingestion_env.server.requests)
    assert len(ingestion_env.server.requests) <= len(TABLES)


def test_missing_token_names_the_setting(ingestion_env: IngestionEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCES__SUPPORT__API_TOKEN")
    monkeypatch.chdir(ingestion_env.sample)  # no .dlt/secrets.toml here
    # building the source must not fail (Dagster builds its assets from it before any run)
    assert set(source_for("support").resources) >= set(TABLES)
    with pytest.raises(MissingSettingError) as err:
        preflight("support")
    assert "SOURCES__SUPPORT__API_TOKEN" in str(err.value)
    with pytest.raises(MissingSettingError) as err:
        run_source("support", pipelines_dir=ingestion_env.pipelines_dir, source=source_for("support"))
    assert "SOURCES__SUPPORT__API_TOKEN" in str(err.value)


def test_unreachable_server_names_the_setting(ingestion_env: IngestionEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__SUPPORT__BASE_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    with pytest.raises(IngestionError) as err:
        run_source("support", pipelines_dir=ingestion_env.pipelines_dir)
    assert "SOURCES__SUPPORT__BASE_URL" in str(err.value)
    assert API_TOKEN not in str(err.value)


def test_metric_sets_and_identities_are_requested_and_loaded(ingestion_env: IngestionEnv) -> None:
    """The server side-loads them only when asked: their columns and rows prove the source asked."""
    run_source("support", pipelines_dir=ingestion_env.pipelines_dir)
    targets = [target for _, target, _ in ingestion_env.server.requests]
    assert all("include=metric_sets" in t for t in targets if "/incremental/tickets/" in t)
    assert all("include=identities" in t for t in targets if "/incremental/users/" in t)
    (with_metrics, reopened), = ingestion_env.query(
        "select count(metric_set__reply_time_in_minutes__calendar), count(*) filter (where metric_set__reopens > 0) "
        "from raw_support.tickets"
    )
    assert with_metrics > 0 and reopened > 0
    (identities, users, emails), = ingestion_env.query("""
        select count(*), count(distinct i._dlt_parent_id), count(*) filter (where i.type = 'email' and i.value = u.email)
        from raw_support.users__identities as i inner join raw_support.users as u on u._dlt_id = i._dlt_parent_id
    """)
    assert identities >= users > 0 and emails > 0
    # the sample's secondary identities (support/user_identities.jsonl) arrive as non-primary rows
    secondary = {json.loads(line)["id"] for line in (ingestion_env.sample / "support" / "user_identities.jsonl")
                 .read_text().splitlines() if not json.loads(line)["primary"]}
    loaded = {row[0] for row in ingestion_env.query('select id from raw_support.users__identities where not "primary"')}
    assert secondary and loaded == secondary


@pytest.fixture
def oauth_env(generated_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestionEnv]:
    """The sample served by a server that knows an API token and an OAuth access token."""
    apply_test_settings(monkeypatch)
    sample = copy_sample(generated_sample, tmp_path / "sample")
    yield from make_env(sample, tmp_path, monkeypatch, oauth_token=OAUTH_TOKEN)


def test_oauth_access_token_is_sent_as_bearer(oauth_env: IngestionEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCES__SUPPORT__API_TOKEN")
    monkeypatch.delenv("SOURCES__SUPPORT__EMAIL")
    monkeypatch.setenv("SOURCES__SUPPORT__OAUTH_TOKEN", OAUTH_TOKEN)
    report = run_source("support", pipelines_dir=oauth_env.pipelines_dir)
    for table in TABLES:
        assert report.loaded[table] == expected(oauth_env.batch(0)[f"support.{table}"])[0], table
    assert {status for _, _, status in oauth_env.server.requests} == {200}


def test_wrong_oauth_token_fails_at_once_naming_it(oauth_env: IngestionEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__SUPPORT__OAUTH_TOKEN", "expired-oauth-token-3")
    with pytest.raises(ZendeskAuthError) as err:
        run_source("support", pipelines_dir=oauth_env.pipelines_dir)
    assert "SOURCES__SUPPORT__OAUTH_TOKEN" in str(err.value) and "expired-oauth-token-3" not in str(err.value)
    assert len(oauth_env.server.requests) <= len(TABLES)
