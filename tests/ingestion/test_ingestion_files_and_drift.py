"""File sources and schema drift: late files, new fields, missing folders, the Dagster-facing factory."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
from datetime import datetime, timezone

import pytest

from ingestion.pipelines import MissingSettingError, make_pipeline, preflight, run_source, source_for
from c360.settings import RAW_DATASETS
from ingestion_testkit import IngestionEnv


def _sendgrid_event(event_id: str, **extra: object) -> dict:
    ts = int(datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp())
    return {"email": "late@example.com", "timestamp": ts, "event": "delivered", "sg_event_id": event_id,
            "sg_message_id": "m-late", "category": "newsletter", **extra}


def test_late_file_with_old_mtime_is_loaded(ingestion_env: IngestionEnv) -> None:
    env = ingestion_env
    run_source("email", pipelines_dir=env.pipelines_dir)
    before = env.count("email", "events")
    # a batch that arrives late and keeps its original (older) modification time, as rsync -a or cp -p do
    path = env.sample / "email" / "2026" / "07" / "05" / "sendgrid-events-20260705T000000Z-999.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([_sendgrid_event("late-1"), _sendgrid_event("late-2")]))
    old = datetime(2020, 1, 1, tzinfo=timezone.utc).timestamp()
    os.utime(path, (old, old))

    report = run_source("email", pipelines_dir=env.pipelines_dir)

    assert report.loaded["events"] == 2
    assert env.count("email", "events") == before + 2
    # category, a string here, arrives as a one-element list in the child table
    rows = env.query(
        "select c.value from raw_email.events e join raw_email.events__category c on c._dlt_parent_id = e._dlt_id "
        "where e.sg_event_id = 'late-1'"
    )
    assert rows == [("newsletter",)]


def test_redelivered_events_are_not_duplicated(ingestion_env: IngestionEnv) -> None:
    env = ingestion_env
    run_source("email", pipelines_dir=env.pipelines_dir)
    before = env.count("email", "events")
    before_categories = env.count("email", "events__category")
    existing = env.query("select sg_event_id from raw_email.events order by sg_event_id limit 3")
    path = env.sample / "email" / "2026" / "11" / "02" / "sendgrid-events-20261102T000000Z-000.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([_sendgrid_event(r[0]) for r in existing] + [_sendgrid_event("brand-new")]))

    run_source("email", pipelines_dir=env.pipelines_dir)

    assert env.count("email", "events") == before + 1
    assert env.count("email", "events__category") == before_categories + 1


def test_new_fields_evolve_the_raw_tables(ingestion_env: IngestionEnv) -> None:
    env = ingestion_env
    for source in ("email", "web", "support", "sales"):
        run_source(source, pipelines_dir=env.pipelines_dir)

    # email: a new top-level field
    path = env.sample / "email" / "2026" / "11" / "03" / "sendgrid-events-20261103T000000Z-000.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([_sendgrid_event("drift-1", sg_template_id="d-123")]))
    # web: a new nested context field
    seg = env.sample / "web" / "segment-logs" / "drift" / "1793664000000" / "1793664000001-drift.gz"
    seg.parent.mkdir(parents=True, exist_ok=True)
    event = {"type": "track", "event": "Drifted", "messageId": "drift-msg-1", "anonymousId": "anon-drift",
             "timestamp": "2026-11-03T10:00:00.000Z", "context": {"experiment": {"variant": "B"}}}
    seg.write_bytes(gzip.compress(json.dumps(event).encode() + b"\n"))
    # support: a user with a field Zendesk added
    users = env.sample / "support" / "users.jsonl"
    user = json.loads(users.read_text().splitlines()[0])
    user.update(id=990001, updated_at="2026-11-03T10:00:00Z", iana_time_zone="Europe/Berlin")
    with users.open("a") as fh:
        fh.write(json.dumps(user) + "\n")
    # sales: a column added to the order database
    with sqlite3.connect(env.sample / "sales.sqlite") as db:
        db.execute("alter table customers add column loyalty_tier text")
        db.execute("update customers set loyalty_tier = 'gold', updated_at = '2026-11-03 10:00:00.000000' where id = "
                   "(select min(id) from customers)")

    for source in ("email", "web", "support", "sales"):
        run_source(source, pipelines_dir=env.pipelines_dir)

    assert env.query("select sg_template_id from raw_email.events where sg_event_id = 'drift-1'") == [("d-123",)]
    assert env.query("select context__experiment__variant from raw_web.tracks where message_id = 'drift-msg-1'") == [("B",)]
    assert env.query("select iana_time_zone from raw_support.users where id = 990001") == [("Europe/Berlin",)]
    assert env.query("select count(*) from raw_sales.customers where loyalty_tier = 'gold'") == [(1,)]


def test_missing_folder_names_the_setting(ingestion_env: IngestionEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__WEB__BUCKET_URL", str(ingestion_env.sample / "no-such-folder"))
    with pytest.raises(MissingSettingError) as err:
        run_source("web", pipelines_dir=ingestion_env.pipelines_dir)
    assert "SOURCES__WEB__BUCKET_URL" in str(err.value)


def test_bucket_url_setting_is_used(ingestion_env: IngestionEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = ingestion_env.sample.parent / "elsewhere"
    (elsewhere / "2026" / "11" / "04").mkdir(parents=True)
    (elsewhere / "2026" / "11" / "04" / "sendgrid-events-x.json").write_text(json.dumps([_sendgrid_event("else-1")]))
    monkeypatch.setenv("SOURCES__EMAIL__BUCKET_URL", elsewhere.as_uri())
    preflight("email")
    report = run_source("email", pipelines_dir=ingestion_env.pipelines_dir)
    assert report.loaded == {"events": 1, "events__category": 1}


def test_factory_matches_the_contract(ingestion_env: IngestionEnv) -> None:
    for source in ("sales", "support", "email", "web"):
        pipeline = make_pipeline(source, pipelines_dir=ingestion_env.pipelines_dir)
        assert pipeline.pipeline_name == f"c360_{source}"
        assert pipeline.dataset_name == RAW_DATASETS[source]
        assert pipeline.destination.destination_name == "duckdb"
        assert source_for(source).name == source
    assert set(source_for("sales").resources) == {"products", "customers", "orders", "order_items"}
    assert set(source_for("email").resources) == {"events"}
    with pytest.raises(ValueError, match="sales, support, email, web"):
        source_for("crm")
