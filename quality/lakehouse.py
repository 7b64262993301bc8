"""The Spark engine's tables, readable by the quality checks and the publication (``C360_ENGINE=spark``).

The checks compute their figures in DuckDB (quality/suites.py; Great Expectations judges them) and the publication
copies the marts with DuckDB. On Spark the data lives in the lakehouse as Parquet: the raw tables dlt writes
(``<C360_SPARK_DIR>/raw/<dataset>/<table>/``) and the tables dbt-spark and the identity steps create in the Spark
warehouse folder (``<C360_SPARK_DIR>/warehouse/<schema>.db/<table>/``, Spark's layout of managed tables).
:func:`attach` makes each of them a view of the same name in the DuckDB warehouse file, which on Spark holds
only these views and the quality records (validation results, builds). So there is one definition of every
check and of the publication, and nothing is copied: the views read Spark's files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from quality.sql import q


def _tables(root: Path, schema_suffix: str = "") -> dict[tuple[str, str], Path]:
    """``(schema, table) -> folder`` for every folder two levels under ``root`` holding Parquet files."""
    found: dict[tuple[str, str], Path] = {}
    if not root.is_dir():
        return found
    for schema_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name.endswith(schema_suffix)):
        schema = schema_dir.name[: len(schema_dir.name) - len(schema_suffix)] if schema_suffix else schema_dir.name
        for table_dir in sorted(p for p in schema_dir.iterdir() if p.is_dir()):
            if next(table_dir.rglob("*.parquet"), None) is not None:
                found[(schema, table_dir.name)] = table_dir
    return found


def lakehouse_tables(spark_dir: Path) -> dict[tuple[str, str], Path]:
    """The raw tables dlt wrote and the tables of the Spark warehouse folder."""
    spark_dir = Path(spark_dir).resolve()
    return {**_tables(spark_dir / "raw"), **_tables(spark_dir / "warehouse", ".db")}


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def attach(warehouse: Path, spark_dir: Path) -> list[str]:
    """(Re)creates a view in ``warehouse`` (DuckDB) for every table of the lakehouse under ``spark_dir`` and drops
    views whose table is gone; returns the view names. Call it under the warehouse writer lock."""
    tables = lakehouse_tables(spark_dir)
    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        existing = {(s, t) for s, t in con.execute(
            "select schema_name, view_name from duckdb_views() where not internal and database_name = current_database()"
        ).fetchall()}
        for schema, table in sorted(existing - set(tables)):
            con.execute(f"drop view {q(schema)}.{q(table)}")
        for (schema, table), folder in tables.items():
            con.execute(f"create schema if not exists {q(schema)}")
            # union_by_name: dlt adds a column when a later load first carries a field, to its new files only
            con.execute(f"create or replace view {q(schema)}.{q(table)} as select * from read_parquet("
                        f"{_lit(folder / '**' / '*.parquet')}, union_by_name = true, hive_partitioning = true)")
    finally:
        con.close()
    return [f"{s}.{t}" for s, t in tables]


def attach_if_spark() -> None:
    """:func:`attach` for the configured warehouse when ``C360_ENGINE=spark``; nothing on DuckDB."""
    from c360.settings import engine, spark_dir, warehouse_path

    if engine() == "spark":
        attach(warehouse_path(), spark_dir())
