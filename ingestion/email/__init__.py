"""SendGrid email events: Event Webhook batch files (JSON arrays) in a folder or bucket -> ``raw_email``.

Files are listed with dlt's ``filesystem`` resource (any fsspec bucket URL: a local folder, ``s3://``,
``gs://``, ``az://``...) and read by the ``events`` transformer, which

* reads only files it has not loaded before (a bounded ledger in dlt state, :class:`ingestion.ledger.FileLedger`),
* parses and validates the files in batches with DuckDB (:mod:`ingestion.email.helpers`): every event against
  the SendGrid format, the rest quarantined (``quarantine`` table),
* normalizes ``category`` (a string or an array) to a list, stored in ``events__category``,
* yields Arrow tables, merged with the ``insert-only`` strategy on ``sg_event_id``: events are immutable, so
  an event already in the table is skipped (no delete, no update) and duplicates within a run are dropped
  before loading.

Config: ``sources.email.bucket_url`` (env ``SOURCES__EMAIL__BUCKET_URL``), required (no default: a run without
it fails at once naming the key).
Credentials for a cloud bucket go where dlt's filesystem source expects them (``sources.email.credentials``).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional

import dlt
from dlt.sources import DltResource
from dlt.sources.filesystem import FileItemDict, filesystem

from ingestion.common import read_new_files
from ingestion.email.helpers import read_batch
from ingestion.email.settings import BATCH_BYTES, FILE_GLOB, FILES_PER_RUN
from ingestion.dlt_private import add_table_variant
from ingestion.errors import missing_setting_resource, missing_settings_message
from ingestion.quarantine import quarantine_items, with_quarantine
from ingestion.vendor_schema import column_hints

EVENTS_HINTS: dict[str, Any] = {
    "primary_key": "sg_event_id",
    "write_disposition": {"disposition": "merge", "strategy": "insert-only"},
}
CATEGORY_TABLE = "events__category"


def category_hints(strategy: str = "insert-only") -> Any:
    """Hints of ``events__category``: merged like its parent, keyed by parent and position."""
    return dlt.mark.make_hints(
        table_name=CATEGORY_TABLE,
        write_disposition={"disposition": "merge", "strategy": strategy},
        primary_key=["_dlt_parent_id", "_dlt_list_idx"],
    )


@dlt.transformer(name="events", **EVENTS_HINTS)
def read_events(files: Iterable[FileItemDict], batch_bytes: int = BATCH_BYTES) -> Iterator[Any]:
    """SendGrid events of the files not loaded yet, as Arrow batches; bad events go to ``quarantine``.

    Files whose content is new are read in batches of about ``batch_bytes``
    (:meth:`ingestion.ledger.FileLedger.batches`), so memory is bounded by the batch; the run's scratch
    DuckDB keeps the ids already emitted (spilling to disk).
    """
    for out in read_new_files("email", files, batch_bytes, read_batch):
        if out.events is not None:
            yield out.events
            if out.categories.num_rows:
                yield dlt.mark.with_table_name(out.categories, CATEGORY_TABLE)
        if out.quarantine:
            yield quarantine_items(out.quarantine)


@dlt.source(name="email")
def email(
    bucket_url: Optional[str] = dlt.config.value,
    file_glob: str = FILE_GLOB,
    batch_bytes: int = BATCH_BYTES,
    merge_strategy: str = "insert-only",
) -> DltResource:
    """SendGrid Event Webhook files under ``bucket_url`` -> ``events`` (+ ``events__category``, ``quarantine``).

    ``merge_strategy`` (``sources.email.merge_strategy``) exists for benchmarking the alternatives
    (``delete-insert``, ``upsert``); ``insert-only`` is the right one for immutable events.
    """
    if bucket_url:
        # All files in one page: the transformer reads them in batches of bytes and drops duplicate events
        # across the whole run (fsspec lists the whole bucket before yielding anyway).
        files = filesystem(bucket_url=bucket_url, file_glob=file_glob, files_per_page=FILES_PER_RUN).with_name("email_files")
    else:  # the same resources, failing the run with the key to set
        files = missing_setting_resource("email_files", missing_settings_message("email", ["bucket_url"]))
    events = files | read_events(batch_bytes=batch_bytes)
    merge = {"disposition": "merge", "strategy": merge_strategy}
    # the declared SendGrid fields (transform/.../_email__sources.yml) exist with their types even when always null
    events.apply_hints(write_disposition=merge, columns=column_hints("email", "events"))
    add_table_variant(events, category_hints(merge_strategy))
    return with_quarantine(events)
