"""Parsing and validation of Segment event files (gzipped JSON lines, Segment's S3 destination layout), a batch
of files at a time.

Each file is gunzipped in Python (a broken stream keeps its complete lines, :func:`ingestion.salvage.gunzip_lines`)
and its lines go to the run's scratch DuckDB (:class:`ingestion.common.EventScratch`), which reads the fields
the Segment spec fixes from every line in one pass, gives each bad line its ``reason`` with one set-based
expression (:func:`reason_sql`, the rules of ``settings.py``), drops events already emitted in this run and
turns the rest into one Arrow table per Segment call type (``identifies``, ``tracks``, ...).
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

from ingestion.common import (
    PY_SPACE, EventScratch, dlt_names, merge_structure, not_null, py_repr, py_type, raw_json_type, sql_str,
    utf8_array,
)
from ingestion.quarantine import future_limit, quarantine_row
from ingestion.salvage import gunzip_lines, strip_bom
from ingestion.web.settings import OBJECT_KEYS, PRIMARY_KEY, STRING_KEYS, TABLES, TIMESTAMP_KEYS

SOURCE = "web"
UNKNOWN_TABLE = "events"

#: The fields the rules look at, read (as raw JSON) in one pass over each line.
CHECKED = list(dict.fromkeys(["type", "messageId", "timestamp", *STRING_KEYS, *OBJECT_KEYS, *TIMESTAMP_KEYS,
                              "userId", "anonymousId", "event", "groupId", "previousId"]))
#: ISO-8601 as Python's ``datetime.fromisoformat`` reads it in Segment's fields (extended format).
ISO = r"\d{4}-\d{2}-\d{2}([T ]\d{2}(:\d{2}(:\d{2}([.,]\d+)?)?)?(Z|[+-]\d{2}(:?\d{2}(:?\d{2}(\.\d+)?)?)?)?)?"


#: An empty ``_dlt_load_id`` column, which dlt's extract fills with the load id *in place*. Without it dlt
#: appends the column at the end of each file, while the table's schema has it where the first batch left it
#: (later batches add columns after it): the order differs, and dlt's normalize rewrites every Parquet file
#: (~7 % of a web run's CPU) instead of moving it. dlt fills it because c360 sets
#: ``normalize.parquet_normalizer.add_dlt_load_id`` (``ingestion/pipelines.py``). Non-nullable as the schema
#: has it; left empty it would fail the load on the table's NOT NULL rather than load rows without a load id.
LOAD_ID_SLOT = pa.field("_dlt_load_id", pa.string(), nullable=False)


@dataclass
class Batch:
    """What one batch of files gave: an Arrow table per Segment table, quarantine rows."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    quarantine: list[dict[str, Any]] = field(default_factory=list)


def _raw(key: str) -> str:
    return f"x[{CHECKED.index(key) + 1}]"


def _json_type(key: str) -> str:
    """SQL: DuckDB's JSON type name of a checked field, from the first character of its raw JSON (no parse)."""
    return raw_json_type(_raw(key))


def _type(key: str) -> str:
    return f'"t:{key}"'


def _str(key: str) -> str:
    return f"v_{key}"


def _ts(value: str) -> str:
    """SQL: the UTC timestamp of an ISO-8601 text (Python's forms: ``,`` for ``.``, an hour without minutes)."""
    dotted = f"replace({value}, ',', '.')"
    norm = f"regexp_replace({dotted}, '^(\\d{{4}}-\\d{{2}}-\\d{{2}}[T ]\\d{{2}})([^:\\d]|$)', '\\1:00\\2')"
    # a ':' after the hour (the usual form) leaves nothing for the pattern to change: no regex on those
    return f"TRY_CAST(CASE WHEN substr({value}, 14, 1) = ':' THEN {dotted} ELSE {norm} END AS TIMESTAMPTZ)"


def _stamp(key: str) -> str:
    return f'"ts:{key}"'


def _iso(key: str) -> str:
    return f'"iso:{key}"'


