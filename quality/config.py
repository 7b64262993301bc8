"""The check model and its configuration: ``expectations.yml`` read, validated and turned into checks.

Shared parameters are not copied into ``expectations.yml``: a value written ``{{ var('name') }}`` (dbt's own
syntax) is read from the ``vars:`` of ``transform/dbt_project.yml``, the one place it is defined. A string
that is only the reference becomes the value itself (``max: "{{ var('identity_max_cluster_size') }}"`` is
the number 25); inside a longer string (SQL), it becomes a SQL literal, a list a parenthesised list
(``status not in {{ var('invalid_order_statuses') }}`` -> ``status not in ('cancelled', ...)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from c360.settings import TRANSFORM_DIR
from quality.kinds import KINDS, Kind
from quality.model import LAYERS
from quality.sql import q, sql_literal

CONFIG_PATH = Path(__file__).with_name("expectations.yml")
#: The dbt project; its vars are the parameters the checks share with the models.
DBT_PROJECT_PATH = TRANSFORM_DIR / "dbt_project.yml"
SEVERITIES = ("critical", "warning")
_VAR = re.compile(r"""\{\{\s*var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)\s*\}\}""")


class ConfigError(ValueError):
    """expectations.yml is malformed; the message names the suite/table/check to fix."""


@dataclass(frozen=True)
class Check:
    """One configured expectation: a kind applied to a table (and column) with limits and a severity."""

    suite: str
    layer: str
    table: str
    kind: str
    name: str
    severity: str
    noun: str
    show: tuple[str, ...]
    params: dict[str, Any] = field(hash=False, compare=False)
    examples: int = 5
    patterns: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    #: The table may legitimately not exist or be empty (a source switched off or with no rows yet; dlt
    #: creates no table for a resource that yielded nothing): its checks then say "no rows yet", never fail
    #: critically. Default: true in the raw layer, false for the tables dbt builds.
    may_be_absent: bool = False

    @property
    def column(self) -> str | None:
        if "column" in self.params:
            return self.params["column"]
        if "columns" in self.params and self.kind == "unique":
            return ", ".join(self.params["columns"])
        return None

    @property
    def label(self) -> str:
        return self.params.get("label") or (self.column or self.table).replace("_", " ")

    @property
    def expectation(self) -> str:
        """Stable name of the expectation within its suite, e.g. ``customers.email.pattern_share``."""
        short = self.table.split(".", 1)[-1]
        return f"{short}.{self.name}"

    @property
    def metric_column(self) -> str:
        """Column of the metrics frame Great Expectations validates (must be unique per layer)."""
        return f"{self.suite}__{self.expectation}".replace(".", "__").replace(" ", "_").replace(",", "")

    @property
    def implementation(self) -> Kind:
        return KINDS[self.kind]

    def col_expr(self, key: str = "column", expr_key: str = "expr") -> str:
        return self.params.get(expr_key) or q(self.params[key])


@dataclass(frozen=True)
class QualityConfig:
    version: int
    examples: int
    patterns: dict[str, str]
    checks: tuple[Check, ...]
    #: Validation results (and their Data Docs pages) kept per suite; the Data Docs index is rebuilt from
    #: all of them on every run, so an unbounded history would make every run slower.
    keep_runs: int = 30

    def suites(self, layer: str | None = None) -> list[str]:
        return list(dict.fromkeys(c.suite for c in self.checks if layer is None or c.layer == layer))

    def for_layer(self, layer: str) -> list[Check]:
        return [c for c in self.checks if c.layer == layer]


def load_config(path: Path | str | None = None, dbt_project: Path | str | None = None) -> QualityConfig:
    """Read and validate expectations.yml (default: the one shipped next to this module), with the
    ``{{ var(...) }}`` references resolved from ``dbt_project`` (default: transform/dbt_project.yml)."""
    return _load(str(Path(path or CONFIG_PATH).resolve()), str(Path(dbt_project or DBT_PROJECT_PATH).resolve()))


def dbt_vars(dbt_project: Path | str | None = None) -> dict[str, Any]:
    """The ``vars:`` of the dbt project (the defaults a `dbt build` without ``--vars`` uses)."""
    path = Path(dbt_project or DBT_PROJECT_PATH)
    try:
        project = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the dbt project {path} (its vars are shared with the quality "
                          f"checks): {exc}") from exc
    return dict(project.get("vars") or {})


def _render(value: Any, variables: dict[str, Any] | None, where: str, dbt_project: str) -> Any:
    """Resolve ``{{ var('name') }}`` in a config value (recursively), see the module docstring."""
    if isinstance(value, dict):
        return {k: _render(v, variables, where, dbt_project) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, variables, where, dbt_project) for v in value]
    if not isinstance(value, str) or not _VAR.search(value):
        return value
    if variables is None:
        variables = dbt_vars(dbt_project)

    def lookup(name: str) -> Any:
        if name not in variables:
            raise ConfigError(f"{where}: no var {name!r} in {dbt_project}")
        return variables[name]

    whole = _VAR.fullmatch(value.strip())
    if whole:
        return lookup(whole.group(1))

    def literal(match: re.Match) -> str:
        got = lookup(match.group(1))
        if isinstance(got, (list, tuple)):
            return "(" + ", ".join(sql_literal(v) for v in got) + ")"
        return sql_literal(got)

    return _VAR.sub(literal, value)


@lru_cache(maxsize=8)
def _load(path: str, dbt_project: str) -> QualityConfig:
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read quality config {path}: {exc}") from exc
    if not isinstance(raw, dict) or "suites" not in raw or "version" not in raw:
        raise ConfigError(f"{path}: expected top-level keys `version` and `suites`")
    patterns = dict(raw.get("patterns") or {})
    examples = int(raw.get("examples_per_check", 5))
    variables: dict[str, Any] | None = None  # read on first use: most configs reference no var
    checks: list[Check] = []
    for suite, spec in raw["suites"].items():
        layer = spec.get("layer")
        if layer not in LAYERS:
            raise ConfigError(f"{path}: suite {suite}: layer must be one of {LAYERS}, got {layer!r}")
        for table, tspec in (spec.get("tables") or {}).items():
            may_be_absent = bool(tspec.get("may_be_absent", layer == "raw"))
            for i, params in enumerate(tspec.get("checks") or []):
                where = f"{path}: suite {suite}, table {table}, check #{i + 1}"
                if variables is None and any(_VAR.search(str(v)) for v in params.values()):
                    variables = dbt_vars(dbt_project)
                params = _render(params, variables, where, dbt_project)
                kind = params.get("kind")
                if kind not in KINDS:
                    raise ConfigError(f"{where}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
                missing = [k for k in KINDS[kind].required if k not in params]
                if missing:
                    raise ConfigError(f"{where} ({kind}): missing {', '.join(missing)}")
                if params.get("severity") not in SEVERITIES:
                    raise ConfigError(f"{where} ({kind}): severity must be one of {SEVERITIES}")
                if kind == "unique" and not (params.get("column") or params.get("columns")):
                    raise ConfigError(f"{where} (unique): needs `column` or `columns`")
                if kind == "pattern_share" and params["pattern"] not in patterns and not str(params["pattern"]).startswith("^"):
                    raise ConfigError(f"{where}: pattern {params['pattern']!r} is neither a named pattern nor a regex")
                subject = params.get("column") or (
                    "_".join(params.get("columns") or []) if kind == "unique" else None)
                name = params.get("name") or ".".join(p for p in (subject, kind) if p)
                checks.append(Check(
                    suite=suite, layer=layer, table=table, kind=kind, name=name, severity=params["severity"],
                    noun=tspec.get("noun", table), show=tuple(tspec.get("show") or ()),
                    params={k: v for k, v in params.items() if k not in ("kind", "severity", "name")},
                    examples=examples, patterns=patterns, may_be_absent=may_be_absent,
                ))
    names = [c.metric_column for c in checks]
    dupes = sorted({x for x in names if names.count(x) > 1})
    if dupes:
        raise ConfigError(f"{path}: two checks share a name ({', '.join(dupes)}); give one of them a `name`")
    return QualityConfig(version=int(raw["version"]), examples=examples, patterns=patterns, checks=tuple(checks),
                         keep_runs=int(raw.get("data_docs_keep_runs", 30)))
