"""Jobs and schedules: the full pipeline, per-source ingestion, and the event-file ingestion."""

from __future__ import annotations

import dagster as dg

from c360 import settings
from c360.settings import EVENT_SOURCES, RAW_DATASETS, SOURCES
from orchestration.constants import EVENTS_JOB, FULL_JOB, WAREHOUSE_RUN_TAG, ingest_job_name

_TAGS = {WAREHOUSE_RUN_TAG: "write"}


def build_jobs() -> dict[str, dg.UnresolvedAssetJobDefinition]:
    """The jobs. A switched-off source (SOURCES__<NAME>__ENABLED=false) is left out of the full and events
    jobs, and the job descriptions say so: downstream models treat it like a source with no rows."""
    off = [name for name, src in SOURCES.items() if not src.enabled()]
    full = dg.AssetSelection.all()
    if off:
        full = full - dg.AssetSelection.groups(*off)
    note = f" Switched off (skipped): {', '.join(off)}." if off else ""
    events_on = [s for s in EVENT_SOURCES if s not in off]
    jobs = {
        FULL_JOB: dg.define_asset_job(
            FULL_JOB,
            selection=full,
            tags=_TAGS,
            description=(
                "The whole c360 job: load the sources with dlt, check the raw data, dbt build (models + "
                "tests), check identities and marts, and publish the marts if no critical check failed." + note
            ),
        ),
        EVENTS_JOB: dg.define_asset_job(
            EVENTS_JOB,
            selection=dg.AssetSelection.groups(*events_on).without_checks() if events_on else dg.AssetSelection.keys(),
            tags=_TAGS,
            description="Loads new email (SendGrid) and web (Segment) event files into raw_email and raw_web." + note,
        ),
    }
    for source in RAW_DATASETS:
        jobs[ingest_job_name(source)] = dg.define_asset_job(
            ingest_job_name(source),
            selection=dg.AssetSelection.groups(source).without_checks(),
            tags=_TAGS,
            description=f"Loads the {source} source into {RAW_DATASETS[source]} (the quality suites run in {FULL_JOB}).",
        )
    return jobs


def _schedule(name: str, job: dg.UnresolvedAssetJobDefinition, cron: str, setting: str, description: str) -> dg.ScheduleDefinition:
    try:
        return dg.ScheduleDefinition(
            name=name,
            job=job,
            cron_schedule=cron,
            execution_timezone=settings.schedule_timezone(),
            default_status=dg.DefaultScheduleStatus.RUNNING,
            description=description,
        )
    except dg.DagsterInvalidDefinitionError as exc:
        raise ValueError(
            f"{setting}={cron!r} is not a valid schedule: use a 5-field cron string such as '0 2 * * *' "
            f"(and C360_SCHEDULE_TIMEZONE an IANA time zone such as 'UTC'); {exc}"
        ) from None


def build_schedules(jobs: dict[str, dg.UnresolvedAssetJobDefinition]) -> list[dg.ScheduleDefinition]:
    return [
        _schedule(
            "daily_full_pipeline", jobs[FULL_JOB], settings.full_schedule(), "C360_FULL_SCHEDULE",
            "The full pipeline, daily (C360_FULL_SCHEDULE, default 02:00 UTC).",
        ),
        _schedule(
            "hourly_events_ingestion", jobs[EVENTS_JOB], settings.events_schedule(), "C360_EVENTS_SCHEDULE",
            "Email and web event ingestion, hourly (C360_EVENTS_SCHEDULE, default on the hour).",
        ),
    ]
