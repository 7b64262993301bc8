"""One way to build and run the c360 ingestion pipelines, shared by the CLI and Dagster.

* :func:`source_for` returns the plain ``@dlt.source`` of a source system, configured the dlt way
  (``.dlt/config.toml`` / ``.dlt/secrets.toml`` / ``SOURCES__<SOURCE>__<KEY>`` env vars).
* :func:`make_pipeline` returns its ``dlt.Pipeline``: DuckDB at ``c360.settings.warehouse_path()`` (with
  ``C360_ENGINE=spark``: Parquet folders under ``<C360_SPARK_DIR>/raw``),
  dataset ``RAW_DATASETS[source]``, pipeline name ``c360_<source>``.
* :func:`run` loads the chosen sources and returns (and prints) a :class:`IngestionReport` with the rows
  loaded and quarantined per source and table.

Dagster's ``@dlt_assets(dlt_source=source_for("email"), dlt_pipeline=make_pipeline("email"))`` uses the
same two functions.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed

from c360.settings import (
    RAW_DATASETS,
    SOURCE_NAMES,
    SOURCES,
    ConfigError,
    duckdb_config,
    engine,
    source,
    spark_dir,
    warehouse_path,
)
from ingestion.errors import (
    IngestionError,
    MissingSettingError,
    SourceConfigError,
    classify,
    redact,
    root_cause,
)
from ingestion.quarantine import QUARANTINE_TABLE
from ingestion.vendor_schema import materialize_missing_tables

log = logging.getLogger(__name__)

#: Settings c360 relies on whatever the working directory (so they cannot live only in .dlt/config.toml,
#: which dlt reads from the current directory). ``.dlt/config.toml`` or env vars still override them.
_DLT_DEFAULTS: dict[str, Any] = {
    # Arrow tables get the same bookkeeping column as dict rows (docs/contracts.md: every table has it);
    # _dlt_id is set by the sources themselves where they yield Arrow (deterministic ids).
    "normalize.parquet_normalizer.add_dlt_load_id": True,
    # dlt keeps a copy of every loaded file (load/loaded/*/completed_jobs) unless told not to: a second copy of
    # every person's data that nothing reads, and that an erasure would have to chase (privacy/files.py)
    "load.delete_completed_jobs": True,
}


def _source_factories() -> dict[str, Callable[[], DltSource]]:
    # imported lazily: a Dagster code location importing this module should not pay for all four sources
    from ingestion.email import email
    from ingestion.sales import sales
    from ingestion.support import support
    from ingestion.web import web

    return {"sales": sales, "support": support, "email": email, "web": web}


def source_for(source_name: str) -> DltSource:
    """The configured dlt source of ``source_name`` (sales, support, email, web).

    Missing settings do not fail here (Dagster builds its asset graph from the source without running
    it); they fail the run with a :class:`MissingSettingError` naming the key.
    """
    from privacy.load_filter import guard

    source(source_name)
    # erased people's records are dropped before anything is written (tombstones, privacy/load_filter.py)
    return guard(source_name, _source_factories()[source_name]())


#: Stand-in settings for listing a source's resources (Dagster builds its asset graph from them) without
#: reading the user's settings: a malformed setting of one source must not break commands about another.
_LISTING_ARGS: dict[str, dict[str, str]] = {
    "sales": {"credentials": "sqlite://"},
    "support": {"base_url": "http://listing.invalid", "api_token": "listing"},
    "email": {"bucket_url": "memory://listing"},
    "web": {"bucket_url": "memory://listing"},
}


def listing_source(source_name: str) -> DltSource:
    """The source of ``source_name`` built with stand-in settings: its resources, never to be run."""
    source(source_name)
    return _source_factories()[source_name](**_LISTING_ARGS[source_name])


def _apply_dlt_defaults() -> None:
    for key, value in _DLT_DEFAULTS.items():
        env_key = key.upper().replace(".", "__")
        if env_key in os.environ:
            continue
        try:
            dlt.config[key]
        except KeyError:
            dlt.config[key] = value
        else:
            continue


def lakehouse_raw_dir() -> Path:
    """Where dlt writes the raw datasets as Parquet when C360_ENGINE=spark."""
    return spark_dir() / "raw"


def loader_file_format() -> str | None:
    """Parquet into the lakehouse (typed, columnar, read by Spark); dlt's default (insert values) into DuckDB."""
    return "parquet" if engine() == "spark" else None