def reason_sql(limit: str) -> str:
    """SQL: why the line (root ``jt``, raw checked fields ``x``, string values ``v_<key>``, timestamp fields read
    ``"ts:<key>"`` and whether they have an ISO-8601 form ``"iso:<key>"``) is not a Segment event, or NULL; the
    first rule broken gives the reason, in the order of the Segment rules."""
    rules = ["WHEN jt = 'invalid' THEN 'unparseable: line is not JSON'",
             "WHEN jt <> 'OBJECT' THEN 'wrong_type: event is a JSON ' || " + py_type("jt") + " || ', not an object'"]
    for key in ("type", "messageId", "timestamp"):
        rules.append(f"WHEN coalesce({_type(key)}, 'NULL') = 'NULL' THEN 'missing_key: {key}'")
    for key in STRING_KEYS:
        t = _type(key)
        rules.append(f"WHEN coalesce({t}, 'NULL') NOT IN ('NULL', 'VARCHAR') THEN 'wrong_type: {key} is ' || {py_type(t)} || ', expected str'")
    for key in OBJECT_KEYS:
        t = _type(key)
        rules.append(f"WHEN coalesce({t}, 'NULL') NOT IN ('NULL', 'OBJECT') THEN "
                     f"'wrong_type: {key} is ' || {py_type(t)} || ', expected an object'")
    types = ", ".join(sql_str(t) for t in TABLES)
    rules += [
        f"WHEN v_type NOT IN ({types}) THEN 'invalid_value: type ' || {py_repr('v_type')} || ' is not a Segment event type'",
        "WHEN coalesce(v_userId, '') = '' AND coalesce(v_anonymousId, '') = '' THEN 'missing_key: userId or anonymousId'",
        f"WHEN regexp_full_match(v_messageId, '{PY_SPACE}*') THEN 'invalid_value: messageId is empty'",
        f"WHEN v_type = 'track' AND coalesce({_type('event')}, 'NULL') = 'NULL' THEN 'missing_key: event'",
        # Segment spec: a group call names its group, an alias call the id it replaces and the new userId
        "WHEN v_type = 'group' AND coalesce(v_groupId, '') = '' THEN 'missing_key: groupId'",
        "WHEN v_type = 'alias' AND (coalesce(v_previousId, '') = '' OR coalesce(v_userId, '') = '') "
        "THEN 'missing_key: previousId and userId'",
    ]
    for key in TIMESTAMP_KEYS:
        t, v = _type(key), _str(key)
        rules += [
            f"WHEN coalesce({t}, 'NULL') NOT IN ('NULL', 'VARCHAR') THEN "
            f"'wrong_type: {key} is ' || {py_type(t)} || ', expected an ISO-8601 string'",
            f"WHEN {v} IS NOT NULL AND (NOT {_iso(key)} OR {_stamp(key)} IS NULL) THEN "
            f"'wrong_type: {key} ' || {py_repr(v)} || ' is not an ISO-8601 timestamp'",
            f"WHEN {_stamp(key)} > {limit} THEN 'future_timestamp: {key} ' || {v} || ' is more than a day ahead'",
        ]
    return "CASE " + " ".join(rules) + " END"


#: The checked fields whose string values the rules or the columns use.
STRINGS = ("type", "messageId", "userId", "anonymousId", "groupId", "previousId", *TIMESTAMP_KEYS)


def _unescaped(raw: str) -> str:
    """SQL: the value of the JSON string ``raw`` (as ``json_extract`` writes it): without a backslash it is the
    text between the quotes (no parse); otherwise DuckDB decodes the escapes."""
    return f"CASE WHEN contains({raw}, '\\') THEN {raw}::JSON->>'$' ELSE ({raw}::VARCHAR)[2:-2] END"


def _checked_sql(limit: str) -> str:
    """SQL: ``checked`` := each line of ``ev`` with its ``id``, ``reason`` (NULL when good), table and timestamps.
    The line is parsed once for the rules (``json_extract`` of every checked field); types, values and
    timestamps come from those small raw texts, each computed once."""
    paths = "[" + ", ".join(sql_str(f'$."{k}"') for k in CHECKED) + "]"
    strings = ", ".join(f"CASE WHEN {_type(k)} = 'VARCHAR' THEN {_unescaped(_raw(k))} END AS {_str(k)}" for k in STRINGS)
    stamps = ", ".join(f"{_ts(_str(k))} AS {_stamp(k)}, regexp_full_match({_str(k)}, '{ISO}') AS {_iso(k)}"
                       for k in TIMESTAMP_KEYS)
    tables = ", ".join(f"{sql_str(k)}: {sql_str(v)}" for k, v in TABLES.items())
    return f"""
        CREATE OR REPLACE TEMP TABLE checked AS
        SELECT f, idx, j, v_messageId AS id, reason,
               CASE WHEN reason IS NULL OR {_type('type')} = 'VARCHAR' THEN coalesce(MAP {{{tables}}}[v_type], '{UNKNOWN_TABLE}')
                    ELSE '{UNKNOWN_TABLE}' END AS tbl,
               {", ".join(f"{_stamp(k)} AS {json.dumps(k)}" for k in TIMESTAMP_KEYS)}
        FROM (SELECT *, {reason_sql(limit)} AS reason
              FROM (SELECT *, {stamps}
                    FROM (SELECT *, {strings}
                          FROM (SELECT f, idx, j, x, {", ".join(f"{_json_type(k)} AS {_type(k)}" for k in CHECKED)},
                                       CASE WHEN x IS NULL THEN 'invalid' WHEN left(ltrim(j, ' \t\r\n'), 1) = '{{' THEN 'OBJECT'
                                            ELSE json_type(j) END AS jt
                                FROM (SELECT f, idx, j, CASE WHEN json_valid(j) THEN json_extract(j, {paths}) END AS x FROM ev
                                      WHERE NOT regexp_full_match(j, '[ \\t\\n\\r\\x0b\\x0c]*'))))))
    """


