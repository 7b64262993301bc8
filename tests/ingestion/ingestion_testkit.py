"""Helpers of the ingestion tests (used by conftest.py and the test modules).

:func:`make_env` wires a sample folder, a running Zendesk-compatible server over its ``support/`` folder
and an empty warehouse together through the settings the sources read (C360_WAREHOUSE, C360_SAMPLE_DIR,
SOURCES__SUPPORT__BASE_URL, SOURCES__SUPPORT__API_TOKEN), and returns an :class:`IngestionEnv`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest

from c360.settings import RAW_DATASETS
from ingestion import pipelines
from samplekit import generate_sample, sample_sources
from samples.zendesk_server import ZendeskServer

CUSTOMERS = 200
SEED = 11
API_TOKEN = "test-token-5f0c2a9e71"

#: manifest table -> raw tables it loads into (docs/contracts.md)
RAW_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "sales.customers": ("sales", ("customers",)),
    "sales.orders": ("sales", ("orders",)),
    "sales.order_items": ("sales", ("order_items",)),
    "sales.products": ("sales", ("products",)),
    "support.users": ("support", ("users",)),
    "support.tickets": ("support", ("tickets",)),
    "support.satisfaction_ratings": ("support", ("satisfaction_ratings",)),
    "email.events": ("email", ("events",)),
    "web.events": ("web", ("identifies", "tracks", "pages", "screens", "groups", "aliases")),
}

#: raw table -> the column that identifies a record
KEYS: dict[str, str] = {"events": "sg_event_id", **{t: "message_id" for t in ("identifies", "tracks", "pages", "screens", "groups", "aliases")}}


@dataclass
class IngestionEnv:
    """A sample folder, a Zendesk server serving it, and an empty warehouse, wired through settings."""

    sample: Path
    warehouse: Path
    pipelines_dir: Path
    server: ZendeskServer
    reports: list[pipelines.IngestionReport] = field(default_factory=list)

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.sample / "manifest.json").read_text())

    def batch(self, number: int) -> dict[str, Any]:
        return self.manifest["batches"][number]["tables"]

    def increment(self) -> dict[str, Any]:
        """Writes the next generated increment into the sample; returns its manifest tables."""
        generate_sample(self.sample, customers=CUSTOMERS, seed=SEED, increment=True)
        return self.manifest["batches"][-1]["tables"]

    def run(self, sources: list[str] | None = None) -> pipelines.IngestionReport:
        report = pipelines.run(sources, pipelines_dir=self.pipelines_dir, echo=False)
        self.reports.append(report)
        return report

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.sql(sql).fetchall()

    def count(self, source: str, table: str) -> int:
        return self.query(f"select count(*) from {RAW_DATASETS[source]}.{table}")[0][0]

    def tables(self, source: str) -> set[str]:
        rows = self.query(
            f"select table_name from information_schema.tables where table_schema = '{RAW_DATASETS[source]}'"
        )
        return {r[0] for r in rows}


def expected(entry: dict[str, Any]) -> tuple[int, int]:
    """(new rows loaded, rows quarantined) the contract promises for one manifest table entry."""
    malformed = sum(entry["malformed"].values())
    return entry["written"] - entry["duplicates"] - malformed - entry["updated"], malformed


def copy_sample(src: Path, dst: Path) -> Path:
    # copy2 keeps modification times: the copy looks to the sources exactly like the original
    shutil.copytree(src, dst, copy_function=shutil.copy2)
    return dst


def apply_test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fast HTTP retries (tests inject 429/500) and no leftovers from the developer's environment."""
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.05")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_RETRY_DELAY", "2")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "6")
    for key in ("SOURCES__SALES__CREDENTIALS", "SOURCES__SUPPORT__EMAIL", "SOURCES__SUPPORT__OAUTH_TOKEN",
                "SOURCES__EMAIL__BUCKET_URL", "SOURCES__WEB__BUCKET_URL"):
        monkeypatch.delenv(key, raising=False)


def make_env(
    sample: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch, **server_kwargs: Any
) -> Iterator[IngestionEnv]:
    """Points the settings at ``sample`` and a warehouse in ``tmp``; yields while the server runs."""
    warehouse = tmp / "warehouse.duckdb"
    monkeypatch.setenv("C360_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("C360_SAMPLE_DIR", str(sample))
    # many loads per test: Zendesk's 10 export requests a minute would make them wait; that limit has its own tests
    server_kwargs.setdefault("incremental_rate_limit", server_kwargs.get("rate_limit", 700))
    with sample_sources(sample, monkeypatch, api_token=API_TOKEN, **server_kwargs) as served:
        yield IngestionEnv(sample=sample, warehouse=warehouse, pipelines_dir=tmp / "dlt", server=served.server)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def webhook_process(env: dict[str, str], *args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`c360 sendgrid-webhook` in a process of its own on a free loopback port, as a deployment runs it.

    Yields (base URL, process) once it answers; the process output is read after it stops (``communicate``).
    """
    import requests

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "c360.cli", "sendgrid-webhook", "--port", str(port), *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url + "healthz", timeout=1)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("c360 sendgrid-webhook did not start") from None
                time.sleep(0.1)
        yield url, server
    finally:
        if server.poll() is None:
            server.terminate()
