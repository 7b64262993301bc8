"""Tiny hand-made warehouses: the raw tables of a loaded warehouse, emptied, holding only the records a test writes.

The raw layout (every column dlt created) comes from the session's generated warehouse, so staging sees exactly
what a real load leaves; a test then inserts a handful of raw rows and runs the real dbt build.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import duckdb

import sample_loader

LOAD_ID = "1700000000.0"
DEFAULTS = {
    "raw_sales.customers": {"country": "US", "created_at": "2024-01-01 00:00:00+00", "updated_at": "2024-01-01 00:00:00+00"},
    "raw_support.users": {"role": "end-user", "created_at": "2024-01-01 00:00:00+00", "updated_at": "2024-01-01 00:00:00+00",
                          "locale": "en-US", "iana_time_zone": "America/New_York"},
    "raw_web.identifies": {"type": "identify", "timestamp": "2024-02-01 10:00:00+00", "received_at": "2024-02-01 10:00:01+00",
                           "original_timestamp": "2024-02-01 10:00:00+00", "sent_at": "2024-02-01 10:00:00+00"},
}


def warehouse(template: Path, dest: Path, rows: dict[str, list[dict]]) -> Path:
    """Copy ``template``'s raw tables into ``dest`` empty, then insert ``rows`` ({'raw_sales.customers': [...]})."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(dest))
    try:
        con.execute("attach ? as template (read_only)", [str(template)]).fetchall()
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables()"
            " where database_name = 'template' and schema_name like 'raw\\_%' escape '\\'"
        ).fetchall()
        for schema, table in tables:
            con.execute(f'create schema if not exists "{schema}"').fetchall()
            con.execute(f'create table "{schema}"."{table}" as select * from template."{schema}"."{table}" where false').fetchall()
        con.execute("detach template").fetchall()
        for table, records in rows.items():
            for record in records:
                full = {**DEFAULTS.get(table, {}), **record, "_dlt_id": uuid.uuid4().hex[:14]}
                if "__" not in table:  # a dlt child table (users__identities) carries its parent's, not a load id
                    full["_dlt_load_id"] = LOAD_ID
                if table == "raw_web.identifies":
                    full.setdefault("message_id", uuid.uuid4().hex)
                columns = ", ".join(f'"{c}"' for c in full)
                marks = ", ".join("?" for _ in full)
                con.execute(f"insert into {table} ({columns}) values ({marks})", list(full.values())).fetchall()
    finally:
        con.close()
    return dest


def build(warehouse_path: Path, target_path: Path, *extra: str, command: str = "build", full_refresh: bool = True) -> float:
    """The identity part of the project (staging -> identity_map / identity_links) on a hand-made warehouse."""
    args = [command, "--select", "+identity_map", "+identity_links", "+customer_id_history"]
    if command == "build":
        # unit tests need fixture columns a hand-made raw table may lack; the generated warehouse runs them
        args += ["--indirect-selection", "cautious", "--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    return sample_loader.dbt(warehouse_path, *args, *extra, target_path=target_path)


def customers(warehouse_path: Path) -> dict[str, str]:
    """'<source>:<id>' -> customer_id."""
    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        return {f"{s}:{r}": c for s, r, c in con.execute("select source, source_record_id, customer_id from marts.identity_map").fetchall()}
    finally:
        con.close()