def _gunzip(data: bytes) -> tuple[bytes | None, list[bytes], str | None]:
    """(the whole file, when it is a sound gzip stream; else its complete lines; why the stream is broken, or
    None)."""
    try:
        return strip_bom(gzip.decompress(data)), [], None
    except (OSError, EOFError, zlib.error):
        lines, broken = gunzip_lines(data)
        return None, lines, broken


def read_batch(scratch: EventScratch, files: list[tuple[str, bytes]]) -> Batch:
    """Events of a batch of files (``(origin, bytes)``): new valid ones as Arrow per table (columns named as
    dlt names them, :func:`ingestion.common.dlt_names`), bad ones as quarantine rows. An event whose
    ``messageId`` was already emitted in this run is dropped (Segment delivers at least once); one already in
    the warehouse is skipped by the ``insert-only`` merge."""
    con = scratch.con
    origins = [origin for origin, _ in files]
    batch = Batch()
    read = [_gunzip(data) for _, data in files]
    texts = utf8_array([raw for raw, _, _ in read])  # sound files whole, as Arrow text (null: not UTF-8)
    lines: list[tuple[int, int, str]] = []
    for f, (raw, split, broken) in enumerate(read):
        if raw is not None and not texts[f].is_valid:
            split = raw.splitlines()
        for number, line in enumerate(split, 1):
            try:
                lines.append((f, number, line.decode("utf-8")))
            except UnicodeDecodeError:  # orjson says why, as the quarantine always has
                batch.quarantine.append(_unparseable(origins[f], line, number))
        if broken:
            batch.quarantine.append(quarantine_row(SOURCE, UNKNOWN_TABLE, origins[f], "unparseable", files[f][1],
                                                   detail=broken, position="file"))
    del read
    scratch.load_lines(texts, lines)
    con.execute(_checked_sql(f"TIMESTAMPTZ '{future_limit().isoformat()}'"))
    scratch.drop_lines()
    for f, idx, j, reason, tbl in con.execute(
        "SELECT f, idx, j, reason, tbl FROM checked WHERE reason IS NOT NULL").fetchall():
        if reason.startswith("unparseable"):
            batch.quarantine.append(_unparseable(origins[f], j, idx))
            continue
        batch.quarantine.append(quarantine_row(SOURCE, tbl, origins[f], reason, json.loads(j), position=idx))
    scratch.keep_first("checked", "firsts", columns="f, idx, id")  # narrow: the lines stay in checked
    good = "(SELECT * FROM checked SEMI JOIN firsts USING (f, idx)) AS good"
    structures: dict[str, Any] = {}  # per call type, from its good events only
    for tbl, s in con.execute(f"SELECT DISTINCT tbl, json_structure(j) FROM {good}").fetchall():
        structures[tbl] = merge_structure(structures.get(tbl), json.loads(s))
    for tbl, structure in structures.items():
        if not isinstance(structure, dict):
            continue
        present = [k for k in TIMESTAMP_KEYS if k in structure]
        for key in present:  # read as UTC timestamps by the check (Python's ISO forms included)
            structure.pop(key)
        table = scratch.to_arrow(good, structure, where=f"tbl = {sql_str(tbl)}",
                                 extra=", ".join(json.dumps(k) for k in present))
        table = dlt_names(table, prefer=CHECKED)  # message_id, context__user_agent: as dlt names them
        ids = table[PRIMARY_KEY].combine_chunks().cast(pa.string())
        table = not_null(table.append_column("_dlt_id", ids), (PRIMARY_KEY,))
        batch.tables[tbl] = table.append_column(LOAD_ID_SLOT, pa.nulls(table.num_rows, pa.string()))
    con.execute("DROP TABLE checked")
    return batch


def _unparseable(origin: str, line: bytes | str, number: int) -> dict[str, Any]:
    try:
        orjson.loads(line)
        detail = "line is not JSON"
    except orjson.JSONDecodeError as exc:
        detail = f"line is not JSON ({exc})"
    return quarantine_row(SOURCE, UNKNOWN_TABLE, origin, "unparseable", line, detail=detail, position=number)


def parse_file(data: bytes, origin: str) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """({table: valid events as flat dicts}, quarantine rows) of one Segment log file: the batch reader on one
    file, for tests and replays."""
    with EventScratch() as scratch:
        batch = read_batch(scratch, [(origin, data)])
    good = {tbl: table.drop_columns(["_dlt_id", "_dlt_load_id"]).to_pylist() for tbl, table in batch.tables.items()}
    return good, batch.quarantine
