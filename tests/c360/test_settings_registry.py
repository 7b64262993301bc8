"""The settings registry is the one list of settings: parsing, the switch, and the README's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from c360 import settings
from c360.settings import ConfigError, parse_bool, parse_duration, parse_number

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_documents_every_setting() -> None:
    text = README.read_text()
    missing = [row["setting"] for row in settings.describe() if f"`{row['setting']}`" not in text]
    assert not missing, f"README's configuration table lacks {missing}"


def test_no_other_module_names_source_keys() -> None:
    """SOURCES__* keys are spelled out in the registry only (code may mention them in messages built from it)."""
    root = Path(settings.REPO_ROOT)
    offenders = []
    for path in root.glob("*/**/*.py"):
        rel = path.relative_to(root)
        if rel.parts[0] in ("tests", ".venv") or rel == Path("c360/settings.py"):
            continue
        code = "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith("#"))
        # docstrings may name the keys; string literals used as keys may not
        for match in re.finditer(r"[\"']SOURCES__[A-Z_]+[\"']", code):
            offenders.append(f"{rel}: {match.group(0)}")
    assert not offenders, offenders


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400),
                                               ("0.5", 0.5)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration("KEY", text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5", "5 weeks"])
def test_bad_duration_names_the_key(text: str) -> None:
    with pytest.raises(ConfigError, match="C360_SENSOR_INTERVAL"):
        parse_duration("C360_SENSOR_INTERVAL", text)


def test_numbers_and_bools() -> None:
    assert parse_number("K", "3", int) == 3
    with pytest.raises(ConfigError, match="K must be a whole number"):
        parse_number("K", "3.5", int)
    with pytest.raises(ConfigError, match="at least 0"):
        parse_number("K", "-1", int)
    assert parse_bool("K", "FALSE") is False and parse_bool("K", "on") is True
    with pytest.raises(ConfigError, match="K must be true or false"):
        parse_bool("K", "maybe")


def test_sources_switch_off_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings.enabled_sources() == settings.SOURCE_NAMES
    monkeypatch.setenv("SOURCES__SUPPORT__ENABLED", "false")
    assert "support" not in settings.enabled_sources()
    assert settings.SOURCES["support"].env("enabled") == "SOURCES__SUPPORT__ENABLED"


def test_orchestration_settings_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C360_INGESTION_MAX_RETRIES", "many")
    with pytest.raises(ConfigError, match="C360_INGESTION_MAX_RETRIES"):
        settings.ingestion_max_retries()
    monkeypatch.setenv("C360_WAREHOUSE_LOCK_TIMEOUT", "10m")
    assert settings.warehouse_lock_timeout() == 600


def test_engine_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """C360_ENGINE picks DuckDB by default, accepts spark in any case, and a typo fails naming the setting."""
    monkeypatch.delenv("C360_ENGINE", raising=False)
    assert settings.engine() == "duckdb"
    monkeypatch.setenv("C360_ENGINE", " Spark ")
    assert settings.engine() == "spark"
    monkeypatch.setenv("C360_ENGINE", "snowflake")
    with pytest.raises(ConfigError, match="C360_ENGINE='snowflake': expected one of duckdb, spark"):
        settings.engine()
