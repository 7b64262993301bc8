"""Trends over quality runs for the steward report, read from ``quality.validation_results`` in DuckDB.

Every figure is one the checks already measured and stored, so a chart costs a few aggregates over the
history table (plus a count of the quarantine tables), never a scan of the raw data:

* share of checks passed per run;
* rows per source: the row counts measured by the key-uniqueness checks of each raw table;
* rows quarantined per source: ``raw_<source>.quarantine`` rows quarantined up to each run;
* freshness per source: the age of the stalest table (the freshness checks), in days;
* customers: how many there are and how many stay unresolved (the singleton-share check), and the ids merged
  or split since the previous run (the id-change checks).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from c360.settings import RAW_DATASETS
from quality.charts import PALETTE, Series, line_chart
from quality.config import load_config
from quality.sql import q

HISTORY = "quality.validation_results"
#: How many of the most recent runs the charts show.
RUNS_SHOWN = 30
_LATEST = f"""(select * from {HISTORY}
               qualify row_number() over (partition by run_id, suite, expectation order by checked_at desc) = 1)"""


def source_of(suite_or_schema: str) -> str:
    """``raw_sales`` -> ``Sales``: the plain name of the source behind a raw suite or dataset."""
    by_dataset = {dataset: name for name, dataset in RAW_DATASETS.items()}
    return by_dataset.get(suite_or_schema, suite_or_schema.removeprefix("raw_")).capitalize()


def _has(con, schema: str, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and "
                            "table_name = ?", [schema, table]).fetchall()[0][0])


def _runs(con) -> list[tuple[str, datetime, int, int]]:
    return con.execute(f"""
        select run_id, max(checked_at) as t, count(*), count(*) filter (where success)
        from {_LATEST} group by run_id order by t desc limit {RUNS_SHOWN}""").fetchall()[::-1]


def _per_run(con, select: str, where: str, run_ids: list[str]) -> list[tuple]:
    return con.execute(f"select run_id, {select} from {_LATEST} where {where} and run_id in "
                       f"(select unnest(?)) group by all", [run_ids]).fetchall()


def _series(rows: list[tuple], times: dict[str, datetime], scale: float = 1.0) -> list[Series]:
    """(run_id, name, value) rows -> one series per name, points in run order."""
    by_name: dict[str, dict[str, float]] = defaultdict(dict)
    for run_id, name, value in rows:
        if value is not None:
            by_name[name][run_id] = float(value) * scale
    return [Series(name, [(t, values.get(run)) for run, t in times.items()], color=colour(name))
            for name, values in sorted(by_name.items())]


def colour(name: str) -> str | None:
    """A source keeps its colour in every chart (Sales is orange in the rows and in the quarantine chart)."""
    names = [source_of(dataset) for dataset in RAW_DATASETS.values()]
    return PALETTE[names.index(name) % len(PALETTE)] if name in names else None


def collect(con) -> dict[str, Any]:
    """The figures behind the charts, oldest run first: {'times': {run_id: time}, '<chart>': [Series]}."""
    if not _has(con, "quality", "validation_results"):
        return {"times": {}}
    runs = _runs(con)
    times = {run_id: t for run_id, t, _, _ in runs}
    ids = list(times)
    data: dict[str, Any] = {"times": times}
    data["passed"] = [Series("checks passed", [(t, passed / checks * 100 if checks else None)
                                              for _, t, checks, passed in runs])]
    rows = _per_run(con, "suite, sum(element_count)", "layer = 'raw' and kind = 'unique'", ids)
    data["rows"] = _series([(r, source_of(s), v) for r, s, v in rows], times)
    fresh = _per_run(con, "suite, max(observed_value)", "layer = 'raw' and kind = 'freshness'", ids)
    data["freshness"] = _series([(r, source_of(s), v) for r, s, v in fresh], times, scale=1 / 24)
    limits = [c.params["max_age_hours"] for c in load_config().checks if c.kind == "freshness"]
    data["freshness_limit"] = min(limits) / 24 if limits else None
    data["quarantined"] = _series(_quarantined(con, runs), times)
    changes = {c.expectation: c.params["change"] for c in load_config().checks if c.kind == "id_changes"}
    people = _per_run(con, "expectation, kind, max(element_count), max(unexpected_count)",
                      "layer = 'identity' and kind in ('singleton_share', 'id_changes')", ids)
    customers, moves = [], []
    for run_id, expectation, kind, elements, unexpected in people:
        if kind == "singleton_share":
            customers += [(run_id, "customers", elements), (run_id, "unresolved (a single source record)", unexpected)]
        elif expectation in changes:
            moves.append((run_id, {"merge": "merged", "split": "split"}.get(changes[expectation], changes[expectation]),
                          unexpected))
    data["customers"] = _series(customers, times)
    data["id_changes"] = _series(moves, times)
    return data


def _quarantined(con, runs: list[tuple[str, datetime, int, int]]) -> list[tuple[str, str, int]]:
    """Rows of each raw dataset's quarantine table quarantined up to each run (set-based, one query each)."""
    out = []
    for dataset in RAW_DATASETS.values():
        if not _has(con, dataset, "quarantine") or not runs:
            continue
        values = ", ".join("(?, ?::timestamptz)" for _ in runs)
        params = [v for run_id, t, _, _ in runs for v in (run_id, t)]
        rows = con.execute(f"""
            select r.run_id, count(x.quarantined_at) from (values {values}) r(run_id, t)
            left join {q(dataset)}.quarantine x on cast(x.quarantined_at as timestamptz) <= r.t
            group by r.run_id""", params).fetchall()
        out += [(run_id, source_of(dataset), n) for run_id, n in rows]
    return out


def _pct(v: float) -> str:
    return f"{v:.0f}%"


def _count(v: float) -> str:
    if v >= 1_000_000:
        return f"{v / 1_000_000:,.1f} M"
    return f"{v / 1000:,.0f} k" if v >= 10_000 else f"{v:,.0f}"


def _days(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 or v == 0 else f"{v:,.1f}"


def section(con) -> str:
    """The "Trends" section of the index page: one small chart per figure, side by side."""
    data = collect(con)
    runs = len(data["times"])
    if not runs:
        return ""
    limit = data.get("freshness_limit")
    charts = [
        line_chart("chart-passed", "Checks passed", data["passed"], fmt=_pct, unit="% of checks", y_max=100),
        line_chart("chart-rows", "Rows loaded per source", data["rows"], fmt=_count, unit="rows",
                   empty="No source has rows yet."),
        line_chart("chart-quarantined", "Rows quarantined per source", data["quarantined"], fmt=_count,
                   unit="rows", empty="No quarantine table yet: nothing was rejected."),
        line_chart("chart-freshness", "Age of the newest record per source", data["freshness"], fmt=_days,
                   unit="days", limit=(limit, f"limit {_days(limit)} days") if limit else None,
                   empty="No freshness measured yet."),
        line_chart("chart-customers", "Customers resolved", data["customers"], fmt=_count, unit="customers",
                   empty="Identity resolution was not checked yet."),
        line_chart("chart-id-changes", "Customer ids merged or split per run", data["id_changes"],
                   fmt=_count, unit="customer ids", empty="Identity resolution was not checked yet."),
    ]
    return (f'<h2 id="trends">Trends <span class="muted">— the last {runs} run{"s" if runs != 1 else ""}</span>'
            f'</h2><div class="charts">{"".join(charts)}</div>')
