"""The one way the tests get sample systems (importable from every test folder: pytest's pythonpath).

:func:`generate_sample` writes one, :func:`sample_sources` serves it and points the sources at it. A generated
sample with a fixed reference date: the generator's time window otherwise ends on the day it runs,
and the tests assert exact counts and checksums that must not change with the calendar. The date lies in the
past, so increments never produce timestamps the loaders would call "in the future".
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

#: The reference date (end of batch 0) of every sample the tests generate.
REFERENCE_DATE = date(2026, 11, 1)


def generate_sample(out: Path, customers: int, seed: int, messiness: float = 1.0, increment: bool = False) -> dict:
    """``samples.generator.generate`` at :data:`REFERENCE_DATE` (an increment continues the folder's date)."""
    from samples.generator import generate

    return generate(out=Path(out), customers=customers, seed=seed, messiness=messiness, increment=increment,
                    reference_date=REFERENCE_DATE)


@contextmanager
def sample_sources(sample_dir: Path, monkeypatch: pytest.MonkeyPatch | None = None, **server_kwargs: Any) -> Iterator[Any]:
    """``samples.environment.serve_sample``: the sample's Zendesk API served, every source pointed at the sample.

    With ``monkeypatch`` the settings go through it, so a test that changes one of them afterwards is undone
    in the right order; ``server_kwargs`` (``api_token``, ``rate_limit``, ...) go to the server.
    """
    from samples.environment import serve_sample

    with serve_sample(sample_dir, env=monkeypatch, **server_kwargs) as served:
        yield served


#: The PostgreSQL server `make test` starts on loopback (scripts/install-system-deps.sh).
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://c360:c360@127.0.0.1:5432/c360_test"


@contextmanager
def postgres_schema(prefix: str) -> Iterator[tuple[str, str]]:
    """(URL whose search_path is a fresh schema, schema name); the schema is dropped afterwards.

    Fails (never skips) without a server: the PostgreSQL tests are part of the suite, not optional.
    """
    import uuid

    import sqlalchemy as sa

    url = os.environ.get("C360_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("select 1")).fetchall()
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {engine.url.render_as_string(hide_password=True)} ({exc.orig}). "
            "Start it with `bash scripts/install-system-deps.sh` (or `make test`), or point "
            "C360_TEST_POSTGRES_URL at a server.",
            pytrace=False,
        )
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    scoped = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False), schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
        engine.dispose()


def c360_paths(root: Path, sample_dir: Path) -> dict[str, str]:
    """Every c360 path setting inside ``root`` (the Spark lakehouse too), the sample at ``sample_dir``."""
    return {
        "C360_WAREHOUSE": str(root / "warehouse.duckdb"),
        "C360_PUBLISHED": str(root / "published.duckdb"),
        "C360_PUBLISHED_PARQUET_DIR": str(root / "published"),
        "C360_QUALITY_DIR": str(root / "quality"),
        "C360_SPARK_DIR": str(root / "lake"),
        "C360_SAMPLE_DIR": str(sample_dir),
        "C360_DAGSTER_HOME": str(root / "dagster"),
    }
