"""Parsing and validation of SendGrid Event Webhook files (JSON arrays of events)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterator

import pyarrow as pa

from ingestion.common import flatten, stable_id, to_arrow
from ingestion.email.settings import EVENT_TYPES, REQUIRED_KEYS, TYPED_KEYS
from ingestion.quarantine import QuarantineError, future_limit, quarantine_row

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
    """(valid events, quarantine rows) of one webhook batch file."""
    try:
        events = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return [], [quarantine_row(SOURCE, RESOURCE, origin, "unparseable", data, detail=f"file is not JSON ({exc})")]
    if not isinstance(events, list):
        return [], [quarantine_row(SOURCE, RESOURCE, origin, "wrong_type", data, detail="file is not a JSON array of events")]
    limit = future_limit().timestamp()
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for event in events:
        try:
            good.append(validate_event(event, limit))
        except QuarantineError as exc:
            bad.append(quarantine_row(SOURCE, RESOURCE, origin, exc.reason, event, detail=exc.detail))
    return good, bad


def to_tables(events: list[dict[str, Any]]) -> tuple[pa.Table, pa.Table]:
    """(``events`` rows, ``events__category`` rows) as Arrow tables.

    ``category`` becomes the child table the contract names, linked by a ``_dlt_id`` derived from
    ``sg_event_id`` so a re-delivered event maps onto the rows already loaded.
    """
    rows = []
    cat_values: list[str] = []
    cat_parent: list[str] = []
    cat_idx: list[int] = []
    cat_ids: list[str] = []
    for event in events:
        categories = event.pop("category")
        row = flatten(event)
        row_id = stable_id(event["sg_event_id"])
        row["_dlt_id"] = row_id
        rows.append(row)
        for i, value in enumerate(categories):
            cat_values.append(value)
            cat_parent.append(row_id)
            cat_idx.append(i)
            cat_ids.append(stable_id(event["sg_event_id"], str(i)))
    events_table = to_arrow(rows, {"timestamp": pa.int64(), "_dlt_id": pa.string()})
    categories = pa.table(
        {
            "value": pa.array(cat_values, pa.string()),
            "_dlt_parent_id": pa.array(cat_parent, pa.string()),
            "_dlt_list_idx": pa.array(cat_idx, pa.int64()),
            "_dlt_id": pa.array(cat_ids, pa.string()),
        }
    )
    return events_table, categories


def dedup(events: list[dict[str, Any]], seen: set[str]) -> Iterator[dict[str, Any]]:
    """Drops events whose ``sg_event_id`` was seen earlier in this run (SendGrid re-delivers on retry)."""
    for event in events:
        key = event["sg_event_id"]
        if key in seen:
            continue
        seen.add(key)
        yield event