def make_pipeline(
    source_name: str,
    pipelines_dir: str | os.PathLike[str] | None = None,
    dev_mode: bool = False,
    progress: Any = None,
) -> dlt.Pipeline:
    """The dlt pipeline that loads ``source_name`` into its raw dataset of the warehouse.

    ``pipelines_dir`` holds dlt's local working state; by default it sits next to the warehouse file
    (``<warehouse>.dlt/``), so a new warehouse never inherits the incremental state of an old one. If the
    warehouse file is gone, the local state is dropped too (dlt would otherwise skip data it thinks it
    already loaded).
    """
    source(source_name)
    _apply_dlt_defaults()
    warehouse = check_warehouse_writable()
    store = _raw_store()
    if engine() == "spark":
        # the lakehouse: one Parquet folder per table under <C360_SPARK_DIR>/raw/<dataset>/, which Spark reads as
        # tables (transform/macros/register_raw_tables.sql)
        destination = dlt.destinations.filesystem(bucket_url=str(store))
    else:
        # dbt's memory limit and spill folder (C360_DUCKDB_MEMORY_LIMIT / _TEMP_DIR) for dlt's own DuckDB too: without
        # it the load step (staging copy, then the merge that drops known keys) took DuckDB's 80 % of RAM, 2.8 GiB
        # for the web events of 100,000 customers (issue 11). dlt SETs them once on each connection it opens.
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        destination = dlt.destinations.duckdb(DuckDbCredentials(str(warehouse), global_config=duckdb_config()))
    pipelines_dir = _default_pipelines_dir(pipelines_dir)
    pipeline_name = f"c360_{source_name}"
    if not store.exists():
        stale = Path(pipelines_dir) / pipeline_name
        if stale.exists():
            log.info("destination %s is new: dropping local dlt state of %s", store, pipeline_name)
            shutil.rmtree(stale)
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        pipelines_dir=str(pipelines_dir),
        destination=destination,
        dataset_name=RAW_DATASETS[source_name],
        dev_mode=dev_mode,
        progress=progress,
    )


@dataclass
class SourceReport:
    """Rows loaded and quarantined by one run of one source."""

    source: str
    dataset: str
    loaded: dict[str, int] = field(default_factory=dict)  # table -> rows that landed: inserted or replaced
    quarantined: int = 0
    quarantined_by_table: dict[str, int] = field(default_factory=dict)  # resource -> rows quarantined
    load_ids: list[str] = field(default_factory=list)

    @property
    def loaded_total(self) -> int:
        return sum(self.loaded.values())


@dataclass
class IngestionReport:
    sources: dict[str, SourceReport] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = ["source   table                         loaded  quarantined"]
        for rep in self.sources.values():
            tables = sorted(set(rep.loaded) | set(rep.quarantined_by_table))
            if not tables:
                lines.append(f"{rep.source:<8} {'(nothing new)':<28} {0:>7} {0:>12}")
            for table in tables:
                lines.append(
                    f"{rep.source:<8} {table:<28} {rep.loaded.get(table, 0):>7} "
                    f"{rep.quarantined_by_table.get(table, 0):>12}"
                )
        total_loaded = sum(r.loaded_total for r in self.sources.values())
        total_q = sum(r.quarantined for r in self.sources.values())
        lines.append(f"{'total':<37} {total_loaded:>7} {total_q:>12}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            name: {
                "dataset": rep.dataset,
                "loaded": dict(rep.loaded),
                "quarantined": rep.quarantined,
                "quarantined_by_table": dict(rep.quarantined_by_table),
                "load_ids": list(rep.load_ids),
            }
            for name, rep in self.sources.items()
        }


