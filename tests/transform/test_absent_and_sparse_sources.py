"""Every mart builds when optional vendor fields never came.

Staging reads each raw table through macros/source_relation.sql, which adds a typed NULL for a declared column
the raw table lacks (and stands in an empty relation for a raw table that does not exist: a switched-off source,
tests/orchestration/test_deployment_matrix.py runs the whole job with each source off once). The case is a copy
of the session's loaded warehouse with raw columns and tables taken away, then the production `dbt build`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

import sample_loader
from orchestration.constants import DBT_BUILD_ARGS

MARTS = (
    "customer_360", "identity_map", "customer_id_history", "customer_interactions", "customer_segments",
    "customer_value", "customer_satisfaction", "channel_preference", "retention_cohorts",
    "satisfaction_by_segment_month",
)


def altered_copy(built, workspace: Path, name: str, statements: list[str]) -> Path:
    root = workspace / name
    root.mkdir()
    warehouse = sample_loader.copy_warehouse(built.warehouse, root / "warehouse.duckdb")
    con = duckdb.connect(str(warehouse))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()
    sample_loader.dbt(warehouse, *DBT_BUILD_ARGS, target_path=root / "target")
    return warehouse


def count(warehouse: Path, relation: str) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(f"select count(*) from {relation}").fetchone()[0]
    finally:
        con.close()


def _optional_columns(built, schema: str, table: str, keep: set[str]) -> list[str]:
    rows = built.query(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [schema, table],
    )
    return [r[0] for r in rows if r[0] not in keep and not r[0].startswith("_dlt_")]


def test_marts_build_with_sparse_vendor_data(built, workspace: Path):
    """Zendesk users with no phone and no locale, tickets with no tags, no satisfaction ratings; SendGrid and
    Segment events with only the fields their specs require."""
    statements = [
        "alter table raw_support.users drop column phone",
        "alter table raw_support.users drop column locale",
        "drop table raw_support.tickets__tags",
        "drop table raw_support.satisfaction_ratings",
    ]
    required = {
        ("raw_email", "events"): {"sg_event_id", "email", "event", "timestamp"},
        ("raw_web", "identifies"): {"message_id", "type", "timestamp", "anonymous_id"},
        ("raw_web", "tracks"): {"message_id", "type", "timestamp", "anonymous_id", "event"},
        ("raw_web", "pages"): {"message_id", "type", "timestamp", "anonymous_id"},
    }
    for (schema, table), keep in required.items():
        for column in _optional_columns(built, schema, table, keep):
            statements.append(f'alter table {schema}.{table} drop column "{column}"')
    warehouse = altered_copy(built, workspace, "sparse", statements)
    assert count(warehouse, "staging.stg_support__users where phone is not null") == 0
    assert count(warehouse, "staging.stg_support__ticket_tags") == 0
    assert count(warehouse, "staging.stg_support__satisfaction_ratings") == 0
    assert count(warehouse, "marts.customer_satisfaction where rated_ticket_count > 0") == 0
    assert count(warehouse, "staging.stg_web__pages") == count(built.warehouse, "raw_web.pages")
    for mart in MARTS:
        count(warehouse, f"marts.{mart}")
    assert count(warehouse, "marts.customer_360") > 0
