"""Segment web events: Segment's S3/GCS log files (gzipped JSON lines) -> ``raw_web``.

Files under ``segment-logs/<source_id>/<day_start_epoch_ms>/`` are listed with dlt's ``filesystem``
resource (a local folder or any fsspec bucket URL) and read by the ``events`` transformer, which

* reads only files it has not loaded before (a bounded ledger in dlt state, :class:`ingestion.ledger.FileLedger`),
* parses and validates the files in batches with DuckDB (:mod:`ingestion.web.helpers`): every event against
  the Segment spec, the rest quarantined (``quarantine`` table),
* routes events by ``type`` into Segment's warehouse tables: ``identifies``, ``tracks``, ``pages``
  (and ``screens``, ``groups``, ``aliases`` if the source sends them),
* flattens nested objects (``context__campaign__source``, ``traits__email``) and yields Arrow tables with the
  column names dlt gives them (``messageId`` -> ``message_id``; the declared hints use those names, so dlt never
  sees one column under two names), merged with the ``insert-only`` strategy on ``message_id``: events are
  immutable and Segment delivers at least once, so a known event is skipped and duplicates within a run are
  dropped.

Config: ``sources.web.bucket_url`` (env ``SOURCES__WEB__BUCKET_URL``), required (no default: a run without it
fails at once naming the key).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional

import dlt
from dlt.sources import DltResource
from dlt.sources.filesystem import FileItemDict, filesystem

from ingestion.common import read_new_files
from ingestion.dlt_private import add_table_variant
from ingestion.errors import missing_setting_resource, missing_settings_message
from ingestion.quarantine import quarantine_items, with_quarantine
from ingestion.vendor_schema import declared_tables
from ingestion.web.helpers import read_batch
from ingestion.web.settings import BATCH_BYTES, FILE_GLOB, FILES_PER_RUN, PRIMARY_KEY, TABLES

MERGE = {"disposition": "merge", "strategy": "insert-only"}


@dlt.transformer(name="events", write_disposition=MERGE, primary_key=PRIMARY_KEY)
def read_events(files: Iterable[FileItemDict], batch_bytes: int = BATCH_BYTES) -> Iterator[Any]:
    """Segment events of the files not loaded yet, as Arrow batches per event table.

    Files whose content is new are read in batches of about ``batch_bytes`` compressed bytes
    (:meth:`ingestion.ledger.FileLedger.batches`), so memory is bounded by the batch; the run's scratch
    DuckDB keeps the ids already emitted (spilling to disk).
    """
    for out in read_new_files("web", files, batch_bytes, read_batch):
        for table, arrow in out.tables.items():
            yield dlt.mark.with_table_name(arrow, table)
        if out.quarantine:
            yield quarantine_items(out.quarantine)


@dlt.source(name="web")
def web(
    bucket_url: Optional[str] = dlt.config.value,
    file_glob: str = FILE_GLOB,
    batch_bytes: int = BATCH_BYTES,
) -> DltResource:
    """Segment log files under ``bucket_url`` -> ``identifies``, ``tracks``, ``pages`` (+ ``quarantine``)."""
    if bucket_url:
        # All files in one page: the reader takes them in batches and drops duplicates across the whole run.
        files = filesystem(bucket_url=bucket_url, file_glob=file_glob, files_per_page=FILES_PER_RUN).with_name("web_files")
    else:  # the same resources, failing the run with the key to set
        files = missing_setting_resource("web_files", missing_settings_message("web", ["bucket_url"]))
    events = files | read_events(batch_bytes=batch_bytes)
    declared = declared_tables("web")  # the Segment spec fields (transform/.../_web__sources.yml), typed
    for table in TABLES.values():
        columns = {name: dict(column) for name, column in declared.get(table, {}).items()}
        add_table_variant(
            events,
            dlt.mark.make_hints(table_name=table, write_disposition=MERGE, primary_key=PRIMARY_KEY, columns=columns),
        )
    return with_quarantine(events)
