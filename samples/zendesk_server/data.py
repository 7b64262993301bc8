"""The data behind the server: the three jsonl files of a ``support/`` folder, parsed, sorted by
(updated_at, id) and re-read whenever a file's modification time or size changes."""

from __future__ import annotations

import bisect
import json
import logging
import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# dlt depends on orjson; it parses the jsonl files several times faster than the json module
import orjson

log = logging.getLogger(__name__)

#: Resource name -> file in the data folder.
RESOURCE_FILES = {
    "users": "users.jsonl",
    "tickets": "tickets.jsonl",
    "satisfaction_ratings": "satisfaction_ratings.jsonl",
}
#: Optional file of user identities (Zendesk identity objects naming their ``user_id``), served with
#: ``include=identities``. A user without a line here gets its primary identities from its email and phone.
IDENTITIES_FILE = "user_identities.jsonl"

# Sort key of one record: (updated_at as epoch seconds, id kind, id value, line number).
# Records whose updated_at cannot be parsed get -inf so they sort first and are included in every export
# (dropping them would make them vanish). The id kind keeps mixed id types (int, "abc", missing) comparable;
# the line number keeps duplicate records (same id and updated_at) apart so no page boundary skips one.
SortKey = tuple[float, int, Any, int]
BEFORE_ALL: SortKey = (-math.inf, -1, 0, -1)


def parse_timestamp(value: Any) -> float | None:
    """Epoch seconds of an ISO-8601 timestamp (naive means UTC), or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def id_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, int) and not isinstance(value, bool):
        return 0, value
    if isinstance(value, str):
        return 1, value
    if value is None:
        return 3, ""
    return 2, json.dumps(value, sort_keys=True)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_STRICT_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def loads(text: str) -> Any:
    """Parse one line as strict JSON (NaN/Infinity rejected: they could not be served as JSON)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass  # e.g. integers beyond 64 bits: let the json module decide
    return _STRICT_DECODER.decode(text)


@dataclass
class Record:
    key: SortKey
    raw: str  # the line as stored: served verbatim, so records reach the client exactly as written
    obj: Any  # the parsed record where the server filters on its content, else None
    # JSON texts of the records Zendesk side-loads with this one on request: a ticket's metric set (which the
    # sample stores inside the ticket; Zendesk serves it only with include=metric_sets), a user's identities
    side: list[str] = field(default_factory=list)


@dataclass
class Collection:
    """One jsonl file, sorted by (updated_at, id), reloaded when the file changes."""

    path: Path
    signature: tuple[int, ...] | None = None  # (mtime_ns, size) of the file(s) it was read from
    records: list[Record] = field(default_factory=list)
    keys: list[SortKey] = field(default_factory=list)
    timestamps: list[float] = field(default_factory=list)
    n_unparseable_ts: int = 0
    skipped_lines: int = 0

    def start_index(self, start_time: float) -> int:
        """First record with updated_at >= start_time (never inside the unparseable-timestamp head)."""
        return max(bisect.bisect_left(self.timestamps, start_time), self.n_unparseable_ts)


