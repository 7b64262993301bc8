"""The settings registry: the one module that knows c360's sources, paths and orchestration settings.

Everything a deployment sets lives here with its meaning and default, so the CLI (`c360 config`), the
Dagster definitions, the sensors, the demo, the preflight checks and the README's configuration table all
read the same list:

* **sources** (:data:`SOURCES`): name, raw dataset, whether it reads event files, and its ``SOURCES__*``
  settings. Those are dlt settings: env var ``SOURCES__<SOURCE>__<NAME>`` or ``sources.<source>.<name>`` in
  ``.dlt/config.toml`` / ``.dlt/secrets.toml`` (secrets); dlt resolves them, this module only names them.
* **paths** (:data:`PATHS`): where the warehouse, the published marts, the reports and the sample live.
* **orchestration** (:data:`ORCHESTRATION`): schedules, retries, alerting, Dagster's home.

A setting with a value that cannot be used raises :class:`ConfigError`, whose one-line message names the key.
Importing this module is cheap (no dlt, no Dagster): `c360 --help` stays instant.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

#: The repository root (the package is installed editable from it).
REPO_ROOT = Path(__file__).resolve().parents[1]
#: The dbt project.
TRANSFORM_DIR = REPO_ROOT / "transform"


class ConfigError(ValueError):
    """A setting is missing or unusable. The message is one line and names the key to fix; never retried."""


# --------------------------------------------------------------------------------------------- parsing


def parse_number(key: str, text: str, kind: Callable[[str], Any] = float, minimum: float | None = 0) -> Any:
    """``text`` as ``kind`` (int or float), at least ``minimum``; a :class:`ConfigError` naming ``key`` if not."""
    try:
        value = kind(str(text).strip())
    except ValueError:
        whole = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{key} must be {whole}, got {text!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{key} must be at least {minimum:g}, got {text!r}")
    return value


_UNITS = {"": 1, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(key: str, text: str) -> float:
    """Seconds from ``"90"``, ``"90s"``, ``"15m"``, ``"2h"`` or ``"1d"``."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*", str(text))
    if not match:
        raise ConfigError(f"{key} must be a duration such as 90, 90s, 15m, 2h or 1d, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2) or ""]


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{key} must be true or false, got {value!r}")


# --------------------------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Setting:
    """One ``SOURCES__*`` setting of a source, resolved by dlt."""

    source: str
    name: str
    doc: str
    secret: bool = False
    required: bool = False
    default: str | None = None

    @property
    def env(self) -> str:
        """The environment variable, e.g. ``SOURCES__SALES__CREDENTIALS``."""
        return f"SOURCES__{self.source.upper()}__{self.name.upper()}"

    @property
    def key(self) -> str:
        """The dlt key, e.g. ``sources.sales.credentials``."""
        return f"sources.{self.source}.{self.name}"

    @property
    def where(self) -> str:
        """How to set it, for error messages."""
        return f"{self.env} (or {self.key} in .dlt/{'secrets' if self.secret else 'config'}.toml)"

    def get(self) -> Any:
        """The value dlt resolves (env var, then the toml files), or None when unset or unreadable."""
        import dlt

        accessor = dlt.secrets if self.secret else dlt.config
        try:
            value = accessor.get(self.key)
        except Exception:  # an unreadable toml file must not hide the real problem behind a parse error
            value = None
        return value if value not in (None, "") else self.default


@dataclass(frozen=True)
class Source:
    """A source system c360 loads: one dlt source (``ingestion/<name>/``) into one raw dataset."""

    name: str
    title: str
    dataset: str
    #: Reads event files that arrive all day (SendGrid, Segment): ingested hourly and on file arrival.
    event_files: bool
    settings: tuple[Setting, ...] = field(default_factory=tuple)

    def setting(self, name: str) -> Setting:
        for s in self.settings:
            if s.name == name:
                return s
        raise KeyError(f"source {self.name!r} has no setting {name!r}")

    def env(self, name: str) -> str:
        """The environment variable of setting ``name``."""
        return self.setting(name).env

    def enabled(self) -> bool:
        """``SOURCES__<NAME>__ENABLED`` (default true). A switched-off source is paused: skipped, its raw tables
        stay as they are and the models keep reading them; one never loaded reads as a source with no rows."""
        s = self.setting("enabled")
        value = s.get()
        return True if value is None else parse_bool(s.env, value)


def _source(name: str, title: str, dataset: str, event_files: bool, *settings: tuple) -> Source:
    enabled = Setting(name, "enabled", f"load {title} at all (false: skipped; earlier loads stay in use)",
                      default="true")
    return Source(name, title, dataset, event_files, (enabled, *(Setting(name, *s) for s in settings)))


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        _source(
            "sales", "the order database", "raw_sales", False,
            ("credentials", "SQLAlchemy URL of the order database, e.g. postgresql+psycopg2://user:pw@host/db "
             "or sqlite:////path/sales.sqlite", True, True),
            ("schema", "database schema of the order tables, if not the connection's default"),
        ),
        _source(
            "support", "Zendesk Support", "raw_support", False,
            ("base_url", "Zendesk account URL, e.g. https://acme.zendesk.com", False, True),
            ("email", "email of the agent an API token authenticates as (Basic {email}/token:{api_token}); "
             "an API token without it fails at once naming this key"),
            ("api_token", "Zendesk API token, sent as HTTP Basic {email}/token:{api_token} (Zendesk refuses it as "
             "Bearer); needs the email setting", True),
            ("oauth_token", "Zendesk OAuth access token, sent as Bearer; used instead of email + api_token when set",
             True),
            ("page_size", "items per page of the exports (Zendesk's maximum 1000)", False, False, "1000"),
            ("deadline", "total time one run may spend on the Zendesk API, every page and retry included "
             "(90s, 15m, 1h); each request also times out after runtime.request_timeout", False, False, "15m"),
        ),
        _source(
            "email", "SendGrid events", "raw_email", True,
            ("bucket_url", "folder or fsspec bucket URL (s3://, gs://, az://) of the Event Webhook files",
             False, True),
            ("credentials", "bucket credentials, as dlt's filesystem source takes them", True),
            ("webhook_public_key", "SendGrid Signed Event Webhook public key (base64); when set, "
             "`c360 sendgrid-webhook` refuses unsigned or badly signed requests"),
        ),
        _source(
            "web", "Segment events", "raw_web", True,
            ("bucket_url", "folder or fsspec bucket URL holding Segment's segment-logs/", False, True),
            ("credentials", "bucket credentials, as dlt's filesystem source takes them", True),
        ),
    )
}

