"""Orchestration settings: the one place that reads the environment for schedules, alerts and Dagster.

Paths of the data itself (warehouse, published file, quality reports, sample) live in `ingestion.warehouse`;
source settings (SOURCES__*) are read by dlt. Everything here has a default, so nothing must be set to run.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable -> default.
DEFAULTS: dict[str, str] = {
    # Daily full pipeline (ingest all sources, dbt build, quality, publish). 02:00 by default.
    "C360_FULL_SCHEDULE": "0 2 * * *",
    # Email and web event ingestion: their files arrive all day long.
    "C360_EVENTS_SCHEDULE": "0 * * * *",
    # Time zone the cron strings are read in.
    "C360_SCHEDULE_TIMEZONE": "UTC",
    # Where a failed run is POSTed as JSON. Empty = the alert is only logged.
    "C360_ALERT_WEBHOOK_URL": "",
    # Retries of an ingestion step after a transient source error, and the first delay in seconds
    # (doubled on each retry: 15 s, 30 s, 60 s by default).
    "C360_INGESTION_MAX_RETRIES": "3",
    "C360_INGESTION_RETRY_DELAY": "15",
    # Seconds a writing step waits for the warehouse lock before it gives up.
    "C360_WAREHOUSE_LOCK_TIMEOUT": "3600",
    # Seconds between two evaluations of the file-arrival sensors.
    "C360_SENSOR_INTERVAL": "60",
    # Dagster's own state (run history, schedules, sensor cursors) for `c360 run` and `c360 ui`.
    "C360_DAGSTER_HOME": "data/dagster",
}


def _get(name: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else DEFAULTS[name]


def full_schedule() -> str:
    """Cron string of the daily full-pipeline schedule (C360_FULL_SCHEDULE)."""
    return _get("C360_FULL_SCHEDULE")


def events_schedule() -> str:
    """Cron string of the email + web ingestion schedule (C360_EVENTS_SCHEDULE)."""
    return _get("C360_EVENTS_SCHEDULE")


def schedule_timezone() -> str:
    """IANA time zone the schedules run in (C360_SCHEDULE_TIMEZONE)."""
    return _get("C360_SCHEDULE_TIMEZONE")


def alert_webhook_url() -> str | None:
    """URL a run failure is POSTed to (C360_ALERT_WEBHOOK_URL); None = log only."""
    return os.environ.get("C360_ALERT_WEBHOOK_URL") or None


def warehouse_lock_timeout() -> float:
    """Seconds to wait for the warehouse writer lock (C360_WAREHOUSE_LOCK_TIMEOUT)."""
    text = _get("C360_WAREHOUSE_LOCK_TIMEOUT")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"C360_WAREHOUSE_LOCK_TIMEOUT must be a number of seconds, got {text!r}") from None


def _number(name: str, kind: type) -> float | int:
    text = _get(name)
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{name} must be a {'whole ' if kind is int else ''}number, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {text!r}")
    return value


def ingestion_max_retries() -> int:
    """Retries of an ingestion step after a transient error (C360_INGESTION_MAX_RETRIES)."""
    return int(_number("C360_INGESTION_MAX_RETRIES", int))


def ingestion_retry_delay() -> float:
    """Seconds before the first retry, doubled on each further one (C360_INGESTION_RETRY_DELAY)."""
    return float(_number("C360_INGESTION_RETRY_DELAY", float))


def sensor_interval() -> int:
    """Seconds between file-arrival sensor evaluations (C360_SENSOR_INTERVAL)."""
    text = _get("C360_SENSOR_INTERVAL")
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"C360_SENSOR_INTERVAL must be a whole number of seconds, got {text!r}") from None


def dagster_home() -> Path:
    """DAGSTER_HOME for `c360 run` / `c360 ui`: an explicit DAGSTER_HOME wins, then C360_DAGSTER_HOME."""
    explicit = os.environ.get("DAGSTER_HOME")
    return Path(explicit or _get("C360_DAGSTER_HOME")).expanduser().resolve()
