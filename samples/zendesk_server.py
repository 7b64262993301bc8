"""A Zendesk-compatible HTTP API over the ``support/`` folder that ``c360 generate`` writes.

It serves the three files ``users.jsonl``, ``tickets.jsonl`` and ``satisfaction_ratings.jsonl`` (one Zendesk
API object per line, exactly as the API returns it) through the same endpoints, authentication, pagination
and rate limiting as Zendesk Support, so the c360 support source is exercised the way it runs against a real
account:

* ``GET /api/v2/incremental/users/cursor.json`` and ``GET /api/v2/incremental/tickets/cursor.json``
  (cursor-based incremental export: ``start_time`` then ``cursor``, ``per_page`` up to 1000,
  ``after_cursor``/``after_url``/``end_of_stream``);
* ``GET /api/v2/satisfaction_ratings[.json]`` (cursor pagination ``page[size]``/``page[after]``/``page[before]``
  with ``meta`` and ``links``, offset pagination ``page``/``per_page``, filters ``score``, ``start_time``,
  ``end_time``);
* API-token auth (HTTP Basic ``{email}/token:{token}``) and OAuth bearer tokens; 401 otherwise;
* a rolling-window rate limit answering HTTP 429 with ``Retry-After``, plus Zendesk's rate-limit headers.

Only the standard library is used. Records are served as stored, malformed ones included: the server is a
source system, and judging records is the loader's job. A line that is not JSON at all cannot be embedded in
a JSON response; it is skipped, counted in :attr:`ZendeskServer.skipped_lines` and logged.

The files are re-read whenever their modification time or size changes, so an increment written by
``c360 generate --increment`` is served without a restart.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hmac
import json
import logging
import math
import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

try:  # dlt depends on orjson; it parses the jsonl files several times faster than the json module
    import orjson as _orjson
except ImportError:  # pragma: no cover - dlt always brings it
    _orjson = None

log = logging.getLogger(__name__)

#: dlt's environment name for ``sources.support.api_token``: the same secret the support source uses.
TOKEN_ENV = "SOURCES__SUPPORT__API_TOKEN"

#: Resource name -> file in the data folder.
RESOURCE_FILES = {
    "users": "users.jsonl",
    "tickets": "tickets.jsonl",
    "satisfaction_ratings": "satisfaction_ratings.jsonl",
}

#: Zendesk caps cursor-based incremental exports at 1000 items per page.
INCREMENTAL_MAX_PER_PAGE = 1000
#: Zendesk's list endpoints default to, and cap at, 100 items per page.
LIST_DEFAULT_PAGE_SIZE = 100
LIST_MAX_PAGE_SIZE = 100

#: Satisfaction rating ``score`` filter values (Zendesk "List Satisfaction Ratings" filters).
SCORE_FILTERS = {
    "offered", "unoffered", "received", "received_with_comment", "received_without_comment",
    "good", "good_with_comment", "good_without_comment", "bad", "bad_with_comment", "bad_without_comment",
}

# Sort key of one record: (updated_at as epoch seconds, id kind, id value, line number).
# Records whose updated_at cannot be parsed get -inf so they sort first and are included in every export
# (dropping them would make them vanish). The id kind keeps mixed id types (int, "abc", missing) comparable;
# the line number keeps duplicate records (same id and updated_at) apart so no page boundary skips one.
SortKey = tuple[float, int, Any, int]
_BEFORE_ALL: SortKey = (-math.inf, -1, 0, -1)


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names the setting to fix."""


def _parse_timestamp(value: Any) -> float | None:
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


def _id_key(value: Any) -> tuple[int, Any]:
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


def _loads(text: str) -> Any:
    """Parse one line as strict JSON (NaN/Infinity rejected: they could not be served as JSON)."""
    if _orjson is not None:
        try:
            return _orjson.loads(text)
        except _orjson.JSONDecodeError:
            pass  # e.g. integers beyond 64 bits: let the json module decide
    return _STRICT_DECODER.decode(text)


@dataclass
class _Record:
    key: SortKey
    raw: str  # the line as stored: served verbatim, so records reach the client exactly as written
    obj: Any  # the parsed record where the server filters on its content, else None


@dataclass
class _Collection:
    """One jsonl file, sorted by (updated_at, id), reloaded when the file changes."""

    path: Path
    signature: tuple[int, int] | None = None
    records: list[_Record] = field(default_factory=list)
    keys: list[SortKey] = field(default_factory=list)
    timestamps: list[float] = field(default_factory=list)
    n_unparseable_ts: int = 0
    skipped_lines: int = 0

    def start_index(self, start_time: float) -> int:
        """First record with updated_at >= start_time (never inside the unparseable-timestamp head)."""
        return max(bisect.bisect_left(self.timestamps, start_time), self.n_unparseable_ts)


