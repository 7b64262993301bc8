"""Zendesk Support: users, tickets and satisfaction ratings through dlt's declarative ``rest_api`` source.

* ``users`` and ``tickets`` come from the cursor-based incremental exports
  (``/api/v2/incremental/{users,tickets}/cursor.json?start_time=...``, then ``cursor=<after_cursor>`` until
  ``end_of_stream``); ``satisfaction_ratings`` from ``/api/v2/satisfaction_ratings`` (cursor pagination,
  ``links.next`` / ``meta.has_more``, filtered by ``start_time``).
* Incremental: dlt keeps the highest ``updated_at`` per resource and sends it as ``start_time`` (Unix
  seconds) next run; rows merge on ``id`` (an updated ticket replaces its row and its ``tickets__tags``).
* 429 answers are retried after ``Retry-After``, 5xx with exponential backoff (dlt runtime settings
  ``request_max_attempts``, ``request_backoff_factor``, ``request_max_retry_delay``).
* Records that are not valid Zendesk objects go to ``quarantine`` before they reach the incremental cursor.

Config: ``sources.support.base_url`` (``SOURCES__SUPPORT__BASE_URL``, e.g. ``https://acme.zendesk.com``),
secret ``sources.support.api_token`` (``SOURCES__SUPPORT__API_TOKEN``), optional ``sources.support.email``
(``SOURCES__SUPPORT__EMAIL``: then Zendesk's Basic ``{email}/token`` auth is used, else a Bearer token).
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

import dlt
from dlt.sources import DltResource
from dlt.sources.rest_api import RESTAPIConfig, rest_api_resources

from c360.settings import SOURCES
from ingestion.quarantine import with_quarantine
from ingestion.support.helpers import (
    PageTracker,
    ZendeskCursorPaginator,
    ZendeskIncrementalPaginator,
    record_validator,
    retrying_session,
    to_unix_seconds,
)
from ingestion.support.settings import (
    ENDPOINTS,
    INCREMENTAL_PAGE_SIZE,
    INITIAL_UPDATED_AT,
    LIST_PAGE_SIZE,
)
from ingestion.vendor_schema import column_hints

MISSING = {name: f"set {SOURCES['support'].setting(name).where}" for name in ("base_url", "api_token")}


def _missing_setting(name: str, message: str) -> DltResource:
    """A resource that fails the run with ``message``. Building the source never fails on a missing
    setting: Dagster builds its asset graph from the source before any setting is needed."""

    def fail() -> Iterator[Any]:
        from ingestion.errors import MissingSettingError

        raise MissingSettingError(f"support source: {message}")
        yield  # pragma: no cover - makes this a generator

    return dlt.resource(fail, name=name, primary_key="id", write_disposition="merge")()


def _endpoint(resource: str, pages: PageTracker, page_size: int) -> dict[str, Any]:
    path, selector, kind = ENDPOINTS[resource]
    incremental = {
        "start_param": "start_time",
        "cursor_path": "updated_at",
        "initial_value": INITIAL_UPDATED_AT,
        "convert": to_unix_seconds,
        # quarantine rows (no updated_at) pass the incremental step untouched; valid records always have one
        "on_cursor_value_missing": "include",
    }
    if kind == "incremental":
        paginator: Any = ZendeskIncrementalPaginator()
        params = {"per_page": min(page_size, INCREMENTAL_PAGE_SIZE)}
    else:
        paginator = ZendeskCursorPaginator()
        params = {"page[size]": min(page_size, LIST_PAGE_SIZE)}
    return {
        "path": path,
        "data_selector": selector,
        "paginator": paginator,
        "params": params,
        "incremental": incremental,
        "response_actions": [pages],
    }


@dlt.source(name="support")
def support(
    base_url: Optional[str] = dlt.config.value,
    api_token: Optional[str] = dlt.secrets.value,
    email: Optional[str] = dlt.config.value,
    page_size: int = INCREMENTAL_PAGE_SIZE,
) -> list[DltResource]:
    """Zendesk ``users``, ``tickets`` (+ ``tickets__tags``...), ``satisfaction_ratings`` (+ ``quarantine``).

    ``page_size`` (``sources.support.page_size``) caps items per page: 1000 for the exports (Zendesk's
    maximum), 100 for satisfaction ratings.
    """
    missing = [MISSING[k] for k, v in (("base_url", base_url), ("api_token", api_token)) if not v]
    if missing:
        return [_missing_setting(name, "; ".join(missing)) for name in ENDPOINTS]

    auth: dict[str, Any]
    if email:
        auth = {"type": "http_basic", "username": f"{email}/token", "password": api_token}
    else:
        auth = {"type": "bearer", "token": api_token}
    trackers = {name: PageTracker() for name in ENDPOINTS}
    config: RESTAPIConfig = {
        "client": {"base_url": base_url.rstrip("/") + "/", "auth": auth, "session": retrying_session()},
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            # the same record can come twice in one export (updated while exporting): keep the newest
            "columns": {"updated_at": {"dedup_sort": "desc"}},
        },
        "resources": [{"name": name, "endpoint": _endpoint(name, trackers[name], page_size)} for name in ENDPOINTS],
    }
    resources = rest_api_resources(config)
    for resource in resources:
        # validate before the incremental step (pipe step 1) so bad records never move the cursor
        resource.add_yield_map(record_validator(resource.name, trackers[resource.name]), insert_at=1)
        # Parquet load files: DuckDB ingests them far faster than dlt's default INSERT statements. The declared
        # Zendesk fields (transform/.../_support__sources.yml) exist with their types even when always null.
        resource.apply_hints(file_format="parquet", columns=column_hints("support", resource.name))
        with_quarantine(resource)
    return resources