def report_for(
    source_name: str, pipeline: dlt.Pipeline, load_info: LoadInfo | None = None, normalize_info: Any = None
) -> SourceReport:
    """Counts of the pipeline's last run: the rows that landed, per table and quarantined per intended table.

    dlt's normalize info counts the rows handed to the loads; a merge may keep fewer (``insert-only`` skips an
    event or quarantine row already stored, e.g. the old events of a file rewritten in place), so the tables
    the loads touched are counted in the warehouse: the rows carrying one of the run's load ids
    (:func:`_landed`), i.e. inserted or replaced by this run.
    """
    rep = SourceReport(source=source_name, dataset=pipeline.dataset_name)
    if normalize_info is None:
        trace = pipeline.last_trace
        normalize_info = trace.last_normalize_info if trace else None
    row_counts: Mapping[str, int] = normalize_info.row_counts if normalize_info else {}
    if load_info is not None:
        rep.load_ids = list(load_info.loads_ids)
    handed = {t: int(n) for t, n in row_counts.items() if n and not t.startswith("_dlt") and t != QUARANTINE_TABLE}
    if not rep.load_ids:
        rep.loaded = handed
        rep.quarantined = int(row_counts.get(QUARANTINE_TABLE, 0))
        return rep
    landed = _landed(pipeline, list(handed), rep.load_ids, handed)
    rep.loaded = {t: n for t, n in landed.items() if n}
    if row_counts.get(QUARANTINE_TABLE):  # counted once, per intended table (no separate total to keep in step)
        with pipeline.sql_client() as client:
            placeholders = ", ".join(["%s"] * len(rep.load_ids))
            rows = client.execute_sql(
                f"select resource, count(*) from {QUARANTINE_TABLE} "
                f"where _dlt_load_id in ({placeholders}) group by resource",
                *rep.load_ids,
            )
        rep.quarantined_by_table = {str(r): int(n) for r, n in rows or []}
        rep.quarantined = sum(rep.quarantined_by_table.values())
    return rep


def _landed(pipeline: dlt.Pipeline, tables: list[str], load_ids: list[str], fallback: Mapping[str, int]) -> dict[str, int]:
    """Rows of each table that carry one of ``load_ids``; for a nested table without ``_dlt_load_id``
    (``tickets__tags``), the rows under a root row that does. A table the schema cannot tie to a load id keeps
    its ``fallback`` count."""
    from dlt.common.schema.utils import get_root_table

    schema_tables = pipeline.default_schema.tables
    placeholders = ", ".join(["%s"] * len(load_ids))
    out: dict[str, int] = {}
    with pipeline.sql_client() as client:
        for table in tables:
            columns = schema_tables.get(table, {}).get("columns", {})
            if "_dlt_load_id" in columns:
                sql = f"select count(*) from {table} where _dlt_load_id in ({placeholders})"
            elif "_dlt_root_id" in columns:
                root = get_root_table(schema_tables, table)["name"]
                sql = (f"select count(*) from {table} where _dlt_root_id in "
                       f"(select _dlt_id from {root} where _dlt_load_id in ({placeholders}))")
            else:
                out[table] = int(fallback.get(table, 0))
                continue
            rows = client.execute_sql(sql, *load_ids)
            out[table] = int(rows[0][0]) if rows else 0
    return out


def _check_sales_url(url: str) -> None:
    """The order database: a URL that parses, a driver that is installed, a database that answers."""
    import sqlalchemy as sa

    where = SOURCES["sales"].setting("credentials").where
    try:
        parsed = sa.engine.make_url(url)
    except Exception:
        raise SourceConfigError(f"the sales database URL does not parse as a SQLAlchemy URL: fix {where}") from None
    if parsed.drivername.startswith("sqlite") and parsed.database and parsed.database != ":memory:":
        if not Path(parsed.database).exists():
            raise MissingSettingError(f"sales database {parsed.database} does not exist: fix {where}")
    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # no such dialect / driver not installed
        raise SourceConfigError(
            f"the sales database URL names a driver that is not installed ({type(exc).__name__}: "
            f"{redact(str(exc)).splitlines()[0] if str(exc) else ''}): fix {where} or install the driver"
        ) from None
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1")).fetchall()
    except Exception as exc:  # may be transient (a database restarting): not a SourceConfigError
        raise IngestionError(
            f"cannot connect to the sales database {redact(url)} ({type(exc).__name__}: "
            f"{redact(str(exc)).splitlines()[0] if str(exc) else ''}): check {where}"
        ) from None
    finally:
        engine.dispose()


