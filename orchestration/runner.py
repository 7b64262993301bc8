"""Run a c360 Dagster job in this process (what `c360 run` and `c360 ingest` do), printing progress.

The job is the same one the schedules and the UI launch, run with the in-process executor. By default on an
ephemeral Dagster instance: a run of the full job records some 400 planned-asset and planned-check events
before its first step, which a persistent SQLite instance writes one by one (tens of seconds on a busy
disk). `--persist` records the run in DAGSTER_HOME (default data/dagster) so it shows up in `c360 ui`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from c360.settings import RAW_DATASETS, SOURCES, published_parquet_dir, published_path, quality_dir, warehouse_path
from c360 import settings
from c360.locks import WarehouseBusy, run_lock

INSTANCE_TEMPLATE = Path(__file__).with_name("dagster.yaml")

Echo = Callable[[str], None]


def prepare_dagster_home() -> Path:
    """DAGSTER_HOME with c360's dagster.yaml (copied there if it has none); sets the env var."""
    home = settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(INSTANCE_TEMPLATE, config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def persistent_instance() -> dg.DagsterInstance:
    prepare_dagster_home()
    return dg.DagsterInstance.get()


def _fmt_seconds(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds < 60 else f"{int(seconds // 60)}m{seconds % 60:04.1f}s"


def _meta_value(metadata: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in metadata:
            value = metadata[name]
            return getattr(value, "value", value)
    return None


@dataclass
class RunSummary:
    """What a run did, gathered from its event stream."""

    run_id: str
    job_name: str
    success: bool = False
    seconds: float = 0.0
    rows_loaded: dict[str, int] = field(default_factory=dict)  # "raw_sales.customers" -> rows
    rows_quarantined: dict[str, int] = field(default_factory=dict)  # source -> rows
    materialized: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: dict[str, list[str]] = field(default_factory=lambda: {"ERROR": [], "WARN": []})
    failed_steps: dict[str, str] = field(default_factory=dict)
    skipped_steps: list[str] = field(default_factory=list)
    published: bool | None = None
    publication_note: str | None = None
    customers: int | None = None
    log_path: Path | None = None
    persisted: bool = False
    alerted: bool = False

    def loaded_by_source(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for table, rows in self.rows_loaded.items():
            dataset = table.split(".", 1)[0]
            for source, name in RAW_DATASETS.items():
                if name == dataset:
                    totals[source] = totals.get(source, 0) + rows
        return totals


def _root_message(error: Any) -> str:
    """The innermost error's message: Dagster wraps user errors in DagsterExecutionStepExecutionError."""
    if error is None:
        return "failed"
    while getattr(error, "cause", None) is not None:
        error = error.cause
    lines = [line for line in (error.message or "").strip().splitlines() if line.strip()]
    return lines[0] if lines else (getattr(error, "cls_name", None) or "failed")


def _failure_message(event: Any) -> str:
    """The people-readable reason of a step failure: a dg.Failure's description (dbt's errors are one too),
    else the innermost error's first line."""
    data = event.step_failure_data
    user_failure = data.user_failure_data if data else None
    if user_failure is not None and user_failure.description:
        kept = [line for line in user_failure.description.strip().splitlines() if line.strip()][:6]
        return "\n  ".join(kept)
    return _root_message(data.error if data else None)


class ProgressPrinter:
    """Prints one line per step as the run goes, and each failed check; it records nothing (the summary is
    built from the run's result afterwards, see :func:`summarize`)."""

    def __init__(self, echo: Echo) -> None:
        self.echo = echo
        self.started: dict[str, float] = {}
        self.t0 = time.monotonic()

    def _stamp(self) -> str:
        return f"[{_fmt_seconds(time.monotonic() - self.t0):>7}]"

    def __call__(self, record: Any) -> None:
        try:
            self._handle(record)
        except Exception as exc:  # progress output must never break a run
            self.echo(f"(progress display error: {exc})")

    def _handle(self, record: Any) -> None:
        event = getattr(record, "dagster_event", None)
        if event is None:
            return
        kind = event.event_type
        step = event.step_key
        T = dg.DagsterEventType
        if kind == T.STEP_START:
            self.started[step] = time.monotonic()
            self.echo(f"{self._stamp()} > {step}")
        elif kind == T.STEP_SUCCESS:
            took = time.monotonic() - self.started.get(step, self.t0)
            self.echo(f"{self._stamp()} ok {step} ({_fmt_seconds(took)})")
        elif kind == T.STEP_FAILURE:
            self.echo(f"{self._stamp()} FAILED {step}: {_failure_message(event)}")
        elif kind == T.STEP_UP_FOR_RETRY:
            self.echo(f"{self._stamp()} retrying {step} (transient error; see the run log)")
        elif kind == T.STEP_SKIPPED:
            self.echo(f"{self._stamp()} skipped {step} (an upstream step or blocking check failed)")
        elif kind == T.ASSET_MATERIALIZATION:
            mat = event.step_materialization_data.materialization
            metadata = dict(mat.metadata or {})
            loaded = _meta_value(metadata, "rows_loaded")
            quarantined = _meta_value(metadata, "rows_quarantined")
            name = ".".join(mat.asset_key.path)
            if loaded is not None:
                extra = f", {int(quarantined):,} quarantined" if quarantined else ""
                self.echo(f"           {name}: {int(loaded):,} rows loaded{extra}")
            elif quarantined is not None:
                self.echo(f"           {name}: {int(quarantined):,} rows quarantined")
        elif kind == T.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                word = "critical" if (evaluation.severity.value if evaluation.severity else "ERROR") == "ERROR" else "warning"
                self.echo(f"           check {'.'.join(evaluation.asset_key.path)}:{evaluation.check_name} failed ({word})")


def summarize(summary: RunSummary, result: Any) -> RunSummary:
    """Fills ``summary`` from the run's result: rows per table, checks, failures, publication."""
    summary.success = result.success
    for event in result.get_step_failure_events():
        summary.failed_steps[event.step_key] = _failure_message(event)
    summary.skipped_steps = [e.step_key for e in result.get_step_skipped_events()]
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        name = ".".join(mat.asset_key.path)
        summary.materialized.append(name)
        metadata = dict(mat.metadata or {})
        loaded = _meta_value(metadata, "rows_loaded")
        quarantined = _meta_value(metadata, "rows_quarantined")
        if name.endswith(".quarantine"):
            dataset = mat.asset_key.path[0]
            source = next((s for s, d in RAW_DATASETS.items() if d == dataset), dataset)
            summary.rows_quarantined[source] = int(quarantined or 0)
        elif loaded is not None or quarantined is not None:
            summary.rows_loaded[name] = int(loaded or 0)
        elif mat.asset_key.path[0] == "published_marts" or _meta_value(metadata, "published") is not None:
            published = _meta_value(metadata, "published")
            summary.published = bool(published) if published is not None else True
            summary.publication_note = _meta_value(metadata, "reason")
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            summary.checks_passed += 1
            continue
        severity = evaluation.severity.value if evaluation.severity else "ERROR"
        label = f"{'.'.join(evaluation.asset_key.path)}:{evaluation.check_name}"
        summary.checks_failed.setdefault(severity, []).append(label)
    return summary


def _count_customers() -> int | None:
    """Customers in the published marts (read-only: the published file is for readers)."""
    import duckdb

    for path in (published_path(), warehouse_path()):
        if not path.exists():
            continue
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                return int(con.execute("select count(*) from marts.customer_360").fetchall()[0][0])
        except duckdb.Error:
            continue
    return None


@contextlib.contextmanager
def _dlt_log_to(stream: Any) -> Iterator[None]:
    """Send dlt's log (schema hints, warnings) to the run's log file instead of the terminal.

    dlt reuses the first handler it finds on its logger when it (re)initializes logging, so installing ours
    first is enough; the previous handlers come back afterwards.
    """
    dlt_logger = logging.getLogger("dlt")
    saved = dlt_logger.handlers[:]
    handler = logging.StreamHandler(stream)
    for old in saved:
        dlt_logger.removeHandler(old)
    dlt_logger.addHandler(handler)
    try:
        yield
    finally:
        dlt_logger.removeHandler(handler)
        for old in saved:
            dlt_logger.addHandler(old)


def run_job(
    job_name: str,
    *,
    instance: dg.DagsterInstance | None = None,
    echo: Echo | None = None,
    tags: dict[str, str] | None = None,
    persist: bool = False,
) -> RunSummary:
    """Execute `job_name` of the c360 definitions in this process and return its summary.

    What the steps print themselves (dbt's log lines) goes to a log file under DAGSTER_HOME/logs, so the
    terminal shows the progress lines only; the file is named in the summary.
    """
    from orchestration.build import build_definitions

    terminal = sys.stdout
    echo = echo or (lambda line: print(line, file=terminal, flush=True))
    try:
        defs = build_definitions()
        job = defs.resolve_job_def(job_name)
    except Exception as exc:  # loading the code location failed: say why without a Dagster traceback
        lines = [line for line in str(exc).strip().splitlines() if line.strip()][:12]
        raise DefinitionsError(
            "could not load the c360 Dagster definitions:\n  " + "\n  ".join(lines or [type(exc).__name__])
        ) from exc
    if instance is None:
        instance = persistent_instance() if persist else dg.DagsterInstance.ephemeral()
    run_id = str(uuid.uuid4())
    summary = RunSummary(run_id=run_id, job_name=job_name, persisted=not instance.is_ephemeral)
    summary.log_path = settings.dagster_home() / "logs" / f"{run_id}.log"
    summary.log_path.parent.mkdir(parents=True, exist_ok=True)
    instance.add_event_listener(run_id, ProgressPrinter(echo))
    echo(f"c360: running {job_name} (run {run_id[:8]}, warehouse {warehouse_path()})")
    started = time.monotonic()
    # One run at a time, end to end (c360/locks.py): an overlapping `c360 run` waits here, before its first
    # step, instead of interleaving its steps with this run's (its checks on this run's dbt build).
    with run_lock(say=echo):
        with open(summary.log_path, "w") as log, contextlib.redirect_stdout(log), _dlt_log_to(log):
            result = job.execute_in_process(
                instance=instance,
                run_id=run_id,
                raise_on_error=False,
                tags={"c360/launched_by": "c360 cli", **(tags or {})},
                # Dagster's own console log is for the UI (`c360 ui` shows this run's full log); here the
                # progress lines and the summary say what happened.
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
        summary.seconds = time.monotonic() - started
        summarize(summary, result)
        if job_name == "full_pipeline_job":
            summary.customers = _count_customers()
    if not summary.success:
        summary.alerted = _alert(summary)
    return summary


def _alert(summary: RunSummary) -> bool:
    """The same alert the run-failure sensor sends for daemon-launched runs: in-process runs (a `c360 run`
    from cron, say) are not seen by sensors."""
    from orchestration.sensors import alert_payload, post_alert

    message = "; ".join(m.splitlines()[0] for m in summary.failed_steps.values()) or "run failed"
    payload = alert_payload(summary.job_name, summary.run_id, list(summary.failed_steps), message,
                            {"c360/launched_by": "c360 cli"})
    logging.getLogger(__name__).error(payload["text"])
    return post_alert(payload)


def format_summary(summary: RunSummary) -> str:
    lines = ["", f"c360 {summary.job_name}: {'succeeded' if summary.success else 'FAILED'} "
                 f"in {_fmt_seconds(summary.seconds)} (run {summary.run_id})"]
    loaded = summary.loaded_by_source()
    off = [name for name, src in SOURCES.items() if not src.enabled()]
    if off:
        lines.append("  switched off (skipped): " + ", ".join(f"{n} ({SOURCES[n].env('enabled')}=false)" for n in off))
    sources = [s for s in RAW_DATASETS if s in loaded or s in summary.rows_quarantined]
    if sources:
        lines.append("  source    rows loaded  quarantined   (this run)")
        for source in sources:
            lines.append(f"  {source:<8} {loaded.get(source, 0):>12,} {summary.rows_quarantined.get(source, 0):>12,}")
    if summary.customers is not None:
        lines.append(f"  customers resolved: {summary.customers:,}")
    failed_critical = summary.checks_failed.get("ERROR", [])
    failed_warning = summary.checks_failed.get("WARN", [])
    total_checks = summary.checks_passed + len(failed_critical) + len(failed_warning)
    if total_checks:
        status = "critical failures" if failed_critical else "warnings" if failed_warning else "all passed"
        lines.append(
            f"  quality: {status} ({summary.checks_passed} passed, {len(failed_critical)} critical and "
            f"{len(failed_warning)} warning checks failed)"
        )
        for label in failed_critical[:10]:
            lines.append(f"    critical: {label}")
    report = quality_dir() / "index.html"
    if report.exists():
        lines.append(f"  steward report: {report}")
    if summary.published is not None:
        if summary.published:
            lines.append(f"  published marts: {published_path()} and {published_parquet_dir()}/")
        else:
            lines.append(f"  marts NOT published ({summary.publication_note or 'critical check failed'}); "
                         f"the last good publication stays at {published_path()}")
    elif summary.job_name == "full_pipeline_job":
        lines.append(f"  marts NOT published; the last good publication (if any) stays at {published_path()}")
    for step, message in summary.failed_steps.items():
        lines.append(f"  failed step {step}: {message}")
    if summary.alerted:
        lines.append("  alert sent to C360_ALERT_WEBHOOK_URL")
    if summary.log_path is not None:
        lines.append(f"  step output (dbt and dlt logs): {summary.log_path}")
    if summary.failed_steps and summary.persisted:
        lines.append(f"  the run's full Dagster log: `c360 ui` -> Runs -> {summary.run_id[:8]}")
    return "\n".join(lines)


class DefinitionsError(RuntimeError):
    """The c360 definitions could not be built (a bad setting, a dbt project that does not parse)."""


def main_run(job_name: str, echo: Echo | None = None, persist: bool = False) -> int:
    try:
        summary = run_job(job_name, echo=echo, persist=persist)
    except DefinitionsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except WarehouseBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = format_summary(summary)
    if echo is None:
        print(text, flush=True)
    else:
        echo(text)
    return 0 if summary.success else 1
