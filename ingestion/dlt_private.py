"""The only place c360 touches dlt's private API: table variants of a resource, and the HTTP adapter and retry
delay of dlt's requests ``Client``.

dlt has no public call for "give this resource a second table with exactly these hints" nor for "which
tables does this resource route items to": ``dlt.mark.with_hints(..., create_table_variant=True)`` starts
the variant from a copy of the resource's own hints (its primary key and, for reflected SQL tables, all its
columns). The requests ``Client`` has no public way to mount an adapter of one's own (the support source's
total deadline) or to cap its retry delay for one client. The functions below rely on ``DltResource._set_hints`` / ``_hints_variants``, verified with the
dlt versions in :data:`VERIFIED_DLT`; tests/ingestion/test_dlt_private_api.py fails first when dlt changes.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from dlt.sources import DltResource

#: dlt minor versions these two functions were verified with (pyproject pins dlt<2).
VERIFIED_DLT = ("1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37", "1.38", "1.39", "1.40")


def add_table_variant(resource: DltResource, hints: Any) -> DltResource:
    """Gives ``resource`` a second table with exactly ``hints`` (from ``dlt.mark.make_hints``); items go to
    it with ``dlt.mark.with_table_name``."""
    resource._set_hints(deepcopy(hints), create_table_variant=True)
    return resource


def table_variants(resource: DltResource) -> list[str]:
    """The names of the table variants ``resource`` can route items to."""
    return list(getattr(resource, "_hints_variants", {}) or {})


def client_session(client: Any, adapter: Any, max_retry_delay: float) -> Any:
    """The session of dlt's requests ``client`` (``dlt.sources.helpers.requests.Client``), built on ``adapter``
    and waiting at most ``max_retry_delay`` seconds between attempts. ``Client`` mounts ``_adapter`` on each
    session it makes and wraps ``send`` with retries from ``_retry_kwargs``; both must be set before the
    session is made (on first access)."""
    client._adapter = adapter
    client._retry_kwargs["max_delay"] = min(float(client._retry_kwargs["max_delay"]), max_retry_delay)
    return client.session