SOURCE_NAMES: tuple[str, ...] = tuple(SOURCES)
EVENT_SOURCES: tuple[str, ...] = tuple(n for n, s in SOURCES.items() if s.event_files)
#: source name -> raw dataset (DuckDB schema).
RAW_DATASETS: dict[str, str] = {n: s.dataset for n, s in SOURCES.items()}


def source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise ConfigError(f"unknown source {name!r}: choose one of {', '.join(SOURCE_NAMES)}") from None


def enabled_sources() -> tuple[str, ...]:
    """The sources switched on (SOURCES__<NAME>__ENABLED, default true)."""
    return tuple(n for n, s in SOURCES.items() if s.enabled())


# --------------------------------------------------------------------------------------------- env settings


@dataclass(frozen=True)
class EnvSetting:
    """A c360 setting read from one environment variable (paths and orchestration)."""

    env: str
    default: str
    doc: str
    parse: Callable[[str, str], Any] = lambda key, text: text
    secret: bool = False

    def raw(self) -> str:
        value = os.environ.get(self.env)
        return value if value not in (None, "") else self.default

    def value(self) -> Any:
        return self.parse(self.env, self.raw())


def _path(key: str, text: str) -> Path:
    return Path(text).expanduser().resolve()


PATHS: dict[str, EnvSetting] = {
    s.env: s
    for s in (
        EnvSetting("C360_WAREHOUSE", "data/warehouse.duckdb",
                   "the warehouse DuckDB file every writer uses (dlt, dbt, quality results); one writer at a time",
                   _path),
        EnvSetting("C360_PUBLISHED", "data/published.duckdb",
                   "the published marts downstream tools read (replaced atomically)", _path),
        EnvSetting("C360_PUBLISHED_PARQUET_DIR", "data/published", "one Parquet file per mart under current/",
                   _path),
        EnvSetting("C360_QUALITY_DIR", "data/quality", "steward report and Data Docs", _path),
        EnvSetting("C360_SAMPLE_DIR", "data/sample", "where `c360 demo` writes the sample source systems", _path),
        EnvSetting("C360_EXPORTS_DIR", "data/exports", "where `c360 export segment` writes its CSV and Parquet files",
                   _path),
    )
}


