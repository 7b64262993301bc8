"""Helpers shared by the c360 file sources (email, web): a DuckDB scratch engine that parses, validates and
deduplicates vendor event files in bulk (the ledger of loaded files is ``ingestion/ledger.py``).

Why DuckDB: parsing each event into a Python dict, validating it in Python and building Arrow from dicts
costs tens of microseconds per event. DuckDB's JSON functions split a file into events, check a whole batch
with set-based expressions (one ``reason`` per bad event, ``NULL`` for a good one) and turn the good events
into typed Arrow columns in C++. Python only touches the rare bad records (to build their quarantine row
with the exact payload) and the files DuckDB cannot read whole (the salvage path, ``ingestion/salvage.py``).

Nested objects are flattened with ``__`` the way dlt's relational normalizer would
(``context.campaign.source`` -> ``context__campaign__source``); lists and fields whose JSON type varies
between events are kept as JSON text, so schema drift never fails a run (dlt's ``evolve`` contract adds
new columns).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.sources.filesystem import FileItemDict

from ingestion.errors import IngestionError
from ingestion.ledger import LoadedFiles

SEP = "__"

#: Memory DuckDB may use for one run's scratch work before it spills to its temporary folder.
SCRATCH_MEMORY_LIMIT = "1GB"

#: Python's name of the JSON type DuckDB reports (the quarantine reasons use Python's names).
PY_TYPE_SQL = (
    "CASE {x} WHEN 'VARCHAR' THEN 'str' WHEN 'BIGINT' THEN 'int' WHEN 'UBIGINT' THEN 'int' "
    "WHEN 'DOUBLE' THEN 'float' WHEN 'BOOLEAN' THEN 'bool' WHEN 'ARRAY' THEN 'list' "
    "WHEN 'OBJECT' THEN 'dict' WHEN 'NULL' THEN 'NoneType' ELSE lower({x}) END"
)
#: DuckDB's JSON types of a Python type name, as the validators of the sources name them.
JSON_TYPES: dict[type, tuple[str, ...]] = {
    str: ("VARCHAR",), int: ("BIGINT", "UBIGINT"), float: ("DOUBLE",), bool: ("BOOLEAN",),
    list: ("ARRAY",), dict: ("OBJECT",),
}
#: The characters Python's ``str.strip()`` removes, as an RE2 class: "blank" means what it meant in Python.
PY_SPACE = r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
#: ``repr()`` of a string, as Python prints it in a reason (``'x'``, or ``"it's"``).
PY_REPR_SQL = (
    "CASE WHEN contains({x}, '''') AND NOT contains({x}, '\"') THEN '\"' || replace({x}, '\\', '\\\\') || '\"' "
    "ELSE '''' || replace(replace({x}, '\\', '\\\\'), '''', '\\''') || '''' END"
)


def py_type(x: str) -> str:
    """SQL: Python's type name of the JSON type ``x`` (a ``json_type`` expression)."""
    return PY_TYPE_SQL.format(x=x)


def py_repr(x: str) -> str:
    """SQL: Python's ``repr`` of the string expression ``x``."""
    return PY_REPR_SQL.format(x=x)


def raw_json_type(raw: str) -> str:
    """SQL: DuckDB's JSON type name of ``raw``, the JSON text of one value as ``json_extract`` gives it, from its
    first character (no parse; NULL when the field is absent). A number is ``DOUBLE`` with a fraction or an
    exponent, else ``BIGINT``, as Python's ``json`` tells ``float`` from ``int`` (the types the reasons name)."""
    return (f"CASE WHEN {raw} IS NULL THEN NULL ELSE CASE left({raw}, 1) WHEN '\"' THEN 'VARCHAR' WHEN '{{' THEN 'OBJECT' "
            f"WHEN '[' THEN 'ARRAY' WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN' WHEN 'n' THEN 'NULL' "
            f"ELSE CASE WHEN regexp_matches({raw}, '[.eE]') THEN 'DOUBLE' ELSE 'BIGINT' END END END")


def type_names(t: type | tuple[type, ...]) -> str:
    return " or ".join(x.__name__ for x in (t if isinstance(t, tuple) else (t,)))


