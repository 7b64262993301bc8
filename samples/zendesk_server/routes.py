"""The endpoints: cursor-based incremental exports of users and tickets, and the satisfaction ratings list
(cursor and offset pagination, score and time filters), with Zendesk's opaque cursors and 400 answers."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
from typing import Any, Callable, Iterator
from urllib.parse import urlencode

from samples.zendesk_server.data import BEFORE_ALL, Record, SortKey, Store, json_with_items

#: Zendesk caps cursor-based incremental exports at 1000 items per page.
INCREMENTAL_MAX_PER_PAGE = 1000
#: Zendesk's list endpoints default to, and cap at, 100 items per page.
LIST_DEFAULT_PAGE_SIZE = 100
LIST_MAX_PAGE_SIZE = 100

#: Side-loads each export serves when asked with ``include=`` (Zendesk "Side-loading": a top-level array of the
#: related records next to the primary one). Other include values are ignored, as Zendesk ignores them.
SIDELOADS = {"tickets": "metric_sets", "users": "identities"}

#: Satisfaction rating ``score`` filter values (Zendesk "List Satisfaction Ratings" filters).
SCORE_FILTERS = {
    "offered", "unoffered", "received", "received_with_comment", "received_without_comment",
    "good", "good_with_comment", "good_without_comment", "bad", "bad_with_comment", "bad_without_comment",
}


# --- cursors ---------------------------------------------------------------------------------------------
# Opaque to clients, as in Zendesk: urlsafe base64 of JSON [floor, updated_at, id kind, id, line]. The floor
# is the export's start_time, kept so a resumed export still skips records older than it.


def encode_cursor(floor: float | None, key: SortKey) -> str:
    ts = None if key[0] == -math.inf else key[0]
    payload = json.dumps([floor, ts, key[1], key[2], key[3]], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float | None, SortKey]:
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
        raise BadRequest("InvalidPaginationParameter", f"cursor is invalid: {exc}") from None


class BadRequest(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def int_param(query: dict[str, list[str]], name: str, default: int | None = None) -> int | None:
    values = query.get(name)
    if not values or values[-1] == "":
        return default
    try:
        return int(values[-1])
    except ValueError:
        raise BadRequest("InvalidValue", f"{name} must be an integer, got {values[-1]!r}") from None


def str_param(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def score_matches(obj: Any, score_filter: str) -> bool:
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


# --- endpoints -------------------------------------------------------------------------------------------
# Each answers (status, body) for one resource of the store; the server adds auth, rate limits and headers.

Query = dict[str, list[str]]


def incremental(store: Store, name: str, query: Query, endpoint: str, page_size: int) -> tuple[int, bytes]:
    """A page of a cursor-based incremental export (``start_time`` or ``cursor``, ``per_page`` up to 1000)."""
    per_page = int_param(query, "per_page", page_size)
    assert per_page is not None
    if per_page < 1:
        raise BadRequest("InvalidValue", f"per_page must be at least 1, got {per_page}")
    per_page = min(per_page, INCREMENTAL_MAX_PER_PAGE)
    coll = store.get(name)

    cursor = str_param(query, "cursor")
    if cursor:
        floor, after = decode_cursor(cursor)
    else:
        start_time = int_param(query, "start_time")
        if start_time is None:
            raise BadRequest("InvalidValue", "start_time or cursor is required (start_time as a Unix epoch time)")
        if start_time < 0:
            raise BadRequest("InvalidValue", f"start_time must not be negative, got {start_time}")
        floor, after = float(start_time), BEFORE_ALL

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
    after_cursor = encode_cursor(floor, last)
    extra = {k: v for k, v in query.items() if k in ("per_page", "include", "exclude_deleted")}
    after_url = f"{endpoint}?{urlencode({'cursor': after_cursor, **{k: v[-1] for k, v in extra.items()}})}"
    meta = {
        "after_url": after_url,
        "after_cursor": after_cursor,
        "before_url": None,
        "before_cursor": None,
        "end_of_stream": end_of_stream,
    }
    requested = {part.strip() for value in query.get("include", []) for part in value.split(",")}
    sideload = SIDELOADS.get(name) if SIDELOADS.get(name) in requested else None
    return 200, json_with_items(name, page, meta, sideload)


def satisfaction_ratings(store: Store, name: str, query: Query, endpoint: str, page_size: int) -> tuple[int, bytes]:
    """A page of List Satisfaction Ratings (``page_size`` is the export's; this list has its own)."""
    coll = store.get(name)
    score = str_param(query, "score")
    if score is not None and score not in SCORE_FILTERS:
        raise BadRequest("InvalidValue", f"score must be one of {', '.join(sorted(SCORE_FILTERS))}, got {score!r}")
    start_time = int_param(query, "start_time")
    end_time = int_param(query, "end_time")
    filters = {k: query[k][-1] for k in ("score", "start_time", "end_time") if k in query}

    def candidates(indices: Iterator[int]) -> Iterator[Record]:
        for i in indices:
            rec = coll.records[i]
            ts = rec.key[0]
            if ts != -math.inf:  # unparseable updated_at: served under every filter rather than dropped
                if start_time is not None and ts < start_time:
                    continue
                if end_time is not None and ts > end_time:
                    continue
            if score is not None and not score_matches(rec.obj, score):
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
        return _offset_page(name, query, endpoint, filters, candidates(indices_from(0)))

    size = int_param(query, "page[size]", LIST_DEFAULT_PAGE_SIZE)
    assert size is not None
    if size < 1:
        raise BadRequest("InvalidPaginationParameter", f"page[size] must be at least 1, got {size}")
    size = min(size, LIST_MAX_PAGE_SIZE)
    after = str_param(query, "page[after]")
    before = str_param(query, "page[before]")
    if after and before:
        raise BadRequest("InvalidPaginationParameter", "give page[after] or page[before], not both")

    if before:
        _, key = decode_cursor(before)
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
        start = bisect.bisect_right(coll.keys, decode_cursor(after)[1]) if after else 0
        page = []
        it = candidates(indices_from(start))
        for rec in it:
            page.append(rec)
            if len(page) == size:
                break
        has_more = next(it, None) is not None
        has_next = has_more
        has_prev = bool(after) and bool(page)

    after_cursor = encode_cursor(None, page[-1].key) if page else None
    before_cursor = encode_cursor(None, page[0].key) if page else None
    common = {**filters, "page[size]": str(size)}
    links = {
        "next": f"{endpoint}?{urlencode({**common, 'page[after]': after_cursor})}" if has_next and after_cursor else None,
        "prev": f"{endpoint}?{urlencode({**common, 'page[before]': before_cursor})}" if has_prev and before_cursor else None,
    }
    meta = {
        "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": before_cursor},
        "links": links,
    }
    return 200, json_with_items(name, page, meta)

def _offset_page(
    name: str, query: dict[str, list[str]], endpoint: str, filters: dict[str, str], matches: Iterator[Record]
) -> tuple[int, bytes]:
    page_no = int_param(query, "page", 1)
    per_page = int_param(query, "per_page", LIST_DEFAULT_PAGE_SIZE)
    assert page_no is not None and per_page is not None
    if page_no < 1 or per_page < 1:
        raise BadRequest("InvalidPaginationParameter", "page and per_page must be at least 1")
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
    return 200, json_with_items(name, page, meta)


View = Callable[[Store, str, Query, str, int], tuple[int, bytes]]

#: path (without .json) -> (resource, view)
ROUTES: dict[str, tuple[str, View]] = {
    "/api/v2/incremental/users/cursor": ("users", incremental),
    "/api/v2/incremental/tickets/cursor": ("tickets", incremental),
    "/api/v2/satisfaction_ratings": ("satisfaction_ratings", satisfaction_ratings),
}
