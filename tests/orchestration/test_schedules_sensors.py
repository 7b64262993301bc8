"""Schedules and sensors, evaluated with Dagster's test utilities against the real definitions."""

from __future__ import annotations

import gzip
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest

from orchestration.build import build_definitions


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions()


def _tick(sensor: dg.SensorDefinition, cursor: str | None, instance: dg.DagsterInstance):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, sensor_name=sensor.name)
    return sensor.evaluate_tick(context)


def _write(path: Path, content: bytes, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (mtime, mtime))


def test_email_sensor_requests_new_files_once(defs, tmp_path, monkeypatch):
    root = tmp_path / "email"
    root.mkdir()
    monkeypatch.setenv("SOURCES__EMAIL__BUCKET_URL", str(root))
    sensor = defs.get_sensor_def("email_new_files")
    assert sensor.job_name == "ingest_email_job"
    instance = dg.DagsterInstance.ephemeral()
    batch = json.dumps([{"email": "a@example.com", "timestamp": 1, "event": "open", "sg_event_id": "x"}]).encode()

    empty = _tick(sensor, None, instance)
    assert empty.run_requests == [] and empty.skip_message

    _write(root / "2024/01/01/sendgrid-events-20240101T000000Z-001.json", batch, 1_700_000_000)
    first = _tick(sensor, None, instance)
    assert len(first.run_requests) == 1
    assert first.run_requests[0].tags["c360/new_files"] == "1"
    cursor = first.cursor

    # the same file again: nothing to do
    again = _tick(sensor, cursor, instance)
    assert again.run_requests == []

    # a newer file: one request, for that file only
    _write(root / "2024/01/02/sendgrid-events-20240102T000000Z-001.json", batch, 1_700_000_100)
    second = _tick(sensor, cursor, instance)
    assert len(second.run_requests) == 1
    assert second.run_requests[0].tags["c360/new_files"] == "1"
    cursor = second.cursor

    # a late file with exactly the newest modification time is still new (names at that time are in the cursor)
    _write(root / "2024/01/02/sendgrid-events-20240102T000000Z-002.json", batch, 1_700_000_100)
    third = _tick(sensor, cursor, instance)
    assert len(third.run_requests) == 1
    assert third.run_requests[0].run_key != second.run_requests[0].run_key
    assert _tick(sensor, third.cursor, instance).run_requests == []

    # files the source does not load (not *.json) never trigger it
    _write(root / "2024/01/03/notes.txt", b"hello", 1_700_000_200)
    assert _tick(sensor, third.cursor, instance).run_requests == []


def test_web_sensor_watches_segment_log_files(defs, tmp_path, monkeypatch):
    root = tmp_path / "web"
    root.mkdir()
    monkeypatch.setenv("SOURCES__WEB__BUCKET_URL", str(root))
    sensor = defs.get_sensor_def("web_new_files")
    assert sensor.job_name == "ingest_web_job"
    instance = dg.DagsterInstance.ephemeral()
    line = json.dumps({"type": "track", "messageId": "m1", "anonymousId": "a", "event": "x",
                       "timestamp": "2024-01-01T00:00:00Z"}).encode()
    _write(root / "segment-logs/src/1704067200000/1704067260000-abc.gz", gzip.compress(line), 1_700_000_000)
    first = _tick(sensor, None, instance)
    assert len(first.run_requests) == 1
    assert _tick(sensor, first.cursor, instance).run_requests == []


def test_schedules_target_valid_jobs(defs):
    schedules = {s.name: s for s in defs.schedules}
    assert set(schedules) == {"daily_full_pipeline", "hourly_events_ingestion"}
    assert schedules["daily_full_pipeline"].job_name == "full_pipeline_job"
    assert schedules["hourly_events_ingestion"].job_name == "ingest_events_job"
    for schedule in schedules.values():
        context = dg.build_schedule_context(scheduled_execution_time=datetime(2024, 5, 1, 2, 0, tzinfo=timezone.utc))
        data = schedule.evaluate_tick(context)
        assert len(data.run_requests) == 1
        job = defs.resolve_job_def(schedule.job_name)
        assert dg.validate_run_config(job, data.run_requests[0].run_config) is not None
        assert job.tags["c360/warehouse"] == "write"


def test_events_job_selects_only_email_and_web(defs):
    job = defs.resolve_job_def("ingest_events_job")
    keys = {k for k in job.asset_layer.selected_asset_keys}
    assert keys and {k.path[0] for k in keys} == {"raw_email", "raw_web"}


def test_schedule_crons_come_from_settings(monkeypatch):
    monkeypatch.setenv("C360_FULL_SCHEDULE", "30 3 * * *")
    monkeypatch.setenv("C360_EVENTS_SCHEDULE", "*/15 * * * *")
    from orchestration.jobs import build_jobs, build_schedules

    schedules = {s.name: s for s in build_schedules(build_jobs())}
    assert schedules["daily_full_pipeline"].cron_schedule == "30 3 * * *"
    assert schedules["hourly_events_ingestion"].cron_schedule == "*/15 * * * *"

    monkeypatch.setenv("C360_FULL_SCHEDULE", "every day")
    with pytest.raises(ValueError, match="C360_FULL_SCHEDULE"):
        build_schedules(build_jobs())


@dg.op
def _broken_step():
    raise RuntimeError("the source answered HTTP 503")


@dg.job
def _failing_job():
    _broken_step()


def _failure_context(defs):
    instance = dg.DagsterInstance.ephemeral()
    result = _failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure(), result.run_id


def test_run_failure_alert_posts_to_webhook(defs, monkeypatch, webhook):
    monkeypatch.setenv("C360_ALERT_WEBHOOK_URL", webhook.url)
    sensor = defs.get_sensor_def("alert_on_run_failure")
    context, run_id = _failure_context(defs)
    sensor(context)
    assert len(webhook.received) == 1
    alert = webhook.received[0]
    assert alert["event"] == "c360.run_failure"
    assert alert["run_id"] == run_id
    assert alert["job"] == "_failing_job"
    assert alert["failed_steps"] == ["_broken_step"]
    assert run_id in alert["text"] and "_broken_step" in alert["text"]


def test_run_failure_alert_without_webhook_only_logs(defs, monkeypatch, caplog):
    monkeypatch.delenv("C360_ALERT_WEBHOOK_URL", raising=False)
    context, run_id = _failure_context(defs)
    with caplog.at_level("ERROR"):
        defs.get_sensor_def("alert_on_run_failure")(context)
    assert any(run_id in record.getMessage() for record in caplog.records)


def test_unreachable_webhook_does_not_break_the_sensor(defs, monkeypatch, caplog, webhook):
    url = webhook.url
    webhook.close()  # nothing listens there any more
    monkeypatch.setenv("C360_ALERT_WEBHOOK_URL", url)
    context, run_id = _failure_context(defs)
    with caplog.at_level("ERROR"):
        defs.get_sensor_def("alert_on_run_failure")(context)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert run_id in messages and "C360_ALERT_WEBHOOK_URL" in messages


def test_cli_names_a_bad_schedule_setting(monkeypatch, capsys):
    from c360.cli import main

    monkeypatch.setenv("C360_EVENTS_SCHEDULE", "every hour")
    assert main(["ingest", "--source", "email"]) == 2
    err = capsys.readouterr().err
    assert "C360_EVENTS_SCHEDULE='every hour'" in err and "Traceback" not in err