def json_types(t: type | tuple[type, ...]) -> str:
    """SQL list of the DuckDB JSON types accepted for Python type(s) ``t`` (a bool is never a number)."""
    names = [n for x in (t if isinstance(t, tuple) else (t,)) for n in JSON_TYPES[x]]
    return ", ".join(f"'{n}'" for n in names)


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def utf8_array(blobs: Sequence[bytes | None]) -> pa.ChunkedArray:
    """The files' bytes as Arrow text for DuckDB (a chunk per file), null where a file is not UTF-8 (or None).

    Why not ``bytes.decode`` and ``pa.array(texts)``: Arrow then copies each Python ``str`` (re-encoding it
    when it has non-ASCII characters), and a fresh copy of a batch (~70 MB) costs about 0.1 s of page faults
    alone. Each chunk here wraps the file's bytes without a copy, and Arrow's UTF-8 check applies the rules
    of Python's strict decoder (no surrogates, no overlong forms)."""
    return pa.chunked_array([_utf8(b) for b in blobs], pa.large_string())


def _utf8(data: bytes | None) -> pa.Array:
    if data is None:
        return pa.nulls(1, pa.large_string())
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    try:
        return pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return pa.nulls(1, pa.large_string())


def decode_texts(blobs: Sequence[bytes]) -> pa.ChunkedArray:
    """The files as text for DuckDB (a UTF-8 byte-order mark dropped), null where a file is not UTF-8."""
    return utf8_array([b[3:] if b.startswith(b"\xef\xbb\xbf") else b for b in blobs])


SCRATCH_PREFIX = "c360-events-"


