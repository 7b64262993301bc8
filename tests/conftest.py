"""Fixtures shared by several parts of the test suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

#: What `make test` starts (scripts/install-system-deps.sh); C360_TEST_POSTGRES_URL overrides it.
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://c360:c360@127.0.0.1:5432/c360_test"


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """(URL whose search_path is a fresh schema, schema name); the schema is dropped afterwards.

    Fails (never skips) when the server is not reachable: the sales source must load from real PostgreSQL.
    """
    engine = sa.create_engine(os.environ.get("C360_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
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
    schema = f"c360_test_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.execute(sa.text(f'create schema "{schema}"'))
    scoped = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False), schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
        engine.dispose()
