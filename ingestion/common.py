"""Helpers shared by the c360 file sources (email, web): flattening, Arrow batches, loaded-file tracking.

Events are parsed in Python (the vendors write JSON) but handed to dlt as Arrow tables: dlt's Arrow path
writes Parquet straight through, several times faster than normalizing dicts. Nested objects are flattened
with ``__`` the way dlt's relational normalizer would (``context.campaign.source`` ->
``context__campaign__source``), so the raw tables look the same either way.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence

import dlt
import pyarrow as pa
from dlt.sources.filesystem import FileItemDict

SEP = "__"


def flatten(record: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Nested dicts become ``parent__child`` keys. Lists stay values (stored as JSON text by :func:`to_arrow`)."""
    if out is None:
        out = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if value:
                flatten(value, name + SEP, out)
        else:
            out[name] = value
    return out


def _column(values: list[Any]) -> pa.Array:
    """An Arrow column, typed by pyarrow's inference; a column mixing types falls back to text (JSON for
    non-strings) so one odd optional field never fails a batch."""
    try:
        arr = pa.array(values)
        if pa.types.is_struct(arr.type) or pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
            raise pa.ArrowTypeError("nested")  # keep lists/objects as JSON text, like dlt's json columns
        return arr
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pa.array(
            [
                None if v is None else v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
                for v in values
            ],
            type=pa.string(),
        )


def to_arrow(rows: Sequence[dict[str, Any]], columns: dict[str, pa.DataType] | None = None) -> pa.Table:
    """Flat dict rows -> Arrow table over the union of their keys (pyarrow's from_pylist only looks at the
    first row's keys). ``columns`` fixes the type of known columns."""
    names: dict[str, None] = {}
    for row in rows:
        for key in row:
            names.setdefault(key, None)
    arrays = {}
    for name in names:
        values = [row.get(name) for row in rows]
        typ = (columns or {}).get(name)
        arrays[name] = pa.array(values, type=typ) if typ is not None else _column(values)
    return pa.table(arrays)


def stable_id(*parts: str) -> str:
    """A deterministic 14-character row id (dlt's ``_dlt_id`` width) from the row's natural key.

    Deterministic so that a nested row (``events__category``) always points at the same parent, however
    often the parent is re-delivered.
    """
    h = hashlib.blake2b("\x00".join(parts).encode("utf-8", errors="replace"), digest_size=10)
    return base64.b64encode(h.digest()).decode()[:14]


class LoadedFiles:
    """The files a resource has already loaded, kept in the source's dlt state (committed with the load).

    Why not only ``dlt.sources.incremental("modification_date")``: a file that lands late with an older
    modification time (``rsync -a``, ``cp -p``, a re-delivered export, clock skew between writers) would be
    skipped forever. Keeping the names of loaded files is robust to that; a file whose modification time
    changed (rewritten in place) is read again, which the event-id dedup makes harmless.
    """

    def __init__(self, resource: str) -> None:
        self.resource = resource

    def _state(self) -> dict[str, str]:
        return dlt.current.source_state().setdefault("loaded_files", {}).setdefault(self.resource, {})

    @staticmethod
    def _stamp(item: FileItemDict) -> str:
        mtime = item.get("modification_date")
        return mtime.isoformat() if isinstance(mtime, datetime) else str(mtime)

    def new(self, items: Iterable[FileItemDict]) -> Iterator[FileItemDict]:
        """Yields only files not loaded yet (or modified since)."""
        state = self._state()
        for item in items:
            if state.get(item["relative_path"]) != self._stamp(item):
                yield item

    def mark(self, item: FileItemDict) -> None:
        self._state()[item["relative_path"]] = self._stamp(item)
