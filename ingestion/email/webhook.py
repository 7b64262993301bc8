"""Receiver of SendGrid's Event Webhook: ``c360 sendgrid-webhook`` (Starlette app served by uvicorn).

SendGrid pushes events as HTTP POSTs whose body is a JSON array of events, and retries any non-2xx answer
for up to 24 hours. The receiver stores each accepted batch, byte for byte, as one file in the layout the
email source reads (``<bucket>/YYYY/MM/DD/sendgrid-events-<arrival>-<seq>-<random>.json``, the same layout
the generator writes), then answers 204. Parsing and validating single events stays the source's job
(it quarantines bad events with a reason); the receiver only decides whether a body is a batch at all.

* **Signed Event Webhook.** When ``SOURCES__EMAIL__WEBHOOK_PUBLIC_KEY`` is set (the base64 DER key SendGrid
  shows under Mail Settings), a request must carry ``X-Twilio-Email-Event-Webhook-Signature`` (base64 DER
  ECDSA signature) and ``X-Twilio-Email-Event-Webhook-Timestamp``; the signature must verify with P-256 and
  SHA-256 over ``timestamp + raw body``, and the timestamp must be neither older than
  :data:`WEBHOOK_MAX_AGE_SECONDS` nor ahead of the clock by more than :data:`WEBHOOK_MAX_SKEW_SECONDS`.
  Anything else is refused with 403 and nothing is written.
* **Nothing lost.** A body that is not a JSON array (cut off, not JSON, an object) is kept under
  ``<bucket>/rejected/`` (named by its SHA-256, so SendGrid's retries of it do not pile up) and answered 400;
  the email source reads that folder too and quarantines the body, so it is counted in the run report.
* **Atomic files.** A local folder gets a temporary dot-file, fsync, then ``os.replace``: the source never
  sees a half-written batch. An object store (``s3://``, ``gs://``, ``az://``...) gets one PUT, which is
  atomic there; any other fsspec filesystem gets a temporary name and a move.
* **Fast 2xx.** File writes run in Starlette's thread pool, so one slow write does not hold other requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from c360.settings import ConfigError, source
from ingestion.email.settings import (
    WEBHOOK_MAX_AGE_SECONDS,
    WEBHOOK_MAX_BODY_BYTES,
    WEBHOOK_MAX_SKEW_SECONDS,
    WEBHOOK_REJECTED_DIR,
)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
#: The settings (c360/settings.py registry) the receiver reads.
PUBLIC_KEY = source("email").setting("webhook_public_key")
BUCKET_URL = source("email").setting("bucket_url")
WEBHOOK_PUBLIC_KEY_SETTING = PUBLIC_KEY.env
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

#: fsspec protocols whose single PUT is atomic (an object appears whole or not at all).
OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "r2"})


class WebhookConfigError(ConfigError):
    """A receiver setting is wrong; the message names the setting (and never contains a secret)."""


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """The Signed Event Webhook verification key: base64 DER (SubjectPublicKeyInfo) as SendGrid shows it, or PEM."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode("".join(text.split()), validate=True))
    except (ValueError, binascii.Error, TypeError):
        raise WebhookConfigError(
            f"{WEBHOOK_PUBLIC_KEY_SETTING} is not a public key (expected the base64 verification key from "
            f"SendGrid's Mail Settings > Signed Event Webhook)"
        ) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise WebhookConfigError(f"{WEBHOOK_PUBLIC_KEY_SETTING} is not an ECDSA P-256 public key")
    return key


