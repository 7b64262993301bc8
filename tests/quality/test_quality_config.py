"""The thresholds file: shipped config is valid, and a broken one is rejected with a message naming the check."""

from __future__ import annotations

import pytest

from quality.checks import ConfigError, load_config


def test_shipped_config_covers_every_layer_with_severities():
    config = load_config()
    assert config.version >= 1
    assert {c.layer for c in config.checks} == {"raw", "identity", "marts"}
    assert {c.severity for c in config.checks} == {"critical", "warning"}
    kinds = {c.kind for c in config.checks}
    assert {"unique", "pattern_share", "accepted_values", "timestamp_range", "freshness", "max_group_size",
            "singleton_share", "id_changes", "between", "reconcile", "required_columns"} <= kinds


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
