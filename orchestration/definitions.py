"""The c360 Dagster code location: `dagster dev -m orchestration.definitions` (or `c360 ui`).

Assets: the raw datasets (dlt, one multi-asset per source), the dbt models with their tests as asset checks,
the quality suites as asset checks, and the published marts. Jobs, schedules and sensors: orchestration/jobs.py
and orchestration/sensors.py.
"""

from orchestration.build import build_definitions

defs = build_definitions()
