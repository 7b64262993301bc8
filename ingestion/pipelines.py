"""One way to build and run the c360 ingestion pipelines, shared by the CLI and Dagster.

* :func:`source_for` returns the plain ``@dlt.source`` of a source system, configured the dlt way
  (``.dlt/config.toml`` / ``.dlt/secrets.toml`` / ``SOURCES__<SOURCE>__<KEY>`` env vars).
* :func:`make_pipeline` returns its ``dlt.Pipeline``: DuckDB at ``ingestion.warehouse.warehouse_path()``,
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

from ingestion.quarantine import QUARANTINE_TABLE
from ingestion.warehouse import RAW_DATASETS, warehouse_path

log = logging.getLogger(__name__)

SOURCES: tuple[str, ...] = tuple(RAW_DATASETS)

#: Settings c360 relies on whatever the working directory (so they cannot live only in .dlt/config.toml,
#: which dlt reads from the current directory). ``.dlt/config.toml`` or env vars still override them.
_DLT_DEFAULTS: dict[str, Any] = {
    # Arrow tables get the same bookkeeping column as dict rows (docs/contracts.md: every table has it);
    # _dlt_id is set by the sources themselves where they yield Arrow (deterministic ids).
    "normalize.parquet_normalizer.add_dlt_load_id": True,
}


class IngestionError(RuntimeError):
    """A source could not be loaded; the message says which setting to check. Never carries secrets."""


class MissingSettingError(IngestionError):
    """A required setting is not set; the message names the exact key."""


def _source_factories() -> dict[str, Callable[[], DltSource]]:
    # imported lazily: a Dagster code location importing this module should not pay for all four sources
    from ingestion.email import email
    from ingestion.sales import sales
    from ingestion.support import support
    from ingestion.web import web

    return {"sales": sales, "support": support, "email": email, "web": web}


def _check_source_name(source_name: str) -> None:
    if source_name not in RAW_DATASETS:
        raise ValueError(f"unknown source {source_name!r}: choose one of {', '.join(SOURCES)}")


def source_for(source_name: str) -> DltSource:
    """The configured dlt source of ``source_name`` (sales, support, email, web).

    Missing settings do not fail here (Dagster builds its asset graph from the source without running
    it); they fail the run with a :class:`MissingSettingError` naming the key.
    """
    _check_source_name(source_name)
    return _source_factories()[source_name]()


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
    _check_source_name(source_name)
    _apply_dlt_defaults()
    warehouse = warehouse_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    if pipelines_dir is None:
        pipelines_dir = warehouse.parent / f"{warehouse.name}.dlt"
    pipeline_name = f"c360_{source_name}"
    if not warehouse.exists():
        stale = Path(pipelines_dir) / pipeline_name
        if stale.exists():
            log.info("warehouse %s is new: dropping local dlt state of %s", warehouse, pipeline_name)
            shutil.rmtree(stale)
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        pipelines_dir=str(pipelines_dir),
        destination=dlt.destinations.duckdb(str(warehouse)),
        dataset_name=RAW_DATASETS[source_name],
        dev_mode=dev_mode,
        progress=progress,
    )


@dataclass
class SourceReport:
    """Rows loaded and quarantined by one run of one source."""

    source: str
    dataset: str
    loaded: dict[str, int] = field(default_factory=dict)  # table -> rows inserted or updated
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


def report_for(source_name: str, pipeline: dlt.Pipeline, load_info: LoadInfo | None = None) -> SourceReport:
    """Counts of the pipeline's last run: rows per table from dlt's normalize info, quarantined rows
    per intended table from the quarantine rows of the loads just made."""
    rep = SourceReport(source=source_name, dataset=pipeline.dataset_name)
    trace = pipeline.last_trace
    normalize_info = trace.last_normalize_info if trace else None
    row_counts: Mapping[str, int] = normalize_info.row_counts if normalize_info else {}
    for table, count in row_counts.items():
        if table.startswith("_dlt") or table == QUARANTINE_TABLE or not count:
            continue
        rep.loaded[table] = int(count)
    rep.quarantined = int(row_counts.get(QUARANTINE_TABLE, 0))
    if load_info is not None:
        rep.load_ids = list(load_info.loads_ids)
    if rep.quarantined and rep.load_ids:
        with pipeline.sql_client() as client:
            placeholders = ", ".join(["%s"] * len(rep.load_ids))
            rows = client.execute_sql(
                f"select resource, count(*) from {QUARANTINE_TABLE} "
                f"where _dlt_load_id in ({placeholders}) group by resource",
                *rep.load_ids,
            )
        rep.quarantined_by_table = {str(r): int(n) for r, n in rows or []}
    return rep


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__
        if isinstance(exc, IngestionError) or nxt is None:
            return exc
        exc = nxt
    return exc


#: The setting to check when a source fails to connect, per source.
SETTING_HINTS: dict[str, str] = {
    "sales": "SOURCES__SALES__CREDENTIALS (sources.sales.credentials in .dlt/secrets.toml)",
    "support": "SOURCES__SUPPORT__BASE_URL (sources.support.base_url in .dlt/config.toml)",
    "email": "SOURCES__EMAIL__BUCKET_URL (sources.email.bucket_url in .dlt/config.toml)",
    "web": "SOURCES__WEB__BUCKET_URL (sources.web.bucket_url in .dlt/config.toml)",
}


def _setting(key: str, secret: bool = False) -> Any:
    accessor = dlt.secrets if secret else dlt.config
    try:
        return accessor.get(key)
    except Exception:  # an unreadable toml file must not hide the real problem behind a parse error
        return None


def preflight(source_name: str) -> None:
    """Checks the settings of ``source_name`` before a run; raises an error naming the key to fix.

    Cheap checks only: settings present, local folders and SQLite files exist, the database answers.
    """
    _check_source_name(source_name)
    if source_name == "sales":
        from ingestion.sales import default_credentials

        url = _setting("sources.sales.credentials", secret=True)
        url = str(url) if url else default_credentials()
        if url.startswith("sqlite:///"):
            path = Path(url[len("sqlite:///"):])
            if not path.exists():
                raise MissingSettingError(
                    f"sales database {path} does not exist: run `c360 generate` or set {SETTING_HINTS['sales']}"
                )
        import sqlalchemy as sa

        try:
            engine = sa.create_engine(url)
            with engine.connect() as conn:
                conn.execute(sa.text("select 1")).fetchall()
            engine.dispose()
        except Exception as exc:
            raise IngestionError(
                f"cannot connect to the sales database {_redact(url)} ({type(exc).__name__}: "
                f"{_redact(str(exc)).splitlines()[0] if str(exc) else ''}): check {SETTING_HINTS['sales']}"
            ) from None
    elif source_name == "support":
        from ingestion.support import MISSING

        missing = [
            MISSING[key]
            for key, secret in (("base_url", False), ("api_token", True))
            if not _setting(f"sources.support.{key}", secret=secret)
        ]
        if missing:
            raise MissingSettingError("support source: " + "; ".join(missing))
    else:
        module = __import__(f"ingestion.{source_name}", fromlist=["default_bucket_url"])
        url = _setting(f"sources.{source_name}.bucket_url") or module.default_bucket_url()
        url = str(url)
        if "://" not in url or url.startswith("file://"):
            path = Path(url[len("file://"):] if url.startswith("file://") else url)
            if not path.is_dir():
                raise MissingSettingError(
                    f"{source_name} folder {path} does not exist: run `c360 generate` or set "
                    f"{SETTING_HINTS[source_name]}"
                )


def _explain(source_name: str, cause: BaseException) -> str:
    """A one-line reason for a failed load that names the setting to check, without secrets."""
    text = _redact(str(cause)).strip().splitlines()
    first = text[0] if text else ""
    try:
        import requests

        if isinstance(cause, requests.exceptions.ConnectionError):
            return f"cannot reach the {source_name} source ({first}): check {SETTING_HINTS[source_name]}"
        if isinstance(cause, requests.exceptions.HTTPError) and cause.response is not None:
            status = cause.response.status_code
            if status in (401, 403):
                return (
                    f"the {source_name} source refused the credentials (HTTP {status}): check "
                    "SOURCES__SUPPORT__API_TOKEN (and SOURCES__SUPPORT__EMAIL when using email/token auth)"
                )
            return f"the {source_name} source answered HTTP {status}: check {SETTING_HINTS[source_name]}"
    except ImportError:  # pragma: no cover - requests is a dependency
        pass
    return f"{type(cause).__name__}: {first} (check {SETTING_HINTS[source_name]})"


#: Public name of :func:`_explain` (Dagster's ingestion assets use it for their failure messages).
explain = _explain


def run_source(
    source_name: str,
    pipelines_dir: str | os.PathLike[str] | None = None,
    source: DltSource | None = None,
) -> SourceReport:
    """Loads one source into its raw dataset and returns its counts."""
    if source is None:
        preflight(source_name)
    pipeline = make_pipeline(source_name, pipelines_dir=pipelines_dir)
    src = source if source is not None else source_for(source_name)
    try:
        load_info = pipeline.run(src)
    except PipelineStepFailed as exc:
        cause = _root_cause(exc)
        if isinstance(cause, IngestionError):
            raise type(cause)(str(cause)) from None
        raise IngestionError(
            f"loading {source_name} failed in dlt step {exc.step!r}: {_explain(source_name, cause)}"
        ) from None
    return report_for(source_name, pipeline, load_info)


def _redact(text: str) -> str:
    """Removes URL passwords (``scheme://user:secret@host``) and tokens from a message."""
    import re

    text = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
    for key in ("SOURCES__SUPPORT__API_TOKEN", "SOURCES__SALES__CREDENTIALS"):
        secret = os.environ.get(key)
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def run(
    sources: Iterable[str] | None = None,
    pipelines_dir: str | os.PathLike[str] | None = None,
    echo: bool = True,
) -> IngestionReport:
    """Loads ``sources`` (default: all four) and returns the loaded/quarantined counts, printing them
    unless ``echo`` is false."""
    names = list(sources) if sources else list(SOURCES)
    for name in names:
        _check_source_name(name)
    report = IngestionReport()
    for name in names:
        report.sources[name] = run_source(name, pipelines_dir=pipelines_dir)
    if echo:
        print(report)
    return report
