"""Every mart builds when a source is switched off or has no data, and when optional vendor fields never came.

A switched-off source never runs dlt, so its raw dataset does not exist; staging reads each raw table through
macros/source_relation.sql, which stands in an empty relation of the columns the source YAML declares, or adds a
typed NULL for a declared column the raw table lacks. Each case is a copy of the session's loaded warehouse with
raw data taken away, then the production `dbt build` of the whole project.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import sample_loader
from orchestration.constants import DBT_BUILD_ARGS

MARTS = (
    "customer_360", "identity_map", "customer_id_history", "customer_interactions", "customer_segments",
    "customer_value", "customer_satisfaction", "channel_preference", "retention_cohorts",
    "satisfaction_by_segment_month",
)
#: source -> a staging model reading it
STAGING = {"sales": "stg_sales__orders", "support": "stg_support__tickets", "email": "stg_email__events",
           "web": "stg_web__pages"}


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


@pytest.mark.parametrize("source", sorted(STAGING))
def test_marts_build_without_a_source(built, workspace: Path, source: str):
    warehouse = altered_copy(built, workspace, f"without-{source}", [f"drop schema raw_{source} cascade"])
    assert count(warehouse, f"staging.{STAGING[source]}") == 0
    for mart in MARTS:
        count(warehouse, f"marts.{mart}")  # exists
    # the other sources still make customers
    assert count(warehouse, "marts.customer_360") > 0
    if source == "sales":
        assert count(warehouse, "marts.customer_value where revenue > 0") == 0


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
