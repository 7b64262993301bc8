"""Bounded waiting (issue 14, item 2): a Zendesk that never answers, answers ``{}`` or answers 500 ends the run
within the configured total deadline, with a message naming the source and the setting, and the warehouse
writer lock stays free while the source is being read (only restoring dlt's state and the load hold it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from c360.locks import is_held, warehouse_lock_path
from ingestion.errors import DeadlineExceeded, IngestionError, UnexpectedResponseError
from ingestion.pipelines import run_source
from ingestion_testkit import apply_test_settings

DEADLINE = 3.0


class BadZendesk:
    """A loopback server in one of four bad moods: ``silent`` (accepts, never answers), ``empty`` (``{}``),
    ``login`` (HTTP 200 with an HTML page, as a proxy's or an SSO login page), ``error`` (HTTP 500 to everything)."""

    def __init__(self, mood: str) -> None:
        self.mood = mood
        self.requests = 0
        self.first_request = threading.Event()
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.requests += 1
                server.first_request.set()
                if server.mood == "silent":
                    server.release.wait(120)
                    return
                bodies = {"empty": b"{}", "login": b"<html><body>Sign in</body></html>"}
                body = bodies.get(server.mood, b'{"error": "boom"}')
                self.send_response(200 if server.mood in ("empty", "login") else 500)
                self.send_header("Content-Type", "text/html" if server.mood == "login" else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def bad_zendesk(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BadZendesk]:
    apply_test_settings(monkeypatch)
    server = BadZendesk(request.param)
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("SOURCES__SUPPORT__BASE_URL", server.url)
    monkeypatch.setenv("SOURCES__SUPPORT__API_TOKEN", "deadline-test-token")
    monkeypatch.setenv("SOURCES__SUPPORT__EMAIL", "agent@example.com")
    monkeypatch.setenv("SOURCES__SUPPORT__DEADLINE", f"{DEADLINE:g}s")
    # per-request timeout and retries far beyond the deadline: only the deadline can end the run in time
    monkeypatch.setenv("RUNTIME__REQUEST_TIMEOUT", "60")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "50")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.2")
    try:
        yield server
    finally:
        server.close()


def _run_and_watch_lock(server: BadZendesk, tmp_path: Path) -> tuple[BaseException, float, bool]:
    """Runs the support source in a thread; returns (its error, seconds taken, lock free while reading)."""
    outcome: dict = {}

    def target():
        started = time.monotonic()
        try:
            run_source("support", pipelines_dir=tmp_path / "dlt")
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=target)
    thread.start()
    while thread.is_alive() and not server.first_request.wait(0.2):
        pass
    assert server.first_request.is_set(), f"the source never called the API: {outcome.get('error')!r}"
    lock_free = not is_held(warehouse_lock_path())
    thread.join(120)
    assert not thread.is_alive(), "the run did not end"
    assert "error" in outcome, "a broken API must fail the run, not pass with zero rows"
    return outcome["error"], outcome["seconds"], lock_free


@pytest.mark.parametrize("bad_zendesk", ["silent", "error"], indirect=True)
def test_silent_or_failing_api_ends_the_run_within_the_deadline(bad_zendesk: BadZendesk, tmp_path: Path) -> None:
    error, seconds, lock_free = _run_and_watch_lock(bad_zendesk, tmp_path)

    assert lock_free, "the warehouse writer lock was held while waiting on the API"
    assert seconds < DEADLINE + 8, f"took {seconds:.1f}s with a {DEADLINE}s deadline"
    assert isinstance(error, DeadlineExceeded), repr(error)
    message = str(error)
    assert "support" in message and "SOURCES__SUPPORT__DEADLINE" in message, message
    assert "deadline-test-token" not in message
    if bad_zendesk.mood == "error":
        assert bad_zendesk.requests > 2, "5xx answers are retried until the deadline"


@pytest.mark.parametrize("bad_zendesk", ["empty", "login"], indirect=True)
def test_an_empty_object_or_a_login_page_instead_of_a_list_is_an_error_not_zero_rows(
        bad_zendesk: BadZendesk, tmp_path: Path) -> None:
    error, seconds, lock_free = _run_and_watch_lock(bad_zendesk, tmp_path)

    assert lock_free
    assert isinstance(error, UnexpectedResponseError) and isinstance(error, IngestionError), repr(error)
    message = str(error)
    assert "support" in message and "SOURCES__SUPPORT__BASE_URL" in message, message
    said = "no keys" if bad_zendesk.mood == "empty" else "text/html, not JSON"
    assert "list" in message and said in message, message
    assert seconds < DEADLINE + 8


def test_a_malformed_deadline_fails_fast_naming_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from c360.settings import ConfigError
    from ingestion.pipelines import source_for

    apply_test_settings(monkeypatch)
    monkeypatch.setenv("SOURCES__SUPPORT__BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SOURCES__SUPPORT__API_TOKEN", "x" * 8)
    monkeypatch.setenv("SOURCES__SUPPORT__EMAIL", "agent@example.com")
    monkeypatch.setenv("SOURCES__SUPPORT__DEADLINE", "soon")
    with pytest.raises(ConfigError, match="SOURCES__SUPPORT__DEADLINE"):
        source_for("support")