#: Environment variables that give fsspec credentials for a bucket scheme without a dlt credentials setting.
_BUCKET_CREDENTIAL_ENVS = {
    "s3": ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
    "gs": ("GOOGLE_APPLICATION_CREDENTIALS",),
    "gcs": ("GOOGLE_APPLICATION_CREDENTIALS",),
    "az": ("AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_CLIENT_SECRET"),
    "abfs": ("AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_CLIENT_SECRET"),
    "abfss": ("AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_CLIENT_SECRET"),
}


def _check_bucket(source_name: str, url: str) -> None:
    """A local folder exists; a cloud bucket has credentials (checked without any network call)."""
    src = SOURCES[source_name]
    scheme = url.split("://", 1)[0].lower() if "://" in url else "file"
    if scheme == "file":
        path = Path(url[len("file://"):] if url.startswith("file://") else url)
        if not path.is_dir():
            raise MissingSettingError(f"{source_name} folder {path} does not exist: fix {src.setting('bucket_url').where}")
    elif scheme in _BUCKET_CREDENTIAL_ENVS:
        has_env = any(os.environ.get(name) for name in _BUCKET_CREDENTIAL_ENVS[scheme])
        if src.setting("credentials").get() is None and not has_env:
            raise MissingSettingError(
                f"{source_name} bucket {url} has no credentials: set {src.setting('credentials').where}"
            )


def check_warehouse_writable() -> Path:
    """The warehouse folder exists (or can be made) and takes a new file; else a ConfigError naming C360_WAREHOUSE.

    Probed by writing a file: permission bits alone say nothing for root or on a read-only mount.
    """
    import tempfile

    warehouse = warehouse_path()
    try:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=warehouse.parent, prefix=".c360-write-probe-"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"the warehouse folder {warehouse.parent} is not writable ({exc.strerror}): fix C360_WAREHOUSE"
        ) from None
    if warehouse.exists() and not os.access(warehouse, os.W_OK):
        raise ConfigError(f"the warehouse {warehouse} is not writable: fix C360_WAREHOUSE or the file's permissions")
    return warehouse


def preflight(source_name: str) -> None:
    """Checks the settings of ``source_name`` before a run; raises an error naming the key to fix.

    Cheap checks only: switched on, settings present and parseable, local folders and SQLite files exist,
    the database answers. A :class:`SourceConfigError` (never retried) for anything retrying cannot fix.
    """
    src = source(source_name)
    if not src.enabled():
        raise SourceConfigError(f"the {source_name} source is switched off ({src.env('enabled')}=false)")
    check_warehouse_writable()
    missing = [s.where for s in src.settings if s.required and s.get() is None]
    if missing:
        raise MissingSettingError(f"{source_name} source: set " + "; set ".join(missing))
    if source_name == "support":
        from ingestion.support import settings_problem

        problem = settings_problem(*(src.setting(n).get() for n in ("base_url", "api_token", "email", "oauth_token")))
        if problem:
            raise MissingSettingError(problem)
    if source_name == "sales":
        _check_sales_url(str(src.setting("credentials").get()))
    elif src.event_files:
        _check_bucket(source_name, str(src.setting("bucket_url").get()))


def _pipeline_lock(pipelines_dir: Path, pipeline_name: str):
    """One run of a pipeline at a time: two processes sharing dlt's working folder corrupt each other."""
    from c360.locks import hold

    return hold(Path(pipelines_dir) / f"{pipeline_name}.lock", f"the dlt working folder of {pipeline_name}")


