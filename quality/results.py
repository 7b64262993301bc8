"""The validation history in the warehouse: ``quality.validation_results``, one row per expectation per run.

A steward can follow trends with plain SQL, e.g.::

    select run_id, checked_at, observed_value
    from quality.validation_results
    where suite = 'raw_sales' and expectation = 'customers.email.pattern_share'
    order by checked_at;

The warehouse is opened read-write only for the insert and closed right after (DuckDB: one writer per file).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from quality.model import ExpectationOutcome

SCHEMA = "quality"
TABLE = "validation_results"

#: Column -> DuckDB type. The first seven are the contract (docs/contracts.md §4); the rest help stewards.
COLUMNS: dict[str, str] = {
    "run_id": "varchar not null",
    "suite": "varchar not null",
    "expectation": "varchar not null",
    "severity": "varchar not null",
    "success": "boolean not null",
    "observed_value": "double",
    "checked_at": "timestamptz not null",
    "layer": "varchar",
    "kind": "varchar",
    "table_name": "varchar",
    "column_name": "varchar",
    "unexpected_count": "bigint",
    "element_count": "bigint",
    "threshold": "varchar",
    "rule": "varchar",
    "description": "varchar",
    "examples": "json",
    "error": "varchar",
    "docs_path": "varchar",
    "config_version": "integer",
    "loads_after": "varchar",
    "loads_through": "varchar",
}


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    cols = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
    con.execute(f"create table if not exists {SCHEMA}.{TABLE} ({cols})")
    present = {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [SCHEMA, TABLE]).fetchall()}
    for name, kind in COLUMNS.items():
        if name not in present:  # a warehouse from an older version of this module
            con.execute(f"alter table {SCHEMA}.{TABLE} add column {name} {kind.replace(' not null', '')}")


def _row(o: ExpectationOutcome) -> dict[str, Any]:
    return {
        "run_id": o.run_id, "suite": o.suite, "expectation": o.expectation, "severity": o.severity,
        "success": o.success, "observed_value": o.observed_value,
        "checked_at": o.checked_at or datetime.now(timezone.utc), "layer": o.layer, "kind": o.kind,
        "table_name": o.table, "column_name": o.column, "unexpected_count": o.unexpected_count,
        "element_count": o.element_count, "threshold": o.threshold, "rule": o.rule,
        "description": o.description, "examples": json.dumps(o.examples, default=str), "error": o.error,
        "docs_path": o.docs_path, "config_version": o.config_version, "loads_after": o.loads_after,
        "loads_through": o.loads_through,
    }


def store_results(outcomes: list[ExpectationOutcome], warehouse: Path) -> int:
    """Append outcomes to quality.validation_results (created on first use); returns the rows written."""
    if not outcomes:
        return 0
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("set TimeZone = 'UTC'")
        ensure_table(con)
        names = list(COLUMNS)
        rows = [[_row(o)[name] for name in names] for o in outcomes]
        con.execute("begin")
        con.executemany(
            f"insert into {SCHEMA}.{TABLE} ({', '.join(names)}) values ({', '.join('?' for _ in names)})", rows)
        con.execute("commit")
    finally:
        con.close()
    return len(outcomes)


def _outcome(row: dict[str, Any]) -> ExpectationOutcome:
    examples = row.get("examples")
    return ExpectationOutcome(
        run_id=row["run_id"], layer=row.get("layer"), suite=row["suite"], expectation=row["expectation"],
        kind=row.get("kind"), table=row.get("table_name"), column=row.get("column_name"),
        severity=row["severity"], success=bool(row["success"]), observed_value=row.get("observed_value"),
        unexpected_count=row.get("unexpected_count"), element_count=row.get("element_count"),
        threshold=row.get("threshold") or "", rule=row.get("rule") or "", description=row.get("description") or "",
        examples=json.loads(examples) if examples else [], error=row.get("error"), docs_path=row.get("docs_path"),
        checked_at=row.get("checked_at"), config_version=row.get("config_version"),
        loads_after=row.get("loads_after"), loads_through=row.get("loads_through"),
    )


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [SCHEMA, TABLE]).fetchall()[0][0])


def load_results(warehouse: Path, run_id: str) -> list[ExpectationOutcome]:
    """The outcomes of one run; when an expectation was checked twice in the run, the latest counts."""
    from quality.suites import connect_read_only

    con = connect_read_only(Path(warehouse))
    try:
        if not _has_table(con):
            return []
        cur = con.execute(f"""
            select * from {SCHEMA}.{TABLE} where run_id = ?
            qualify row_number() over (partition by suite, expectation order by checked_at desc) = 1
            order by layer, suite, expectation""", [run_id])
        names = [d[0] for d in cur.description]
        return [_outcome(dict(zip(names, r))) for r in cur.fetchall()]
    finally:
        con.close()


def list_runs(warehouse: Path, limit: int = 50) -> list[dict[str, Any]]:
    """Recent runs, newest first: run_id, checked_at, expectations, failed, critical_failures, layers."""
    from quality.suites import connect_read_only

    con = connect_read_only(Path(warehouse))
    try:
        if not _has_table(con):
            return []
        cur = con.execute(f"""
            with latest as (
                select * from {SCHEMA}.{TABLE}
                qualify row_number() over (partition by run_id, suite, expectation order by checked_at desc) = 1)
            select run_id, max(checked_at) as checked_at, count(*) as expectations,
                   count(*) filter (where not success) as failed,
                   count(*) filter (where not success and severity = 'critical') as critical_failures,
                   string_agg(distinct layer, ', ' order by layer) as layers
            from latest group by run_id order by max(checked_at) desc limit ?""", [limit])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def latest_run_id(warehouse: Path) -> str | None:
    runs = list_runs(warehouse, limit=1)
    return runs[0]["run_id"] if runs else None
