"""The thresholds file: shipped config is valid, keeps each kind of check in its one home, reads shared
parameters from dbt's vars, and a broken one is rejected with a message naming the check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from quality.config import DBT_PROJECT_PATH, ConfigError, dbt_vars, load_config

MODELS = DBT_PROJECT_PATH.parent / "models"


def test_shipped_config_covers_every_layer_with_severities():
    config = load_config()
    assert config.version >= 1
    assert {c.layer for c in config.checks} == {"raw", "identity", "marts"}
    assert {c.severity for c in config.checks} == {"critical", "warning"}
    kinds = {c.kind for c in config.checks}
    assert {"unique", "pattern_share", "timestamp_range", "freshness", "max_group_size", "row_count",
            "singleton_share", "id_changes", "reconcile", "required_columns"} <= kinds


def _dbt_tests() -> dict[tuple[str, str | None], set[str]]:
    """(model, column or None for model-level tests) -> names of its dbt data tests, from every model YAML."""
    found: dict[tuple[str, str | None], set[str]] = {}
    for path in MODELS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
            entries = [(None, model.get("data_tests") or [])]
            entries += [(c["name"], c.get("data_tests") or []) for c in model.get("columns") or []]
            for column, tests in entries:
                for test in tests:
                    name = test if isinstance(test, str) else next(iter(test))
                    found.setdefault((model["name"], column), set()).add(name)
    return found


# A GX kind and the dbt tests that already make the same row-level check.
SAME_CHECK = {"unique": {"unique", "unique_combination"}, "not_null": {"not_null"},
              "accepted_values": {"accepted_values"}, "between": {"expression_is_true", "accepted_values"}}


def test_no_check_of_a_dbt_model_is_also_a_dbt_test():
    """Row-level invariants of a model live in its YAML as dbt tests, not a second time in expectations.yml."""
    dbt = _dbt_tests()
    assert dbt[("customer_360", "customer_id")] >= {"unique", "not_null"}, "the parser sees the dbt tests"
    twice = []
    for c in load_config().checks:
        if c.layer == "raw" or c.kind not in SAME_CHECK:
            continue
        model = c.table.split(".", 1)[1]
        columns = c.params.get("columns") or [c.params.get("column")]
        keys = [(model, None)] if len(columns) > 1 else [(model, columns[0])]
        if any(dbt.get(key, set()) & SAME_CHECK[c.kind] for key in keys):
            twice.append(f"{c.suite}/{c.expectation}")
    assert not twice, f"checked both by dbt and in expectations.yml: {twice}"


def test_no_raw_check_repeats_a_source_contract():
    """Values, required keys and signs that a source's contract quarantines at load are not checked again."""
    raw = [c for c in load_config().checks if c.layer == "raw"]
    assert raw
    assert not [c.expectation for c in raw if c.kind in ("accepted_values", "not_null", "between")]


def test_shared_parameters_come_from_the_dbt_project():
    variables = dbt_vars()
    checks = {c.expectation: c for c in load_config().checks}
    assert checks["identity_map.max_cluster_size"].params["max"] == variables["identity_max_cluster_size"]
    where = checks["customer_360.revenue_reconciles_with_raw_orders"].params["right"]["where"]
    assert "var(" not in where
    listed = "(" + ", ".join(f"'{s}'" for s in variables["invalid_order_statuses"]) + ")"
    assert f"not in {listed}" in where


def test_a_changed_dbt_var_changes_the_check(tmp_path):
    project = yaml.safe_load(DBT_PROJECT_PATH.read_text())
    project["vars"]["identity_max_cluster_size"] = 40
    project["vars"]["invalid_order_statuses"] = ["void", "o'brien"]
    (tmp_path / "dbt_project.yml").write_text(yaml.safe_dump(project))
    checks = {c.expectation: c for c in load_config(dbt_project=tmp_path / "dbt_project.yml").checks}
    assert checks["identity_map.max_cluster_size"].params["max"] == 40
    assert "not in ('void', 'o''brien')" in checks["customer_360.revenue_reconciles_with_raw_orders"].params["right"]["where"]


def test_unknown_dbt_var_names_the_var_and_the_check(tmp_path):
    path = tmp_path / "expectations.yml"
    path.write_text("""
version: 1
suites:
  identity:
    layer: identity
    tables:
      marts.identity_map:
        checks:
          - {kind: max_group_size, group_by: customer_id, max: "{{ var('no_such_var') }}", severity: critical}
""")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "suite identity, table marts.identity_map, check #1" in str(err.value)
    assert "no var 'no_such_var'" in str(err.value) and str(Path(DBT_PROJECT_PATH).resolve()) in str(err.value)


@pytest.mark.parametrize("check, message", [
    ("{kind: unique, column: id, severity: fatal}", "severity must be one of"),
    ("{kind: no_such_kind, column: id, severity: critical}", "unknown kind 'no_such_kind'"),
    ("{kind: pattern_share, column: email, pattern: email, severity: warning}", "missing mostly"),
])
def test_broken_config_names_what_to_fix(tmp_path, check, message):
    path = tmp_path / "expectations.yml"
    path.write_text(f"""
version: 1
patterns: {{email: '^.+@.+$'}}
suites:
  raw_sales:
    layer: raw
    tables:
      raw_sales.customers:
        checks:
          - {check}
""")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value)
    assert "suite raw_sales, table raw_sales.customers, check #1" in str(err.value)
