"""The sales DDL on a real PostgreSQL server (started by `make test`): same schema, same rows, upserts."""

from __future__ import annotations

import os
import sqlite3
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from samplekit import generate_sample, postgres_schema
from samples.sales_db import TABLES, copy_sales_db

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards. Fails (never skips) without a server."""
    with postgres_schema("c360_samples") as (url, _schema):
        yield url


def sqlite_rows(path: Path, table: str) -> dict[int, tuple]:
    con = sqlite3.connect(path)
    try:
        cols = [c.name for c in next(t for t in TABLES if t.name == table).columns]
        return {r[0]: r for r in con.execute(f"select {', '.join(cols)} from {table}").fetchall()}
    finally:
        con.close()


def test_sales_schema_and_rows_load_into_postgresql(tmp_path: Path, pg_url: str) -> None:
    out = tmp_path / "sample"
    generate_sample(out, 60, 11)
    sqlite_path = out / "sales.sqlite"

    counts = copy_sales_db(sqlite_path, pg_url)
    for table in ("customers", "orders", "order_items", "products"):
        assert counts[table] == len(sqlite_rows(sqlite_path, table)) > 0, table

    engine = sa.create_engine(pg_url)
    try:
        inspector = sa.inspect(engine)
        types = {c["name"]: c["type"] for c in inspector.get_columns("orders")}
        assert isinstance(types["total"], sa.Numeric) and types["total"].scale == 2
        assert isinstance(types["created_at"], sa.DateTime)
        assert isinstance(types["customer_id"], sa.Integer)
        assert isinstance({c["name"]: c["type"] for c in inspector.get_columns("customers")}["birth_date"], sa.Date)
        assert inspector.get_pk_constraint("order_items")["constrained_columns"] == ["id"]
        with engine.connect() as conn:
            pg_total = conn.execute(sa.text("select sum(total) from orders")).scalar_one()
            nulls = conn.execute(sa.text("select count(*) from orders where customer_id is null")).scalar_one()
        sqlite_total = sum(Decimal(str(r[6])) for r in sqlite_rows(sqlite_path, "orders").values())
        assert pg_total == sqlite_total.quantize(Decimal("0.01"))
        assert nulls >= 1  # the malformed order without a customer made it across as it is

        # idempotent, and an increment's updates replace rows in place
        assert copy_sales_db(sqlite_path, pg_url) == counts
        generate_sample(out, 60, 11, increment=True)
        counts2 = copy_sales_db(sqlite_path, pg_url)
        with engine.connect() as conn:
            for table in ("customers", "orders", "order_items"):
                n = conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()
                assert n == counts2[table] == len(sqlite_rows(sqlite_path, table)) >= counts[table], table
            assert counts2["customers"] > counts["customers"] and counts2["orders"] > counts["orders"]
            latest = dict(conn.execute(sa.text("select id, updated_at from customers")).fetchall())
        for cid, row in sqlite_rows(sqlite_path, "customers").items():
            assert str(latest[cid]) == row[-1], cid
    finally:
        engine.dispose()


def test_missing_sqlite_file_is_named(tmp_path: Path, pg_url: str) -> None:
    with pytest.raises(FileNotFoundError, match="c360 generate"):
        copy_sales_db(tmp_path / "nope.sqlite", pg_url)
