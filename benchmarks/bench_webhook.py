"""SendGrid Event Webhook receiver benchmark: signed batches POSTed over loopback to `c360 sendgrid-webhook`.

Starts the real command (uvicorn, its own process) on a free port with a fresh P-256 key and an empty
folder, then N client threads POST signed batches of E events each (a bounded loop: --batches in total).
Prints batches/s, events/s, latency percentiles and checks that every batch is on disk.

    python benchmarks/bench_webhook.py --batches 2000 --events 100 --threads 8
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "ingestion"))

from c360.settings import SOURCES  # noqa: E402
from ingestion.email.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER  # noqa: E402
from ingestion_testkit import webhook_process  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=2000, help="batches to POST in total")
    parser.add_argument("--events", type=int, default=100, help="events per batch")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the receiver")
    args = parser.parse_args()

    key = ec.generate_private_key(ec.SECP256R1())
    public = base64.b64encode(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
    now = int(time.time())
    bodies = []
    for b in range(args.batches):
        batch = [{"email": f"user{i}@example.com", "timestamp": now, "event": "delivered",
                  "sg_event_id": f"b{b}-e{i}", "sg_message_id": f"m{b}", "response": "250 OK"}
                 for i in range(args.events)]
        body = json.dumps(batch).encode()
        ts = str(now)
        signature = base64.b64encode(key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
        bodies.append((body, {SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: ts, "Content-Type": "application/json"}))

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, SOURCES["email"].env("webhook_public_key"): public, "PYTHONPATH": str(ROOT)}
        with webhook_process(env, "--bucket-url", tmp, "--workers", str(args.workers)) as (url, _):
            latencies: list[float] = []

            def post(chunk: list[tuple[bytes, dict[str, str]]]) -> list[int]:
                statuses = []
                with requests.Session() as session:
                    for body, headers in chunk:
                        started = time.perf_counter()
                        statuses.append(session.post(url, data=body, headers=headers, timeout=60).status_code)
                        latencies.append(time.perf_counter() - started)
                return statuses

            chunks = [bodies[i::args.threads] for i in range(args.threads)]
            started = time.perf_counter()
            with ThreadPoolExecutor(args.threads) as pool:
                statuses = [s for part in pool.map(post, chunks) for s in part]
            elapsed = time.perf_counter() - started
        files = [p for p in Path(tmp).rglob("*.json")]
        size = sum(len(b) for b, _ in bodies)
    assert statuses.count(204) == args.batches, f"non-204 answers: {sorted(set(statuses))}"
    assert len(files) == args.batches, f"{len(files)} files for {args.batches} batches"
    q = statistics.quantiles(latencies, n=100)
    print(f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
          f"receiver workers={args.workers}, client threads={args.threads}")
    print(f"{args.batches} signed batches x {args.events} events ({size / 1e6:.1f} MB) in {elapsed:.2f} s: "
          f"{args.batches / elapsed:,.0f} batches/s, {args.batches * args.events / elapsed:,.0f} events/s; "
          f"latency p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms; all {len(files)} files on disk")


if __name__ == "__main__":
    main()
