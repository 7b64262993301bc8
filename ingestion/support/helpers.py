"""Zendesk specifics for dlt's rest_api source: paginators, validation, incremental conversion, retries."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Iterator, Optional

from dlt.sources.helpers.requests import Client, Request, Response
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator, JSONResponseCursorPaginator

from ingestion.quarantine import QuarantineError, QuarantineLedger, future_limit, quarantine_items, quarantine_row
from ingestion.support.settings import ENUMS, REQUIRED_KEYS, TIMESTAMP_KEYS, TYPED_KEYS

SOURCE = "support"


class ZendeskIncrementalPaginator(JSONResponseCursorPaginator):
    """Cursor-based incremental exports: follow ``after_cursor`` until ``end_of_stream``.

    Zendesk keeps returning an ``after_cursor`` on the last page (so an export can be resumed later), so
    the stock cursor paginator would never stop; ``end_of_stream`` is the documented end. The first request
    carries ``start_time``; the following ones carry only ``cursor`` as Zendesk expects.
    """

    def __init__(self) -> None:
        super().__init__(cursor_path="after_cursor", cursor_param="cursor")

    def update_state(self, response: Response, data: Optional[list[Any]] = None) -> None:
        super().update_state(response, data)
        if response.json().get("end_of_stream", True):
            self._has_next_page = False

    def update_request(self, request: Request) -> None:
        super().update_request(request)
        if request.params:
            request.params.pop("start_time", None)


class ZendeskCursorPaginator(JSONLinkPaginator):
    """Zendesk cursor pagination of list endpoints: ``links.next`` while ``meta.has_more``."""

    def __init__(self) -> None:
        super().__init__(next_url_path="links.next")

    def update_state(self, response: Response, data: Optional[list[Any]] = None) -> None:
        super().update_state(response, data)
        meta = response.json().get("meta") or {}
        if meta.get("has_more") is False:
            self._has_next_page = False


def to_unix_seconds(value: Any) -> int:
    """dlt's incremental ``updated_at`` cursor (ISO-8601) -> Zendesk's ``start_time`` (Unix seconds)."""
    if isinstance(value, (int, float)):
        return max(0, int(value))
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return max(0, int(parsed.timestamp()))


def retrying_session() -> Any:
    """A requests session that retries 429 (honouring ``Retry-After``) and 5xx with exponential backoff.

    rest_api's default client is built with fixed defaults; this one reads dlt's runtime settings
    (``runtime.request_max_attempts``, ``request_backoff_factor``, ``request_max_retry_delay``,
    ``request_timeout``; env ``RUNTIME__REQUEST_MAX_ATTEMPTS``...).
    """
    client = Client(raise_for_status=False, respect_retry_after_header=True)
    client.configure()
    return client.session


def _type_name(t: type | tuple[type, ...]) -> str:
    return " or ".join(x.__name__ for x in (t if isinstance(t, tuple) else (t,)))


def _is(value: Any, t: type | tuple[type, ...]) -> bool:
    types = t if isinstance(t, tuple) else (t,)
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def validate(resource: str, record: Any, limit: datetime) -> None:
    """Raises :class:`QuarantineError` when ``record`` is not a Zendesk ``resource`` object."""
    if not isinstance(record, dict):
        raise QuarantineError("wrong_type", f"record is a JSON {type(record).__name__}, not an object")
    for key, typ in REQUIRED_KEYS[resource].items():
        if record.get(key) is None:
            raise QuarantineError("missing_key", key)
        if not _is(record[key], typ):
            raise QuarantineError("wrong_type", f"{key} is {type(record[key]).__name__}, expected {_type_name(typ)}")
    for key, typ in TYPED_KEYS[resource].items():
        value = record.get(key)
        if value is not None and not _is(value, typ):
            raise QuarantineError("wrong_type", f"{key} is {type(value).__name__}, expected {_type_name(typ)}")
    for key, allowed in ENUMS[resource].items():
        value = record.get(key)
        if value is not None and value not in allowed:
            raise QuarantineError("invalid_value", f"{key} {value!r} is not one of {', '.join(sorted(allowed))}")
    for key in TIMESTAMP_KEYS:
        value = record.get(key)
        if value is None:
            continue
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise QuarantineError("wrong_type", f"{key} {value!r} is not an ISO-8601 timestamp") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        if parsed > limit:
            raise QuarantineError("future_timestamp", f"{key} {value} is more than a day ahead")


_USERINFO = re.compile(r"(://)[^/@\s]+@")


class PageTracker:
    """Remembers the URL of the page being processed (a rest_api response hook), for quarantine origins."""

    def __init__(self) -> None:
        self.url: str | None = None

    def __call__(self, response: Response, *args: Any, **kwargs: Any) -> None:
        self.url = _USERINFO.sub(r"\1", response.url)


def record_validator(resource: str, pages: PageTracker) -> Any:
    """A dlt yield-map step: passes valid records on, sends the others to ``quarantine`` (once each).

    It runs before the incremental step, so a record with a broken or future ``updated_at`` never moves
    the cursor (which would make later exports skip good records).
    """
    ledger = QuarantineLedger(resource)

    def _validate(record: Any) -> Iterator[Any]:
        try:
            validate(resource, record, future_limit())
        except QuarantineError as exc:
            row = quarantine_row(SOURCE, resource, pages.url, exc.reason, record, detail=exc.detail)
            fresh = ledger.new_only([row])
            if fresh:
                yield quarantine_items(fresh)
            return
        yield record

    return _validate
