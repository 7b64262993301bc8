"""Raw datasets: one Dagster multi-asset per source system, one asset per dlt resource (dagster-dlt).

Asset keys are ``[<dataset>, <resource>]``: the warehouse table for the usual one-table resource
(``["raw_sales", "customers"]``), so the UI reads like the warehouse and dbt sources map onto them. Each op
also owns the source's ``quarantine`` table, which all of its resources append to.
"""

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
from dagster_dlt import DagsterDltTranslator, build_dlt_asset_specs
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.extract.resource import DltResource

from c360.settings import ConfigError
from ingestion.common import process_temp_dir
from ingestion.dlt_private import table_variants
from ingestion.errors import DeadlineExceeded, classify
from ingestion.pipelines import listing_source, make_pipeline, preflight, run_source, source_for
from ingestion.quarantine import QUARANTINE_TABLE
from c360.settings import RAW_DATASETS, export_environment
from c360 import settings
from orchestration.constants import WAREHOUSE_POOL
from orchestration.resources import WarehouseLock

def ingestion_retry_policy() -> dg.RetryPolicy:
    """Transient source errors (a database restarting, an API answering 5xx or timing out) are retried with
    exponential backoff: 15 s, 30 s, 60 s by default (C360_INGESTION_MAX_RETRIES, C360_INGESTION_RETRY_DELAY).
    Missing settings fail at once (dg.Failure with allow_retries=False)."""
    return dg.RetryPolicy(
        max_retries=settings.ingestion_max_retries(),
        delay=settings.ingestion_retry_delay(),
        backoff=dg.Backoff.EXPONENTIAL,
    )


_SPEC_DIR: tempfile.TemporaryDirectory | None = None
_SPEC_PREFIX = "c360-dlt-specs-"


def _spec_pipelines_dir() -> str:
    global _SPEC_DIR
    if _SPEC_DIR is None:
        _SPEC_DIR = process_temp_dir(_SPEC_PREFIX)
    return _SPEC_DIR.name


def quarantine_key(source: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_DATASETS[source], QUARANTINE_TABLE])


def resource_tables(resource: DltResource) -> list[str]:
    """The warehouse tables a dlt resource writes: its own table and the table variants it routes items to
    (Segment's ``events`` -> ``identifies``, ``tracks``, ``pages``...), without ``quarantine``."""
    tables = []
    if isinstance(resource.table_name, str):
        tables.append(resource.table_name)
    # dlt keeps the hints of `with_table_name` targets as table variants of the resource.
    tables.extend(table_variants(resource))
    return [t for t in dict.fromkeys(tables) if t != QUARANTINE_TABLE]


class C360DltTranslator(DagsterDltTranslator):
    """dlt resource -> ``[raw_<source>, <resource>]`` in group ``<source>``.

    Most resources write one table of the same name (``["raw_sales", "customers"]``); a resource that routes
    events to several tables (web ``events``) keeps its own name and lists its tables in the description.
    """

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        source = data.resource.source_name
        dataset = RAW_DATASETS[source]
        tables = resource_tables(data.resource)
        written = ", ".join(f"`{dataset}.{t}`" for t in tables) or f"`{dataset}.{data.resource.name}`"
        return spec.replace_attributes(
            key=dg.AssetKey([dataset, data.resource.name]),
            # dagster-dlt's default deps are placeholder keys per source; the source systems are not assets here.
            deps=[],
            group_name=source,
            description=spec.description or f"{written}, loaded by dlt from the {source} source.",
            metadata={**spec.metadata, "c360/tables": dg.MetadataValue.json([f"{dataset}.{t}" for t in tables])},
        )


TRANSLATOR = C360DltTranslator()


def _fail_without_retry(source: str, exc: BaseException) -> dg.Failure:
    """A configuration error: retrying cannot fix it, so the step fails at once with one line."""
    return dg.Failure(description=f"{source}: {exc}", allow_retries=False)


@dataclass(frozen=True)
class IngestionAssets:
    """The multi-asset of one source and the warehouse tables behind each of its asset keys."""

    source: str
    assets_def: dg.AssetsDefinition
    tables: dict[dg.AssetKey, list[str]]  # asset key -> ["raw_web.tracks", ...]


