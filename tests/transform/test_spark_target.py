"""The dbt project on the Spark target (C360_ENGINE=spark): the same project parses with dbt-spark, to the same
models; engine differences live in adapter.dispatch macros (docs/readme/spark.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sample_loader


def _parse(engine: str, target_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("C360_ENGINE", engine)
    monkeypatch.setenv("C360_SPARK_DIR", str(target_path / "lakehouse"))
    sample_loader.dbt(target_path / "warehouse.duckdb", "parse", target_path=target_path)
    return json.loads((target_path / "manifest.json").read_text())


def test_spark_target_parses_to_the_same_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spark = _parse("spark", tmp_path / "spark", monkeypatch)
    duck = _parse("duckdb", tmp_path / "duckdb", monkeypatch)
    assert spark["metadata"]["adapter_type"] == "spark"
    assert duck["metadata"]["adapter_type"] == "duckdb"

    def models(manifest: dict) -> set[str]:
        return {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}

    assert models(spark) == models(duck)
    assert len(models(spark)) > 30


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_an_unknown_default_phone_country_fails_the_compile_on_either_engine(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # checked once in the dispatching phone_e164 macro, before either engine's SQL is written (no Spark started)
    monkeypatch.setenv("C360_ENGINE", engine)
    monkeypatch.setenv("C360_SPARK_DIR", str(tmp_path / "lakehouse"))
    with pytest.raises(RuntimeError, match=r"var default_phone_country=XX is not one of AT, AU, .*, US\b"):
        sample_loader.dbt(tmp_path / "warehouse.duckdb", "compile", "--select", "stg_sales__customers",
                          "--vars", "{default_phone_country: xx}", target_path=tmp_path)