def remove_stale_dirs(prefix: str, root: str | None = None) -> list[str]:
    """Removes the temporary folders ``<prefix><pid>-*`` of processes that are gone.

    A process that exits normally removes its own (TemporaryDirectory), but killed processes and Dagster's
    run workers do not; the folder name carries the creating pid, so a later process can tell.
    """
    removed = []
    for path in glob.glob(os.path.join(root or tempfile.gettempdir(), prefix + "*")):
        pid = os.path.basename(path)[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        except PermissionError:  # another user's live process
            continue
    return removed


def process_temp_dir(prefix: str) -> tempfile.TemporaryDirectory:
    """A new temporary folder named after this process (see :func:`remove_stale_dirs`), once the stale
    folders of the same prefix are removed."""
    remove_stale_dirs(prefix)
    return tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-")


def _strings(texts: pa.ChunkedArray | Sequence[str | None]) -> pa.Array | pa.ChunkedArray:
    return texts if isinstance(texts, pa.ChunkedArray) else pa.array(texts, pa.string())


class EventScratch:
    """A scratch DuckDB database for one run of a file source (a temporary file, removed on close).

    It holds the batch being read and the ids of the events already emitted in this run (``seen``), so a
    duplicate is dropped however far apart its copies are, while the memory stays bounded: DuckDB spills
    what exceeds :data:`SCRATCH_MEMORY_LIMIT` to disk.
    """

    def __init__(self) -> None:
        self._tmp = process_temp_dir(SCRATCH_PREFIX)
        path = Path(self._tmp.name)
        self.con = duckdb.connect(
            str(path / "scratch.duckdb"),
            config={"memory_limit": SCRATCH_MEMORY_LIMIT, "temp_directory": str(path / "spill"),
                    "preserve_insertion_order": "false"},
        )
        self.con.execute("SET TimeZone = 'UTC'")
        # a temporary table: spills to the same folder beyond the memory limit, but writes no WAL (half the cost)
        # the ids as their 128-bit md5: every batch's anti join reads all of them, and 16 fixed bytes a row read
        # faster than the id strings (the table grows with the run; at 1M customers 31 M Segment ids); two ids
        # sharing an md5 is out of reach (about 1 in 10^24 in such a run)
        self.con.execute("CREATE TEMP TABLE seen (h UHUGEINT)")
        self._structure: Any = None

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()

    def __enter__(self) -> "EventScratch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load_arrays(self, texts: pa.ChunkedArray | Sequence[str | None]) -> list[int]:
        """Splits each file of the batch (``texts[f]``: a JSON array as text, or null when it is no text)
        into the events table ``ev`` (``f``, ``idx``: position in the array, ``j``: the event as JSON) and
        returns the files DuckDB could not read whole (for the caller's salvage path, :meth:`add_events`)."""
        self.con.register("files_in", pa.table({"f": pa.array(range(len(texts)), pa.int64()),
                                                "content": _strings(texts)}))
        try:
            # one structure per file (DuckDB merges its events): much cheaper than one per event
            self.con.execute("CREATE OR REPLACE TEMP TABLE parsed AS SELECT f, l, "
                             "CASE WHEN l IS NOT NULL THEN json_structure(content) END AS s "
                             "FROM (SELECT f, content, try_cast(content AS JSON[]) AS l FROM files_in)")
        finally:
            self.con.unregister("files_in")
        self.con.execute("CREATE OR REPLACE TEMP TABLE ev AS "
                         "SELECT f, generate_subscripts(l, 1) - 1 AS idx, unnest(l) AS j FROM parsed WHERE l IS NOT NULL")
        self._structure = None
        mixed = []  # files whose items are not all objects: their structure is taken event by event
        for f, s in self.con.execute("SELECT f, s FROM parsed WHERE l IS NOT NULL").fetchall():
            parsed = json.loads(s)
            if isinstance(parsed, list) and parsed and isinstance(parsed[0], dict):
                self._structure = merge_structure(self._structure, parsed[0])
            elif isinstance(parsed, list) and parsed and parsed[0] != "NULL":
                mixed.append(f)
        if mixed:
            sql = ("SELECT DISTINCT json_structure(j) FROM ev WHERE json_type(j) = 'OBJECT' AND f IN "
                   f"({', '.join(map(str, mixed))})")
            for (s,) in self.con.execute(sql).fetchall():
                self._structure = merge_structure(self._structure, json.loads(s))
        unread = [f for (f,) in self.con.execute("SELECT f FROM parsed WHERE l IS NULL").fetchall()]
        self.con.execute("DROP TABLE parsed")
        return unread

    def load_lines(self, texts: pa.ChunkedArray | Sequence[str | None], lines: Sequence[tuple[int, int, str]]) -> None:
        """The lines of each file of the batch as ``ev`` (``f``, ``idx``: line number from 1, ``j``: the line
        as text): ``texts[f]`` is a whole file (None if the caller split it), ``lines`` are lines the caller
        split itself (file, number, text). Lines end at CR, LF or CRLF, as ``bytes.splitlines``.

        ``ev`` is a view over the batch's Arrow data, split by the one query that reads it (copying ~70 MB of
        lines into a table first cost about 0.1 s a batch); :meth:`drop_lines` releases it."""
        self.con.register("files_in", pa.table({"f": pa.array(range(len(texts)), pa.int64()),
                                                "content": _strings(texts)}))
        self.con.register("lines_in", pa.table({"f": pa.array([x[0] for x in lines], pa.int64()),
                                                "idx": pa.array([x[1] for x in lines], pa.int64()),
                                                "j": pa.array([x[2] for x in lines], pa.string())}))
        self.con.execute(
            "CREATE OR REPLACE TEMP VIEW ev AS "
            "SELECT f, generate_subscripts(a, 1) AS idx, unnest(a) AS j FROM ("
            "  SELECT f, CASE WHEN contains(content, chr(13)) THEN regexp_split_to_array(content, '\r\n|\r|\n') "
            "                 ELSE string_split(content, chr(10)) END AS a FROM files_in WHERE content IS NOT NULL) "
            "UNION ALL SELECT f, idx, j FROM lines_in"
        )

    def drop_lines(self) -> None:
        """Drops the view :meth:`load_lines` made and lets go of the batch's text."""
        self.con.execute("DROP VIEW IF EXISTS ev")
        self.con.unregister("files_in")
        self.con.unregister("lines_in")

    def add_events(self, events: Sequence[tuple[int, int, str]]) -> None:
        """Adds events read by the caller's salvage path (file, position, JSON text) to ``ev``."""
        if not events:
            return
        self.con.register("salvaged", pa.table({"f": pa.array([e[0] for e in events], pa.int64()),
                                                "idx": pa.array([e[1] for e in events], pa.int64()),
                                                "j": pa.array([e[2] for e in events], pa.string())}))
        try:
            self.con.execute("INSERT INTO ev SELECT f, idx, j::JSON FROM salvaged")
            for (s,) in self.con.execute("SELECT DISTINCT json_structure(j) FROM salvaged").fetchall():
                self._structure = merge_structure(self._structure, json.loads(s))
        finally:
            self.con.unregister("salvaged")

    def keep_first(self, source: str, target: str, columns: str = "j, id") -> None:
        """``target`` := ``columns`` of the good rows (``reason IS NULL``) of ``source`` (which has ``f``,
        ``idx``, ``id``, ``reason``) whose ``id`` was not emitted before in this run, one per id (the first
        by file and position); their ids are then remembered.

        Set-based on narrow columns: the first (file, position) per id is found by a grouped ``min`` over
        ids and positions alone, then the wide rows are kept by a semi join (a window over the rows would
        drag each whole event through its sort)."""
        key = "f * 4294967296 + idx"  # (file, position) as one orderable number: positions stay below 2^32
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT {columns} FROM {source} s"
            f" ANTI JOIN seen ON seen.h = md5_number(s.id)"
            f" SEMI JOIN (SELECT min({key}) AS k FROM {source} WHERE reason IS NULL GROUP BY id) m ON m.k = {key}"
            f" WHERE reason IS NULL"
        )
        self.con.execute(f"INSERT INTO seen SELECT md5_number(id) FROM {target}")

    def structure(self, fixed: dict[str, str] | None = None) -> dict[str, Any]:
        """The merged JSON structure of the batch's events (:func:`merge_structure`), ``fixed`` fields
        (validated to one type) set to their type: a bad event never turns such a column into text."""
        out = dict(self._structure) if isinstance(self._structure, dict) else {}
        for key, typ in (fixed or {}).items():
            if key in out:
                out[key] = typ
        return out

    def to_arrow(self, table: str, structure: dict[str, Any], where: str = "true",
                 timestamps: Sequence[str] = (), extra: str = "") -> pa.Table:
        """The events (``j``) of ``table`` as a flat typed Arrow table (``a__b`` columns).

        ``timestamps`` are top-level fields read as UTC timestamps; ``extra`` adds SQL columns (``expr AS name``).
        """
        columns = column_types(structure)
        for name in timestamps:
            if name in columns:
                columns[name] = "TIMESTAMPTZ"
        select = [f"json_transform(j, {sql_str(json.dumps(columns))}) AS s"] if columns else []
        if extra:
            select.append(extra)
        result = self.con.sql(f"SELECT {', '.join(select)} FROM {table} WHERE {where}").to_arrow_table()
        out = result.drop_columns(["s"]) if columns else result
        if not columns:
            return out
        flat = flat_columns(pa.Table.from_struct_array(result["s"]), structure)
        for name in out.column_names:
            flat = flat.append_column(name, out[name])
        return flat


