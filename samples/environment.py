"""Point c360's sources at a generated sample: the one way the demo, the tests and the benchmarks do it.

Production sources have no sample defaults: each source's location is a required ``SOURCES__*`` setting
(c360/settings.py). A sample is wired in through exactly those settings, set in ``os.environ`` for the
duration of a ``with`` block and restored afterwards, so in-process runs and child processes (dbt, the
Dagster UI, a subprocess load) see the same thing a real deployment configures.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from c360.settings import SOURCES

#: The agent the sample's Zendesk API token belongs to (Zendesk's API-token auth is Basic {email}/token:{token}).
SAMPLE_AGENT_EMAIL = "agent@c360shop.example"

#: What a sample folder holds for the four sources.
SAMPLE_PARTS = ("sales.sqlite", "support", "email", "web")


def sample_source_settings(
    sample_dir: Path, zendesk_url: str, api_token: str, email: str = SAMPLE_AGENT_EMAIL
) -> dict[str, str | None]:
    """The ``SOURCES__*`` values that point every source at ``sample_dir``; None = unset meanwhile (a
    developer's own bucket credentials, OAuth token or schema must not leak into a sample run)."""
    sample = Path(sample_dir).resolve()
    sales, support, email_src, web = (SOURCES[n] for n in ("sales", "support", "email", "web"))
    return {
        sales.env("credentials"): f"sqlite:///{sample / 'sales.sqlite'}",
        sales.env("schema"): None,
        support.env("base_url"): zendesk_url,
        support.env("email"): email,
        support.env("api_token"): api_token,
        support.env("oauth_token"): None,
        email_src.env("bucket_url"): str(sample / "email"),
        email_src.env("credentials"): None,
        web.env("bucket_url"): str(sample / "web"),
        web.env("credentials"): None,
    }


@contextmanager
def sample_settings(
    sample_dir: Path, zendesk_url: str, api_token: str, email: str = SAMPLE_AGENT_EMAIL, env: Any = None
) -> Iterator[dict[str, str]]:
    """Set the sources' settings to the sample in ``os.environ``; yields the values set; restores on exit.

    ``env``: an object with ``setenv(key, value)`` / ``delenv(key, raising=False)`` that restores what it
    changes itself, such as pytest's MonkeyPatch (then a test's own later changes are undone in order too).
    """
    values = sample_source_settings(sample_dir, zendesk_url, api_token, email)
    current = {key: value for key, value in values.items() if value is not None}
    if env is not None:
        for key, value in values.items():
            if value is None:
                env.delenv(key, raising=False)
            else:
                env.setenv(key, value)
        yield current
        return
    saved = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield current
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass(frozen=True)
class ServedSample:
    """A sample whose support folder is served as a Zendesk API, with the sources pointed at it."""

    sample_dir: Path
    server: Any  # samples.zendesk_server.ZendeskServer
    env: dict[str, str]  # the SOURCES__* settings in force (secrets included: never print them)


@contextmanager
def serve_sample(
    sample_dir: Path, api_token: str | None = None, env: Any = None, **server_kwargs: Any
) -> Iterator[ServedSample]:
    """Serve ``sample_dir/support`` as a Zendesk API on a free loopback port (a random token unless given)
    and point every source at the sample while the block runs (``env``: see :func:`sample_settings`).
    ``server_kwargs`` go to ZendeskServer (``rate_limit``, ``page_size``, ...). Raises FileNotFoundError
    when the folder is not a generated sample.
    """
    from samples.zendesk_server import ZendeskServer

    sample = Path(sample_dir).resolve()
    for part in SAMPLE_PARTS:
        if not (sample / part).exists():
            raise FileNotFoundError(f"{sample / part} is missing: run `c360 generate --out {sample}` first")
    token = api_token or secrets.token_urlsafe(24)
    server_kwargs.setdefault("host", "127.0.0.1")
    server_kwargs.setdefault("port", 0)
    with ZendeskServer(sample / "support", api_token=token, **server_kwargs) as server:
        with sample_settings(sample, server.url, token, env=env) as values:
            yield ServedSample(sample_dir=sample, server=server, env=values)
