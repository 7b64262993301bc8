"""Configuration errors fail fast, without retries, with one line naming the setting (issue: real deployments).

Each case runs the real `c360 ingest` command in a child process with one bad setting and checks that it
exits non-zero, names the key, never retries (a retry would first wait C360_INGESTION_RETRY_DELAY) and leaks
no secret. Retries are set to a long delay so a retried run could not finish within the bound.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

#: A configuration error must fail well within this; one retry alone would wait C360_INGESTION_RETRY_DELAY.
BOUND_SECONDS = 90


def _ingest(tmp_path: Path, source: str, **env: str) -> tuple[int, str, float]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "C360_"))}
    empty = tmp_path / "empty-bucket"
    empty.mkdir(exist_ok=True)
    base.update(
        {
            "C360_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
            "C360_DAGSTER_HOME": str(tmp_path / "dagster"),
            "C360_INGESTION_RETRY_DELAY": "120s",
            "SOURCES__EMAIL__BUCKET_URL": str(empty),
            "SOURCES__WEB__BUCKET_URL": str(empty),
            **env,
        }
    )
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "c360.cli", "ingest", "--source", source],
        env=base, cwd=tmp_path, capture_output=True, text=True, timeout=BOUND_SECONDS * 3,
    )
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg2://c360:s3cr3t-pw@@db:notaport/x", "does not parse"),
        ("mysql+nosuchdriver://c360:s3cr3t-pw@127.0.0.1/x", "driver that is not installed"),
        ("sqlite:////nonexistent/folder/sales.sqlite", "does not exist"),
    ],
)
def test_bad_sales_url_fails_fast_naming_the_key(tmp_path: Path, url: str, expected: str) -> None:
    code, out, seconds = _ingest(tmp_path, "sales", SOURCES__SALES__CREDENTIALS=url)
    assert code != 0
    assert expected in out
    assert "SOURCES__SALES__CREDENTIALS" in out
    assert "retrying" not in out
    assert "s3cr3t-pw" not in out
    assert seconds < BOUND_SECONDS


def test_bad_setting_of_one_source_does_not_stop_another(tmp_path: Path) -> None:
    code, out, _ = _ingest(tmp_path, "web", SOURCES__SALES__CREDENTIALS="postgresql+psycopg2://u:p@@h:x/db")
    assert code == 0, out
    assert "succeeded" in out


def test_read_only_warehouse_folder_names_the_key(tmp_path: Path) -> None:
    # a path below a regular file can never be created, whoever runs the test (root ignores permission bits)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, out, seconds = _ingest(tmp_path, "web", C360_WAREHOUSE=str(blocker / "warehouse.duckdb"))
    assert code != 0
    assert "C360_WAREHOUSE" in out
    assert "retrying" not in out
    assert seconds < BOUND_SECONDS


def test_bucket_without_credentials_names_the_key(tmp_path: Path) -> None:
    # checked without any network call: no credentials setting and no AWS_* variable
    code, out, seconds = _ingest(tmp_path, "email", SOURCES__EMAIL__BUCKET_URL="s3://acme-sendgrid/events",
                                 AWS_EC2_METADATA_DISABLED="true")
    assert code != 0
    assert "SOURCES__EMAIL__CREDENTIALS" in out
    assert "retrying" not in out
    assert seconds < BOUND_SECONDS


def test_switched_off_source_is_refused_by_name(tmp_path: Path) -> None:
    code, out, _ = _ingest(tmp_path, "web", SOURCES__WEB__ENABLED="false")
    assert code != 0
    assert "SOURCES__WEB__ENABLED" in out


def test_unparseable_switch_names_the_key(tmp_path: Path) -> None:
    code, out, _ = _ingest(tmp_path, "web", SOURCES__WEB__ENABLED="perhaps")
    assert code != 0
    assert "SOURCES__WEB__ENABLED must be true or false" in out


def test_silent_zendesk_ends_the_run_at_the_deadline_without_retries(tmp_path: Path) -> None:
    """A Zendesk that accepts connections and never answers: the Dagster run ends at SOURCES__SUPPORT__DEADLINE,
    naming it, and the step is not retried (the deadline bounds the run, retries included)."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # the kernel completes the connections; nobody ever reads or answers them
    try:
        code, out, seconds = _ingest(
            tmp_path, "support",
            SOURCES__SUPPORT__BASE_URL=f"http://127.0.0.1:{silent.getsockname()[1]}",
            SOURCES__SUPPORT__API_TOKEN="deadline-token-1234", SOURCES__SUPPORT__EMAIL="agent@example.com",
            SOURCES__SUPPORT__DEADLINE="3s", RUNTIME__REQUEST_TIMEOUT="60",
        )
    finally:
        silent.close()
    assert code != 0, out
    assert "SOURCES__SUPPORT__DEADLINE" in out and "support" in out
    assert "retrying" not in out
    assert "deadline-token-1234" not in out
    assert seconds < BOUND_SECONDS
