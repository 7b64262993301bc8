"""Empty sources and fields that are null everywhere still give every declared raw table and column.

dlt creates no table for a resource that yielded nothing and no column for a field that is always null. The
vendor schemas declared in the dbt source YAML (ingestion/vendor_schema.py) become dlt column hints, and the
tables (and ``quarantine``) a load left out are materialized empty and typed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from c360.settings import RAW_DATASETS
from ingestion.vendor_schema import declared_tables
from ingestion_testkit import IngestionEnv, make_env
from samples.sales_db import create_schema, sqlite_url

SOURCES = ("sales", "support", "email", "web")


@pytest.fixture
def empty_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dlt_test_settings: None) -> Iterator[IngestionEnv]:
    """Source systems with nothing in them: an order database with its tables and no rows, a Zendesk account
    with no users, tickets or ratings, empty SendGrid and Segment buckets."""
    sample = tmp_path / "sample"
    for folder in ("support", "email", "web"):
        (sample / folder).mkdir(parents=True)
    create_schema(sqlite_url(sample / "sales.sqlite")).dispose()
    yield from make_env(sample, tmp_path, monkeypatch)


def columns(env: IngestionEnv, source: str, table: str) -> dict[str, str]:
    rows = env.query(
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{RAW_DATASETS[source]}' and table_name = '{table}'"
    )
    return {name: data_type for name, data_type in rows}


def test_empty_sources_give_every_declared_table_and_quarantine(empty_env: IngestionEnv):
    empty_env.run(list(SOURCES))
    for source in SOURCES:
        tables = empty_env.tables(source)
        declared = [t for t in declared_tables(source) if "__" not in t]
        assert declared, source
        for table in [*declared, "quarantine"]:
            assert table in tables, f"{source}: {table} missing after an empty load"
            assert empty_env.count(source, table) == 0
        for table in declared:
            present = columns(empty_env, source, table)
            for column in declared_tables(source)[table]:
                assert column in present, f"{source}.{table}.{column} missing"
    users = columns(empty_env, "support", "users")
    assert users["phone"] == "VARCHAR" and users["locale"] == "VARCHAR"
    assert users["updated_at"] == "TIMESTAMP WITH TIME ZONE"
    assert columns(empty_env, "web", "identifies")["traits__phone"] == "VARCHAR"
    assert columns(empty_env, "email", "events")["timestamp"] == "BIGINT"
    assert columns(empty_env, "sales", "quarantine")["payload"] == "VARCHAR"


def test_null_everywhere_fields_exist_and_later_records_merge(empty_env: IngestionEnv):
    """Zendesk users without any phone or locale, tickets without tags: the columns exist; records that come on
    a later run merge on id into the tables the empty run created."""
    empty_env.run(["support"])
    support = empty_env.sample / "support"
    user = {"id": 7, "name": "Ana Lima", "email": "ana@example.org", "role": "end-user",
            "created_at": "2024-01-02T10:00:00Z", "updated_at": "2024-01-02T10:00:00Z"}
    ticket = {"id": 70, "requester_id": 7, "status": "open", "subject": "Where is my order?",
              "created_at": "2024-01-03T10:00:00Z", "updated_at": "2024-01-03T10:00:00Z"}
    (support / "users.jsonl").write_text(json.dumps(user) + "\n")
    (support / "tickets.jsonl").write_text(json.dumps(ticket) + "\n")
    empty_env.run(["support"])
    users = columns(empty_env, "support", "users")
    assert {"phone", "locale", "external_id", "iana_time_zone"} <= set(users)
    assert empty_env.query("select id, phone, locale from raw_support.users") == [(7, None, None)]
    assert "tickets__tags" not in empty_env.tables("support")  # nested: dlt's, dbt stands in (source_relation)
    assert empty_env.count("support", "satisfaction_ratings") == 0
    # the same user updated: merged on id, not appended
    (support / "users.jsonl").write_text(json.dumps({**user, "phone": "+44 20 7946 0958",
                                                     "updated_at": "2024-02-01T10:00:00Z"}) + "\n")
    empty_env.run(["support"])
    assert empty_env.query("select id, phone from raw_support.users") == [(7, "+44 20 7946 0958")]
