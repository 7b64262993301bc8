"""Quarantine: where records that break their vendor's format go instead of vanishing.

Every raw dataset has a ``quarantine`` table (docs/contracts.md): ``source``, ``resource``, ``origin``,
``reason``, ``payload``, ``quarantined_at`` (+ ``quarantine_id``, a fingerprint of the record). A source
routes a bad record there with :func:`quarantine_items`, which marks the rows with dlt table hints so they
travel through the same extract/normalize/load as the good rows (and are counted with them), while the load
goes on.

The table is merged on ``quarantine_id`` (insert-only), not appended: a load killed after dlt committed the
quarantine rows but before it committed the source state (the loaded-files ledger, the incremental cursor)
is redone by the next run, which quarantines the same records again; keyed, they land once.

A reason is one of :data:`REASONS` followed by ``: detail``. Validation is about the vendor format
(required keys, types, sane timestamps), never about quirks of our sample generator.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Literal, Sequence

import dlt
from dlt.extract.items import DataItemWithMeta
from dlt.extract.resource import DltResource

from ingestion.dlt_private import add_table_variant

QUARANTINE_TABLE = "quarantine"

Reason = Literal["unparseable", "wrong_type", "missing_key", "future_timestamp", "invalid_value"]
REASONS: tuple[Reason, ...] = ("unparseable", "wrong_type", "missing_key", "future_timestamp", "invalid_value")

#: A timestamp later than now + this is "in the future": clocks drift and time zones get mislabelled by
#: hours, so only a day or more ahead is treated as a broken record.
FUTURE_TOLERANCE = timedelta(days=1)

#: Column types fixed up front: a payload must stay text even when it looks like a number or a date.
QUARANTINE_COLUMNS: dict[str, dict[str, Any]] = {
    "quarantine_id": {"data_type": "text", "nullable": False},
    "source": {"data_type": "text", "nullable": False},
    "resource": {"data_type": "text", "nullable": False},
    "origin": {"data_type": "text"},
    "reason": {"data_type": "text", "nullable": False},
    "payload": {"data_type": "text"},
    # "text", or "base64" when the raw bytes are not UTF-8: the payload then decodes to them exactly
    "payload_encoding": {"data_type": "text"},
    "quarantined_at": {"data_type": "timestamp", "nullable": False},
}

_HINTS = dlt.mark.make_hints(
    table_name=QUARANTINE_TABLE,
    # idempotent: a rerun after a kill quarantines the same records with the same ids (module docstring)
    write_disposition={"disposition": "merge", "strategy": "insert-only"},
    primary_key="quarantine_id",
    columns=QUARANTINE_COLUMNS,
    file_format="parquet",
)


class QuarantineError(ValueError):
    """A record is not in its vendor's format. ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def future_limit(now: datetime | None = None) -> datetime:
    """The latest acceptable timestamp (UTC, timezone-aware)."""
    return (now or datetime.now(timezone.utc)) + FUTURE_TOLERANCE


def payload_text(payload: Any) -> tuple[str, str]:
    """(the raw record as text, its encoding): UTF-8 bytes and strings verbatim (``text``), other bytes as
    ``base64`` so the original can be replayed byte for byte, anything else as compact JSON (``text``)."""
    if isinstance(payload, (bytes, bytearray, memoryview)):
        raw = bytes(payload)
        try:
            return raw.decode("utf-8"), "text"
        except UnicodeDecodeError:
            return base64.b64encode(raw).decode("ascii"), "base64"
    if isinstance(payload, str):
        try:
            payload.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8, kept by surrogateescape
            return base64.b64encode(payload.encode("utf-8", "surrogateescape")).decode("ascii"), "base64"
        return payload, "text"
    return payload_text(json.dumps(payload, default=str, ensure_ascii=False, separators=(",", ":")))


def payload_bytes(payload: str, encoding: str | None) -> bytes:
    """The original bytes of a quarantined record (inverse of :func:`payload_text`)."""
    return base64.b64decode(payload) if encoding == "base64" else payload.encode("utf-8")


def fingerprint(source: str, resource: str, payload: str, *where: str) -> str:
    """Stable id of one quarantined record: the same bad record seen again (on a later page or run) gets the
    same id. ``where`` (a file and the position in it) tells apart equal records at different places of the
    input, which are counted as separate records."""
    h = hashlib.blake2b(digest_size=16)
    for part in (source, resource, payload, *where):
        h.update(part.encode("utf-8", errors="replace"))
        h.update(b"\x00")
    return h.hexdigest()


def quarantine_row(
    source: str,
    resource: str,
    origin: str | None,
    reason: Reason | str,
    payload: Any,
    detail: str | None = None,
    quarantined_at: datetime | None = None,
    position: str | int | None = None,
) -> dict[str, Any]:
    """One row of the ``quarantine`` table. ``reason`` may already carry its ``: detail``.

    ``position`` (a line or item number in the file ``origin``) is given by file sources, whose input does
    not change: the id is then unique per place in the input. Sources that re-read changing records (SQL
    tables, APIs) leave it out, so a record keeps its id wherever it is served.
    """
    reason_text = str(reason)
    if detail:
        reason_text = f"{reason_text}: {detail}"
    if reason_text.split(":", 1)[0] not in REASONS:
        raise ValueError(f"quarantine reason must start with one of {REASONS}, got {reason_text!r}")
    text, encoding = payload_text(payload)
    return {
        "quarantine_id": fingerprint(source, resource, text, *(() if position is None else (origin or "", str(position)))),
        "source": source,
        "resource": resource,
        "origin": origin,
        "reason": reason_text,
        "payload": text,
        "payload_encoding": encoding,
        "quarantined_at": quarantined_at or datetime.now(timezone.utc),
    }


def with_quarantine(resource: DltResource) -> DltResource:
    """Lets ``resource`` write :func:`quarantine_items` to the dataset's ``quarantine`` table."""
    return add_table_variant(resource, _HINTS)


def quarantine_items(rows: Sequence[dict[str, Any]]) -> DataItemWithMeta:
    """Marks quarantine rows for the ``quarantine`` table (the resource must be :func:`with_quarantine`)."""
    return dlt.mark.with_table_name(list(rows), QUARANTINE_TABLE)


class QuarantineLedger:
    """Remembers which records a resource already quarantined, in the source's dlt state.

    Sources that re-read records on every run (a SQL table whose bad row has a future ``updated_at``, an API
    that serves records with an unreadable ``updated_at`` in every export) would otherwise quarantine the same
    record again on each run. The state is committed with the load, so a failed load forgets nothing. Only
    fingerprints of bad records are kept: small by nature.
    """

    def __init__(self, resource: str) -> None:
        self.resource = resource

    def _seen(self) -> dict[str, int]:
        state = dlt.current.source_state()
        return state.setdefault("quarantined", {}).setdefault(self.resource, {})

    def new_only(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows not quarantined by an earlier run (or earlier in this run); records them as seen."""
        seen = self._seen()
        fresh = []
        for row in rows:
            qid = row["quarantine_id"]
            if qid in seen:
                continue
            seen[qid] = 1
            fresh.append(row)
        return fresh