def _raw_store() -> Path:
    """Where the raw datasets live: the warehouse file, or the lakehouse folder with C360_ENGINE=spark."""
    return lakehouse_raw_dir() if engine() == "spark" else warehouse_path()


def _default_pipelines_dir(pipelines_dir: str | os.PathLike[str] | None) -> Path:
    """dlt's local state sits next to the raw store, so a new store never inherits an old one's state."""
    if pipelines_dir is not None:
        return Path(pipelines_dir)
    store = _raw_store()
    return store.parent / f"{store.name}.dlt"


def run_source(
    source_name: str,
    pipelines_dir: str | os.PathLike[str] | None = None,
    source: DltSource | None = None,
    writer_lock: Callable[[], Any] | None = None,
) -> SourceReport:
    """Loads one source into its raw dataset and returns its counts.

    The steps, and which of them hold the warehouse writer lock (``writer_lock``, default
    :func:`c360.locks.warehouse_writer`; Dagster passes its own):

    1. *under the lock*: dlt's local working state is dropped and restored from the warehouse, which is the
       truth: a run killed before its load committed leaves local state (the loaded-files ledger, cursors)
       ahead of the warehouse, and a package half loaded; both are thrown away and the source is read again.
       Every raw table is merged on its key, quarantine included, so redoing a load that partly committed
       converges to the warehouse an uninterrupted run makes (issue 14: exactly once under kill -9).
    2. extract and normalize, *without the lock*: a slow or silent API holds up this source only, never
       the warehouse (network sources have a total deadline per run, e.g. ``SOURCES__SUPPORT__DEADLINE``);
    3. *under the lock*: load, count, create the declared tables that got no rows.
    """
    from c360.locks import warehouse_writer

    if source is None:
        preflight(source_name)
    lock = writer_lock or warehouse_writer
    pdir = _default_pipelines_dir(pipelines_dir)
    pdir.mkdir(parents=True, exist_ok=True)
    with _pipeline_lock(pdir, f"c360_{source_name}"):
        with lock():
            pipeline = make_pipeline(source_name, pipelines_dir=pdir)
            pipeline = _restore_from_warehouse(source_name, pipeline)
        src = source if source is not None else source_for(source_name)
        try:
            pipeline.extract(src, loader_file_format=loader_file_format())
            normalize_info = pipeline.normalize()
        except PipelineStepFailed as exc:
            raise classify(source_name, root_cause(exc), exc.step) from None
        with lock():
            try:
                load_info = pipeline.load()
            except PipelineStepFailed as exc:
                raise classify(source_name, root_cause(exc), exc.step) from None
            report = report_for(source_name, pipeline, load_info, normalize_info)
            # tables that got no record yet (and `quarantine` when nothing was bad) exist anyway, empty and typed
            materialize_missing_tables(pipeline, source_name)
    return report


def _restore_from_warehouse(source_name: str, pipeline: dlt.Pipeline) -> dlt.Pipeline:
    """Drops dlt's local state and pending packages; the state comes back from the warehouse (step 1 of
    :func:`run_source`). Caller holds the writer lock."""
    pipeline.drop()
    try:
        pipeline.sync_destination()
    except PipelineStepFailed as exc:
        raise classify(source_name, root_cause(exc), exc.step) from None
    except Exception as exc:  # the warehouse file unreadable, a permission problem
        raise classify(source_name, exc, "sync") from None
    return pipeline


def run(
    sources: Iterable[str] | None = None,
    pipelines_dir: str | os.PathLike[str] | None = None,
    echo: bool = True,
) -> IngestionReport:
    """Loads ``sources`` (default: every source switched on) and returns the loaded/quarantined counts, printing them
    unless ``echo`` is false."""
    names = list(sources) if sources else [n for n in SOURCE_NAMES if SOURCES[n].enabled()]
    for name in names:
        source(name)
    report = IngestionReport()
    for name in names:
        report.sources[name] = run_source(name, pipelines_dir=pipelines_dir)
    if echo:
        print(report)
    return report
