"""Run the expectation suites of one layer as a Great Expectations checkpoint.

Flow of :func:`run_suites`:

1. open the warehouse **read-only** and measure every check of the layer with one set-based DuckDB query
   each (see :mod:`quality.kinds`); close it;
2. put the figures in a one-row pandas frame (one column per check) and run the layer's GX Checkpoint
   over it: one ExpectationSuite per suite of ``expectations.yml``, one ``ExpectColumnMaxToBeBetween`` per
   check, with the check's limits and ``meta.severity``; ``UpdateDataDocsAction`` renders Data Docs into
   ``<quality_dir>/data_docs``; the GX project (suites, checkpoints, validation results) lives in
   ``<quality_dir>/gx``;
3. reopen the warehouse read-only only if something failed, to fetch a few failing records per failed check.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import duckdb

from quality.config import Check, QualityConfig, load_config
from quality.data_docs import make_offline
from quality.kinds import Measurement
from quality.model import LAYERS, ExpectationOutcome, Layer
from quality.scope import load_time, scoped
from quality.sql import columns_of, one, table_ref

log = logging.getLogger(__name__)

DATASOURCE = "c360_quality_metrics"
DOCS_SITE = "c360"


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a short random suffix."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def connect_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    warehouse = Path(warehouse)
    if not warehouse.exists():
        raise FileNotFoundError(
            f"warehouse {warehouse} does not exist: run the pipeline first (`c360 run`/`make demo`) "
            f"or point C360_WAREHOUSE / --warehouse at an existing DuckDB file")
    from c360.settings import duckdb_config

    # the checks scan whole tables: bounded memory, spilling beyond it (C360_DUCKDB_MEMORY_LIMIT)
    con = duckdb.connect(str(warehouse), read_only=True, config=duckdb_config())
    con.execute("set TimeZone = 'UTC'")
    return con


def measure(con: duckdb.DuckDBPyConnection, checks: Iterable[Check]) -> dict[Check, Measurement]:
    """Measure checks; a check whose query fails (missing table or column) gets an error, never a crash.

    A table that may be absent (``Check.may_be_absent``: the raw tables) and does not exist has no rows
    yet: its checks get the kind's vacuous figure and pass, saying so, except freshness, which reports
    "no rows yet" at its own severity (a warning in the shipped config). A table that exists but is empty
    is measured as usual (every row-level figure is 0 there) and its outcomes say "no rows yet" too.
    """
    results: dict[Check, Measurement] = {}
    rows: dict[str, str | None] = {}  # table -> None (has rows), "is empty" or "does not exist"
    missing_tables: dict[str, str] = {}
    for check in checks:
        if check.may_be_absent:
            if check.table not in rows:
                rows[check.table] = _no_rows(con, check.table)
            if rows[check.table] == "does not exist":
                context = {"no_rows": rows[check.table]}
                results[check] = (Measurement(None, None, 0, context) if check.kind == "freshness" else
                                  Measurement(check.implementation.vacuous, 0, 0, context))
                continue
        if check.table in missing_tables and check.kind != "required_columns":
            results[check] = Measurement(None, error=missing_tables[check.table])
            continue
        column = check.params.get("column")
        if check.params.get("optional") and column and not _has_column(con, check.table, column):
            results[check] = Measurement(check.implementation.vacuous, 0, 0, {"absent": True})
            continue
        try:
            m = check.implementation.measure(con, check)
        except duckdb.Error as exc:
            m = Measurement(None, error=f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
        if check.kind == "required_columns" and not m.context.get("table_exists", True):
            missing_tables[check.table] = f"table {check.table} does not exist"
        if rows.get(check.table):
            m.context["no_rows"] = rows[check.table]
        results[check] = m
    return results


def _no_rows(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """None when the table has rows, else why not: "is empty" or "does not exist"."""
    if not columns_of(con, table):
        return "does not exist"
    return None if one(con, f"select exists(select 1 from {table_ref(table)})")[0] else "is empty"


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return column in columns_of(con, table)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if value != value else value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


# ---------------------------------------------------------------------------------------------- GX project


def gx_context(quality_dir: Path):
    """The GX project of c360, kept in ``<quality_dir>/gx`` (suites, checkpoints, validation results) with its
    Data Docs site in ``<quality_dir>/data_docs``.

    An ephemeral context over filesystem stores: the stores persist like a file context's, but the
    configuration comes from code, so nothing reloads great_expectations.yml on every lookup (3x faster)
    and the analytics (network) and progress bars stay off.
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        FilesystemStoreBackendDefaults,
        ProgressBarsConfig,
    )

    quality_dir = Path(quality_dir).resolve()
    (quality_dir / "gx").mkdir(parents=True, exist_ok=True)
    config = DataContextConfig(
        store_backend_defaults=FilesystemStoreBackendDefaults(root_directory=str(quality_dir / "gx")),
        data_docs_sites={DOCS_SITE: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(quality_dir / "data_docs")},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }},
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _expectation(check: Check):
    import great_expectations.expectations as gxe

    lo, hi = check.implementation.bounds(check)
    return gxe.ExpectColumnMaxToBeBetween(
        column=check.metric_column,
        min_value=lo,
        max_value=hi,
        description=f"{check.table}: {check.implementation.rule(check)}",
        meta={
            "severity": check.severity,
            "table": check.table,
            "column": check.column,
            "kind": check.kind,
            "expectation": check.expectation,
            "threshold": check.implementation.threshold(check),
        },
    )