def signature_is_valid(key: ec.EllipticCurvePublicKey, signature: str, timestamp: str, body: bytes) -> bool:
    """SendGrid's scheme: ECDSA (P-256, SHA-256) over the timestamp header followed by the raw body."""
    try:
        key.verify(base64.b64decode(signature, validate=True), timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def configured_public_key() -> Optional[str]:
    """``SOURCES__EMAIL__WEBHOOK_PUBLIC_KEY`` / ``sources.email.webhook_public_key``, or None when unset."""
    value = PUBLIC_KEY.get()
    return str(value) if value else None


def configured_bucket_url() -> str:
    """The folder or bucket the email source reads (``SOURCES__EMAIL__BUCKET_URL``), so both sides agree."""
    value = BUCKET_URL.get()
    if not value:
        raise WebhookConfigError(f"no folder or bucket to write to: set {BUCKET_URL.where} or pass --bucket-url")
    return str(value)


class BatchStore:
    """Writes webhook bodies under a folder or fsspec bucket URL, atomically, with unique arrival-ordered names."""

    def __init__(self, bucket_url: str) -> None:
        self.bucket_url = bucket_url.rstrip("/")
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._local: Optional[Path] = None
        if "://" not in bucket_url or bucket_url.startswith("file://"):
            self._local = Path(bucket_url[len("file://"):] if bucket_url.startswith("file://") else bucket_url)
            self._local.mkdir(parents=True, exist_ok=True)
            self._fs: Any = None
        else:
            import fsspec

            self._fs, self._root = fsspec.core.url_to_fs(self.bucket_url)
            protocols = self._fs.protocol if isinstance(self._fs.protocol, tuple) else (self._fs.protocol,)
            self._atomic_put = bool(OBJECT_STORES.intersection(protocols))

    def _name(self) -> str:
        # Arrival time to the microsecond, then a per-process sequence (orders batches of the same microsecond),
        # then random bits (unique across worker processes and hosts writing to one bucket).
        with self._lock:
            seq = next(self._counter)
        now = time.time()
        tm = time.gmtime(now)
        stamp = time.strftime("%Y%m%dT%H%M%S", tm) + f".{int(now % 1 * 1_000_000):06d}Z"
        return f"{time.strftime('%Y/%m/%d', tm)}/sendgrid-events-{stamp}-{seq:09d}-{secrets.token_hex(4)}.json"

    def write_batch(self, body: bytes) -> str:
        """Stores an accepted batch; returns its path relative to the bucket."""
        relative = self._name()
        self._write(relative, body)
        return relative

    def write_rejected(self, body: bytes) -> str:
        """Keeps a body that is not a batch; the same body (a retry) is stored once."""
        relative = f"{WEBHOOK_REJECTED_DIR}/sendgrid-rejected-{hashlib.sha256(body).hexdigest()}.json"
        if not self._exists(relative):
            self._write(relative, body)
        return relative

    def _exists(self, relative: str) -> bool:
        if self._local is not None:
            return (self._local / relative).exists()
        return bool(self._fs.exists(f"{self._root}/{relative}"))

    def _write(self, relative: str, body: bytes) -> None:
        if self._local is not None:
            target = self._local / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            # a dot-name without .json: the source's **/*.json glob never lists a half-written file
            tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            return
        target = f"{self._root}/{relative}"
        if self._atomic_put:
            self._fs.pipe_file(target, body)
        else:
            tmp = f"{target}.{secrets.token_hex(4)}.tmp"
            self._fs.pipe_file(tmp, body)
            self._fs.mv(tmp, target)


@dataclass
class Counters:
    """What the receiver did since it started (``GET /healthz`` shows them)."""

    accepted_batches: int = 0
    rejected_bodies: int = 0
    refused_requests: int = 0


def create_app(
    bucket_url: str,
    public_key: Optional[str] = None,
    max_age_seconds: int = WEBHOOK_MAX_AGE_SECONDS,
    max_body_bytes: int = WEBHOOK_MAX_BODY_BYTES,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The ASGI app. ``public_key`` (base64 DER or PEM) switches signature verification on."""
    key = load_public_key(public_key) if public_key else None
    store = BatchStore(bucket_url)
    counters = Counters()

    def refuse(status: int, reason: str) -> Response:
        counters.refused_requests += 1
        return PlainTextResponse(reason + "\n", status_code=status)

    def check_signature(request: Request, body: bytes) -> Optional[Response]:
        if key is None:
            return None
        signature = request.headers.get(SIGNATURE_HEADER)
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        if not signature or not timestamp:
            return refuse(403, "missing Signed Event Webhook headers")
        try:
            sent_at = int(timestamp)
        except ValueError:
            return refuse(403, "bad signature timestamp")
        now = clock()
        if sent_at < now - max_age_seconds or sent_at > now + WEBHOOK_MAX_SKEW_SECONDS:
            return refuse(403, "signature timestamp outside the accepted window")
        if not signature_is_valid(key, signature, timestamp, body):
            return refuse(403, "bad signature")
        return None

    async def receive(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body_bytes:
            return refuse(413, "body too large")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_body_bytes:
                    return refuse(413, "body too large")
                chunks.append(chunk)
        except ClientDisconnect:
            return refuse(400, "client disconnected")
        body = b"".join(chunks)
        refused = check_signature(request, body)
        if refused is not None:
            return refused
        try:
            events = orjson.loads(body)
        except orjson.JSONDecodeError:
            events = None
        if not isinstance(events, list):
            await run_in_threadpool(store.write_rejected, body)
            counters.rejected_bodies += 1
            return PlainTextResponse("body is not a JSON array of events; kept for inspection\n", status_code=400)
        if events:
            await run_in_threadpool(store.write_batch, body)
        counters.accepted_batches += 1
        return Response(status_code=204)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse(
            f"ok accepted_batches={counters.accepted_batches} rejected_bodies={counters.rejected_bodies} "
            f"refused_requests={counters.refused_requests} signed={'yes' if key else 'no'}\n"
        )

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            # SendGrid posts to whatever URL is configured there: accept any path (handy behind a proxy prefix)
            Route("/{path:path}", receive, methods=["POST"]),
        ]
    )
    app.state.store = store
    app.state.counters = counters
    return app


def app_from_settings() -> Starlette:
    """The app as configured by the environment (uvicorn factory for ``--workers`` > 1)."""
    return create_app(configured_bucket_url(), configured_public_key())


def serve(host: str = "127.0.0.1", port: int = 8766, bucket_url: Optional[str] = None, workers: int = 1) -> None:
    """Runs the receiver with uvicorn until interrupted. Fails fast on a bad key setting."""
    import uvicorn

    key = configured_public_key()
    if key:
        load_public_key(key)  # a wrong key fails here, before the port opens
    if bucket_url:
        os.environ[BUCKET_URL.env] = bucket_url  # the uvicorn workers read the settings from the environment
    url = configured_bucket_url()
    print(
        f"SendGrid Event Webhook receiver on http://{host}:{port}/ -> {url} "
        f"(signature check {'on' if key else f'OFF: set {WEBHOOK_PUBLIC_KEY_SETTING}'})",
        flush=True,
    )
    uvicorn.run(
        "ingestion.email.webhook:app_from_settings",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )
