"""The vendor schemas, declared once: the ``columns:`` (with ``data_type``) of each dbt source YAML.

``transform/models/staging/<source>/_<source>__sources.yml`` lists the vendor fields c360 uses with their types.
dbt reads it to stand in an empty typed table for a raw table that does not exist (macros/source_relation.sql);
the dlt sources read it here, as column hints, so that

* every declared column exists with its type even when no record ever carried a value (dlt creates no column for
  a field that is null everywhere: Zendesk users without any phone),
* every declared table and the ``quarantine`` table exist after a load even when no record arrived (dlt creates
  no table for a resource that yielded nothing): :func:`materialize_missing_tables` loads dlt's
  ``materialize_table_schema()`` marker for each of them.

Nested tables (``tickets__tags``) are left to dlt: it creates them as children of their parent when a list first
has items, and dbt's stand-in covers them until then.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import dlt
import yaml
from dlt.common.schema.typing import TColumnSchema

from c360.settings import TRANSFORM_DIR
from ingestion.quarantine import QUARANTINE_COLUMNS, QUARANTINE_TABLE

#: The dbt staging folder holding one ``_<source>__sources.yml`` per source.
STAGING_DIR: Path = TRANSFORM_DIR / "models" / "staging"

#: DuckDB type names used in the YAML -> dlt data types.
_DLT_TYPES: dict[str, TColumnSchema] = {
    "varchar": {"data_type": "text"},
    "text": {"data_type": "text"},
    "bigint": {"data_type": "bigint"},
    "integer": {"data_type": "bigint"},
    "double": {"data_type": "double"},
    "boolean": {"data_type": "bool"},
    "date": {"data_type": "date"},
    "timestamp with time zone": {"data_type": "timestamp", "timezone": True},
    "timestamptz": {"data_type": "timestamp", "timezone": True},
    "timestamp": {"data_type": "timestamp", "timezone": False},
    "json": {"data_type": "json"},
}


def _dlt_column(data_type: str) -> TColumnSchema:
    name = " ".join(data_type.lower().split())
    if name.startswith("decimal"):
        precision, _, scale = name[name.index("(") + 1 : name.rindex(")")].partition(",")
        return {"data_type": "decimal", "precision": int(precision), "scale": int(scale or 0)}
    if name not in _DLT_TYPES:
        raise ValueError(f"data_type {data_type!r} has no dlt equivalent (ingestion/vendor_schema.py _DLT_TYPES)")
    return dict(_DLT_TYPES[name])  # type: ignore[return-value]


@lru_cache(maxsize=None)
def declared_tables(source: str) -> dict[str, dict[str, TColumnSchema]]:
    """``{table: {column: dlt column schema}}`` of ``source`` as its dbt source YAML declares them."""
    path = STAGING_DIR / source / f"_{source}__sources.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables: dict[str, dict[str, TColumnSchema]] = {}
    for declared in document["sources"]:
        if declared["name"] != source:
            continue
        for table in declared.get("tables", []):
            tables[table["name"]] = {
                column["name"]: _dlt_column(column["data_type"])
                for column in table.get("columns", [])
                if column.get("data_type") and not column["name"].startswith("_dlt_")
            }
    return tables


def column_hints(source: str, table: str) -> dict[str, TColumnSchema]:
    """dlt ``columns=`` hints of one declared table (a fresh copy: dlt may change hints in place)."""
    return {name: dict(column) for name, column in declared_tables(source)[table].items()}  # type: ignore[misc]


def root_tables(source: str) -> dict[str, dict[str, TColumnSchema]]:
    """The declared top-level tables of ``source`` and its ``quarantine`` table, with their columns."""
    tables = {name: column_hints(source, name) for name in declared_tables(source) if "__" not in name}
    tables[QUARANTINE_TABLE] = {name: dict(column) for name, column in QUARANTINE_COLUMNS.items()}  # type: ignore[misc]
    return tables


def _existing_tables(pipeline: dlt.Pipeline) -> set[str]:
    with pipeline.sql_client() as client:
        rows = client.execute_sql(
            "select table_name from information_schema.tables where table_schema = %s", pipeline.dataset_name
        )
    return {row[0] for row in rows or []}


def materialize_missing_tables(pipeline: dlt.Pipeline, source: str) -> list[str]:
    """Creates, empty and typed, each declared table of ``source`` (and ``quarantine``) that its dataset lacks.

    Run after the source's load with the same pipeline. Returns the tables it created (usually none: only a source
    that has never had a record for a table, or never a bad record, needs it).
    """
    missing = {name: columns for name, columns in root_tables(source).items() if name not in _existing_tables(pipeline)}
    if not missing:
        return []

    @dlt.resource(name=f"{source}_declared_tables")
    def declared() -> Any:
        for table, columns in missing.items():
            # append: no row is written; the source's own resource sets its table's disposition when rows come
            hints = dlt.mark.make_hints(table_name=table, columns=columns, write_disposition="append")
            yield dlt.mark.with_hints(dlt.mark.materialize_table_schema(), hints, create_table_variant=True)

    # the same file format as the source's own load (Parquet into the lakehouse)
    pipeline.run(declared(), loader_file_format="parquet" if pipeline.destination.destination_name == "filesystem" else None)
    return list(missing)
