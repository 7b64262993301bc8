"""Segment web events: Segment's S3/GCS log files (gzipped JSON lines) -> ``raw_web``.

Files under ``segment-logs/<source_id>/<day_start_epoch_ms>/`` are listed with dlt's ``filesystem``
resource (a local folder or any fsspec bucket URL) and read by the ``events`` transformer, which

* reads only files it has not loaded before (names kept in dlt state; see :class:`ingestion.common.LoadedFiles`),
* validates every event against the Segment spec and quarantines the rest (``quarantine`` table),
* routes events by ``type`` into Segment's warehouse tables: ``identifies``, ``tracks``, ``pages``
  (and ``screens``, ``groups``, ``aliases`` if the source sends them),
* flattens nested objects (``context__campaign__source``, ``traits__email``) and yields Arrow tables,
  merged with the ``insert-only`` strategy on ``messageId`` (``message_id``): events are immutable and
  Segment delivers at least once, so a known event is skipped and duplicates within a run are dropped.

Config: ``sources.web.bucket_url`` (env ``SOURCES__WEB__BUCKET_URL``), required (no default: a run without it
fails at once naming the key).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional

import dlt
from dlt.sources import DltResource
from dlt.sources.filesystem import FileItemDict, filesystem

from ingestion.common import LoadedFiles
from ingestion.dlt_private import add_table_variant
from ingestion.errors import missing_setting_resource, missing_settings_message
from ingestion.quarantine import quarantine_items, with_quarantine
from ingestion.vendor_schema import declared_tables
from ingestion.web.helpers import dedup, parse_file, to_table
from ingestion.web.settings import BATCH_SIZE, FILE_GLOB, FILES_PER_RUN, TABLES

MERGE = {"disposition": "merge", "strategy": "insert-only"}


@dlt.transformer(name="events", write_disposition=MERGE, primary_key="messageId")
def read_events(files: Iterable[FileItemDict], batch_size: int = BATCH_SIZE) -> Iterator[Any]:
    """Segment events of the files not loaded yet, as Arrow batches per event table."""
    loaded = LoadedFiles("events")
    seen: set[str] = set()
    pending: dict[str, list[dict[str, Any]]] = {}
    bad: list[dict[str, Any]] = []
    size = 0
    for item in loaded.new(files):
        good, quarantined = parse_file(item.read_bytes(), item["file_url"])
        for table, events in good.items():
            fresh = list(dedup(events, seen))
            pending.setdefault(table, []).extend(fresh)
            size += len(fresh)
        bad.extend(quarantined)
        loaded.mark(item)
        if size >= batch_size:
            yield from _emit(pending)
            pending, size = {}, 0
    yield from _emit(pending)
    if bad:
        yield quarantine_items(bad)


def _emit(pending: dict[str, list[dict[str, Any]]]) -> Iterator[Any]:
    for table, events in pending.items():
        if events:
            yield dlt.mark.with_table_name(to_table(events), table)


@dlt.source(name="web")
def web(
    bucket_url: Optional[str] = dlt.config.value,
    file_glob: str = FILE_GLOB,
    batch_size: int = BATCH_SIZE,
) -> DltResource:
    """Segment log files under ``bucket_url`` -> ``identifies``, ``tracks``, ``pages`` (+ ``quarantine``)."""
    if bucket_url:
        # All files in one page: the reader then sees the whole run and drops duplicates across files.
        files = filesystem(bucket_url=bucket_url, file_glob=file_glob, files_per_page=FILES_PER_RUN).with_name("web_files")
    else:  # the same resources, failing the run with the key to set
        files = missing_setting_resource("web_files", missing_settings_message("web", ["bucket_url"]))
    events = files | read_events(batch_size=batch_size)
    declared = declared_tables("web")  # the Segment spec fields (transform/.../_web__sources.yml), typed
    for table in TABLES.values():
        columns = {name: dict(column) for name, column in declared.get(table, {}).items()}
        add_table_variant(
            events,
            dlt.mark.make_hints(table_name=table, write_disposition=MERGE, primary_key="messageId", columns=columns),
        )
    return with_quarantine(events)
