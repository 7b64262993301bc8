"""Production sources have no sample defaults: with a source's location unset, nothing is loaded from the
generated sample (even when C360_SAMPLE_DIR points at one); the run fails at once naming the key."""

from __future__ import annotations

import pytest

from c360.settings import SOURCES
from ingestion.errors import IngestionError, MissingSettingError
from ingestion.pipelines import preflight, run_source, source_for
from ingestion_testkit import IngestionEnv

LOCATION = {"sales": "credentials", "support": "base_url", "email": "bucket_url", "web": "bucket_url"}


@pytest.mark.parametrize("source_name", list(LOCATION))
def test_unset_location_fails_naming_the_key_and_loads_nothing(
    source_name: str, ingestion_env: IngestionEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = SOURCES[source_name].env(LOCATION[source_name])
    monkeypatch.delenv(key)
    monkeypatch.chdir(ingestion_env.sample)  # no .dlt/config.toml or secrets.toml here
    assert (ingestion_env.sample / "sales.sqlite").exists()  # C360_SAMPLE_DIR holds a complete sample

    # building the source never fails (Dagster builds its asset graph from it) ...
    resources = set(source_for(source_name).resources)
    assert resources
    # ... the preflight and the run both name the key, and the run loads nothing
    with pytest.raises(MissingSettingError, match=key):
        preflight(source_name)
    with pytest.raises(IngestionError, match=key) as err:
        run_source(source_name, pipelines_dir=ingestion_env.pipelines_dir, source=source_for(source_name))
    assert isinstance(err.value, MissingSettingError)
    assert not ingestion_env.warehouse.exists() or not ingestion_env.tables(source_name) - {"_dlt_loads", "_dlt_version", "_dlt_pipeline_state"}


@pytest.mark.parametrize("source_name", list(LOCATION))
def test_missing_location_keeps_the_asset_graph(source_name: str, ingestion_env: IngestionEnv,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the same resource names whether or not the location is set, so Dagster's assets do not change
    configured = set(source_for(source_name).resources)
    monkeypatch.delenv(SOURCES[source_name].env(LOCATION[source_name]))
    monkeypatch.chdir(ingestion_env.sample)
    assert set(source_for(source_name).resources) == configured
