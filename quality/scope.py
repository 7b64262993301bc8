"""Raw checks look at what is new: the loads that arrived since the check last passed.

A raw table only grows by loads (dlt stamps every row with its ``_dlt_load_id``, a time-based id that only
increases). A row-level check of a raw table (shares, ranges, keys) that passed at some load needs no second
look at the rows up to it: each run measures the rows of the loads newer than the newest one the check's last
*passing* result covered (``loads_through`` in quality.validation_results). A check that failed keeps looking
at everything since it last passed, so a bad row stays reported until it is fixed; a new thresholds file
(``version:`` bumped) or a check without history looks at the whole table. Whole-table figures a check needs
stay whole-table where they are cheap: the row count of a key check, the newest timestamp of freshness.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import duckdb

from quality.config import Check
from quality.sql import columns_of, one, q, sql_literal, table_ref

LOAD_ID = "_dlt_load_id"


def scoped(con: duckdb.DuckDBPyConnection, checks: list[Check], config_version: int) -> list[Check]:
    """``checks`` with each scoped raw check restricted to its new loads (``params['scope']``, a SQL condition)
    and carrying the bounds it measures (``loads_after``, exclusive; ``loads_through``, inclusive)."""
    marks = _watermarks(con, config_version)
    newest: dict[tuple[str, str | None], str | None] = {}
    out = []
    for c in checks:
        if c.layer != "raw" or not c.implementation.scoped or LOAD_ID not in columns_of(con, c.table):
            out.append(c)
            continue
        after = marks.get((c.suite, c.expectation))
        condition = f"{q(LOAD_ID)} > {sql_literal(after)}" if after else None
        if (c.table, after) not in newest:  # row groups of older loads are skipped by their min/max statistics
            newest[(c.table, after)] = one(con, f"select max({q(LOAD_ID)}) from {table_ref(c.table)}"
                                                + (f" where {condition}" if condition else ""))[0]
        through = newest[(c.table, after)] or after
        params = {**c.params, "loads_after": after, "loads_through": through}
        if condition:
            params["scope"] = condition
        out.append(replace(c, params=params))
    return out


def _watermarks(con: duckdb.DuckDBPyConnection, config_version: int) -> dict[tuple[str, str], str]:
    """(suite, expectation) -> the newest load id a passing result of the same thresholds version covered."""
    present = set(columns_of(con, "quality.validation_results"))
    if "loads_through" not in present:
        return {}
    rows = con.execute("""
        select suite, expectation, max(loads_through) from quality.validation_results
        where layer = 'raw' and success and loads_through is not null and config_version = ?
        group by all""", [config_version]).fetchall()
    return {(suite, expectation): through for suite, expectation, through in rows}


def load_time(load_id: str) -> str:
    """A dlt load id (seconds since the epoch when the load began) as the report writes times."""
    try:
        return datetime.fromtimestamp(float(load_id), timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError, OverflowError):
        return f"load {load_id}"
