"""The sample sales (order) database: one schema definition for SQLite and PostgreSQL.

The generator writes ``sales.sqlite`` with these tables; :func:`copy_sales_db` creates the same schema on
any SQLAlchemy URL (PostgreSQL in the tests) and upserts every row, so the dlt ``sql_database`` source can
be exercised against a real server. Timestamps are UTC, stored without a time zone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

metadata = sa.MetaData()

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("price", sa.Numeric(12, 2), nullable=False),
    sa.Column("cost", sa.Numeric(12, 2), nullable=False),
    sa.Column("created_at", sa.TIMESTAMP, nullable=False),
    sa.Column("updated_at", sa.TIMESTAMP, nullable=False),
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("first_name", sa.Text),
    sa.Column("last_name", sa.Text),
    sa.Column("birth_date", sa.Date),
    sa.Column("gender", sa.Text),
    sa.Column("street", sa.Text),
    sa.Column("city", sa.Text),
    sa.Column("postal_code", sa.Text),
    sa.Column("country", sa.Text),
    sa.Column("created_at", sa.TIMESTAMP, nullable=False),
    sa.Column("updated_at", sa.TIMESTAMP, nullable=False),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    # Nullable on purpose: a real order system lets an order lose its customer (the generator's missing_key case).
    sa.Column("customer_id", sa.Integer),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("subtotal", sa.Numeric(12, 2), nullable=False),
    sa.Column("discount", sa.Numeric(12, 2), nullable=False),
    sa.Column("total", sa.Numeric(12, 2), nullable=False),
    sa.Column("created_at", sa.TIMESTAMP, nullable=False),
    sa.Column("updated_at", sa.TIMESTAMP, nullable=False),
)

order_items = sa.Table(
    "order_items",
    metadata,
    # A surrogate key: dlt merge (and any CDC tool) needs one primary key column per row.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("order_id", sa.Integer, nullable=False),
    sa.Column("product_id", sa.Integer, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
    sa.Column("unit_cost", sa.Numeric(12, 2), nullable=False),
    sa.Column("created_at", sa.TIMESTAMP, nullable=False),
    sa.Column("updated_at", sa.TIMESTAMP, nullable=False),
)

sa.Index("ix_orders_customer_id", orders.c.customer_id)
sa.Index("ix_orders_updated_at", orders.c.updated_at)
sa.Index("ix_customers_updated_at", customers.c.updated_at)
sa.Index("ix_order_items_order_id", order_items.c.order_id)
sa.Index("ix_order_items_updated_at", order_items.c.updated_at)

#: Tables in dependency order (parents first).
TABLES: tuple[sa.Table, ...] = (products, customers, orders, order_items)


def create_schema(url: str) -> sa.Engine:
    """Create the sales tables (if missing) at a SQLAlchemy URL and return the engine."""
    engine = sa.create_engine(url)
    # Table by table and indexes by name (not metadata.create_all, whose index order follows a set):
    # the same seed must give a byte-identical SQLite file.
    with engine.begin() as con:
        existing = set(sa.inspect(con).get_table_names())
        for table in TABLES:
            if table.name in existing:
                continue
            con.execute(sa.schema.CreateTable(table))
            for index in sorted(table.indexes, key=lambda ix: ix.name):
                con.execute(sa.schema.CreateIndex(index))
    return engine


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def _chunks(result: sa.CursorResult, size: int) -> Iterator[list[dict]]:
    while True:
        rows = result.mappings().fetchmany(size)
        if not rows:
            return
        yield [dict(r) for r in rows]


def copy_sales_db(sqlite_path: Path, target_url: str, chunk_size: int = 5000) -> dict[str, int]:
    """Create the sales schema at ``target_url`` and upsert every row of ``sqlite_path`` into it.

    Idempotent: rows are upserted by primary key, so copying again (e.g. after a generator increment)
    updates changed rows and adds new ones. Returns the number of rows copied per table.
    """
    sqlite_path = Path(sqlite_path)
    if not sqlite_path.exists():
        raise FileNotFoundError(f"sales database {sqlite_path} does not exist (run `c360 generate` first)")
    source = sa.create_engine(sqlite_url(sqlite_path))
    target = create_schema(target_url)
    counts: dict[str, int] = {}
    try:
        with source.connect() as src, target.begin() as dst:
            for table in TABLES:
                counts[table.name] = 0
                result = src.execute(sa.select(table).order_by(*table.primary_key.columns))
                for rows in _chunks(result, chunk_size):
                    dst.execute(_upsert(target.dialect.name, table, rows))
                    counts[table.name] += len(rows)
    finally:
        source.dispose()
        target.dispose()
    return counts


def _upsert(dialect: str, table: sa.Table, rows: list[dict]) -> sa.Executable:
    keys = [c.name for c in table.primary_key.columns]
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise ValueError(f"copy_sales_db supports postgresql and sqlite targets, not {dialect!r}")
    stmt = insert(table).values(rows)
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
    )
