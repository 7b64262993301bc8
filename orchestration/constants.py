"""Names shared by the c360 Dagster definitions."""

from __future__ import annotations

from c360.settings import SOURCE_NAMES

#: The concurrency pool of every step that opens the warehouse DuckDB file (one writer per file).
#: dagster.yaml limits it to one slot.
WAREHOUSE_POOL = "warehouse"

#: Run tag on every job: the run queue admits one run with it at a time (dagster.yaml tag_concurrency_limits).
WAREHOUSE_RUN_TAG = "c360/warehouse"

FULL_JOB = "full_pipeline_job"
EVENTS_JOB = "ingest_events_job"


def ingest_job_name(source: str) -> str:
    return f"ingest_{source}_job"


def job_names() -> list[str]:
    return [FULL_JOB, EVENTS_JOB, *(ingest_job_name(s) for s in SOURCE_NAMES)]


#: The production `dbt build`: seeds, models and data tests, no unit tests (dbt >= 1.9 flag). A unit test's fixture
#: takes its column types from the real input relation, so a deployment whose raw data lacks an optional vendor
#: field would fail the whole build on a fixture. Unit tests run in the test suite (tests/transform/test_dbt_unit_tests.py).
DBT_BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")
