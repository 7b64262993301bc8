"""Builds the one c360 Dagster code location (see orchestration/definitions.py).

A function rather than module-level objects so that tests and the CLI can build the definitions after
choosing their settings (warehouse path, sources).
"""

from __future__ import annotations

import dagster as dg
from dagster_dlt import DagsterDltResource

from orchestration.assets.ingestion import build_all_ingestion_assets
from orchestration.assets.quality import PUBLISHED_KEY, build_publication, build_quality_checks
from orchestration.assets.transform import build_dbt_assets, dbt_resource
from c360.settings import EVENT_SOURCES
from orchestration.constants import ingest_job_name
from orchestration.jobs import build_jobs, build_schedules
from orchestration.resources import WarehouseLock
from orchestration.sensors import all_sensors


def build_definitions() -> dg.Definitions:
    ingestion = build_all_ingestion_assets()
    # warehouse table -> the dlt asset writing it ("raw_web.tracks" -> ["raw_web", "events"])
    raw_tables = {
        table: key for assets in ingestion.values() for key, tables in assets.tables.items() for table in tables
    }
    dbt = build_dbt_assets(raw_tables)
    mart_keys = sorted((key for key in dbt.keys if key.path[0] == "marts"), key=lambda k: k.to_user_string())
    publication = build_publication(mart_keys)

    assets = [*(a.assets_def for a in ingestion.values()), dbt, publication]
    known_keys = {key for a in assets for key in a.keys}
    checks = build_quality_checks(raw_tables, known_keys)

    jobs = build_jobs()
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=list(jobs.values()),
        schedules=build_schedules(jobs),
        sensors=all_sensors({source: jobs[ingest_job_name(source)] for source in EVENT_SOURCES}),
        resources={
            "dlt": DagsterDltResource(),
            "dbt": dbt_resource(),
            "warehouse_lock": WarehouseLock(),
        },
    )


__all__ = ["PUBLISHED_KEY", "build_definitions"]
