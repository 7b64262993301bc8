"""Names shared by the c360 Dagster definitions."""

from __future__ import annotations

from pathlib import Path

#: The concurrency pool of every step that opens the warehouse DuckDB file (one writer per file).
#: dagster.yaml limits it to one slot.
WAREHOUSE_POOL = "warehouse"

#: Run tag on every job: the run queue admits one run with it at a time (dagster.yaml tag_concurrency_limits).
WAREHOUSE_RUN_TAG = "c360/warehouse"

#: The repository root (the package is installed editable from it).
REPO_ROOT = Path(__file__).resolve().parents[1]

#: The dbt project.
TRANSFORM_DIR = REPO_ROOT / "transform"

#: The sources (ingestion.warehouse.RAW_DATASETS keys), repeated here so the CLI can list jobs without
#: importing Dagster.
SOURCES = ("sales", "support", "email", "web")

FULL_JOB = "full_pipeline_job"
EVENTS_JOB = "ingest_events_job"
#: Sources whose files arrive all day long: ingested hourly and on file arrival.
EVENT_SOURCES = ("email", "web")


def ingest_job_name(source: str) -> str:
    return f"ingest_{source}_job"


def job_names() -> list[str]:
    return [FULL_JOB, EVENTS_JOB, *(ingest_job_name(s) for s in SOURCES)]
