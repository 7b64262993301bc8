"""`c360 sendgrid-webhook` over real HTTP on loopback: signed batches land as files the email source loads.

The receiver runs in uvicorn (a thread of this process, an ephemeral port); the tests sign with a P-256 key
pair generated here, exactly as SendGrid signs (ECDSA/SHA-256 over timestamp + body, base64 DER).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest
import requests
import uvicorn
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ingestion import pipelines
from ingestion.email.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BatchStore,
    WebhookConfigError,
    create_app,
    load_public_key,
)
from ingestion_testkit import apply_test_settings, webhook_process

NOW = int(time.time())


class Signer:
    """A Signed Event Webhook key pair: SendGrid's side of the protocol."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_b64 = base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.private.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {SIGNATURE_HEADER: base64.b64encode(signature).decode(), TIMESTAMP_HEADER: ts,
                "Content-Type": "application/json"}


class Receiver:
    """The receiver app served by uvicorn on 127.0.0.1:<ephemeral port> in a background thread."""

    def __init__(self, bucket: Path, public_key: str | None) -> None:
        self.app = create_app(str(bucket), public_key)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/sendgrid/events"
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def events(prefix: str, n: int) -> list[dict[str, Any]]:
    kinds = ["processed", "delivered", "open", "click", "bounce", "group_unsubscribe"]
    out = []
    for i in range(n):
        event = {"email": f"{prefix}-{i}@example.com", "timestamp": NOW - 3600, "event": kinds[i % len(kinds)],
                 "sg_event_id": f"{prefix}-{i}", "sg_message_id": f"msg-{prefix}"}
        if event["event"] == "bounce":
            event.update(type="blocked", bounce_classification="Reputation", reason="421 try later")
        if event["event"] == "group_unsubscribe":
            event["asm_group_id"] = 42
        out.append(event)
    return out


@pytest.fixture
def email_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """An empty bucket folder the email source reads, and an isolated warehouse."""
    apply_test_settings(monkeypatch)
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    monkeypatch.setenv("SOURCES__EMAIL__BUCKET_URL", str(bucket))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv("SOURCES__EMAIL__WEBHOOK_PUBLIC_KEY", raising=False)
    return {"bucket": bucket, "warehouse": tmp_path / "warehouse.duckdb", "dlt": tmp_path / "dlt"}


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
def receiver(email_env: dict[str, Path], signer: Signer) -> Iterator[Receiver]:
    with Receiver(email_env["bucket"], signer.public_b64) as running:
        yield running


def load(env: dict[str, Path]) -> pipelines.IngestionReport:
    return pipelines.run(["email"], pipelines_dir=env["dlt"], echo=False)


def query(env: dict[str, Path], sql: str) -> list[tuple]:
    with duckdb.connect(str(env["warehouse"]), read_only=True) as con:
        return con.sql(sql).fetchall()


def batch_files(bucket: Path) -> list[Path]:
    return sorted(p for p in bucket.rglob("*.json") if "rejected" not in p.parts)


def test_signed_batch_lands_as_a_file_the_email_source_loads(
    email_env: dict[str, Path], receiver: Receiver, signer: Signer
) -> None:
    batch = events("signed", 6)
    body = json.dumps(batch).encode()
    response = requests.post(receiver.url, data=body, headers=signer.headers(body), timeout=10)
    assert response.status_code == 204, response.text
    files = batch_files(email_env["bucket"])
    assert len(files) == 1
    # the layout the source (and the generator) uses: YYYY/MM/DD/sendgrid-events-*.json, the body byte for byte
    assert files[0].relative_to(email_env["bucket"]).parts[:3] == tuple(time.strftime("%Y/%m/%d", time.gmtime()).split("/"))
    assert files[0].name.startswith("sendgrid-events-")
    assert files[0].read_bytes() == body
    assert not [p for p in email_env["bucket"].rglob("*") if p.is_file() and p.suffix != ".json"], "temp file left"

    load(email_env)
    rows = query(email_env, "select sg_event_id, event, type, bounce_classification, asm_group_id "
                            "from raw_email.events order by sg_event_id")
    assert [r[0] for r in rows] == sorted(e["sg_event_id"] for e in batch)
    by_id = {r[0]: r[1:] for r in rows}
    assert by_id["signed-4"] == ("bounce", "blocked", "Reputation", None)
    assert by_id["signed-5"] == ("group_unsubscribe", None, None, 42)


@pytest.mark.parametrize(
    "tamper",
    ["unsigned", "other_key", "body_changed", "timestamp_changed", "too_old", "future", "garbage_signature"],
)
def test_badly_signed_or_unsigned_requests_are_refused(
    email_env: dict[str, Path], receiver: Receiver, signer: Signer, tamper: str
) -> None:
    body = json.dumps(events(tamper, 3)).encode()
    headers = signer.headers(body)
    if tamper == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif tamper == "other_key":
        headers = Signer().headers(body)
    elif tamper == "body_changed":
        body = body.replace(b"example.com", b"example.org")
    elif tamper == "timestamp_changed":
        headers[TIMESTAMP_HEADER] = str(int(headers[TIMESTAMP_HEADER]) + 1)
    elif tamper == "too_old":
        headers = signer.headers(body, timestamp=int(time.time()) - 30 * 3600)
    elif tamper == "future":
        headers = signer.headers(body, timestamp=int(time.time()) + 3600)
    elif tamper == "garbage_signature":
        headers[SIGNATURE_HEADER] = "not base64!"
    response = requests.post(receiver.url, data=body, headers=headers, timeout=10)
    assert response.status_code == 403, response.text
    assert not any(p.is_file() for p in email_env["bucket"].rglob("*")), "a refused request wrote a file"