def _int(key: str, text: str) -> int:
    return parse_number(key, text, int)


ENGINES = ("duckdb", "spark")


def _engine(key: str, text: str) -> str:
    engine = text.strip().lower()
    if engine not in ENGINES:
        raise ConfigError(f"{key}={text!r}: expected one of {', '.join(ENGINES)}")
    return engine


_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)\s*$", re.IGNORECASE)


def _memory(key: str, text: str) -> str:
    if not _MEMORY.match(text):
        raise ConfigError(f"{key} must be an amount of memory such as 512MB, 2GB, 1.5GiB or 50%, got {text!r}")
    return text.strip()


def _optional_path(key: str, text: str) -> Path | None:
    return _path(key, text) if text.strip() else None


# The execution engine: DuckDB on one machine (default), or Spark when one machine is not enough
# (docs/readme/spark.md). The dbt profile picks its target from C360_ENGINE itself (transform/profiles.yml).
ENGINE: dict[str, EnvSetting] = {
    s.env: s
    for s in (
        EnvSetting("C360_ENGINE", "duckdb",
                   "execution engine: `duckdb` (one machine) or `spark` (dbt target `spark`, lakehouse tables)",
                   _engine),
        # With a limit, joins, aggregates and sorts beyond it spill to the temp directory. DuckDB's own default (80 %
        # of RAM, per process) let dbt grow to 6.2 GiB and dlt's load to 2.8 GiB at 100,000 customers; with 1GB the
        # whole 100k run stays under 2 GB per process (bench_pipeline, issue 11). Raise it on a bigger machine for
        # speed: it is a ceiling, not a reservation.
        EnvSetting("C360_DUCKDB_MEMORY_LIMIT", "1GB",
                   "memory limit of DuckDB in dlt's loads, dbt, the quality checks and the publication (per process: "
                   "1GB, 4GB, 50%...); beyond it they spill to C360_DUCKDB_TEMP_DIR", _memory),
        EnvSetting("C360_DUCKDB_TEMP_DIR", "",
                   "where DuckDB spills what does not fit in C360_DUCKDB_MEMORY_LIMIT; unset: `<warehouse>.tmp` next "
                   "to the warehouse", _optional_path),
        EnvSetting("C360_SPARK_DIR", "data/spark",
                   "engine `spark`: the lakehouse root (raw Parquet, Spark warehouse folder, local metastore)", _path),
        EnvSetting("C360_SPARK_MASTER", "local[2]",
                   "engine `spark`: the master of the session dbt starts (`local[N]`, `spark://host:7077`, ...)"),
    )
}


