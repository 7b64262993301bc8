"""Zendesk Support: users, tickets and satisfaction ratings through dlt's declarative ``rest_api`` source.

* ``users`` and ``tickets`` come from the cursor-based incremental exports
  (``/api/v2/incremental/{users,tickets}/cursor.json?start_time=...``, then ``cursor=<after_cursor>`` until
  ``end_of_stream``); ``satisfaction_ratings`` from ``/api/v2/satisfaction_ratings`` (cursor pagination,
  ``links.next`` / ``meta.has_more``, filtered by ``start_time``).
* Side-loads (Zendesk "Side-loading"): the ticket export asks for ``include=metric_sets`` (first reply and
  resolution times, reopens, replies: Zendesk sends them only when asked) and the user export for
  ``include=identities`` (every email / phone of a user). They are attached to their parent record:
  ``tickets.metric_set__*`` columns and the child table ``users__identities``.
* Deleted tickets (``status`` deleted) and deleted users (``active`` false) are loaded as Zendesk exports
  them; staging flags them and the marts leave them out.
* Incremental: dlt keeps the highest ``updated_at`` per resource and sends it as ``start_time`` (Unix
  seconds) next run; rows merge on ``id`` (an updated ticket replaces its row and its ``tickets__tags``).
* 429 answers are retried after ``Retry-After`` (the incremental exports allow only 10 requests a minute),
  5xx with exponential backoff (dlt runtime settings ``request_max_attempts``, ``request_backoff_factor``,
  ``request_max_retry_delay``). 401/403 are configuration errors: :class:`ZendeskAuthError` at once, no retry.
* Records that are not valid Zendesk objects go to ``quarantine`` before they reach the incremental cursor.

Config: ``sources.support.base_url`` (``SOURCES__SUPPORT__BASE_URL``, e.g. ``https://acme.zendesk.com``) and
either an API token (secret ``sources.support.api_token``, ``SOURCES__SUPPORT__API_TOKEN``, with
``sources.support.email``, ``SOURCES__SUPPORT__EMAIL``: HTTP Basic ``{email}/token:{api_token}``) or an OAuth
access token (secret ``sources.support.oauth_token``, ``SOURCES__SUPPORT__OAUTH_TOKEN``: ``Bearer``).
"""

from __future__ import annotations

from typing import Any, Optional

import dlt
from dlt.sources import DltResource
from dlt.sources.rest_api import RESTAPIConfig, rest_api_resources

from c360.settings import SOURCES, parse_duration
from ingestion.errors import MissingSettingError, missing_setting_resource
from ingestion.quarantine import with_quarantine
from ingestion.support.helpers import (
    AuthGuard,
    Deadline,
    PageTracker,
    SideloadAttacher,
    ZendeskAuthError,
    ZendeskCursorPaginator,
    ZendeskIncrementalPaginator,
    parse_once,
    record_validator,
    resolve_auth,
    retrying_session,
    to_unix_seconds,
)
from ingestion.support.settings import (
    ENDPOINTS,
    INCREMENTAL_PAGE_SIZE,
    INITIAL_UPDATED_AT,
    LIST_PAGE_SIZE,
    SIDELOADS,
)
from ingestion.vendor_schema import column_hints

__all__ = ["support", "settings_problem", "ZendeskAuthError"]

MISSING_BASE_URL = (
    f"set {SOURCES['support'].setting('base_url').where} "
    "(e.g. https://acme.zendesk.com, or http://127.0.0.1:8765 for `c360 zendesk-server`)"
)


def settings_problem(
    base_url: Optional[str], api_token: Optional[str], email: Optional[str], oauth_token: Optional[str]
) -> Optional[str]:
    """The one-line configuration error of these settings (naming the keys to set), or None when usable."""
    problems = [] if base_url else [MISSING_BASE_URL]
    try:
        resolve_auth(api_token, email, oauth_token)
    except MissingSettingError as exc:
        problems.append(str(exc).removeprefix("support source: "))
    return "support source: " + "; ".join(problems) if problems else None


def _endpoint(resource: str, hooks: list[Any], page_size: int) -> dict[str, Any]:
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
    if resource in SIDELOADS:
        params["include"] = SIDELOADS[resource][0]
    return {
        "path": path,
        "data_selector": selector,
        "paginator": paginator,
        "params": params,
        "incremental": incremental,
        "response_actions": hooks,
    }


@dlt.source(name="support")
def support(
    base_url: Optional[str] = dlt.config.value,
    api_token: Optional[str] = dlt.secrets.value,
    email: Optional[str] = dlt.config.value,
    oauth_token: Optional[str] = dlt.secrets.value,
    page_size: int = INCREMENTAL_PAGE_SIZE,
    deadline: Optional[str] = dlt.config.value,
) -> list[DltResource]:
    """Zendesk ``users`` (+ ``users__identities``), ``tickets`` (+ ``tickets__tags``...),
    ``satisfaction_ratings`` (+ ``quarantine``).

    ``page_size`` (``sources.support.page_size``) caps items per page: 1000 for the exports (Zendesk's
    maximum), 100 for satisfaction ratings.
    """
    problem = settings_problem(base_url, api_token, email, oauth_token)
    if problem:
        return [missing_setting_resource(name, problem, primary_key="id", write_disposition="merge")
                for name in ENDPOINTS]
    assert base_url is not None

    auth = resolve_auth(api_token, email, oauth_token)
    guard = AuthGuard(oauth=auth["type"] == "bearer")
    deadline_setting = SOURCES["support"].setting("deadline")
    total = parse_duration(deadline_setting.env, deadline or deadline_setting.default)
    # each page must hold the resource's documented list: {} is an error, not zero records
    base_url_key = SOURCES["support"].setting("base_url").env
    trackers = {name: PageTracker(ENDPOINTS[name][1], base_url_key) for name in ENDPOINTS}
    # the guard first: a refused token fails the run before anything reads the error page; then each page is
    # parsed once for all its readers
    hooks: dict[str, list[Any]] = {name: [guard, parse_once, trackers[name]] for name in ENDPOINTS}
    for name, sideload in SIDELOADS.items():
        hooks[name].append(SideloadAttacher(ENDPOINTS[name][1], *sideload))
    config: RESTAPIConfig = {
        "client": {
            "base_url": base_url.rstrip("/") + "/",
            "auth": auth,
            "session": retrying_session(Deadline(total, deadline_setting.env)),
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            # the same record can come twice in one export (updated while exporting): keep the newest
            "columns": {"updated_at": {"dedup_sort": "desc"}},
        },
        "resources": [{"name": name, "endpoint": _endpoint(name, hooks[name], page_size)} for name in ENDPOINTS],
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
