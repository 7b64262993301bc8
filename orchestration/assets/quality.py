"""Great Expectations suites as Dagster asset checks, and the publication of the marts.

Each layer (raw, identity, marts) is one multi-asset check: it runs the layer's suites once (quality.suites)
and reports one asset check per expectation on the asset that holds the table. Critical expectations are
blocking ERROR checks: when one fails, Dagster does not run the assets downstream (a bad raw table stops
dbt; a bad mart stops publication). Warnings are WARN checks and never block.
"""


import re
from collections.abc import Iterator, Mapping

import dagster as dg

from c360.settings import export_environment, quality_dir, warehouse_path
from orchestration.constants import WAREHOUSE_POOL
from orchestration.resources import WarehouseLock
from quality.lakehouse import attach_if_spark

log = dg.get_dagster_logger()

PUBLISHED_KEY = dg.AssetKey(["published_marts"])


def check_name(expectation: str) -> str:
    """Dagster check names allow letters, digits and underscores: ``customers.email.pattern_share`` ->
    ``customers__email__pattern_share``."""
    return re.sub(r"[^A-Za-z0-9_]+", "__", expectation).strip("_")


def asset_key_for_table(table: str, table_keys: Mapping[str, dg.AssetKey]) -> dg.AssetKey:
    """The asset holding a warehouse table: the dlt asset for raw tables, ``[schema, table]`` for dbt models."""
    if table in table_keys:
        return table_keys[table]
    return dg.AssetKey(table.split("."))


def _severity(severity: str) -> dg.AssetCheckSeverity:
    return dg.AssetCheckSeverity.ERROR if severity == "critical" else dg.AssetCheckSeverity.WARN


def build_quality_checks(
    table_keys: Mapping[str, dg.AssetKey], known_keys: set[dg.AssetKey]
) -> list[dg.AssetChecksDefinition]:
    """One multi-asset check per quality layer, with one check spec per configured expectation."""
    from quality.config import load_config
    from quality.model import LAYERS

    config = load_config()
    definitions = []
    for layer in LAYERS:
        specs: dict[dg.AssetCheckKey, dg.AssetCheckSpec] = {}
        by_check_key: dict[dg.AssetCheckKey, object] = {}
        for check in config.for_layer(layer):
            key = asset_key_for_table(check.table, table_keys)
            if key not in known_keys:
                log.warning(f"quality check {check.suite}/{check.expectation}: no asset holds {check.table}; not wired")
                continue
            spec = dg.AssetCheckSpec(
                name=check_name(check.expectation),
                asset=key,
                blocking=check.severity == "critical",
                description=f"[{check.severity}] {check.suite}: {check.implementation.rule(check)}",
                metadata={"c360/suite": check.suite, "c360/severity": check.severity, "c360/table": check.table},
            )
            specs[spec.key] = spec
            by_check_key[spec.key] = check
        if specs:
            definitions.append(_layer_checks(layer, list(specs.values()), by_check_key, config))
    return definitions


def _layer_checks(layer: str, specs: list[dg.AssetCheckSpec], checks: Mapping, config) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name=f"quality_{layer}",
        specs=specs,
        can_subset=True,
        pool=WAREHOUSE_POOL,
        description=f"Great Expectations suites of the {layer} layer (quality/expectations.yml).",
    )
    def _run(context: dg.AssetCheckExecutionContext, warehouse_lock: WarehouseLock) -> Iterator[dg.AssetCheckResult]:
        from quality.results import store_results
        from quality.suites import run_suites

        export_environment()
        run_id = context.op_execution_context.run_id
        with warehouse_lock.hold(context.op_execution_context):
            # C360_ENGINE=spark: the lakehouse's tables as views of the warehouse the checks read
            attach_if_spark()
            # the whole layer, whatever is selected: results are stored and reported per layer and run
            outcomes = run_suites(layer, warehouse_path(), run_id, quality_dir=quality_dir(), config=config)
            store_results(outcomes, warehouse=warehouse_path())
            _write_report(run_id)
        by_expectation = {(o.suite, o.expectation): o for o in outcomes}
        for key in context.selected_asset_check_keys:
            check = checks.get(key)
            if check is None:
                continue
            outcome = by_expectation.get((check.suite, check.expectation))
            if outcome is None:
                yield dg.AssetCheckResult(
                    asset_key=key.asset_key, check_name=key.name, passed=False, severity=_severity(check.severity),
                    metadata={"error": "the suite returned no outcome for this expectation"},
                )
                continue
            metadata = {
                "description": outcome.description,
                "rule": outcome.rule,
                "threshold": outcome.threshold,
                "table": outcome.table,
                "severity": outcome.severity,
            }
            if outcome.observed_value is not None:
                metadata["observed_value"] = float(outcome.observed_value)
            if outcome.unexpected_count is not None:
                metadata["unexpected_count"] = int(outcome.unexpected_count)
            if outcome.element_count is not None:
                metadata["element_count"] = int(outcome.element_count)
            if outcome.examples:
                metadata["examples"] = dg.MetadataValue.json(outcome.examples)
            if outcome.error:
                metadata["error"] = outcome.error
            yield dg.AssetCheckResult(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=bool(outcome.success),
                severity=_severity(outcome.severity),
                description=outcome.description,
                metadata=metadata,
            )

    return _run


def _write_report(run_id: str, publication=None) -> None:
    """The steward report covers every layer checked so far in this run, so it exists even when a blocking
    check stops the run early."""
    from quality.report import write_report

    write_report(run_id, warehouse=warehouse_path(), quality_dir=quality_dir(), publication=publication)


def build_publication(mart_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISHED_KEY,
        deps=mart_keys,
        group_name="publication",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "parquet"},
        description=(
            "The marts, published atomically to C360_PUBLISHED (DuckDB) and C360_PUBLISHED_PARQUET_DIR (Parquet) "
            "for downstream tools, only when no critical quality check of this run failed. Readers use the "
            "published copy, never the warehouse, so they are never blocked by a run."
        ),
    )
    def published_marts(context: dg.AssetExecutionContext, warehouse_lock: WarehouseLock) -> dg.MaterializeResult:
        from quality.model import LAYERS
        from quality.publish import publish

        export_environment()
        with warehouse_lock.hold(context):
            attach_if_spark()
            # publishes only if this run validated every layer and no critical expectation failed
            # ... and only marts this run built itself: no other run's build came between its checks and now
            result = publish(warehouse_path(), context.run_id, require_layers=tuple(LAYERS), require_own_build=True)
            _write_report(context.run_id, publication=result)
        metadata = {
            "published": result.published,
            "reason": result.reason,
            "published_path": str(result.published_path),
            "parquet_dir": str(result.parquet_dir),
            "row_counts": dg.MetadataValue.json(result.row_counts),
        }
        if not result.published:
            raise dg.Failure(
                description=f"marts not published: {result.reason}", metadata=metadata, allow_retries=False
            )
        return dg.MaterializeResult(metadata=metadata)

    return published_marts