def test_concurrent_posts_lose_nothing(email_env: dict[str, Path], receiver: Receiver, signer: Signer) -> None:
    threads, per_thread, size = 20, 10, 5

    def post_all(t: int) -> list[int]:
        statuses = []
        with requests.Session() as session:
            for b in range(per_thread):
                body = json.dumps(events(f"t{t}-b{b}", size)).encode()
                statuses.append(session.post(receiver.url, data=body, headers=signer.headers(body), timeout=30).status_code)
        return statuses

    with ThreadPoolExecutor(threads) as pool:
        statuses = [s for result in pool.map(post_all, range(threads)) for s in result]
    assert statuses == [204] * threads * per_thread
    files = batch_files(email_env["bucket"])
    assert len({f.name for f in files}) == threads * per_thread  # unique names, one file per batch

    report = load(email_env)
    assert report is not None
    counts = query(email_env, "select count(*), count(distinct sg_event_id) from raw_email.events")[0]
    assert counts == (threads * per_thread * size,) * 2  # every event loaded exactly once


def test_malformed_body_is_kept_answered_400_and_quarantined(
    email_env: dict[str, Path], receiver: Receiver, signer: Signer
) -> None:
    bodies = [b'[{"email": "cut@example.com", "timestamp": 17', b'{"event": "not an array"}']
    for body in bodies:
        response = requests.post(receiver.url, data=body, headers=signer.headers(body), timeout=10)
        assert response.status_code == 400
    # SendGrid retries a 400: the same body is kept once
    retry = requests.post(receiver.url, data=bodies[0], headers=signer.headers(bodies[0]), timeout=10)
    assert retry.status_code == 400
    kept = sorted((email_env["bucket"] / "rejected").iterdir())
    assert sorted(p.read_bytes() for p in kept) == sorted(bodies)
    assert batch_files(email_env["bucket"]) == []

    load(email_env)
    reasons = query(email_env, "select reason from raw_email.quarantine order by reason")
    assert [r[0].split(":")[0] for r in reasons] == ["unparseable", "wrong_type"]


def test_without_a_key_unsigned_batches_are_accepted(email_env: dict[str, Path]) -> None:
    with Receiver(email_env["bucket"], None) as open_receiver:
        body = json.dumps(events("open", 2)).encode()
        assert requests.post(open_receiver.url, data=body, timeout=10).status_code == 204
        assert requests.post(open_receiver.url, data=b"[]", timeout=10).status_code == 204  # nothing to store
        health = requests.get(open_receiver.url.rsplit("/", 2)[0] + "/healthz", timeout=10)
        assert "accepted_batches=2" in health.text and "signed=no" in health.text
    assert [f.read_bytes() for f in batch_files(email_env["bucket"])] == [body]


def test_batch_names_sort_by_arrival_and_bucket_urls_work(tmp_path: Path) -> None:
    store = BatchStore(f"file://{tmp_path}")
    names = [store.write_batch(f'[{{"n": {i}}}]'.encode()) for i in range(50)]
    assert names == sorted(names) and len(set(names)) == 50
    memory = BatchStore(f"memory://c360-h3-test-{time.time_ns()}/sendgrid")
    name = memory.write_batch(b"[]")
    assert memory._fs.cat_file(f"{memory._root}/{name}") == b"[]"
    assert memory._fs.cat_file(f"{memory._root}/{memory.write_rejected(b'nope')}") == b"nope"
    assert not [p for p in memory._fs.find(memory._root) if p.endswith(".tmp")]


@pytest.mark.parametrize("bad", ["abc", base64.b64encode(b"not a key").decode(), "ZZZZ"])
def test_a_wrong_public_key_setting_names_the_setting(bad: str) -> None:
    with pytest.raises(WebhookConfigError, match="SOURCES__EMAIL__WEBHOOK_PUBLIC_KEY"):
        load_public_key(bad)


def test_a_key_of_another_curve_is_refused() -> None:
    der = ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(WebhookConfigError, match="P-256"):
        load_public_key(base64.b64encode(der).decode())


def test_the_c360_command_serves_and_a_wrong_key_fails_fast(email_env: dict[str, Path], signer: Signer) -> None:
    """`c360 sendgrid-webhook` as a deployment runs it: its own process, settings from the environment."""
    env = {**os.environ, "SOURCES__EMAIL__WEBHOOK_PUBLIC_KEY": "bm90IGEga2V5"}
    started = time.monotonic()
    bad = subprocess.run([sys.executable, "-m", "c360.cli", "sendgrid-webhook", "--port", "1"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and time.monotonic() - started < 30
    assert "SOURCES__EMAIL__WEBHOOK_PUBLIC_KEY" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1

    env["SOURCES__EMAIL__WEBHOOK_PUBLIC_KEY"] = signer.public_b64
    body = json.dumps(events("cli", 2)).encode()
    with webhook_process(env) as (url, server):
        assert requests.post(url, data=body, timeout=10).status_code == 403
        assert requests.post(url, data=body, headers=signer.headers(body), timeout=10).status_code == 204
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert [f.read_bytes() for f in batch_files(email_env["bucket"])] == [body]  # SOURCES__EMAIL__BUCKET_URL
    assert signer.public_b64 not in output
