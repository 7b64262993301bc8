"""Parsing and validation of Segment event files (gzipped JSON lines, Segment's S3 destination layout)."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import datetime, timezone
from typing import Any, Iterator

import pyarrow as pa

from ingestion.common import flatten, stable_id, to_arrow
from ingestion.quarantine import QuarantineError, future_limit, quarantine_row
from ingestion.web.settings import OBJECT_KEYS, STRING_KEYS, TABLES, TIMESTAMP_KEYS

SOURCE = "web"
UNKNOWN_TABLE = "events"
_TS_TYPE = pa.timestamp("us", tz="UTC")


def _parse_ts(key: str, value: Any) -> datetime:
    if not isinstance(value, str):
        raise QuarantineError("wrong_type", f"{key} is {type(value).__name__}, expected an ISO-8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise QuarantineError("wrong_type", f"{key} {value!r} is not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def validate_event(event: Any, limit: datetime) -> tuple[str, dict[str, Any]]:
    """(table, event with parsed timestamps); raises :class:`QuarantineError` if it is not a Segment event."""
    if not isinstance(event, dict):
        raise QuarantineError("wrong_type", f"event is a JSON {type(event).__name__}, not an object")
    for key in ("type", "messageId", "timestamp"):
        if event.get(key) is None:
            raise QuarantineError("missing_key", key)
    for key in STRING_KEYS:
        value = event.get(key)
        if value is not None and not isinstance(value, str):
            raise QuarantineError("wrong_type", f"{key} is {type(value).__name__}, expected str")
    for key in OBJECT_KEYS:
        value = event.get(key)
        if value is not None and not isinstance(value, dict):
            raise QuarantineError("wrong_type", f"{key} is {type(value).__name__}, expected an object")
    table = TABLES.get(event["type"])
    if table is None:
        raise QuarantineError("invalid_value", f"type {event['type']!r} is not a Segment event type")
    if not event.get("userId") and not event.get("anonymousId"):
        raise QuarantineError("missing_key", "userId or anonymousId")
    if not event["messageId"].strip():
        raise QuarantineError("invalid_value", "messageId is empty")
    if table == "tracks" and event.get("event") is None:
        raise QuarantineError("missing_key", "event")
    out = dict(event)
    for key in TIMESTAMP_KEYS:
        if out.get(key) is not None:
            out[key] = ts = _parse_ts(key, out[key])
            if ts > limit:
                raise QuarantineError("future_timestamp", f"{key} {event[key]} is more than a day ahead")
    return table, out


def _read_lines(data: bytes) -> tuple[list[bytes], str | None]:
    """Lines of a gzipped file, and what went wrong if the gzip stream is broken (lines read so far kept)."""
    try:
        text = gzip.decompress(data)
        return text.splitlines(), None
    except (OSError, EOFError, zlib.error) as exc:
        # salvage what decompresses: a truncated upload still holds its complete lines
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            partial = decomp.decompress(data)
        except zlib.error:
            partial = b""
        lines = partial.splitlines()
        if lines and not partial.endswith(b"\n"):
            lines = lines[:-1]  # the cut-off last line is part of the broken remainder
        return lines, f"file is not valid gzip ({exc})"


def parse_file(data: bytes, origin: str) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """({table: valid events}, quarantine rows) of one Segment log file."""
    lines, broken = _read_lines(data)
    limit = future_limit()
    good: dict[str, list[dict[str, Any]]] = {}
    bad: list[dict[str, Any]] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            bad.append(quarantine_row(SOURCE, UNKNOWN_TABLE, origin, "unparseable", line, detail=f"line is not JSON ({exc})"))
            continue
        try:
            table, parsed = validate_event(event, limit)
        except QuarantineError as exc:
            resource = TABLES.get(event.get("type"), UNKNOWN_TABLE) if isinstance(event, dict) and isinstance(event.get("type"), str) else UNKNOWN_TABLE
            bad.append(quarantine_row(SOURCE, resource, origin, exc.reason, event, detail=exc.detail))
            continue
        good.setdefault(table, []).append(parsed)
    if broken:
        bad.append(quarantine_row(SOURCE, UNKNOWN_TABLE, origin, "unparseable", data, detail=broken))
    return good, bad


def to_table(events: list[dict[str, Any]]) -> pa.Table:
    """Flattened events as Arrow (``context__campaign__source``, ``traits__email``...), with a
    ``_dlt_id`` derived from ``messageId``."""
    rows = []
    for event in events:
        row = flatten(event)
        row["_dlt_id"] = stable_id(event["messageId"])
        rows.append(row)
    columns = {key: _TS_TYPE for key in TIMESTAMP_KEYS}
    columns["_dlt_id"] = pa.string()
    return to_arrow(rows, columns)


def dedup(events: list[dict[str, Any]], seen: set[str]) -> Iterator[dict[str, Any]]:
    """Drops events whose ``messageId`` was seen earlier in this run (Segment delivers at least once)."""
    for event in events:
        key = event["messageId"]
        if key in seen:
            continue
        seen.add(key)
        yield event