def build_checkpoint(context, config: QualityConfig, layer: Layer, suites: list[str] | None = None):
    """(Re)declare the layer's suites, validation definitions and checkpoint from expectations.yml."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    datasource = context.data_sources.add_or_update_pandas(DATASOURCE)
    validation_definitions = []
    for suite_name in suites or config.suites(layer):
        try:
            asset = datasource.get_asset(suite_name)
        except LookupError:
            asset = datasource.add_dataframe_asset(suite_name)
        try:
            batch_definition = asset.get_batch_definition("metrics")
        except KeyError:
            batch_definition = asset.add_batch_definition_whole_dataframe("metrics")
        suite = gx.ExpectationSuite(
            name=suite_name,
            expectations=[_expectation(c) for c in config.checks if c.suite == suite_name],
            meta={"c360_config_version": config.version, "layer": layer},
        )
        # The YAML is the source of truth: replace the stored suite wholesale so removed checks disappear.
        if suite_name in {s.name for s in context.suites.all()}:
            context.suites.delete(suite_name)
        suite = context.suites.add(suite)
        validation_definitions.append(context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite)))
    return context.checkpoints.add_or_update(gx.Checkpoint(
        name=f"c360_{layer}",
        validation_definitions=validation_definitions,
        actions=[UpdateDataDocsAction(name="update_data_docs", site_names=[DOCS_SITE])],
        result_format={"result_format": "SUMMARY"},
    ))


# ---------------------------------------------------------------------------------------------- run


def run_suites(
    layer: Layer,
    warehouse: Path,
    run_id: str,
    *,
    quality_dir: Path | None = None,
    config: QualityConfig | None = None,
    suites: Iterable[str] | None = None,
) -> list[ExpectationOutcome]:
    """Validate one layer ("raw", "identity" or "marts") of the warehouse; returns one outcome per expectation.

    ``suites`` narrows the run to some suites of the layer (e.g. ``["raw_sales"]`` after only the sales
    source was loaded). Opens the warehouse read-only (twice, briefly). Does not store anything in the
    warehouse: pass the outcomes to :func:`quality.results.store_results`.
    """
    import pandas as pd
    from great_expectations.core.run_identifier import RunIdentifier

    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {', '.join(LAYERS)}, got {layer!r}")
    config = config or load_config()
    if quality_dir is None:
        from c360.settings import quality_dir as default_quality_dir

        quality_dir = default_quality_dir()
    quality_dir = Path(quality_dir)
    checks = config.for_layer(layer)
    if suites is not None:
        wanted = set(suites)
        unknown = wanted - set(config.suites(layer))
        if unknown:
            raise ValueError(f"no suite {', '.join(sorted(unknown))} in layer {layer} "
                             f"(suites: {', '.join(config.suites(layer))})")
        checks = [c for c in checks if c.suite in wanted]
    if not checks:
        return []

    con = connect_read_only(Path(warehouse))
    try:
        if layer == "raw":  # what is new since each check last passed (quality/scope.py)
            checks = scoped(con, checks, config.version)
        measurements = measure(con, checks)
    finally:
        con.close()

    frame = pd.DataFrame({c.metric_column: [float("nan") if measurements[c].observed is None
                                            else float(measurements[c].observed)] for c in checks})
    prune_history(quality_dir, config.keep_runs)
    context = gx_context(quality_dir)
    checkpoint = build_checkpoint(context, config, layer, list(dict.fromkeys(c.suite for c in checks)))
    checked_at = datetime.now(timezone.utc)
    result = checkpoint.run(batch_parameters={"dataframe": frame},
                            run_id=RunIdentifier(run_name=run_id, run_time=checked_at))
    make_offline(quality_dir / "data_docs")  # GX links its pages to CDNs: point them at vendored copies

    verdicts: dict[str, tuple[bool, str | None]] = {}
    for identifier, suite_result in result.run_results.items():
        docs = _docs_path(context, identifier, quality_dir)
        for r in suite_result.results:
            verdicts[r.expectation_config.kwargs["column"]] = (bool(r.success), docs)

    failed = [c for c in checks if not verdicts.get(c.metric_column, (False, None))[0]]
    examples: dict[Check, list[dict[str, Any]]] = {}
    # No examples where there was nothing to read (an error, or a table that does not exist yet).
    readable = [c for c in failed if measurements[c].error is None
                and measurements[c].context.get("no_rows") != "does not exist"]
    if readable:
        con = connect_read_only(Path(warehouse))
        try:
            for c in readable:
                try:
                    examples[c] = [_jsonable(row) for row in c.implementation.examples(con, c, measurements[c])]
                except duckdb.Error as exc:
                    log.warning("could not fetch examples for %s: %s", c.expectation, exc)
        finally:
            con.close()

    outcomes = []
    for c in checks:
        m = measurements[c]
        success, docs = verdicts.get(c.metric_column, (False, None))
        if m.error:
            description = f"Could not be checked: {m.error}."
        elif m.context.get("absent"):
            description = f"Nothing to check: no {c.label} was ever loaded into {c.table} (the column does not exist)."
        elif success and m.context.get("no_rows"):
            description = (f"No rows yet: {c.table} ({c.noun}) {m.context['no_rows']}, so there is nothing wrong "
                           f"to find (a source switched off or new, or nothing to quarantine).")
        elif success:
            description = c.implementation.success(c, m)
        else:
            description = c.implementation.failure(c, m)
        if c.params.get("scope") and not m.error:
            description += f" (Measured on the loads since {load_time(c.params['loads_after'])}, not yet passed.)"
        outcomes.append(ExpectationOutcome(
            run_id=run_id, layer=layer, suite=c.suite, expectation=c.expectation, kind=c.kind, table=c.table,
            column=c.column, severity=c.severity, success=success,
            observed_value=None if m.observed is None else float(m.observed),
            unexpected_count=None if m.unexpected is None else int(m.unexpected),
            element_count=None if m.elements is None else int(m.elements),
            threshold=c.implementation.threshold(c), rule=c.implementation.rule(c), description=description,
            examples=examples.get(c, []), error=m.error, docs_path=docs, checked_at=checked_at,
            config_version=config.version, loads_after=c.params.get("loads_after"),
            loads_through=c.params.get("loads_through"),
        ))
    return outcomes


def prune_history(quality_dir: Path, keep_runs: int) -> None:
    """Keep the newest `keep_runs` runs per suite in the GX validation store and in Data Docs."""
    import shutil

    for root in (Path(quality_dir) / "gx" / "uncommitted" / "validations", Path(quality_dir) / "data_docs" / "validations"):
        if not root.is_dir():
            continue
        for suite in (p for p in root.iterdir() if p.is_dir()):
            runs = sorted((p for p in suite.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
            for old in runs[: max(len(runs) - keep_runs + 1, 0)]:  # +1: room for the run about to be stored
                shutil.rmtree(old, ignore_errors=True)


def _docs_path(context, identifier, quality_dir: Path) -> str | None:
    """Path of the suite's Data Docs validation page, relative to the quality folder."""
    try:
        urls = context.get_docs_sites_urls(resource_identifier=identifier, site_name=DOCS_SITE)
    except Exception as exc:  # Data Docs are a convenience; never fail a validation over a link
        log.warning("no Data Docs link for %s: %s", identifier, exc)
        return None
    for entry in urls:
        url = entry.get("site_url") or ""
        if url.startswith("file://"):
            return os.path.relpath(url[len("file://"):], Path(quality_dir).resolve())
    return None