class Store:
    """Thread-safe access to the three collections, re-reading a file when its mtime or size changes."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._collections = {name: Collection(data_dir / fname) for name, fname in RESOURCE_FILES.items()}

    def get(self, name: str) -> Collection:
        coll = self._collections[name]
        signature = _signature(coll.path)
        if name == "users" and signature is not None:  # the identities are served with the users
            signature = (*signature, *(_signature(self.data_dir / IDENTITIES_FILE) or (0, -1)))
        if signature == coll.signature:
            return coll
        with self._lock:
            coll = self._collections[name]
            if coll.signature != signature:
                coll = self._load(name, coll.path, signature)
                self._collections[name] = coll
        return coll

    @property
    def skipped_lines(self) -> int:
        return sum(c.skipped_lines for c in self._collections.values())

    @staticmethod
    def _load(name: str, path: Path, signature: tuple[int, ...] | None) -> Collection:
        coll = Collection(path=path, signature=signature)
        if signature is None:
            return coll
        identities = _identities(path.parent / IDENTITIES_FILE) if name == "users" else {}
        records: list[Record] = []
        skipped = 0
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, start=1):
                text = line.strip()
                if not text:
                    continue
                try:
                    obj = loads(text)
                except ValueError as exc:
                    skipped += 1
                    log.warning("%s line %d is not JSON, not served: %s", path, lineno, exc)
                    continue
                if isinstance(obj, dict):
                    ts = parse_timestamp(obj.get("updated_at"))
                    kind, value = id_key(obj.get("id"))
                else:
                    ts, (kind, value) = None, id_key(None)
                # Only ratings are filtered on content (score); other objects live on as their raw line only.
                kept = obj if name == "satisfaction_ratings" else None
                record = Record(key=(-math.inf if ts is None else ts, kind, value, lineno), raw=text, obj=kept)
                if name == "tickets" and isinstance(obj, dict) and isinstance(obj.get("metric_set"), dict):
                    metric_set = obj.pop("metric_set")
                    metric_set.setdefault("ticket_id", obj.get("id"))
                    record.raw, record.side = dumps(obj), [dumps(metric_set)]
                elif name == "users" and isinstance(obj, dict):
                    record.side = identities.get(obj.get("id")) or _primary_identities(obj)
                records.append(record)
        records.sort(key=lambda r: r.key)
        coll.records = records
        coll.keys = [r.key for r in records]
        coll.timestamps = [r.key[0] for r in records]
        coll.n_unparseable_ts = bisect.bisect_right(coll.timestamps, -math.inf)
        coll.skipped_lines = skipped
        log.info("loaded %d %s from %s (%d lines skipped)", len(records), name, path, skipped)
        return coll


def json_with_items(name: str, records: list[Record], meta: dict[str, Any], sideload: str | None = None) -> bytes:
    """The page as JSON: ``{name: [records], <sideload>: [their side records], **meta}``."""
    # Stored lines are embedded verbatim (they were validated as JSON on load): faster than re-encoding
    # 1000 objects per page, and the client gets each record byte for byte as the source holds it.
    items = ",".join(r.raw for r in records)
    side = f',"{sideload}":[{",".join(text for r in records for text in r.side)}]' if sideload else ""
    rest = json.dumps(meta)[1:-1]
    return f'{{"{name}":[{items}]{side}{"," if rest else ""}{rest}}}'.encode()


def dumps(obj: Any) -> str:
    try:
        return orjson.dumps(obj).decode()
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(obj, ensure_ascii=False)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


def _identities(path: Path) -> dict[Any, list[str]]:
    """user_id -> JSON texts of the identities in ``user_identities.jsonl`` (absent file: none)."""
    found: dict[Any, list[str]] = {}
    if not path.exists():
        return found
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            try:
                obj = loads(line.strip()) if line.strip() else None
            except ValueError as exc:
                log.warning("%s line %d is not JSON, not served: %s", path, lineno, exc)
                continue
            if isinstance(obj, dict) and obj.get("user_id") is not None:
                found.setdefault(obj["user_id"], []).append(line.strip())
    return found


def _primary_identities(user: dict[str, Any]) -> list[str]:
    """What Zendesk lists for a user created with an email and a phone: one primary identity of each."""
    uid = user.get("id")
    if not isinstance(uid, int) or isinstance(uid, bool):
        return []
    out = []
    for n, (kind, value) in enumerate((("email", user.get("email")), ("phone_number", user.get("phone"))), start=1):
        if isinstance(value, str) and value.strip():
            out.append(dumps({
                "id": uid * 10 + n, "user_id": uid, "type": kind, "value": value, "primary": True,
                "verified": bool(user.get("verified")), "created_at": user.get("created_at"),
                "updated_at": user.get("updated_at"),
            }))
    return out
