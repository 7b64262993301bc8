"""The gate that keeps erased people out: every c360 load drops records that match a tombstone before they are
written (raw tables and quarantine alike).

:func:`guard` adds one step to every resource of a source (``DltResource.add_step``, dlt's public transform
hook). The step reads the tombstones once per run, lazily at the first item (a run with no erasure ever made
reads nothing else and passes items through untouched), and drops dict records, rows of Arrow tables and
quarantine rows whose emails, phones or record ids hash to one (:class:`privacy.matching.Matcher`). Dropped
records are counted in the log, never their values.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb

from c360 import settings
from privacy import store
from privacy.matching import RAW_KEYS, Matcher

log = logging.getLogger(__name__)


def load_matcher(warehouse: Path | None = None) -> Matcher | None:
    """The tombstones of ``warehouse`` as a matcher, or None when nothing was ever erased."""
    warehouse = Path(warehouse or settings.warehouse_path())
    if not warehouse.exists():
        return None
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.ConnectionException:
        # this process already has the file open read-write (an in-process run): a second, same-config connection
        con = duckdb.connect(str(warehouse))
    try:
        salt, digests = store.tombstone_digests(con)
    finally:
        con.close()
    return Matcher(salt, digests) if digests and salt else None


class TombstoneFilter:
    """One resource's step: drops the erased people's records."""

    def __init__(self, source: str, resource: str) -> None:
        self.dataset = settings.RAW_DATASETS[source]
        self.resource = resource
        self.keys = RAW_KEYS.get((self.dataset, resource), {})
        self.quarantine_keys = {t: k for (ds, t), k in RAW_KEYS.items() if ds == self.dataset}
        self._matcher: Matcher | None | bool = False  # False: not read yet
        self.dropped = 0

    @property
    def matcher(self) -> Matcher | None:
        if self._matcher is False:
            self._matcher = load_matcher()
        return self._matcher  # type: ignore[return-value]

    def _hit(self, row: Any, quarantine: bool) -> bool:
        if not isinstance(row, dict):
            return False
        if quarantine:
            return self.matcher.payload_hits(row.get("payload"), self.quarantine_keys.get(row.get("resource"), {}),
                                             row.get("payload_encoding"))
        return self.matcher.record_hits(row, self.keys)

    def __call__(self, item: Any, meta: Any = None) -> Any:
        if self.matcher is None:
            return item
        quarantine = getattr(meta, "table_name", None) == "quarantine"
        if isinstance(item, list):
            kept = [r for r in item if not self._hit(r, quarantine)]
            self._count(len(item) - len(kept))
            return kept or None
        if isinstance(item, dict):
            if self._hit(item, quarantine):
                self._count(1)
                return None
            return item
        if hasattr(item, "to_pylist") and hasattr(item, "filter"):  # an Arrow table or record batch
            mask = [not self._hit(r, quarantine) for r in item.to_pylist()]
            dropped = mask.count(False)
            if not dropped:
                return item
            self._count(dropped)
            return item.filter(mask) if dropped < len(mask) else None
        return item

    def _count(self, n: int) -> None:
        if n:
            self.dropped += n
            log.info("%s.%s: dropped %d record(s) of erased people", self.dataset, self.resource, n)


def guard(source_name: str, dlt_source: Any) -> Any:
    """``dlt_source`` with the tombstone filter on every resource."""
    for name, resource in dlt_source.resources.items():
        resource.add_step(TombstoneFilter(source_name, name))
    return dlt_source