def flat_columns(table: pa.Table, structure: dict[str, Any]) -> pa.Table:
    """``table`` (typed by :func:`column_types` of ``structure``) as the flat columns dlt would make: nested
    objects as ``a__b`` columns, an empty object no value, no column for a field null in every row (as with
    dlt; such a field may come from a bad event)."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    table = table.rename_columns([name.replace(".", SEP) for name in table.column_names])
    table = _drop_empty_objects(table, _json_columns(structure))
    return table.drop_columns([n for n in table.column_names if table[n].null_count == table.num_rows])


_NUMBERS = ("UBIGINT", "BIGINT", "DOUBLE")


def merge_structure(a: Any, b: Any) -> Any:
    """The structure of values of structure ``a`` or ``b`` (DuckDB's ``json_structure`` notation): objects
    merge key by key, lists by element, integers and floats give ``DOUBLE``, null gives way to anything, and
    any other mix is ``JSON`` (kept as text)."""
    if a is None or a == "NULL":
        return b
    if b is None or b == "NULL" or a == b:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = merge_structure(out.get(key), value)
        return out
    if isinstance(a, list) and isinstance(b, list):
        return [merge_structure(a[0] if a else None, b[0] if b else None)]
    if a in _NUMBERS and b in _NUMBERS:
        return "DOUBLE" if "DOUBLE" in (a, b) else "BIGINT"
    return "JSON"


def column_types(structure: dict[str, Any]) -> dict[str, Any]:
    """The ``json_transform`` structure of the Arrow columns: lists and fields of varying JSON type become
    JSON text (``VARCHAR``), always-null fields no column (as with dlt), integers ``BIGINT``."""
    out: dict[str, Any] = {}
    for key, value in structure.items():
        if isinstance(value, dict):
            inner = column_types(value)
            if inner:
                out[key] = inner
        elif isinstance(value, list) or value == "JSON":
            out[key] = "VARCHAR"
        elif value != "NULL":
            out[key] = "BIGINT" if value == "UBIGINT" else value
    return out


def _json_columns(structure: dict[str, Any], prefix: str = "") -> list[str]:
    """Flat names of the fields whose structure is ``JSON`` (an empty object, or types that vary)."""
    out = []
    for key, value in structure.items():
        if isinstance(value, dict):
            out.extend(_json_columns(value, f"{prefix}{key}{SEP}"))
        elif value == "JSON":
            out.append(f"{prefix}{key}")
    return out


def _drop_empty_objects(table: pa.Table, names: list[str]) -> pa.Table:
    """An empty object is no value (dlt's normalizer drops it): ``{}`` becomes null, an all-``{}`` column goes."""
    for name in names:
        if name not in table.column_names:
            continue
        col = table[name]
        empty = pc.equal(col, "{}")
        if not pc.any(empty).as_py():
            continue
        cleaned = pc.if_else(empty, pa.scalar(None, col.type), col)
        if cleaned.null_count == len(cleaned):
            table = table.drop_columns([name])
        else:
            table = table.set_column(table.column_names.index(name), name, cleaned)
    return table


#: dlt's default naming convention (snake_case), the one the raw datasets are named with.
DLT_NAMING = NamingConvention()


def dlt_names(table: pa.Table, prefer: Sequence[str] = ()) -> pa.Table:
    """``table`` with its columns named as dlt's naming convention names them (``messageId`` -> ``message_id``,
    ``context__userAgent`` -> ``context__user_agent``): the reader hands dlt the names it would make, so dlt's
    hints (``message_id``) and the data never name one column twice (dlt would warn and merge them).

    Vendor fields that name the same column (``firstName`` and ``first_name``; dlt would fail the run on them)
    become one column: per row the first non-null value of, in order, the ``prefer`` fields (the validated
    spec fields), the one already named as dlt names it, the others in column order; cast to that first
    column's type (all to text when a value does not cast)."""
    groups: dict[str, list[str]] = {}
    for name in table.column_names:
        groups.setdefault(DLT_NAMING.normalize_path(name), []).append(name)
    if all(members == [name] for name, members in groups.items()):
        return table
    columns = []
    for name, members in groups.items():
        members = sorted(members, key=lambda n: (n not in prefer, n != name))  # stable: column order otherwise
        merged = [table[n] for n in members]
        if len(merged) > 1:
            try:
                merged = [merged[0], *(pc.cast(c, merged[0].type) for c in merged[1:])]
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                merged = [pc.cast(c, pa.string()) for c in merged]
        columns.append(pc.coalesce(*merged) if len(merged) > 1 else merged[0])
    return pa.table(columns, names=list(groups), metadata=table.schema.metadata)


def not_null(table: pa.Table, names: Sequence[str]) -> pa.Table:
    """Marks key columns (validated, so never null) as non-nullable, matching their dlt primary-key hints
    (otherwise dlt warns on every batch that the Arrow and dlt schemas differ)."""
    fields = [f.with_nullable(False) if f.name in names else f for f in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def scratch_error(source: str, batch: Sequence[tuple[FileItemDict, bytes]], exc: Exception) -> IngestionError:
    """The error of a batch DuckDB could not process (out of memory, most likely), naming where it was and
    the limit, instead of whatever dlt's generator machinery would leave as the root cause."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return IngestionError(
        f"{source} source: DuckDB could not read the batch of {len(batch)} files from "
        f"{batch[0][0]['relative_path']} on ({first}); its scratch memory limit is {SCRATCH_MEMORY_LIMIT}"
    )


def read_new_files(
    source: str,
    files: Iterable[FileItemDict],
    batch_bytes: int,
    read_batch: Callable[[EventScratch, list[tuple[str, bytes]]], Any],
) -> Iterator[Any]:
    """What ``read_batch`` makes of each batch of the files whose content is new (the ``events`` resource's
    ledger, :meth:`ingestion.ledger.FileLedger.batches`), read in one scratch DuckDB for the whole run.

    A batch's files are marked loaded only when the caller asks for the next batch, i.e. after it has yielded
    everything of this one; the ledger is compacted once all are read. A DuckDB failure is raised as
    :func:`scratch_error`.
    """
    loaded = LoadedFiles("events")
    with EventScratch() as scratch:
        for batch in loaded.batches(files, batch_bytes):
            try:
                out = read_batch(scratch, [(item["file_url"], data) for item, data in batch])
            except duckdb.Error as exc:
                raise scratch_error(source, batch, exc) from exc
            yield out
            for item, _ in batch:
                loaded.mark(item)
    loaded.compact()