def build_ingestion_assets(source: str) -> IngestionAssets:
    """The dagster-dlt multi-asset that loads `source` into ``raw_<source>``.

    ``@dlt_assets`` is ``multi_asset(specs=build_dlt_asset_specs(...))`` without a retry policy argument;
    building the same multi-asset from dagster-dlt's specs lets the retry policy sit on the ingestion assets
    themselves (so it also applies when they are materialized from the UI, outside our jobs).
    """
    dataset = RAW_DATASETS[source]
    # Built only to list its resources, with stand-in settings: the real ones are read when the step runs.
    load_time_source = listing_source(source)
    resource_specs = build_dlt_asset_specs(
        dlt_source=load_time_source,
        # A stand-in pipeline in a private folder: creating the real one can wipe its working folder, and
        # the code location is loaded by many processes (UI, daemon, runs) while a run may be loading.
        dlt_pipeline=make_pipeline(source, pipelines_dir=_spec_pipelines_dir()),
        dagster_dlt_translator=TRANSLATOR,
    )
    tables: dict[dg.AssetKey, list[str]] = {
        dg.AssetKey([dataset, name]): [f"{dataset}.{t}" for t in resource_tables(resource)]
        for name, resource in load_time_source.selected_resources.items()
    }
    tables[quarantine_key(source)] = [f"{dataset}.{QUARANTINE_TABLE}"]
    specs = [
        *resource_specs,
        dg.AssetSpec(
            key=quarantine_key(source),
            group_name=source,
            kinds={"dlt", "duckdb"},
            description=(
                f"Records of the {source} source that broke their vendor's format, with the reason "
                "(docs/contracts.md section 2). Appended by every resource of the source."
            ),
            skippable=True,
        ),
    ]

    @dg.multi_asset(
        name=f"ingest_{source}",
        specs=specs,
        can_subset=True,
        pool=WAREHOUSE_POOL,
        retry_policy=ingestion_retry_policy(),
        description=f"Loads the {source} source into {dataset} with dlt.",
    )
    def _ingest(
        context: dg.AssetExecutionContext, warehouse_lock: WarehouseLock
    ) -> Iterator[dg.MaterializeResult]:
        export_environment()
        try:
            # settings present, folders there, database answering: a missing setting fails at once, naming it
            preflight(source)
            # A fresh source per run: settings (SOURCES__*, C360_WAREHOUSE) are read now, not at import.
            dlt_source = source_for(source)
        except Exception as exc:
            error = classify(source, exc)
            if isinstance(error, ConfigError):
                raise _fail_without_retry(source, error) from None
            raise error from exc
        if context.is_subset:
            wanted = {key.path[-1] for key in context.selected_asset_keys}
            dlt_source = dlt_source.with_resources(*[n for n in dlt_source.selected_resources if n in wanted])
        try:
            # extraction runs without the warehouse lock; only restoring dlt's state and the load hold it
            report = run_source(source, source=dlt_source, writer_lock=lambda: warehouse_lock.writer(context))
        except Exception as exc:
            error = classify(source, exc)
            # a used-up deadline bounds the whole run, retries included: the next scheduled run goes on
            if isinstance(error, (ConfigError, DeadlineExceeded)):
                raise _fail_without_retry(source, error) from None
            # anything else may be transient (API 5xx, a database restarting): the retry policy retries it
            raise error from exc
        for key in tables:
            if key == quarantine_key(source) or key not in context.selected_asset_keys:
                continue
            # quarantine rows name the table they were meant for; count them against the asset writing it
            mine = {t.split(".", 1)[1] for t in tables.get(key, [])} | {key.path[-1]}
            quarantined = sum(n for table, n in report.quarantined_by_table.items() if table in mine)
            # records, not rows of nested child tables (events__category, tickets__tags)
            loaded = sum(n for table, n in report.loaded.items() if table in mine and "__" not in table)
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "dataset_name": dg.MetadataValue.text(dataset),
                    "tables": dg.MetadataValue.json(tables[key]),
                    "dlt_load_ids": dg.MetadataValue.json(report.load_ids),
                    "rows_loaded": dg.MetadataValue.int(loaded),
                    "rows_quarantined": dg.MetadataValue.int(quarantined),
                },
            )
        if quarantine_key(source) in context.selected_asset_keys:
            yield dg.MaterializeResult(
                asset_key=quarantine_key(source),
                metadata={
                    "rows_quarantined": dg.MetadataValue.int(report.quarantined),
                    "by_table": dg.MetadataValue.json(report.quarantined_by_table),
                    "dlt_load_ids": dg.MetadataValue.json(report.load_ids),
                },
            )

    return IngestionAssets(source=source, assets_def=_ingest, tables=tables)


def build_all_ingestion_assets() -> dict[str, IngestionAssets]:
    return {source: build_ingestion_assets(source) for source in RAW_DATASETS}