ORCHESTRATION: dict[str, EnvSetting] = {
    s.env: s
    for s in (
        EnvSetting("C360_FULL_SCHEDULE", "0 2 * * *", "cron of the daily full run (ingest, dbt build, checks, publish)"),
        EnvSetting("C360_EVENTS_SCHEDULE", "0 * * * *", "cron of the email + web ingestion (their files arrive all day)"),
        EnvSetting("C360_SCHEDULE_TIMEZONE", "UTC", "IANA time zone the cron strings are read in"),
        EnvSetting("C360_ALERT_WEBHOOK_URL", "", "where a failed run is POSTed as JSON (unset: logged only)"),
        EnvSetting("C360_INGESTION_MAX_RETRIES", "3",
                   "retries of an ingestion step after a transient source error (never after a configuration error)",
                   _int),
        EnvSetting("C360_INGESTION_RETRY_DELAY", "15s", "delay before the first retry, doubled on each further one",
                   parse_duration),
        EnvSetting("C360_WAREHOUSE_LOCK_TIMEOUT", "1h", "how long a writing step waits for the warehouse lock",
                   parse_duration),
        EnvSetting("C360_SENSOR_INTERVAL", "60s", "time between two file-arrival sensor evaluations",
                   parse_duration),
        EnvSetting("C360_DAGSTER_HOME", "data/dagster",
                   "Dagster's own state (runs, schedules, sensor cursors); an explicit DAGSTER_HOME wins", _path),
    )
}


def _choice(*choices: str) -> Callable[[str, str], str]:
    def parse(key: str, text: str) -> str:
        value = str(text).strip().lower()
        if value not in choices:
            raise ConfigError(f"{key} must be one of {', '.join(choices)}, got {text!r}")
        return value

    return parse


#: What the published marts show of each kind of personal data (privacy/masking.py): the value (keep), a salted
#: sha256 of it (hash: still joinable across marts and publications, not readable) or nothing (drop).
MASK_CHOICES = ("keep", "hash", "drop")

PRIVACY: dict[str, EnvSetting] = {
    s.env: s
    for s in (
        EnvSetting("C360_PRIVACY_SALT", "",
                   "salt of the erasure tombstones and of hashed published values; unset: generated once and kept "
                   "in the warehouse (privacy.salt). Set it to keep the salt out of the warehouse; never change it",
                   secret=True),
        *(EnvSetting(f"C360_PUBLISHED_MASK_{kind.upper()}", "keep",
                     f"{what} columns of the published marts: keep, hash or drop", _choice(*MASK_CHOICES))
          for kind, what in (("email", "email"), ("phone", "phone"), ("address", "street and postal code"),
                             ("birth_date", "birth date"))),
    )
}


def _env(name: str) -> Any:
    return (PATHS.get(name) or ENGINE.get(name) or ORCHESTRATION.get(name) or PRIVACY[name]).value()


def engine() -> str:
    """`duckdb` or `spark` (C360_ENGINE); anything else fails fast naming the setting."""
    return _env("C360_ENGINE")


def spark_dir() -> Path:
    """The Spark engine's lakehouse root: raw Parquet written by dlt, the Spark warehouse folder, the metastore."""
    return _env("C360_SPARK_DIR")


def privacy_salt() -> str | None:
    """C360_PRIVACY_SALT, or None (the warehouse then generates and keeps its own)."""
    return _env("C360_PRIVACY_SALT") or None


def published_masking() -> dict[str, str]:
    """kind of personal data (email, phone, address, birth_date) -> keep, hash or drop, for the published marts."""
    return {kind: _env(f"C360_PUBLISHED_MASK_{kind.upper()}") for kind in ("email", "phone", "address", "birth_date")}


def duckdb_config() -> dict[str, str]:
    """DuckDB settings every heavy connection on the warehouse uses (dbt through profiles.yml, the quality
    checks): the memory limit and where to spill beyond it."""
    temp = _env("C360_DUCKDB_TEMP_DIR") or warehouse_path().with_name(warehouse_path().name + ".tmp")
    return {"memory_limit": _env("C360_DUCKDB_MEMORY_LIMIT"), "temp_directory": str(temp)}


