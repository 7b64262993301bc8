"""How a failed load is told apart and explained: configuration (fail fast) vs. possibly transient (retried).

* :class:`SourceConfigError` — a setting is missing or wrong (no token, a token the API refuses, a URL that
  does not parse, a driver that is not installed, a bucket without credentials). Retrying cannot help:
  the run fails at once with one line naming the setting to fix.
* :class:`IngestionError` — anything else (a database restarting, an API answering 5xx or timing out):
  Dagster's retry policy retries it.

Messages never carry secrets (:func:`redact`).
"""

from __future__ import annotations

import os
import re
from typing import Any, Iterator

from c360.settings import SOURCES, ConfigError, source


class IngestionError(RuntimeError):
    """A source could not be loaded; may be transient. The message names the setting to check."""


class SourceConfigError(ConfigError, IngestionError):
    """A source's configuration is missing or wrong: never retried. The message names the key."""


class MissingSettingError(SourceConfigError):
    """A required setting is not set; the message names the exact key."""


class DeadlineExceeded(IngestionError):
    """A network source used up its total time for this run (e.g. ``SOURCES__SUPPORT__DEADLINE``).

    Not retried within the run: the deadline bounds the whole run, retries included; the next scheduled run
    starts where this one's committed state left off.
    """


class UnexpectedResponseError(IngestionError):
    """An API answered with a shape its documentation does not allow (``{}`` where a list was expected)."""


class CredentialsRejectedError(SourceConfigError):
    """The source refused the credentials (HTTP 401/403, a database login failure)."""


def missing_settings_message(source_name: str, names: list[str]) -> str:
    """``<source> source: set <KEY> (or <key> in .dlt/...)`` for each missing setting."""
    src = source(source_name)
    return f"{source_name} source: set " + "; set ".join(src.setting(name).where for name in names)


def missing_setting_resource(resource_name: str, message: str, **hints: Any) -> Any:
    """A stand-in dlt resource that fails its run with a :class:`MissingSettingError` (``message`` names the
    keys, e.g. :func:`missing_settings_message`).

    A source is built before any setting is needed (Dagster builds its asset graph from it), so a source
    with a required setting missing is built with this resource in place of the one that needs the setting;
    the run then fails at once with one line, never falls back to anything.
    """
    import dlt

    def fail() -> Iterator[Any]:
        raise MissingSettingError(message)
        yield  # pragma: no cover - makes this a generator

    return dlt.resource(fail, name=resource_name, **hints)()


def redact(text: str) -> str:
    """Removes URL passwords (``scheme://user:secret@host``) and the values of secret settings."""
    text = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
    for src in SOURCES.values():
        for setting in src.settings:
            secret = os.environ.get(setting.env) if setting.secret else None
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
    return text


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of a chain, stopping early at one of ours (it already explains itself)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__
        if isinstance(exc, IngestionError) or nxt is None:
            return exc
        exc = nxt
    return exc


def _first_line(exc: BaseException) -> str:
    lines = redact(str(exc)).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def hint(source_name: str) -> str:
    """The setting to check when ``source_name`` cannot be reached."""
    src = source(source_name)
    main = "credentials" if source_name == "sales" else "base_url" if source_name == "support" else "bucket_url"
    return src.setting(main).where


def classify(source_name: str, cause: BaseException, step: str | None = None) -> IngestionError:
    """The error to raise for ``cause``: a :class:`SourceConfigError` when retrying cannot help."""
    if isinstance(cause, IngestionError):
        return cause
    where = f" in dlt step {step!r}" if step else ""
    first = _first_line(cause)
    try:
        import requests

        if isinstance(cause, requests.exceptions.HTTPError) and cause.response is not None:
            status = cause.response.status_code
            if status in (401, 403):
                keys = ", ".join(s.env for s in source(source_name).settings if s.secret or s.name == "email")
                return CredentialsRejectedError(
                    f"the {source_name} source refused the credentials (HTTP {status}): check {keys}"
                )
            return IngestionError(f"loading {source_name} failed{where}: HTTP {status} ({first}); check {hint(source_name)}")
        if isinstance(cause, requests.exceptions.ConnectionError):
            return IngestionError(f"cannot reach the {source_name} source ({first}): check {hint(source_name)}")
    except ImportError:  # pragma: no cover - requests is a dependency
        pass
    try:
        import sqlalchemy.exc as sa_exc

        if isinstance(cause, (sa_exc.ArgumentError, sa_exc.NoSuchModuleError)):
            return SourceConfigError(f"the {source_name} database URL is not usable ({first}): fix {hint(source_name)}")
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        pass
    if isinstance(cause, ConfigError):
        return SourceConfigError(str(cause))
    from dlt.common.configuration.exceptions import ConfigurationException

    if isinstance(cause, ConfigurationException):  # dlt could not resolve or parse a setting
        return SourceConfigError(f"the {source_name} settings are not usable ({first}): fix {hint(source_name)}")
    if isinstance(cause, PermissionError):
        return SourceConfigError(f"{source_name}: permission denied ({first}): check C360_WAREHOUSE and {hint(source_name)}")
    return IngestionError(f"loading {source_name} failed{where}: {type(cause).__name__}: {first} (check {hint(source_name)})")
