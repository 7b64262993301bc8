"""dbt unit tests: run here, on purpose, instead of in the production build.

Production runs ``dbt build --exclude-resource-type unit_test`` (orchestration.constants.DBT_BUILD_ARGS): a unit
test's fixture takes its column types from the real input relation, so a deployment whose raw data lacks an
optional vendor field would fail the whole build on a fixture. The fixtures are written for the generated sample,
so the unit tests run on a warehouse loaded from it.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

import sample_loader
from orchestration.constants import DBT_BUILD_ARGS


@pytest.fixture(scope="module")
def every_model(built, workspace: Path) -> Path:
    """A copy of the session warehouse where every model exists (unit tests read their inputs' column types)."""
    root = workspace / "unit-tests"
    root.mkdir()
    warehouse = sample_loader.copy_warehouse(built.warehouse, root / "warehouse.duckdb")
    sample_loader.dbt(warehouse, "seed", target_path=root / "target")
    # --empty: the relations and their columns are all the unit tests need, not their rows
    sample_loader.dbt(warehouse, "run", "--empty", "--exclude", *sample_loader.FOUNDATION, target_path=root / "target")
    return warehouse


def test_every_unit_test_passes(every_model: Path, workspace: Path):
    target = workspace / "unit-tests" / "target"
    sample_loader.dbt(every_model, "test", "--select", "test_type:unit", target_path=target)
    results = json.loads((target / "run_results.json").read_text())["results"]
    unit = [r for r in results if r["unique_id"].startswith("unit_test.")]
    declared = sum(text.count("\n  - name: test_") for text in _unit_test_yaml())
    assert len(unit) == declared > 0
    assert {r["status"] for r in unit} == {"pass"}


def _unit_test_yaml() -> list[str]:
    """The YAML blocks after ``unit_tests:`` of every model file."""
    blocks = []
    for path in sample_loader.TRANSFORM_DIR.joinpath("models").rglob("*.yml"):
        text = path.read_text()
        if "\nunit_tests:" in text:
            blocks.append(text.split("\nunit_tests:", 1)[1])
    return blocks


def test_production_build_does_not_depend_on_optional_raw_columns(built, workspace: Path):
    """Zendesk users without a ``locale`` field: the production build succeeds, a build with unit tests would not
    (the staging unit test's fixture names ``locale``)."""
    root = workspace / "no-locale"
    root.mkdir()
    warehouse = sample_loader.copy_warehouse(built.warehouse, root / "warehouse.duckdb")
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("alter table raw_support.users drop column locale")
    finally:
        con.close()
    sample_loader.dbt(warehouse, *DBT_BUILD_ARGS, "--select", "stg_support__users", target_path=root / "target")
    with pytest.raises(RuntimeError, match="locale"):
        sample_loader.dbt(warehouse, "build", "--select", "stg_support__users", target_path=root / "target")
