"""Sensors: start ingestion when new event files land, and raise an alert when a run fails."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import dagster as dg
import requests

from c360 import settings
from c360.settings import EVENT_SOURCES, SOURCES

log = logging.getLogger(__name__)

def file_glob(source: str) -> str:
    """The glob the source itself loads (ingestion/<source>/settings.py)."""
    return __import__(f"ingestion.{source}.settings", fromlist=["FILE_GLOB"]).FILE_GLOB


def bucket_url(source: str) -> str:
    """The folder or bucket URL the source loads from (SOURCES__<SOURCE>__BUCKET_URL)."""
    setting = SOURCES[source].setting("bucket_url")
    value = setting.get()
    if value is None:
        raise FileNotFoundError(f"{setting.env} is not set")
    return str(value)


def list_files(source: str) -> dict[str, float]:
    """relative path -> modification time (epoch seconds) of every file the source would load.

    Listed through dlt's fsspec helpers, so local folders and bucket URLs (s3://, gs://, az://) both work,
    with the credentials dlt resolves for the source (sources.<source>.credentials).
    """
    import dlt
    from dlt.common.storages.configuration import FilesystemConfiguration
    from dlt.common.storages.fsspec_filesystem import fsspec_from_config, glob_files

    url = bucket_url(source)
    credentials = SOURCES[source].setting("credentials").get()
    config = FilesystemConfiguration(bucket_url=url, credentials=credentials)
    fs_client, _ = fsspec_from_config(config)
    files: dict[str, float] = {}
    for item in glob_files(fs_client, url, file_glob=file_glob(source)):
        modified = item["modification_date"]
        files[item["relative_path"]] = modified.timestamp() if isinstance(modified, datetime) else float(modified)
    return files


@dataclass
class FileCursor:
    """What a sensor has seen: the newest modification time, and the files seen at exactly that time.

    Files can share a modification time (coarse clocks, bulk copies), so the time alone would either skip a
    late file with the same time or re-request the ones already seen; the names at the newest time settle it.
    """

    mtime: float | None = None
    names: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, text: str | None) -> "FileCursor":
        if not text:
            return cls()
        data = json.loads(text)
        return cls(mtime=data.get("mtime"), names=set(data.get("names", [])))

    def dumps(self) -> str:
        return json.dumps({"mtime": self.mtime, "names": sorted(self.names)})

    def new_files(self, files: Mapping[str, float]) -> list[str]:
        if self.mtime is None:
            return sorted(files)
        return sorted(
            name for name, mtime in files.items()
            if mtime > self.mtime or (mtime == self.mtime and name not in self.names)
        )

    def advanced(self, files: Mapping[str, float]) -> "FileCursor":
        if not files:
            return self
        newest = max(files.values())
        if self.mtime is not None and newest < self.mtime:
            return self
        at_newest = {name for name, mtime in files.items() if mtime == newest}
        if newest == self.mtime:
            at_newest |= self.names
        return FileCursor(mtime=newest, names=at_newest)


def build_file_arrival_sensor(source: str, job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    """A sensor that requests `job` when files newer than its cursor appear in the source's folder."""

    @dg.sensor(
        name=f"{source}_new_files",
        job=job,
        minimum_interval_seconds=settings.sensor_interval(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"Starts {job.name} when new files land in the {source} folder ({SOURCES[source].env('bucket_url')}). "
            "The cursor keeps the newest modification time seen, so files already requested are not requested again."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        if not SOURCES[source].enabled():
            return dg.SkipReason(f"the {source} source is switched off ({SOURCES[source].env('enabled')}=false)")
        try:
            files = list_files(source)
        except FileNotFoundError as exc:
            return dg.SkipReason(f"the {source} folder does not exist yet ({exc})")
        cursor = FileCursor.parse(context.cursor)
        new = cursor.new_files(files)
        if not new:
            return dg.SkipReason(f"no new {source} files since the last run request")
        advanced = cursor.advanced(files)
        context.log.info(f"{len(new)} new {source} file(s), newest {new[-1]}")
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"{source}:{advanced.mtime}:{len(advanced.names)}:{len(new)}",
                    tags={"c360/trigger": f"{source}_new_files", "c360/new_files": str(len(new))},
                )
            ],
            cursor=advanced.dumps(),
        )

    return _sensor


def alert_payload(job: str, run_id: str, failed_steps: list[str], message: str, tags: Mapping[str, str]) -> dict:
    """The JSON a failed run is reported with, by the sensor (daemon runs) and by `c360 run` (in-process)."""
    text = f"c360: run {run_id} of job {job} failed"
    if failed_steps:
        text += f" in step(s) {', '.join(failed_steps)}"
    return {
        "event": "c360.run_failure",
        "job": job,
        "run_id": run_id,
        "failed_steps": list(failed_steps),
        "message": message,
        "tags": dict(tags),
        # Slack/Teams/Mattermost incoming webhooks display `text`
        "text": f"{text}: {message}",
    }


def _failure_payload(context: dg.RunFailureSensorContext) -> dict:
    run = context.dagster_run
    failed_steps = [event.step_key for event in context.get_step_failure_events() if event.step_key is not None]
    tags = {k: v for k, v in run.tags.items()
            if k.startswith("c360/") or k in ("dagster/schedule_name", "dagster/sensor_name")}
    return alert_payload(run.job_name, run.run_id, failed_steps, context.failure_event.message or "run failed", tags)


def post_alert(payload: Mapping, url: str | None = None, timeout: float = 10.0) -> bool:
    """POST an alert as JSON to C360_ALERT_WEBHOOK_URL (or `url`). Returns whether it was delivered."""
    url = url or settings.alert_webhook_url()
    if not url:
        return False
    try:
        response = requests.post(url, json=dict(payload), timeout=timeout)
        response.raise_for_status()
    except requests.RequestException as exc:
        # The alert is already in the log; a broken webhook must not hide it or fail the sensor.
        log.error("could not deliver the run-failure alert to C360_ALERT_WEBHOOK_URL: %s", exc)
        return False
    return True


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Logs every failed run and POSTs it as JSON to C360_ALERT_WEBHOOK_URL when that is set.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    payload = _failure_payload(context)
    context.log.error(payload["text"])
    log.error(payload["text"])
    if post_alert(payload):
        context.log.info("alert delivered to C360_ALERT_WEBHOOK_URL")


def all_sensors(jobs_by_source: Mapping[str, dg.UnresolvedAssetJobDefinition]) -> Iterable[dg.SensorDefinition]:
    return [*(build_file_arrival_sensor(s, jobs_by_source[s]) for s in EVENT_SOURCES), alert_on_run_failure]
