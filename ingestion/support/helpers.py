"""Zendesk specifics for dlt's rest_api source: authentication, side-loads, paginators, validation,
incremental conversion, retries."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import datetime, timezone
from typing import Any, Iterator, Optional
from urllib.parse import urlsplit

import orjson
from dlt.sources.helpers.requests import Client, Request, Response
from requests.adapters import HTTPAdapter
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator, JSONResponseCursorPaginator

from c360.settings import SOURCES
from ingestion.dlt_private import client_session
from ingestion.errors import CredentialsRejectedError, DeadlineExceeded, MissingSettingError, UnexpectedResponseError
from ingestion.quarantine import QuarantineError, QuarantineLedger, future_limit, quarantine_items, quarantine_row
from ingestion.support.settings import ENUMS, REQUIRED_KEYS, TIMESTAMP_KEYS, TYPED_KEYS

SOURCE = "support"
API_TOKEN_KEY, EMAIL_KEY, OAUTH_TOKEN_KEY = (SOURCES[SOURCE].env(n) for n in ("api_token", "email", "oauth_token"))

log = logging.getLogger(__name__)


class ZendeskAuthError(CredentialsRejectedError):
    """Zendesk refused the credentials (HTTP 401) or their permissions (HTTP 403).

    A configuration error, not a transient fault: raised from the first refused answer (the HTTP client never
    retries it) with one line naming the settings to fix; as a :class:`CredentialsRejectedError` the pipeline
    and Dagster fail it fast too.
    """


def resolve_auth(api_token: Optional[str], email: Optional[str], oauth_token: Optional[str]) -> dict[str, Any]:
    """dlt rest_api auth config for Zendesk's two token kinds, or :class:`MissingSettingError`.

    Zendesk documents exactly two header forms: an API token is HTTP Basic ``{email}/token:{api_token}``
    (the email of the agent the requests run as), an OAuth access token is ``Bearer {token}``. An API token
    sent as Bearer is refused with 401, so a token without an email is a configuration error here, raised
    before any request. When both kinds are set the OAuth token is used (Zendesk's recommended method).
    """
    if oauth_token:
        return {"type": "bearer", "token": oauth_token}
    if api_token and email:
        return {"type": "http_basic", "username": f"{email}/token", "password": api_token}
    if api_token:
        raise MissingSettingError(
            f"support source: {API_TOKEN_KEY} is set but {EMAIL_KEY} is not: Zendesk API tokens authenticate as "
            f"HTTP Basic {{email}}/token:{{api_token}}, so set {EMAIL_KEY} (sources.support.email) to the email "
            f"of the agent the token belongs to, or use an OAuth access token ({OAUTH_TOKEN_KEY}) instead"
        )
    raise MissingSettingError(
        f"support source: set {API_TOKEN_KEY} with {EMAIL_KEY}, or {OAUTH_TOKEN_KEY} "
        "(sources.support.api_token / oauth_token in .dlt/secrets.toml)"
    )


class AuthGuard:
    """rest_api response hook: a 401/403 becomes :class:`ZendeskAuthError` naming the settings to fix.

    It runs before dlt's ``raise_for_status``; the retrying session never retries 4xx, and this error is not
    one of the transient exceptions it retries, so a wrong token fails the run on its first answer.
    """

    def __init__(self, oauth: bool) -> None:
        self.oauth = oauth

    def __call__(self, response: Response, *args: Any, **kwargs: Any) -> None:
        status = response.status_code
        if status not in (401, 403):
            return
        path = urlsplit(response.url).path
        if self.oauth:
            fix = f"check {OAUTH_TOKEN_KEY} (expired, revoked, or missing the read scope?)"
        else:
            fix = f"check {API_TOKEN_KEY} and {EMAIL_KEY} (the agent the API token authenticates as)"
        if status == 401:
            what = "refused the credentials"
        else:
            what = "denied access (incremental exports need an admin)"
        raise ZendeskAuthError(f"support source: Zendesk {what} (HTTP {status} on {path}): {fix}")


class SideloadAttacher:
    """rest_api response hook: attaches side-loaded records to their parent records on the same page.

    Zendesk answers ``include=metric_sets`` / ``include=identities`` with a top-level array next to the
    primary one, each record naming its parent (``ticket_id``, ``user_id``). Attached to the parent, the
    side-loaded data shares the parent's validation, incremental cursor and merge (an updated user replaces
    its identities). A page whose parents already embed the key (as some exports do) keeps the embedded
    value unless a side-load for that parent arrived. Side-loaded records that name no parent on the page
    are counted in :attr:`orphans` and logged.
    """

    def __init__(self, primary: str, include: str, key: str, parent_ref: str, many: bool) -> None:
        self.primary, self.include, self.key, self.parent_ref, self.many = primary, include, key, parent_ref, many
        self.orphans = 0

    def __call__(self, response: Response, *args: Any, **kwargs: Any) -> None:
        if response.status_code != 200:
            return
        parse_once(response)  # whatever the hook order: the records are attached in the parse every reader gets
        try:
            payload = response.json()
        except ValueError:
            return  # not JSON: dlt reports the page as it would without side-loads
        if not isinstance(payload, dict) or self.include not in payload:
            return
        side = payload.pop(self.include)
        by_parent: dict[Any, list[Any]] = {}
        unnamed = 0
        for record in side if isinstance(side, list) else []:
            ref = record.get(self.parent_ref) if isinstance(record, dict) else None
            if ref is None:
                unnamed += 1
            else:
                by_parent.setdefault(ref, []).append(record)
        for parent in payload.get(self.primary) or []:
            if isinstance(parent, dict) and parent.get("id") in by_parent:
                found = by_parent.pop(parent["id"])
                parent[self.key] = found if self.many else found[-1]
        stray = unnamed + sum(len(v) for v in by_parent.values())
        if stray:
            self.orphans += stray
            log.warning("%s: %d side-loaded %s name no %s on the page; not loaded", self.primary, stray,
                        self.include, self.primary)


def parse_once(response: Response, *args: Any, **kwargs: Any) -> None:
    """rest_api response hook: parses a page's JSON body once and gives every later reader that parse.

    ``Response.json()`` parses the body again on each call (with simplejson, which dlt installs and requests
    then prefers), and a page is read by the page tracker, the side-load attacher, the paginator (twice) and
    dlt's data selector: at 100,000 customers those parses took 8.9 s of the 36 s extract (cProfile). The
    readers only read the page, except the side-load attacher, which attaches its records in place.
    """
    if not response.ok or getattr(response, "_c360_parsed", False):
        return  # error statuses are dlt's to retry or raise, with their body as sent; a page is parsed once
    try:
        parsed = _loads(response.content)
    except ValueError:
        return  # not JSON: every reader fails or reports it as before
    response.json = lambda **_: parsed  # type: ignore[method-assign]
    response._c360_parsed = True  # type: ignore[attr-defined]


def _loads(content: bytes) -> Any:
    """orjson for speed; the json module for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


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


