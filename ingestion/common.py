"""Helpers shared by the c360 file sources (email, web): flattening, Arrow batches, loaded-file tracking.

Events are parsed in Python (the vendors write JSON) but handed to dlt as Arrow tables: dlt's Arrow path
writes Parquet straight through, several times faster than normalizing dicts. Nested objects are flattened
with ``__`` the way dlt's relational normalizer would (``context.campaign.source`` ->
``context__campaign__source``), so the raw tables look the same either way.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
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


def records_to_arrow(
    rows: Sequence[dict[str, Any]],
    timestamp_columns: Sequence[str] = (),
    columns: dict[str, pa.DataType] | None = None,
) -> pa.Table:
    """Nested JSON records -> a flat Arrow table (``a__b`` columns), built in Arrow's C++ code.

    pyarrow infers one struct type over all records (the union of their keys) and flattens it; lists
    become JSON text (as :func:`to_arrow` does) and ISO-8601 strings in ``timestamp_columns`` become UTC
    timestamps. A batch whose records disagree on a field's type falls back to the per-column path of
    :func:`to_arrow`, which stores such a field as text.
    """
    try:
        table = pa.Table.from_struct_array(pa.array(rows))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        table = to_arrow([flatten(r) for r in rows], columns)
    else:
        while any(pa.types.is_struct(f.type) for f in table.schema):
            table = table.flatten()
        table = table.rename_columns([name.replace(".", SEP) for name in table.column_names])
        for i, f in enumerate(table.schema):
            if pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
                table = table.set_column(i, f.name, _column(table[f.name].to_pylist()))
            elif pa.types.is_struct(f.type):  # pragma: no cover - flattened above
                continue
        for name, typ in (columns or {}).items():
            if name in table.column_names and table[name].type != typ:
                table = table.set_column(table.column_names.index(name), name, table[name].cast(typ))
    for name in timestamp_columns:
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, iso_to_timestamp(table[name]))
    return table


_TS = pa.timestamp("us", tz="UTC")


def iso_to_timestamp(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """ISO-8601 strings -> UTC timestamps, vectorized; values Arrow cannot parse go through Python."""
    if pa.types.is_timestamp(col.type):
        return col.cast(_TS)
    try:
        return col.cast(_TS)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = []
        for v in col.to_pylist():
            if v is None:
                out.append(None)
                continue
            ts = v if isinstance(v, datetime) else datetime.fromisoformat(v)
            out.append(ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc))
        return pa.array(out, _TS)


def not_null(table: pa.Table, names: Sequence[str]) -> pa.Table:
    """Marks key columns (validated, so never null) as non-nullable, matching their dlt primary-key hints
    (otherwise dlt warns on every batch that the Arrow and dlt schemas differ)."""
    fields = [f.with_nullable(False) if f.name in names else f for f in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


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
