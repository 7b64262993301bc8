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
    PY_SPACE, EventScratch, decode_text, json_types, not_null, py_repr, py_type, sql_str, type_names,
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


#: The fields the rules look at, in the order of the rules: their JSON types are read in one pass.
CHECKED = list(dict.fromkeys([*REQUIRED_KEYS, *TYPED_KEYS]))
#: The fields whose values the rules look at (read as text in one pass).
VALUES = ["email", "event", "sg_event_id", "timestamp", CATEGORY]


def _t(key: str) -> str:
    return f"t[{CHECKED.index(key) + 1}]"


def _v(key: str) -> str:
    return f"x[{VALUES.index(key) + 1}]"


def reason_sql(limit_epoch: float) -> str:
    """SQL: why the event ``j`` (its JSON type ``jt``, the JSON types ``t`` of the :data:`CHECKED` fields,
    the text ``x`` of the :data:`VALUES`) is not a SendGrid event, or NULL. The first rule broken gives the
    reason, in the order of ``settings.py``; the texts name Python's types, as the quarantine always has."""
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


def _checked_sql(limit_epoch: float) -> str:
    types = "[" + ", ".join(sql_str(f'$."{k}"') for k in CHECKED) + "]"
    values = "[" + ", ".join(sql_str(f'$."{k}"') for k in VALUES) + "]"
    category = (f"CASE {_t(CATEGORY)} WHEN 'VARCHAR' THEN [{_v(CATEGORY)}] "
                f"WHEN 'ARRAY' THEN json_transform({_v(CATEGORY)}, '[\"VARCHAR\"]') ELSE []::VARCHAR[] END")
    return f"""
        CREATE OR REPLACE TEMP TABLE checked AS
        SELECT f, idx, j, {_v('sg_event_id')} AS id, reason, CASE WHEN reason IS NULL THEN {category} END AS category
        FROM (SELECT *, {reason_sql(limit_epoch)} AS reason
              FROM (SELECT f, idx, j, json_type(j) AS jt, json_type(j, {types}) AS t, json_extract_string(j, {values}) AS x
                    FROM ev))
    """


def read_batch(scratch: EventScratch, files: list[tuple[str, bytes]]) -> Batch:
    """Events of a batch of files (``(origin, bytes)``): new valid ones as Arrow, bad ones as quarantine rows.

    An event whose ``sg_event_id`` was already emitted in this run (SendGrid delivers at least once) is
    dropped; one already in the warehouse is skipped by the ``insert-only`` merge.
    """
    con = scratch.con
    origins = [origin for origin, _ in files]
    unread = scratch.load_arrays([decode_text(data) for _, data in files])
    batch = Batch()
    salvaged: list[tuple[int, int, str]] = []
    for f in unread:
        batch.quarantine.extend(_salvage(files[f][1], origins[f], f, salvaged))
    scratch.add_events(salvaged)
    con.execute(_checked_sql(future_limit().timestamp()))
    con.execute("DROP TABLE ev")
    for f, idx, j, reason in con.execute("SELECT f, idx, j, reason FROM checked WHERE reason IS NOT NULL").fetchall():
        batch.quarantine.append(quarantine_row(SOURCE, RESOURCE, origins[f], reason, json.loads(j), position=idx))
    scratch.keep_first("checked", "good", extra="category")
    con.execute("DROP TABLE checked")
    # the checked fields have the type the rules allow (a bad event cannot make a column text); category
    # becomes the child table
    structure = scratch.structure(fixed={k: TYPES[t] for k, t in {**REQUIRED_KEYS, **TYPED_KEYS}.items() if t in TYPES})
    structure.pop(CATEGORY, None)
    table = scratch.to_arrow("good", structure, extra='category AS "__category"')
    if table.num_rows:
        categories = table["__category"].combine_chunks()
        batch.events, batch.categories = _tables(table.drop_columns(["__category"]), categories)
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