class Deadline:
    """The total time a run may spend on the API, counted from its first request."""

    def __init__(self, seconds: float, setting: str) -> None:
        self.seconds = seconds
        self.setting = setting
        self.started: float | None = None

    def remaining(self) -> float:
        now = time.monotonic()
        if self.started is None:
            self.started = now
        return self.seconds - (now - self.started)

    def check(self, url: str) -> float:
        """Seconds left; raises :class:`DeadlineExceeded` naming the source and setting when none are."""
        left = self.remaining()
        if left <= 0:
            where = _USERINFO.sub(r"\1", url)
            raise DeadlineExceeded(
                f"the {SOURCE} source gave up after {self.seconds:.0f}s without a complete export "
                f"(last request {where}): raise {self.setting} or check the API's health"
            )
        return left


class _DeadlineAdapter(HTTPAdapter):
    """Every attempt (retries included) checks the deadline and waits at most the time left."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def send(self, request: Any, *args: Any, timeout: Any = None, **kwargs: Any) -> Any:
        left = self.deadline.check(request.url)
        if isinstance(timeout, tuple):
            timeout = tuple(None if t is None else min(t, left) for t in timeout)
        else:
            timeout = left if timeout is None else min(timeout, left)
        return super().send(request, *args, timeout=timeout, **kwargs)


def retrying_session(deadline: Deadline | None = None) -> Any:
    """A requests session that retries 429 (honouring ``Retry-After``) and 5xx with exponential backoff,
    within ``deadline``.

    rest_api's default client is built with fixed defaults; this one reads dlt's runtime settings
    (``runtime.request_max_attempts``, ``request_backoff_factor``, ``request_max_retry_delay``,
    ``request_timeout``; env ``RUNTIME__REQUEST_MAX_ATTEMPTS``...).
    """
    client = Client(raise_for_status=False, respect_retry_after_header=True)
    client.configure()
    if deadline is None:
        return client.session
    # a Retry-After or backoff longer than the whole deadline would only be slept through
    return client_session(client, _DeadlineAdapter(deadline), max_retry_delay=deadline.seconds)


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
    """A rest_api response hook: remembers the URL of the page being processed (for quarantine origins) and
    refuses a page without the documented list (``{}``, an error object from a proxy, a login page) instead
    of reading it as zero records."""

    def __init__(self, selector: str | None = None, setting: str = "") -> None:
        self.url: str | None = None
        self.selector = selector
        self.setting = setting

    def __call__(self, response: Response, *args: Any, **kwargs: Any) -> None:
        self.url = _USERINFO.sub(r"\1", response.url)
        if self.selector is None or not response.ok:
            return  # error statuses are dlt's to retry or raise
        try:
            body = response.json()
        except ValueError:
            body = None
            shape = f"{response.headers.get('content-type') or 'no content type'}, not JSON"
        else:
            shape = f"a JSON {type(body).__name__}"
            if isinstance(body, dict):
                if isinstance(body.get(self.selector), list):
                    return
                shape += f" with keys {sorted(body)[:8]}" if body else " with no keys"
        raise UnexpectedResponseError(
            f"the {SOURCE} source got {shape} from {self.url} where Zendesk sends a "
            f"'{self.selector}' list: check {self.setting} points at a Zendesk account"
        )


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
