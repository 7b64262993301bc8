"""Parsing and validation of SendGrid Event Webhook files (JSON arrays of events), a batch of files at a time.

The files of a batch go into the run's scratch DuckDB (:class:`ingestion.common.EventScratch`), which splits
each array into events (``content::JSON[]``), validates them with one set-based expression that gives each
bad event its ``reason`` (:func:`reason_sql`, the SendGrid rules of ``settings.py``), drops events already
emitted in this run and turns the rest into Arrow. A file DuckDB cannot read whole (not UTF-8, cut short,
not an array) takes the salvage path (:func:`ingestion.salvage.json_array_items`): its readable events join
the batch and go through the same validation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from dlt.sources.filesystem import FileItemDict

from ingestion.common import (
    PY_SPACE, EventScratch, column_types, decode_texts, flat_columns, json_types, not_null, py_repr, py_type,
    raw_json_type, sql_str, type_names,
)
from ingestion.email.settings import EVENT_TYPES, REQUIRED_KEYS, TYPED_KEYS
from ingestion.quarantine import future_limit, quarantine_row
from ingestion.salvage import json_array_items, strip_bom

SOURCE = "email"
RESOURCE = "events"
CATEGORY = "category"


@dataclass
class Batch:
    """What one batch of files gave: Arrow tables for ``events`` and ``events__category``, quarantine rows."""

    events: pa.Table | None = None
    categories: pa.Table | None = None
    quarantine: list[dict[str, Any]] = field(default_factory=list)


#: The fields the rules look at, in the order of the rules.
CHECKED = list(dict.fromkeys([*REQUIRED_KEYS, *TYPED_KEYS]))
#: The fields whose values the rules look at.
VALUES = ["email", "event", "sg_event_id", "timestamp", CATEGORY]
#: JSON types (``json_structure`` notation) a field may be read as directly, already typed, when every event
#: of the batch that has it has it in that type (an unsigned 64-bit integer may not fit the column's BIGINT).
DIRECT = ("VARCHAR", "BIGINT", "BOOLEAN")


def _t(key: str) -> str:
    return f'"t:{key}"'


def _v(key: str) -> str:
    return f'"v:{key}"'


def _field(key: str) -> str:
    return f"struct_extract(s, {sql_str(key)})"


def reason_sql(limit_epoch: float) -> str:
    """SQL: why the event (its JSON type ``jt``, the JSON types ``"t:<key>"`` of the :data:`CHECKED` fields,
    the text ``"v:<key>"`` of the :data:`VALUES`) is not a SendGrid event, or NULL. The first rule broken gives
    the reason, in the order of ``settings.py``; the texts name Python's types, as the quarantine always has."""
    rules = [f"WHEN jt <> 'OBJECT' THEN 'wrong_type: event is a JSON ' || {py_type('jt')} || ', not an object'"]
    for key, typ in REQUIRED_KEYS.items():
        t = _t(key)
        rules.append(f"WHEN coalesce({t}, 'NULL') = 'NULL' THEN 'missing_key: {key}'")
        rules.append(f"WHEN {t} NOT IN ({json_types(typ)}) THEN "
                     f"'wrong_type: {key} is ' || {py_type(t)} || ', expected {type_names(typ)}'")
    for key, typ in TYPED_KEYS.items():
        t = _t(key)
        rules.append(f"WHEN coalesce({t}, 'NULL') <> 'NULL' AND {t} NOT IN ({json_types(typ)}) THEN "
                     f"'wrong_type: {key} is ' || {py_type(t)} || ', expected {type_names(typ)}'")
    events = ", ".join(sql_str(e) for e in sorted(EVENT_TYPES))
    email, event, ts = _v("email"), _v("event"), f"TRY_CAST({_v('timestamp')} AS DOUBLE)"
    rules += [
        f"WHEN regexp_full_match({_v('sg_event_id')}, '{PY_SPACE}*') THEN 'invalid_value: sg_event_id is empty'",
        f"WHEN NOT contains({email}, '@') THEN 'invalid_value: email ' || {py_repr(email)} || ' is not an address'",
        f"WHEN {event} NOT IN ({events}) THEN 'invalid_value: event ' || {py_repr(event)} || ' is not a SendGrid event type'",
        f"WHEN {ts} > {limit_epoch!r} THEN 'future_timestamp: timestamp ' || "
        f"coalesce(try(strftime(to_timestamp({ts}), '%Y-%m-%dT%H:%M:%S+00:00')), {_v('timestamp')}) || ' is more than a day ahead'",
        # a nested CASE, not AND: DuckDB may reorder the terms of an AND, and a string category is no JSON
        f"WHEN CASE WHEN {_t(CATEGORY)} = 'ARRAY' "
        f"THEN len(list_filter(json_type({_v(CATEGORY)}, '$[*]'), lambda y: y <> 'VARCHAR')) > 0 ELSE false END "
        "THEN 'wrong_type: category list holds non-strings'",
    ]
    return "CASE " + " ".join(rules) + " END"


