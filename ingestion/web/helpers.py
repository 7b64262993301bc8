"""Parsing and validation of Segment event files (gzipped JSON lines, Segment's S3 destination layout)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

import orjson
import pyarrow as pa

from ingestion.common import not_null, records_to_arrow
from ingestion.quarantine import QuarantineError, future_limit, quarantine_row
from ingestion.salvage import gunzip_lines
from ingestion.web.settings import OBJECT_KEYS, STRING_KEYS, TABLES, TIMESTAMP_KEYS

SOURCE = "web"
UNKNOWN_TABLE = "events"


def _bad_ts(key: str, value: Any) -> QuarantineError:
    if not isinstance(value, str):
        return QuarantineError("wrong_type", f"{key} is {type(value).__name__}, expected an ISO-8601 string")
    return QuarantineError("wrong_type", f"{key} {value!r} is not an ISO-8601 timestamp")


def validate_event(event: Any, limit: datetime) -> tuple[str, dict[str, Any]]:
    """(table, event); raises :class:`QuarantineError` if it is not a Segment event.

    Runs once per event, so it is written for speed: plain lookups, no copies.
    """
    if type(event) is not dict:
        raise QuarantineError("wrong_type", f"event is a JSON {type(event).__name__}, not an object")
    get = event.get
    for key in ("type", "messageId", "timestamp"):
        if get(key) is None:
            raise QuarantineError("missing_key", key)
    for key in STRING_KEYS:
        value = get(key)
        if value is not None and type(value) is not str:
            raise QuarantineError("wrong_type", f"{key} is {type(value).__name__}, expected str")
    for key in OBJECT_KEYS:
        value = get(key)
        if value is not None and type(value) is not dict:
            raise QuarantineError("wrong_type", f"{key} is {type(value).__name__}, expected an object")
    table = TABLES.get(event["type"])
    if table is None:
        raise QuarantineError("invalid_value", f"type {event['type']!r} is not a Segment event type")
    if not get("userId") and not get("anonymousId"):
        raise QuarantineError("missing_key", "userId or anonymousId")
    if not event["messageId"].strip():
        raise QuarantineError("invalid_value", "messageId is empty")
    if table == "tracks" and get("event") is None:
        raise QuarantineError("missing_key", "event")
    # Segment spec: a group call names its group, an alias call the id it replaces and the new userId
    if table == "groups" and not get("groupId"):
        raise QuarantineError("missing_key", "groupId")
    if table == "aliases" and (not get("previousId") or not get("userId")):
        raise QuarantineError("missing_key", "previousId and userId")
    for key in TIMESTAMP_KEYS:
        value = get(key)
        if value is None:
            continue
        try:
            parsed = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise _bad_ts(key, value) from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        if parsed > limit:
            raise QuarantineError("future_timestamp", f"{key} {value} is more than a day ahead")
    return table, event


def parse_file(data: bytes, origin: str) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """({table: valid events}, quarantine rows) of one Segment log file."""
    lines, broken = gunzip_lines(data)
    limit = future_limit()
    good: dict[str, list[dict[str, Any]]] = {}
    bad: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            bad.append(quarantine_row(SOURCE, UNKNOWN_TABLE, origin, "unparseable", line, detail=f"line is not JSON ({exc})", position=number))
            continue
        try:
            table, parsed = validate_event(event, limit)
        except QuarantineError as exc:
            resource = TABLES.get(event.get("type"), UNKNOWN_TABLE) if isinstance(event, dict) and isinstance(event.get("type"), str) else UNKNOWN_TABLE
            bad.append(quarantine_row(SOURCE, resource, origin, exc.reason, event, detail=exc.detail, position=number))
            continue
        good.setdefault(table, []).append(parsed)
    if broken:
        bad.append(quarantine_row(SOURCE, UNKNOWN_TABLE, origin, "unparseable", data, detail=broken, position="file"))
    return good, bad


def to_table(events: list[dict[str, Any]]) -> pa.Table:
    """Flattened events as Arrow (``context__campaign__source``, ``traits__email``...).

    ``_dlt_id`` is the ``messageId`` itself: unique per row by Segment's definition and the same on every
    re-delivery.
    """
    table = records_to_arrow(events, timestamp_columns=TIMESTAMP_KEYS)
    return not_null(table.append_column("_dlt_id", table["messageId"].cast(pa.string())), ("messageId",))


def dedup(events: list[dict[str, Any]], seen: set[str]) -> Iterator[dict[str, Any]]:
    """Drops events whose ``messageId`` was seen earlier in this run (Segment delivers at least once)."""
    for event in events:
        key = event["messageId"]
        if key in seen:
            continue
        seen.add(key)
        yield event
