"""Parsing and validation of SendGrid Event Webhook files (JSON arrays of events)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.common import not_null, records_to_arrow
from ingestion.email.settings import EVENT_TYPES, REQUIRED_KEYS, TYPED_KEYS
from ingestion.quarantine import QuarantineError, future_limit, quarantine_row
from ingestion.salvage import json_array_items, strip_bom

SOURCE = "email"
RESOURCE = "events"


def _type_name(t: type | tuple[type, ...]) -> str:
    return " or ".join(x.__name__ for x in (t if isinstance(t, tuple) else (t,)))


def _is(value: Any, t: type | tuple[type, ...]) -> bool:
    # JSON true/false are Python ints too: never accept a bool for a number
    return isinstance(value, t) and not (isinstance(value, bool) and bool not in (t if isinstance(t, tuple) else (t,)))


def validate_event(event: Any, limit_epoch: float) -> dict[str, Any]:
    """The event with ``category`` normalized to a list; raises :class:`QuarantineError` if it is not a
    SendGrid event."""
    if not isinstance(event, dict):
        raise QuarantineError("wrong_type", f"event is a JSON {type(event).__name__}, not an object")
    for key, typ in REQUIRED_KEYS.items():
        if event.get(key) is None:
            raise QuarantineError("missing_key", key)
        if not _is(event[key], typ):
            raise QuarantineError("wrong_type", f"{key} is {type(event[key]).__name__}, expected {_type_name(typ)}")
    for key, typ in TYPED_KEYS.items():
        value = event.get(key)
        if value is not None and not _is(value, typ):
            raise QuarantineError("wrong_type", f"{key} is {type(value).__name__}, expected {_type_name(typ)}")
    if not event["sg_event_id"].strip():
        raise QuarantineError("invalid_value", "sg_event_id is empty")
    if "@" not in event["email"]:
        raise QuarantineError("invalid_value", f"email {event['email']!r} is not an address")
    if event["event"] not in EVENT_TYPES:
        raise QuarantineError("invalid_value", f"event {event['event']!r} is not a SendGrid event type")
    if event["timestamp"] > limit_epoch:
        ts = datetime.fromtimestamp(event["timestamp"], timezone.utc).isoformat()
        raise QuarantineError("future_timestamp", f"timestamp {ts} is more than a day ahead")
    category = event.get("category")
    if category is None:
        category = []
    elif isinstance(category, str):
        category = [category]
    elif not all(isinstance(c, str) for c in category):
        raise QuarantineError("wrong_type", "category list holds non-strings")
    event = dict(event)
    event["category"] = category
    return event


def parse_file(data: bytes, origin: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(valid events, quarantine rows) of one webhook batch file.

    orjson reads a clean file in one go. A file it refuses (a byte-order mark, an event with bytes that are
    not UTF-8, a file cut short) is read event by event (:func:`ingestion.salvage.json_array_items`): only
    the events that cannot be read are quarantined, with their original bytes, and the rest are kept.
    """
    try:
        events = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _parse_salvaged(data, origin)
    if not isinstance(events, list):
        return [], [quarantine_row(SOURCE, RESOURCE, origin, "wrong_type", data,
                                   detail="file is not a JSON array of events", position="file")]
    return _validate_all(enumerate(events), origin)


def _validate_all(items: Iterable[tuple[int, Any]], origin: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    limit = future_limit().timestamp()
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for index, event in items:
        if isinstance(event, bytes):
            bad.append(quarantine_row(SOURCE, RESOURCE, origin, "unparseable", event,
                                      detail="event holds bytes that are not UTF-8", position=index))
            continue
        try:
            good.append(validate_event(event, limit))
        except QuarantineError as exc:
            bad.append(quarantine_row(SOURCE, RESOURCE, origin, exc.reason, event, detail=exc.detail, position=index))
    return good, bad


def _parse_salvaged(data: bytes, origin: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    read = json_array_items(data)
    if not read.is_array:
        try:
            orjson.loads(strip_bom(data))
        except orjson.JSONDecodeError as exc:
            return [], [quarantine_row(SOURCE, RESOURCE, origin, "unparseable", data,
                                       detail=f"file is not JSON ({exc})", position="file")]
        return [], [quarantine_row(SOURCE, RESOURCE, origin, "wrong_type", data,
                                   detail="file is not a JSON array of events", position="file")]
    good, bad = _validate_all(read.items, origin)
    if read.broken:
        # the unreadable rest of the file, with the whole file's original bytes so it can be replayed
        bad.append(quarantine_row(SOURCE, RESOURCE, origin, "unparseable", data, detail=read.broken, position="file"))
    return good, bad


def to_tables(events: list[dict[str, Any]]) -> tuple[pa.Table, pa.Table]:
    """(``events`` rows, ``events__category`` rows) as Arrow tables.

    ``category`` becomes the child table the contract names. ``_dlt_id`` of an event is its
    ``sg_event_id`` (unique by SendGrid's definition), so a re-delivered event maps onto the rows already
    loaded; a category row's ``_dlt_id`` is ``<sg_event_id>/<index>``.
    """
    categories = pa.array([event.pop("category") for event in events], pa.list_(pa.string()))
    table = records_to_arrow(events, columns={"timestamp": pa.int64()})
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


def dedup(events: list[dict[str, Any]], seen: set[str]) -> Iterator[dict[str, Any]]:
    """Drops events whose ``sg_event_id`` was seen earlier in this run (SendGrid re-delivers on retry)."""
    for event in events:
        key = event["sg_event_id"]
        if key in seen:
            continue
        seen.add(key)
        yield event
