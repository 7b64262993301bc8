"""Generate sample source systems and load them into a warehouse with the real ingestion pipelines.

Shared by the transform tests and benchmarks/bench_transform.py. The support source is read from the shipped
Zendesk-compatible server on a free loopback port, as in production it is read from Zendesk.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[2]
TRANSFORM_DIR = REPO / "transform"


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of the block, restoring the previous values."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def generate(sample_dir: Path, customers: int, seed: int = 42, increment: bool = False, messiness: float = 1.0) -> dict:
    from ingestion.samples.generator import generate as _generate

    return _generate(out=Path(sample_dir), customers=customers, seed=seed, messiness=messiness, increment=increment)


def load(sample_dir: Path, warehouse: Path) -> None:
    """Load all four sources of ``sample_dir`` into ``warehouse`` (dlt state next to the warehouse)."""
    from ingestion import pipelines
    from ingestion.samples.zendesk_server import ZendeskServer

    token = secrets.token_hex(16)
    with ZendeskServer(Path(sample_dir) / "support", api_token=token, rate_limit=100_000) as server:
        with environment(
            C360_WAREHOUSE=str(warehouse),
            C360_SAMPLE_DIR=str(sample_dir),
            SOURCES__SUPPORT__BASE_URL=server.url,
            SOURCES__SUPPORT__API_TOKEN=token,
        ):
            pipelines.run(echo=False)


def dbt(warehouse: Path, *args: str) -> float:
    """Run a dbt command on ``warehouse`` in a subprocess (dbt keeps global state per process); returns seconds.

    Raises with dbt's output when the command fails.
    """
    env = {**os.environ, "C360_WAREHOUSE": str(Path(warehouse).resolve()), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", *args, "--project-dir", str(TRANSFORM_DIR), "--profiles-dir", str(TRANSFORM_DIR)],
        env=env,
        cwd=TRANSFORM_DIR,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-8000:]}\n{result.stderr[-4000:]}")
    return elapsed