class _Store:
    """Thread-safe access to the three collections, re-reading a file when its mtime or size changes."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._collections = {name: _Collection(data_dir / fname) for name, fname in RESOURCE_FILES.items()}

    def get(self, name: str) -> _Collection:
        coll = self._collections[name]
        try:
            st = coll.path.stat()
            signature: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            signature = None
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
    def _load(name: str, path: Path, signature: tuple[int, int] | None) -> _Collection:
        coll = _Collection(path=path, signature=signature)
        if signature is None:
            return coll
        records: list[_Record] = []
        skipped = 0
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, start=1):
                text = line.strip()
                if not text:
                    continue
                try:
                    obj = _loads(text)
                except ValueError as exc:
                    skipped += 1
                    log.warning("%s line %d is not JSON, not served: %s", path, lineno, exc)
                    continue
                if isinstance(obj, dict):
                    ts = _parse_timestamp(obj.get("updated_at"))
                    kind, value = _id_key(obj.get("id"))
                else:
                    ts, (kind, value) = None, _id_key(None)
                # Only ratings are filtered on content (score); other objects live on as their raw line only.
                kept = obj if name == "satisfaction_ratings" else None
                records.append(_Record(key=(-math.inf if ts is None else ts, kind, value, lineno), raw=text, obj=kept))
        records.sort(key=lambda r: r.key)
        coll.records = records
        coll.keys = [r.key for r in records]
        coll.timestamps = [r.key[0] for r in records]
        coll.n_unparseable_ts = bisect.bisect_right(coll.timestamps, -math.inf)
        coll.skipped_lines = skipped
        log.info("loaded %d %s from %s (%d lines skipped)", len(records), name, path, skipped)
        return coll


# --- cursors ---------------------------------------------------------------------------------------------
# Opaque to clients, as in Zendesk: urlsafe base64 of JSON [floor, updated_at, id kind, id, line]. The floor
# is the export's start_time, kept so a resumed export still skips records older than it.


def _encode_cursor(floor: float | None, key: SortKey) -> str:
    ts = None if key[0] == -math.inf else key[0]
    payload = json.dumps([floor, ts, key[1], key[2], key[3]], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[float | None, SortKey]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        floor, ts, kind, value, line = json.loads(raw)
        if floor is not None:
            floor = float(floor)
        key: SortKey = (-math.inf if ts is None else float(ts), int(kind), value, int(line))
        if key[1] == 0 and not isinstance(value, int) or key[1] > 0 and not isinstance(value, str):
            raise ValueError("id does not match its kind")
        return floor, key
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise _BadRequest("InvalidPaginationParameter", f"cursor is invalid: {exc}") from None


class _BadRequest(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _int_param(query: dict[str, list[str]], name: str, default: int | None = None) -> int | None:
    values = query.get(name)
    if not values or values[-1] == "":
        return default
    try:
        return int(values[-1])
    except ValueError:
        raise _BadRequest("InvalidValue", f"{name} must be an integer, got {values[-1]!r}") from None


def _str_param(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _score_matches(obj: Any, score_filter: str) -> bool:
    if not isinstance(obj, dict):
        return False
    score = obj.get("score")
    comment = obj.get("comment")
    has_comment = isinstance(comment, str) and comment.strip() != ""
    base, _, qualifier = score_filter.partition("_with")
    if base in {"offered", "unoffered"}:
        return score == base
    if base == "received":
        ok = score in {"good", "bad"}
    else:  # good / bad
        ok = score == base
    if qualifier == "_comment":
        return ok and has_comment
    if qualifier == "out_comment":
        return ok and not has_comment
    return ok


# --- rate limiting ---------------------------------------------------------------------------------------


class _RateLimiter:
    """At most `limit` requests in any rolling window of `window` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds until the oldest request in the window expires)."""
        now = time.monotonic()
        with self._lock:
            while self._times and self._times[0] <= now - self.window:
                self._times.popleft()
            allowed = len(self._times) < self.limit
            if allowed:
                self._times.append(now)
            reset = self._times[0] + self.window - now if self._times else self.window
            return allowed, self.limit - len(self._times), max(1, math.ceil(reset))


# --- the server ------------------------------------------------------------------------------------------


class ZendeskServer:
    """A Zendesk-compatible API over a ``support/`` folder, served from a background thread.

    Use as a context manager (``with ZendeskServer(path, api_token="t") as server: server.url``) or call
    :meth:`start` / :meth:`stop`. ``port=0`` picks a free port. Tests can inject faults with
    :meth:`fail_next` and inspect :attr:`requests`, a list of ``(method, path+query, status)``.
    """

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        api_token: str | None = None,
        rate_limit: int = 700,
        rate_window_seconds: float = 60.0,
        page_size: int = 1000,
    ) -> None:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            raise ConfigError(
                f"data folder {data_dir} does not exist: point --data-dir at the support/ folder "
                "that `c360 generate` wrote (e.g. data/sample/support)"
            )
        token = api_token if api_token is not None else _token_from_settings()
        if not token:
            raise ConfigError(
                f"no API token: set {TOKEN_ENV} (or sources.support.api_token in .dlt/secrets.toml); "
                "clients must send the same token"
            )
        if rate_limit < 1:
            raise ConfigError(f"rate_limit must be at least 1, got {rate_limit}")
        if not 1 <= page_size <= INCREMENTAL_MAX_PER_PAGE:
            raise ConfigError(f"page_size must be between 1 and {INCREMENTAL_MAX_PER_PAGE}, got {page_size}")
        self.data_dir = data_dir
        self.page_size = page_size
        self._token = token
        self._store = _Store(data_dir)
        self._limiter = _RateLimiter(rate_limit, rate_window_seconds)
        self._faults: deque[int] = deque()
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str, int]] = []
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)

    def __repr__(self) -> str:  # never show the token
        return f"ZendeskServer(url={self.url!r}, data_dir={str(self.data_dir)!r})"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def skipped_lines(self) -> int:
        """Lines in the jsonl files that were not JSON and so could not be served."""
        return self._store.skipped_lines

    def start(self) -> "ZendeskServer":
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="zendesk-server", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> "ZendeskServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next `n` API requests with HTTP `status` (before auth and rate limiting)."""
        with self._lock:
            self._faults.extend([status] * n)

    def statuses(self) -> list[int]:
        with self._lock:
            return [status for _, _, status in self.requests]

    # -- request handling (called from handler threads) --

    def _record(self, method: str, target: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, target, status))

    def _take_fault(self) -> int | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _authenticated(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, credentials = header.strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer":
            return hmac.compare_digest(credentials.encode(), self._token.encode())
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
            user, sep, password = decoded.partition(":")
            # API token auth: the user is "{email}/token"; Zendesk matches the email to an agent,
            # here any non-empty email is accepted.
            if not sep or not user.endswith("/token") or len(user) <= len("/token"):
                return False
            return hmac.compare_digest(password.encode(), self._token.encode())
        return False

    def _handle(self, handler: "BaseHTTPRequestHandler") -> None:
        method = handler.command
        target = handler.path
        length = handler.headers.get("Content-Length")
        if length and length.isdigit():
            handler.rfile.read(int(length))  # drain a request body so the keep-alive connection stays in step
        status, body, headers = 500, {"error": "InternalServerError"}, {}
        try:
            status, body, headers = self._dispatch(handler)
        except Exception:  # a bug here must not kill the server thread; the client sees a 500
            log.exception("error while answering %s %s", method, target)
            status, body, headers = 500, {"error": "InternalServerError", "description": "see server log"}, {}
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self._record(method, target, status)
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if method != "HEAD":
            handler.wfile.write(payload)

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> tuple[int, Any, dict[str, str]]:
        fault = self._take_fault()
        if fault is not None:
            headers = {"Retry-After": "1"} if fault in (429, 503) else {}
            return fault, {"error": "InjectedFault", "description": f"fail_next injected HTTP {fault}"}, headers

        allowed, remaining, reset = self._limiter.acquire()
        rate_headers = {
            "X-Rate-Limit": str(self._limiter.limit),
            "X-Rate-Limit-Remaining": str(remaining),
            "ratelimit-limit": str(self._limiter.limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
        }
        if not allowed:
            return 429, {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests per minute exceeded",
            }, {**rate_headers, "Retry-After": str(reset)}

        if not self._authenticated(handler.headers.get("Authorization")):
            return 401, {"error": "Couldn't authenticate you"}, {**rate_headers, "WWW-Authenticate": 'Basic realm="Web Password"'}

        parts = urlsplit(handler.path)
        path = parts.path.rstrip("/")
        if path.endswith(".json"):
            path = path[: -len(".json")]
        query = parse_qs(parts.query, keep_blank_values=True)
        base = self._base_url(handler)

        routes = {
            "/api/v2/incremental/users/cursor": ("users", self._incremental),
            "/api/v2/incremental/tickets/cursor": ("tickets", self._incremental),
            "/api/v2/satisfaction_ratings": ("satisfaction_ratings", self._satisfaction_ratings),
        }
        route = routes.get(path)
        if route is None:
            return 404, {"error": "InvalidEndpoint", "description": "Not found"}, rate_headers
        if handler.command not in ("GET", "HEAD"):
            return 405, {"error": "MethodNotAllowed", "description": f"{handler.command} is not supported here"}, {**rate_headers, "Allow": "GET, HEAD"}
        name, view = route
        try:
            status, body = view(name, query, base + parts.path)
        except _BadRequest as exc:
            status, body = 400, {"error": exc.error, "description": exc.description}
        return status, body, rate_headers

    def _base_url(self, handler: BaseHTTPRequestHandler) -> str:
        host = handler.headers.get("Host")
        return f"http://{host}" if host else self.url

    # -- endpoints --

    def _incremental(self, name: str, query: dict[str, list[str]], endpoint: str) -> tuple[int, bytes]:
        per_page = _int_param(query, "per_page", self.page_size)
        assert per_page is not None
        if per_page < 1:
            raise _BadRequest("InvalidValue", f"per_page must be at least 1, got {per_page}")
        per_page = min(per_page, INCREMENTAL_MAX_PER_PAGE)
        coll = self._store.get(name)

        cursor = _str_param(query, "cursor")
        if cursor:
            floor, after = _decode_cursor(cursor)
        else:
            start_time = _int_param(query, "start_time")
            if start_time is None:
                raise _BadRequest("InvalidValue", "start_time or cursor is required (start_time as a Unix epoch time)")
            if start_time < 0:
                raise _BadRequest("InvalidValue", f"start_time must not be negative, got {start_time}")
            floor, after = float(start_time), _BEFORE_ALL

        # The stream is: records with an unparseable updated_at, then records with updated_at >= floor.
        position = bisect.bisect_right(coll.keys, after)
        lo = coll.start_index(floor) if floor is not None else coll.n_unparseable_ts
        head = coll.records[position:coll.n_unparseable_ts] if position < coll.n_unparseable_ts else []
        tail_start = max(position, lo)
        available = len(head) + max(0, len(coll.records) - tail_start)
        page = head[:per_page]
        page.extend(coll.records[tail_start:tail_start + per_page - len(page)])
        end_of_stream = available <= per_page

        last = page[-1].key if page else after
        after_cursor = _encode_cursor(floor, last)
        extra = {k: v for k, v in query.items() if k in ("per_page", "include", "exclude_deleted")}
        after_url = f"{endpoint}?{urlencode({'cursor': after_cursor, **{k: v[-1] for k, v in extra.items()}})}"
        meta = {
            "after_url": after_url,
            "after_cursor": after_cursor,
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": end_of_stream,
        }
        return 200, _json_with_items(name, page, meta)

    def _satisfaction_ratings(self, name: str, query: dict[str, list[str]], endpoint: str) -> tuple[int, bytes]:
        coll = self._store.get(name)
        score = _str_param(query, "score")
        if score is not None and score not in SCORE_FILTERS:
            raise _BadRequest("InvalidValue", f"score must be one of {', '.join(sorted(SCORE_FILTERS))}, got {score!r}")
        start_time = _int_param(query, "start_time")
        end_time = _int_param(query, "end_time")
        filters = {k: query[k][-1] for k in ("score", "start_time", "end_time") if k in query}

        def candidates(indices: Iterator[int]) -> Iterator[_Record]:
            for i in indices:
                rec = coll.records[i]
                ts = rec.key[0]
                if ts != -math.inf:  # unparseable updated_at: served under every filter rather than dropped
                    if start_time is not None and ts < start_time:
                        continue
                    if end_time is not None and ts > end_time:
                        continue
                if score is not None and not _score_matches(rec.obj, score):
                    continue
                yield rec

        def indices_from(start: int) -> Iterator[int]:
            # skip straight past records older than start_time (the list is sorted by updated_at)
            lo = coll.start_index(start_time) if start_time is not None else 0
            if start < coll.n_unparseable_ts:
                yield from range(start, coll.n_unparseable_ts)
            yield from range(max(start, lo), len(coll.records))

        use_offset = ("page" in query or "per_page" in query) and not any(k.startswith("page[") for k in query)
        if use_offset:
            return self._offset_page(name, query, endpoint, filters, candidates(indices_from(0)))

        size = _int_param(query, "page[size]", LIST_DEFAULT_PAGE_SIZE)
        assert size is not None
        if size < 1:
            raise _BadRequest("InvalidPaginationParameter", f"page[size] must be at least 1, got {size}")
        size = min(size, LIST_MAX_PAGE_SIZE)
        after = _str_param(query, "page[after]")
        before = _str_param(query, "page[before]")
        if after and before:
            raise _BadRequest("InvalidPaginationParameter", "give page[after] or page[before], not both")

        if before:
            _, key = _decode_cursor(before)
            stop = bisect.bisect_left(coll.keys, key)
            found = []
            for rec in candidates(iter(range(stop - 1, -1, -1))):
                found.append(rec)
                if len(found) > size:
                    break
            has_more = len(found) > size
            page = list(reversed(found[:size]))
            has_next = True  # the record named by the before-cursor follows this page
            has_prev = has_more
        else:
            start = bisect.bisect_right(coll.keys, _decode_cursor(after)[1]) if after else 0
            page = []
            it = candidates(indices_from(start))
            for rec in it:
                page.append(rec)
                if len(page) == size:
                    break
            has_more = next(it, None) is not None
            has_next = has_more
            has_prev = bool(after) and bool(page)

        after_cursor = _encode_cursor(None, page[-1].key) if page else None
        before_cursor = _encode_cursor(None, page[0].key) if page else None
        common = {**filters, "page[size]": str(size)}
        links = {
            "next": f"{endpoint}?{urlencode({**common, 'page[after]': after_cursor})}" if has_next and after_cursor else None,
            "prev": f"{endpoint}?{urlencode({**common, 'page[before]': before_cursor})}" if has_prev and before_cursor else None,
        }
        meta = {
            "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": before_cursor},
            "links": links,
        }
        return 200, _json_with_items(name, page, meta)

    @staticmethod
    def _offset_page(
        name: str, query: dict[str, list[str]], endpoint: str, filters: dict[str, str], matches: Iterator[_Record]
    ) -> tuple[int, bytes]:
        page_no = _int_param(query, "page", 1)
        per_page = _int_param(query, "per_page", LIST_DEFAULT_PAGE_SIZE)
        assert page_no is not None and per_page is not None
        if page_no < 1 or per_page < 1:
            raise _BadRequest("InvalidPaginationParameter", "page and per_page must be at least 1")
        per_page = min(per_page, LIST_MAX_PAGE_SIZE)
        all_matches = list(matches)
        first = (page_no - 1) * per_page
        page = all_matches[first:first + per_page]

        def page_url(n: int) -> str:
            return f"{endpoint}?{urlencode({**filters, 'page': n, 'per_page': per_page})}"

        meta = {
            "next_page": page_url(page_no + 1) if first + per_page < len(all_matches) else None,
            "previous_page": page_url(page_no - 1) if page_no > 1 else None,
            "count": len(all_matches),
        }
        return 200, _json_with_items(name, page, meta)


def _json_with_items(name: str, records: list[_Record], meta: dict[str, Any]) -> bytes:
    # Stored lines are embedded verbatim (they were validated as JSON on load): faster than re-encoding
    # 1000 objects per page, and the client gets each record byte for byte as the source holds it.
    items = ",".join(r.raw for r in records)
    rest = json.dumps(meta)[1:-1]
    return f'{{"{name}":[{items}]{"," if rest else ""}{rest}}}'.encode()


def _make_handler(server: ZendeskServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "c360-zendesk/1.0"
        # Headers and body go out in separate writes; with Nagle on, keep-alive clients wait ~40 ms per page.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            server._handle(self)

        do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            # Request lines only (method, path, status): headers, and so the token, are never logged.
            log.debug("%s %s", self.address_string(), format % args)

    return Handler


def _token_from_settings() -> str | None:
    """The API token from SOURCES__SUPPORT__API_TOKEN, else from dlt's secrets (sources.support.api_token)."""
    token = os.environ.get(TOKEN_ENV)
    if token:
        return token
    try:
        import dlt

        value = dlt.secrets.get("sources.support.api_token")
    except Exception:  # no dlt or no secrets file: the env var is the documented way
        return None
    return str(value) if value else None


def serve(data_dir: Path, host: str = "127.0.0.1", port: int = 8765, rate_limit: int = 700) -> None:
    """Serve `data_dir` as a Zendesk API until Ctrl-C (what `c360 zendesk-server` runs)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        server = ZendeskServer(Path(data_dir), host=host, port=port, rate_limit=rate_limit)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as exc:
        print(f"error: cannot listen on {host}:{port} ({exc}); choose another --port", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"Zendesk-compatible API for {data_dir} on {server.url} (rate limit {rate_limit}/min); Ctrl-C stops it")
    print(f"  e.g. curl -u you@example.com/token:${TOKEN_ENV} '{server.url}/api/v2/incremental/users/cursor.json?start_time=0'")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.stop()