#: An event's JSON text, as DuckDB's JSON[] cast or the salvage path wrote it (compact, nothing before the
#: value): its first character tells its type.
ROOT = "j"


def _checked_sql(limit_epoch: float, found: dict[str, Any], columns: dict[str, Any]) -> tuple[str, list[str]]:
    """(SQL: ``checked`` := each event of ``ev`` parsed once into the struct ``s`` of the Arrow ``columns``,
    with its ``id``, its ``reason`` (NULL when good) and, when good, its categories as a list; the checked
    fields read as raw JSON text in ``s``).

    ``found`` is the batch's merged structure: a checked field that every event has in one type the column
    takes (``DIRECT``) is read typed, its JSON type known without looking at its text; any other (several
    types, a type the rule refuses, ``category``) is read as raw JSON text and typed from its first character.
    """
    spec = dict(columns)
    raw: list[str] = []
    types, values = [], {}
    for key in CHECKED:
        seen = found.get(key)
        if seen is None or seen == "NULL":  # no event of the batch has a value
            types.append(f"NULL::VARCHAR AS {_t(key)}")
            values[key] = "NULL::VARCHAR"
        elif key != CATEGORY and seen in DIRECT and columns.get(key) == seen:
            types.append(f"CASE WHEN {_field(key)} IS NULL THEN NULL ELSE '{seen}' END AS {_t(key)}")
            values[key] = f"{_field(key)}::VARCHAR"
        else:
            raw.append(key)
            spec[key] = "JSON"
            types.append(f"{raw_json_type(_field(key))} AS {_t(key)}")
            # a string's value unescaped, anything else its JSON text
            values[key] = (f"CASE {_t(key)} WHEN 'VARCHAR' THEN {_field(key)}->>'$' "
                           f"WHEN 'NULL' THEN NULL ELSE {_field(key)}::VARCHAR END")
    spec = spec or {CATEGORY: "JSON"}  # a struct needs a field (a batch without one event object)
    category = (f"CASE {_t(CATEGORY)} WHEN 'VARCHAR' THEN [{_v(CATEGORY)}] "
                f"WHEN 'ARRAY' THEN json_transform({_v(CATEGORY)}, '[\"VARCHAR\"]') ELSE []::VARCHAR[] END")
    sql = f"""
        CREATE OR REPLACE TEMP TABLE checked AS
        SELECT f, idx, s, {_v('sg_event_id')} AS id, reason, CASE WHEN reason IS NULL THEN {category} END AS category
        FROM (SELECT *, {reason_sql(limit_epoch)} AS reason
              FROM (SELECT *, {", ".join(f"{values[k]} AS {_v(k)}" for k in VALUES)}
                    FROM (SELECT *, {", ".join(types)}
                          FROM (SELECT f, idx, {raw_json_type(ROOT)} AS jt, json_transform(j, {sql_str(json.dumps(spec))}) AS s
                                FROM ev))))
    """
    return sql, raw


def _output_sql(columns: dict[str, Any], raw: list[str]) -> str:
    """SQL: the good events' Arrow columns from ``good``: each field of ``s`` as its column, a field read as raw
    JSON turned into the column's type (a small parse of its own text)."""
    out = []
    for key, spec in columns.items():
        expr = f"json_transform({_field(key)}, {sql_str(json.dumps(spec))})" if key in raw else _field(key)
        out.append(f'{expr} AS "{key.replace(chr(34), chr(34) * 2)}"')
    return f'SELECT {", ".join(out)}, category AS "__category" FROM checked SEMI JOIN good USING (f, idx)'


