"""One quality run end to end (validate, record, publish, report) and the `c360 quality` / `c360 publish` commands."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from quality.model import LAYERS, ExpectationOutcome, PublicationResult


@dataclass
class QualityRun:
    run_id: str
    outcomes: list[ExpectationOutcome]
    report: Path
    publication: PublicationResult | None = None
    critical_failures: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No critical expectation failed (and, when publishing was asked for, the marts were published)."""
        return not self.critical_failures and (self.publication is None or self.publication.published)


def run_quality(
    warehouse: Path | None = None,
    run_id: str | None = None,
    *,
    layers: tuple[str, ...] = LAYERS,
    quality_dir: Path | None = None,
    publish_marts: bool = False,
    published_path: Path | None = None,
    parquet_dir: Path | None = None,
) -> QualityRun:
    """Validate the given layers, store the outcomes, optionally publish, and write the steward report."""
    from c360 import settings
    from quality.publish import publish
    from quality.report import write_report
    from quality.results import store_results
    from quality.suites import new_run_id, run_suites

    warehouse = Path(warehouse or settings.warehouse_path())
    quality_dir = Path(quality_dir or settings.quality_dir())
    run_id = run_id or new_run_id()
    if settings.engine() == "spark":
        from quality.lakehouse import attach

        # the lakehouse's tables as views of the warehouse the checks and the publication read
        attach(warehouse, settings.spark_dir())
    outcomes: list[ExpectationOutcome] = []
    for layer in layers:
        outcomes.extend(run_suites(layer, warehouse, run_id, quality_dir=quality_dir))
    store_results(outcomes, warehouse)
    publication = None
    if publish_marts:
        publication = publish(warehouse, run_id, outcomes=outcomes, published_path=published_path,
                              parquet_dir=parquet_dir, require_layers=tuple(layers))
    report = write_report(run_id, warehouse=warehouse, quality_dir=quality_dir, outcomes=outcomes,
                          publication=publication)
    return QualityRun(run_id=run_id, outcomes=outcomes, report=report, publication=publication,
                      critical_failures=[o for o in outcomes if o.is_blocking])


def print_summary(run: QualityRun, warehouse: Path, out=None) -> None:
    out = out or sys.stdout
    print(f"c360 quality run {run.run_id} on {warehouse}", file=out)
    for layer in LAYERS:
        got = [o for o in run.outcomes if o.layer == layer]
        if got:
            failed_critical = sum(o.is_blocking for o in got)
            warnings = sum((not o.success) and o.severity == "warning" for o in got)
            print(f"  {layer:<9}{len(got):>4} checks: {sum(o.success for o in got)} passed, "
                  f"{failed_critical} critical failure(s), {warnings} warning(s)", file=out)
    for o in sorted((o for o in run.outcomes if not o.success), key=lambda o: (o.severity != "critical", o.layer)):
        print(f"{o.severity.upper():<9} {o.suite} / {o.expectation}: {o.description}", file=out)
    print(f"Report: {run.report}  (latest run: {run.report.parent.parent / 'index.html'})", file=out)
    if run.publication is not None:
        print(("Published: " if run.publication.published else "NOT published: ") + run.publication.reason, file=out)


def _warehouse(args: argparse.Namespace) -> Path | None:
    from c360 import settings

    path = Path(args.warehouse).expanduser().resolve() if getattr(args, "warehouse", None) else settings.warehouse_path()
    if not path.exists():
        print(f"error: warehouse {path} does not exist: run the pipeline first, or pass --warehouse / set "
              f"C360_WAREHOUSE to an existing DuckDB file", file=sys.stderr)
        return None
    return path


def cli_quality(args: argparse.Namespace) -> int:
    """`c360 quality`: 0 when no critical expectation failed, 1 when one did (or publishing was refused)."""
    from quality.config import ConfigError

    warehouse = _warehouse(args)
    if warehouse is None:
        return 2
    layers = tuple(dict.fromkeys(args.layer)) if args.layer else LAYERS
    from c360.locks import WarehouseBusy, run_lock, warehouse_writer

    def say(message: str) -> None:
        print(f"c360 quality: {message}", file=sys.stderr, flush=True)

    try:
        # a pipeline run's build, checks and publication are one unit: check what a finished run left, after it
        with run_lock(say=say, warehouse=warehouse), warehouse_writer(say=say, warehouse=warehouse):
            run = run_quality(warehouse, args.run_id, layers=layers,
                              quality_dir=Path(args.quality_dir) if args.quality_dir else None,
                              publish_marts=args.publish)
    except WarehouseBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except duckdb.IOException as exc:
        print(f"error: cannot open {warehouse}: {str(exc).splitlines()[0]} (is a pipeline run writing to it? "
              f"try again when it has finished)", file=sys.stderr)
        return 2
    print_summary(run, warehouse)
    return 0 if run.ok else 1


def cli_publish(args: argparse.Namespace) -> int:
    """`c360 publish`: publish the marts if the given (default: latest) quality run has no critical failure."""
    from quality.publish import publish
    from quality.results import latest_run_id

    warehouse = _warehouse(args)
    if warehouse is None:
        return 2
    run_id = args.run_id or latest_run_id(warehouse)
    if run_id is None:
        print("error: no quality run recorded in this warehouse: run `c360 quality` first", file=sys.stderr)
        return 2
    result = publish(warehouse, run_id)
    print(("Published: " if result.published else "NOT published: ") + result.reason)
    for table, count in result.row_counts.items():
        print(f"  {table:<32}{count:>12,} rows")
    return 0 if result.published else 1


def add_quality_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", help="warehouse DuckDB file (default: C360_WAREHOUSE or data/warehouse.duckdb)")
    p.add_argument("--layer", action="append", choices=LAYERS,
                   help="validate only this layer (repeatable; default: raw, identity and marts)")
    p.add_argument("--run-id", help="id to record the results under (default: a new time-based id)")
    p.add_argument("--quality-dir", help="where Data Docs and reports go (default: C360_QUALITY_DIR or data/quality)")
    p.add_argument("--publish", action="store_true",
                   help="publish the marts afterwards if no critical expectation failed")


def add_publish_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", help="warehouse DuckDB file (default: C360_WAREHOUSE or data/warehouse.duckdb)")
    p.add_argument("--run-id", help="the quality run that must have passed (default: the latest recorded run)")


def cli_main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m quality [quality|publish] ...``."""
    parser = argparse.ArgumentParser(prog="python -m quality", description="c360 data quality")
    sub = parser.add_subparsers(dest="command", required=True)
    add_quality_arguments(sub.add_parser("quality", help="run the expectation suites"))
    add_publish_arguments(sub.add_parser("publish", help="publish the marts if the run passed"))
    args = parser.parse_args(argv)
    return cli_quality(args) if args.command == "quality" else cli_publish(args)