def warehouse_path() -> Path:
    """The DuckDB file every writer (dlt, dbt, quality results) uses. One writer at a time."""
    return _env("C360_WAREHOUSE")


def published_path() -> Path:
    """The DuckDB file downstream tools read; replaced atomically on each publication."""
    return _env("C360_PUBLISHED")


def published_parquet_dir() -> Path:
    """One Parquet file per published mart."""
    return _env("C360_PUBLISHED_PARQUET_DIR")


def quality_dir() -> Path:
    """Data Docs and the steward front pages."""
    return _env("C360_QUALITY_DIR")


def exports_dir() -> Path:
    """Where `c360 export segment` writes the audience files."""
    return _env("C360_EXPORTS_DIR")


def sample_dir() -> Path:
    """Where `c360 generate` / `c360 demo` write the generated source systems by default."""
    return _env("C360_SAMPLE_DIR")


def export_environment() -> dict[str, str]:
    """Absolute paths for subprocesses (dbt resolves relative paths against its own cwd)."""
    os.environ["C360_WAREHOUSE"] = str(warehouse_path())
    os.environ["C360_ENGINE"] = engine()
    duck = duckdb_config()
    os.environ["C360_DUCKDB_MEMORY_LIMIT"], os.environ["C360_DUCKDB_TEMP_DIR"] = duck["memory_limit"], duck["temp_directory"]
    os.environ["C360_SPARK_DIR"] = str(spark_dir())
    return {key: os.environ[key] for key in (
        "C360_WAREHOUSE", "C360_ENGINE", "C360_DUCKDB_MEMORY_LIMIT", "C360_DUCKDB_TEMP_DIR", "C360_SPARK_DIR")}


def full_schedule() -> str:
    return _env("C360_FULL_SCHEDULE")


def events_schedule() -> str:
    return _env("C360_EVENTS_SCHEDULE")


def schedule_timezone() -> str:
    return _env("C360_SCHEDULE_TIMEZONE")


def alert_webhook_url() -> str | None:
    return _env("C360_ALERT_WEBHOOK_URL") or None


def ingestion_max_retries() -> int:
    return _env("C360_INGESTION_MAX_RETRIES")


def ingestion_retry_delay() -> float:
    return _env("C360_INGESTION_RETRY_DELAY")


def warehouse_lock_timeout() -> float:
    return _env("C360_WAREHOUSE_LOCK_TIMEOUT")


def sensor_interval() -> int:
    return max(1, int(_env("C360_SENSOR_INTERVAL")))


def dagster_home() -> Path:
    """DAGSTER_HOME for `c360 run` / `c360 ui`: an explicit DAGSTER_HOME wins, then C360_DAGSTER_HOME."""
    explicit = os.environ.get("DAGSTER_HOME")
    return _path("DAGSTER_HOME", explicit) if explicit else _env("C360_DAGSTER_HOME")


# --------------------------------------------------------------------------------------------- listing


def describe() -> list[dict[str, str]]:
    """Every setting with its default, meaning and whether it is set (secrets: never their value).

    Feeds `c360 config` and the check that the README's configuration table lists every setting.
    """
    rows: list[dict[str, str]] = []
    for src in SOURCES.values():
        for s in src.settings:
            value = os.environ.get(s.env)
            shown = "(set)" if s.secret and value else (value or "")
            rows.append({"setting": s.env, "default": s.default or "",
                         "secret": "yes" if s.secret else "", "value": shown,
                         "what": ("required: " if s.required else "") + s.doc})
    for s in (*PATHS.values(), *ENGINE.values(), *ORCHESTRATION.values(), *PRIVACY.values()):
        value = os.environ.get(s.env, "")
        rows.append({"setting": s.env, "default": s.default, "secret": "yes" if s.secret else "",
                     "value": "(set)" if s.secret and value else value, "what": s.doc})
    return rows