def read_batch(scratch: EventScratch, files: list[tuple[str, bytes]]) -> Batch:
    """Events of a batch of files (``(origin, bytes)``): new valid ones as Arrow, bad ones as quarantine rows.

    An event whose ``sg_event_id`` was already emitted in this run (SendGrid delivers at least once) is
    dropped; one already in the warehouse is skipped by the ``insert-only`` merge.
    """
    con = scratch.con
    origins = [origin for origin, _ in files]
    unread = scratch.load_arrays(decode_texts([data for _, data in files]))
    batch = Batch()
    salvaged: list[tuple[int, int, str]] = []
    for f in unread:
        batch.quarantine.extend(_salvage(files[f][1], origins[f], f, salvaged))
    scratch.add_events(salvaged)
    # the checked fields have the type the rules allow (a bad event cannot make a column text); category
    # becomes the child table
    structure = scratch.structure(fixed={k: TYPES[t] for k, t in {**REQUIRED_KEYS, **TYPED_KEYS}.items() if t in TYPES})
    structure.pop(CATEGORY, None)
    columns = column_types(structure)
    sql, raw = _checked_sql(future_limit().timestamp(), scratch.structure(), columns)
    con.execute(sql)
    bad = con.execute("SELECT c.f, c.idx, ev.j, c.reason FROM checked c JOIN ev USING (f, idx) "
                      "WHERE c.reason IS NOT NULL ORDER BY c.f, c.idx").fetchall()
    for f, idx, j, reason in bad:
        batch.quarantine.append(quarantine_row(SOURCE, RESOURCE, origins[f], reason, json.loads(j), position=idx))
    con.execute("DROP TABLE ev")
    scratch.keep_first("checked", "good", columns="f, idx, id")  # narrow: the events stay in checked
    if con.execute("SELECT count(*) FROM good").fetchall()[0][0]:
        table = flat_columns(con.sql(_output_sql(columns, raw)).to_arrow_table(), structure)
        categories = table["__category"].combine_chunks()
        batch.events, batch.categories = _tables(table.drop_columns(["__category"]), categories)
    con.execute("DROP TABLE checked")
    return batch


#: Arrow-facing structure of a field the rules fix to one JSON type.
TYPES: dict[Any, str] = {str: "VARCHAR", int: "BIGINT", float: "DOUBLE", bool: "BOOLEAN"}


def _salvage(data: bytes, origin: str, f: int, salvaged: list[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """A file DuckDB could not read whole: its readable events are appended to ``salvaged`` (file, position,
    JSON), the rest returned as quarantine rows with their original bytes."""
    read = json_array_items(data)
    if not read.is_array:
        try:
            orjson.loads(strip_bom(data))
        except orjson.JSONDecodeError as exc:
            return [quarantine_row(SOURCE, RESOURCE, origin, "unparseable", data,
                                   detail=f"file is not JSON ({exc})", position="file")]
        return [quarantine_row(SOURCE, RESOURCE, origin, "wrong_type", data,
                               detail="file is not a JSON array of events", position="file")]
    bad = []
    for index, event in read.items:
        if isinstance(event, bytes):
            bad.append(quarantine_row(SOURCE, RESOURCE, origin, "unparseable", event,
                                      detail="event holds bytes that are not UTF-8", position=index))
        else:
            salvaged.append((f, index, json.dumps(event, ensure_ascii=False)))
    if read.broken:
        # the unreadable rest of the file, with the whole file's original bytes so it can be replayed
        bad.append(quarantine_row(SOURCE, RESOURCE, origin, "unparseable", data, detail=read.broken, position="file"))
    return bad


def _tables(table: pa.Table, categories: pa.Array) -> tuple[pa.Table, pa.Table]:
    """(``events`` rows, ``events__category`` rows) as Arrow tables.

    ``category`` becomes the child table the contract names. ``_dlt_id`` of an event is its
    ``sg_event_id`` (unique by SendGrid's definition), so a re-delivered event maps onto the rows already
    loaded; a category row's ``_dlt_id`` is ``<sg_event_id>/<index>``.
    """
    ids = table["sg_event_id"].combine_chunks().cast(pa.string())
    table = not_null(table.append_column("_dlt_id", ids), ("sg_event_id",))
    parent_index = pc.list_parent_indices(categories)
    values = pc.list_flatten(categories)
    starts = pc.take(categories.offsets, parent_index).cast(pa.int64())
    position = pc.subtract(pa.array(np.arange(len(values), dtype=np.int64)), starts)
    parent_ids = pc.take(ids, parent_index)
    child = pa.table(
        {
            "value": values,
            "_dlt_parent_id": parent_ids,
            "_dlt_list_idx": position,
            "_dlt_id": pc.binary_join_element_wise(parent_ids, position.cast(pa.string()), "/"),
        }
    )
    return table, not_null(child, ("_dlt_parent_id", "_dlt_list_idx"))


def parse_file(data: bytes, origin: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(valid events as dicts with ``category`` as a list, quarantine rows) of one webhook batch file: the
    batch reader on one file, for tests and replays."""
    with EventScratch() as scratch:
        batch = read_batch(scratch, [(origin, data)])
    if batch.events is None:
        return [], batch.quarantine
    events = batch.events.drop_columns(["_dlt_id"]).to_pylist()
    for event in events:
        event[CATEGORY] = []
    by_id = {e["sg_event_id"]: e for e in events}
    for row in batch.categories.to_pylist():
        by_id[row["_dlt_parent_id"]][CATEGORY].append(row["value"])
    return events, batch.quarantine


def origin_of(item: FileItemDict) -> str:
    return item["file_url"]
