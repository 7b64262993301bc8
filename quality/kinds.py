"""The kinds of check: what each measures in DuckDB and how it is said in plain words.

Why the measuring happens in DuckDB: the raw event tables hold millions of rows, and Great Expectations 1.x
has no working DuckDB SQL datasource (every metric fails through duckdb_engine). So each check is one
set-based SQL query over *all* rows that returns the figure the limit applies to (a count of offending rows,
a share, a maximum, an age), plus, only when it fails, a handful of offending rows. Great Expectations then
judges those figures against the limits of ``expectations.yml`` (see :mod:`quality.suites`), keeps the
results and renders Data Docs. Memory stays flat however large the tables grow.

A kind is configured per check in ``expectations.yml`` (``kind: unique``); :data:`KINDS` maps the names to
the implementations. Quoting and query fragments are in :mod:`quality.sql`, the wording in
:mod:`quality.wording`, the check model and its loading in :mod:`quality.config`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timezone
from typing import TYPE_CHECKING, Any

from quality.sql import columns_of, one, q, show, sql_literal, table_ref, where
from quality.wording import a, age, customers, have, n, num, pct

if TYPE_CHECKING:  # only for annotations: quality.config imports this module to validate kinds
    from quality.config import Check


@dataclass
class Measurement:
    observed: float | None
    unexpected: int | None = None
    elements: int | None = None
    context: dict[str, Any] = field(default_factory=dict)
    error: str | None = None



class Kind:
    """How one kind of check is measured, bounded and explained."""

    #: Keys a check of this kind must have in expectations.yml.
    required: tuple[str, ...] = ()
    #: The figure of a check with nothing to judge: an `optional: true` column that is absent (dlt creates
    #: no column for a field that never had a value), or a table with no rows yet that may be absent
    #: (a source switched off or new). Nothing there, so nothing wrong.
    vacuous: float = 0.0
    #: A raw check of this kind measures only the loads newer than those it passed on (quality.scope).
    scoped: bool = False

    def bounds(self, c: Check) -> tuple[float | None, float | None]:
        return None, 0

    def measure(self, con, c: Check) -> Measurement:
        raise NotImplementedError

    def examples(self, con, c: Check, m: Measurement) -> list[dict[str, Any]]:
        sql = self.examples_sql(con, c, m)
        if not sql:
            return []
        cur = con.execute(sql + f" limit {int(c.examples)}")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def examples_sql(self, con, c: Check, m: Measurement) -> str | None:
        return None

    def rule(self, c: Check) -> str:
        raise NotImplementedError

    def failure(self, c: Check, m: Measurement) -> str:
        raise NotImplementedError

    def success(self, c: Check, m: Measurement) -> str:
        return f"OK: {self.rule(c)}"

    def threshold(self, c: Check) -> str:
        lo, hi = self.bounds(c)
        if lo is not None and hi is not None:
            return f"between {lo} and {hi}"
        return f"at least {lo}" if lo is not None else f"at most {hi}"


class RequiredColumns(Kind):
    required = ("columns",)

    def measure(self, con, c):
        present = set(columns_of(con, c.table))
        wanted = list(c.params["columns"])
        missing = [col for col in wanted if col not in present]
        return Measurement(len(missing), len(missing), len(wanted), {"missing": missing, "table_exists": bool(present)})

    def examples(self, con, c, m):
        return [{"missing column": col} for col in m.context.get("missing", [])]

    def rule(self, c):
        return f"{c.table} has the columns {', '.join(c.params['columns'])}"

    def failure(self, c, m):
        if not m.context.get("table_exists"):
            return f"The table {c.table} ({c.noun}) does not exist, so none of its checks could run."
        missing = m.context["missing"]
        return f"The table {c.table} ({c.noun}) is missing {len(missing)} required column(s): {', '.join(missing)}."


class RowCount(Kind):
    def bounds(self, c):
        return c.params.get("min", 1), c.params.get("max")

    def measure(self, con, c):
        (count,) = one(con, f"select count(*) from {table_ref(c.table)}{where(c)}")
        return Measurement(count, None, count)

    def rule(self, c):
        return f"{c.table} has at least {num(c.params.get('min', 1))} row(s)"

    def failure(self, c, m):
        return f"The table {c.table} has {n(m.observed)} {c.noun}; at least {num(c.params.get('min', 1))} expected."


class NotNull(Kind):
    """Empty values: none allowed by default, or at most `max_share` of the rows."""

    scoped = True
    required = ("column",)

    def bounds(self, c):
        return None, c.params.get("max_share", c.params.get("max", 0))

    def measure(self, con, c):
        col = c.col_expr()
        total, nulls = one(con, f"select count(*), count(*) filter (where {col} is null) from {table_ref(c.table)}{where(c)}")
        observed = (nulls / total if total else 0.0) if "max_share" in c.params else nulls
        return Measurement(observed, nulls, total)

    def examples_sql(self, con, c, m):
        return f"select {show(c, con)} from {table_ref(c.table)}{where(c, f'{c.col_expr()} is null')}"

    def threshold(self, c):
        if "max_share" in c.params:
            return f"at most {pct(c.params['max_share'], 0)} empty"
        return f"at most {num(c.params.get('max', 0))} empty"

    def rule(self, c):
        if "max_share" in c.params:
            return f"at most {pct(c.params['max_share'], 0)} of {c.noun} have no {c.label}"
        return f"every one of the {c.noun} has {a(c.label)}"

    def failure(self, c, m):
        if "max_share" in c.params:
            return (f"{have(m.unexpected, c.noun)} no {c.label} ({pct(m.observed)}); "
                    f"at most {pct(c.params['max_share'], 0)} expected.")
        return f"{have(m.unexpected, c.noun)} no {c.label}."


class Unique(Kind):
    """Rows whose key value (one or more columns) is shared with another row."""

    scoped = True

    def _key(self, c: Check) -> list[str]:
        cols = c.params.get("columns") or [c.params["column"]]
        return [q(col) for col in cols]

    def _duplicated(self, c: Check) -> str:
        """Key values held by more than one row. Scoped (quality.scope): only the keys of the new loads,
        looked up among all rows (a hash semi-join on the key column, no aggregation of the old rows)."""
        key = ", ".join(self._key(c))
        not_null = " and ".join(f"{k} is not null" for k in self._key(c))
        rows = f"{table_ref(c.table)} as t"
        if c.params.get("scope"):
            on = " and ".join(f"t.{k} is not distinct from n.{k}" for k in self._key(c))
            rows += (f" semi join (select distinct {key} from {table_ref(c.table)}{where(c, not_null)}) as n "
                     f"on {on}")
        return (f"select {', '.join('t.' + k for k in self._key(c))}, count(*) as copies from {rows}"
                f"{where(c, not_null, scoped=False)} group by all having count(*) > 1")

    def measure(self, con, c):
        rows, values = one(con, f"select coalesce(sum(copies), 0), count(*) from ({self._duplicated(c)})")
        # the whole table's row count is metadata to DuckDB: cheap, and what the trend charts show per source
        (total,) = one(con, f"select count(*) from {table_ref(c.table)}")
        return Measurement(rows, rows, total, {"duplicated_values": values})

    def examples_sql(self, con, c, m):
        return f"select * from ({self._duplicated(c)}) order by copies desc, {', '.join(self._key(c))}"

    def rule(self, c):
        return f"no two {c.noun} share {a(c.label)}"

    def failure(self, c, m):
        values = m.context.get("duplicated_values")
        appear = f"1 {c.label} value appears" if values == 1 else f"{n(values)} {c.label} values appear"
        return f"{n(m.unexpected)} {c.noun} share their {c.label} with another record ({appear} more than once)."


class PatternShare(Kind):
    """Share of non-empty values that look valid (trimmed, case-insensitive regex) at least `mostly`."""

    scoped = True
    required = ("column", "pattern", "mostly")
    vacuous = 1.0

    def threshold(self, c):
        return f"at least {pct(c.params['mostly'], 0)} valid"

    def bounds(self, c):
        return c.params["mostly"], None

    def _regex(self, c: Check) -> str:
        pattern = c.params["pattern"]
        return c.patterns.get(pattern, pattern)

    def _invalid(self, c: Check) -> str:
        col = c.col_expr()
        return (f"{col} is not null and trim(cast({col} as varchar)) <> '' and not "
                f"regexp_full_match(trim(cast({col} as varchar)), {sql_literal(self._regex(c))}, 'i')")

    def measure(self, con, c):
        # Event tables repeat the same few addresses millions of times: match each distinct value once and
        # weight it by its count (5.0 s -> 2.4 s on 2.7 million SendGrid events, loaded 2-core machine).
        col = c.col_expr()
        present, invalid = one(con, f"""
            with v as (
                select trim(cast({col} as varchar)) as value, count(*) as n
                from {table_ref(c.table)}{where(c, f"{col} is not null")} group by 1)
            select coalesce(sum(n) filter (where value <> ''), 0),
                   coalesce(sum(n) filter (where value <> '' and not regexp_full_match(value, {sql_literal(self._regex(c))}, 'i')), 0)
            from v""")
        present, invalid = int(present), int(invalid)
        # Like GX's `mostly`, empty values are not judged: with none at all there is nothing invalid.
        share = (present - invalid) / present if present else 1.0
        return Measurement(share, invalid, present)

    def examples_sql(self, con, c, m):
        return f"select {show(c, con)} from {table_ref(c.table)}{where(c, self._invalid(c))}"

    def rule(self, c):
        return f"at least {pct(c.params['mostly'], 0)} of {c.noun} with {a(c.label)} have a valid one"

    def failure(self, c, m):
        return (f"Only {pct(m.observed)} of {c.noun} have {a('valid ' + c.label)}: {n(m.unexpected)} of {n(m.elements)} "
                f"do not (at least {pct(c.params['mostly'], 0)} expected).")


class AcceptedValues(Kind):
    scoped = True
    required = ("column", "values")

    def bounds(self, c):
        return None, c.params.get("max", 0)

    def _outside(self, c: Check) -> str:
        values = ", ".join(sql_literal(v) for v in c.params["values"])
        return f"{c.col_expr()} is not null and cast({c.col_expr()} as varchar) not in ({values})"

    def measure(self, con, c):
        total, outside = one(con, f"select count(*), count(*) filter (where {self._outside(c)}) from {table_ref(c.table)}{where(c)}")
        return Measurement(outside, outside, total)

    def examples_sql(self, con, c, m):
        col = c.col_expr()
        return (f"select {col} as {q(c.label)}, count(*) as {q(c.noun)} from {table_ref(c.table)}"
                f"{where(c, self._outside(c))} group by 1 order by 2 desc")

    def rule(self, c):
        return f"the {c.label} of {c.noun} is one of: {', '.join(map(str, c.params['values']))}"

    def failure(self, c, m):
        return (f"{have(m.unexpected, c.noun)} {a(c.label)} that is not one of the accepted values "
                f"({', '.join(map(str, c.params['values']))}).")


class TimestampRange(Kind):
    """Timestamps before `min` or later than now + `max_future_hours` are broken clocks or parsing errors."""

    scoped = True
    required = ("column",)

    def _ts(self, c: Check) -> str:
        col = c.col_expr()
        return f"cast({col} as timestamptz)"

    def _outside(self, c: Check) -> str:
        ts = self._ts(c)
        lo = sql_literal(str(c.params.get("min", "2000-01-01")))
        hours = float(c.params.get("max_future_hours", 24))
        return f"({ts} < cast({lo} as timestamptz) or {ts} > now() + to_microseconds(cast({hours} * 3600e6 as bigint)))"

    def measure(self, con, c):
        total, outside = one(con, f"select count(*), count(*) filter (where {self._outside(c)}) from {table_ref(c.table)}{where(c)}")
        return Measurement(outside, outside, total)

    def examples_sql(self, con, c, m):
        return f"select {show(c, con)} from {table_ref(c.table)}{where(c, self._outside(c))}"

    def rule(self, c):
        return (f"the {c.label} of {c.noun} lies between {c.params.get('min', '2000-01-01')} and "
                f"{num(c.params.get('max_future_hours', 24))} hours from now")

    def failure(self, c, m):
        return (f"{have(m.unexpected, c.noun)} {a(c.label)} before {c.params.get('min', '2000-01-01')} "
                f"or more than {num(c.params.get('max_future_hours', 24))} hours in the future.")


def _when(value: Any) -> str:
    """A timestamp to the minute, in UTC, as the report writes every time."""
    if hasattr(value, "astimezone"):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


class Freshness(Kind):
    """Age in hours of the newest record: a source that stopped sending shows up here first."""

    required = ("column", "max_age_hours")

    def bounds(self, c):
        return None, c.params["max_age_hours"]

    def measure(self, con, c):
        ts = f"cast({c.col_expr()} as timestamptz)"
        newest, age = one(con, f"""
            select max({ts}), epoch(now() - max({ts})) / 3600.0 from {table_ref(c.table)}{where(c)}""")
        return Measurement(None if age is None else round(float(age), 2), None, None, {"newest": newest})

    def examples(self, con, c, m):
        return [{"newest record": _when(m.context.get("newest"))}]

    def threshold(self, c):
        return f"at most {age(c.params['max_age_hours'])} old"

    def rule(self, c):
        return f"the newest of the {c.noun} is at most {age(c.params['max_age_hours'])} old"

    def failure(self, c, m):
        if m.context.get("no_rows"):
            return (f"No rows yet: there are no {c.noun} ({c.table} {m.context['no_rows']}). Expected while the "
                    f"source is switched off or new; otherwise, has it stopped sending?")
        if m.observed is None:
            return f"There are no {c.noun} with {a(c.label)} at all."
        return (f"The newest of the {c.noun} is {age(m.observed)} old ({c.label} {_when(m.context.get('newest'))}); "
                f"at most {age(c.params['max_age_hours'])} expected. Has the source stopped sending?")


class Between(Kind):
    """Values outside [min, max] (either bound optional)."""

    scoped = True
    required = ("column",)

    def _outside(self, c: Check) -> str:
        col = c.col_expr()
        parts = []
        if c.params.get("min") is not None:
            parts.append(f"{col} < {sql_literal(c.params['min'])}")
        if c.params.get("max") is not None:
            parts.append(f"{col} > {sql_literal(c.params['max'])}")
        return "(" + " or ".join(parts or ["false"]) + ")"

    def measure(self, con, c):
        total, outside = one(con, f"select count(*), count(*) filter (where {self._outside(c)}) from {table_ref(c.table)}{where(c)}")
        return Measurement(outside, outside, total)

    def examples_sql(self, con, c, m):
        extra = (c.params["column"],) if "column" in c.params else ()
        return f"select {show(c, con, extra)} from {table_ref(c.table)}{where(c, self._outside(c))}"

    def _range(self, c: Check) -> str:
        lo, hi = c.params.get("min"), c.params.get("max")
        if lo is not None and hi is not None:
            return f"outside {num(lo)}–{num(hi)}"
        return f"below {num(lo)}" if lo is not None else f"above {num(hi)}"

    def rule(self, c):
        return f"no {c.label} of {c.noun} is {self._range(c)}"

    def failure(self, c, m):
        return f"{have(m.unexpected, c.noun)} {a(c.label)} {self._range(c)}."


class MaxGroupSize(Kind):
    """Largest number of rows sharing one `group_by` value (e.g. source records per customer)."""

    required = ("group_by", "max")

    def bounds(self, c):
        return None, c.params["max"]

    def _groups(self, c: Check) -> str:
        g = q(c.params["group_by"])
        return (f"select {g} as {q(c.params['group_by'])}, count(*) as size from {table_ref(c.table)}"
                f"{where(c, f'{g} is not null')} group by {g}")

    def measure(self, con, c):
        largest, over, groups = one(con, f"""
            select max(size), count(*) filter (where size > {sql_literal(c.params['max'])}), count(*)
            from ({self._groups(c)})""")
        return Measurement(largest or 0, over, groups)

    def examples_sql(self, con, c, m):
        return f"select * from ({self._groups(c)}) where size > {sql_literal(c.params['max'])} order by size desc"

    def threshold(self, c):
        return f"at most {num(c.params['max'])} {c.params.get('member', 'rows')} per {c.params['group_by']}"

    def rule(self, c):
        return f"no {c.params['group_by'].replace('_', ' ')} has more than {num(c.params['max'])} {c.params.get('member', 'rows')}"

    def failure(self, c, m):
        member = c.params.get("member", "rows")
        return (f"{customers(m.unexpected)} combine{'s' if m.unexpected == 1 else ''} more than {num(c.params['max'])} {member}; the largest has "
                f"{num(m.observed)}. An oversized cluster usually means records of different people were merged "
                f"through a shared identifier.")


class SingletonShare(Kind):
    """Share of customers resolved from a single source record (nothing matched them to anything else)."""

    required = ("group_by", "max")

    def threshold(self, c):
        return f"at most {pct(c.params['max'], 0)} of customers"

    def bounds(self, c):
        return None, c.params["max"]

    def measure(self, con, c):
        g = q(c.params["group_by"])
        singles, groups = one(con, f"""
            select count(*) filter (where size = 1), count(*) from (
                select count(*) as size from {table_ref(c.table)}{where(c, f'{g} is not null')} group by {g})""")
        return Measurement(singles / groups if groups else 0.0, singles, groups)

    def rule(self, c):
        return f"at most {pct(c.params['max'], 0)} of customers stay unresolved (made of a single source record)"

    def failure(self, c, m):
        return (f"{pct(m.observed)} of customers ({n(m.unexpected)} of {n(m.elements)}) are made of a single source "
                f"record, i.e. nothing matched them to another system; at most {pct(c.params['max'], 0)} expected.")


class IdChanges(Kind):
    """Merges or splits of customer ids since the previous quality run, as a share of all customers.

    Counts the rows of the history table (columns `change_column`, default ``reason``, and `at_column`,
    default ``changed_at``) whose change equals `change` and that are newer than the previous validation of
    this suite recorded in quality.validation_results (all of them on the first run); the share is taken
    over the customers of `customers_table` (default marts.identity_map).
    """

    required = ("change", "max_share")

    def bounds(self, c):
        return None, c.params["max_share"]

    def threshold(self, c):
        return f"at most {pct(c.params['max_share'], 0)} of customers"

    def _since(self, con, c: Check) -> str | None:
        has_history = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'quality' and table_name = 'validation_results'").fetchall()[0][0]
        if not has_history:
            return None
        (since,) = one(con, f"select max(checked_at) from quality.validation_results where suite = {sql_literal(c.suite)}")
        return None if since is None else since.isoformat()

    def _changes(self, c: Check, since: str | None) -> str:
        change = q(c.params.get("change_column", "reason"))
        at = q(c.params.get("at_column", "changed_at"))
        newer = f" and {at} > cast({sql_literal(since)} as timestamptz)" if since else ""
        return f"{change} = {sql_literal(c.params['change'])}{newer}"

    def measure(self, con, c):
        since = self._since(con, c)
        (changes,) = one(con, f"select count(*) from {table_ref(c.table)} where {self._changes(c, since)}")
        customers_table = c.params.get("customers_table", "marts.identity_map")
        (total,) = one(con, f"select count(distinct customer_id) from {table_ref(customers_table)}")
        return Measurement(changes / total if total else 0.0, changes, total, {"since": since})

    def examples_sql(self, con, c, m):
        return f"select * from {table_ref(c.table)} where {self._changes(c, m.context.get('since'))}"

    def rule(self, c):
        verb = {"merge": "merged", "split": "split"}.get(c.params["change"], c.params["change"])
        return (f"at most {pct(c.params['max_share'], 0)} of customers were {verb} "
                f"since the previous quality run")

    def failure(self, c, m):
        verb = {"merge": "merged into another customer", "split": "split off into a new customer"}.get(
            c.params["change"], c.params["change"])
        since = f"since the previous quality run ({m.context['since'][:16].replace('T', ' ')} UTC)" \
            if m.context.get("since") else "in the recorded history"
        return (f"{n(m.unexpected)} customer id(s) were {verb} {since}: {pct(m.observed)} of "
                f"{n(m.elements)} customers, at most {pct(c.params['max_share'], 0)} expected. A rule change or a bad "
                f"batch of source data can cause a wave of merges or splits.")


class Reconcile(Kind):
    """Relative difference between two totals, e.g. mart revenue vs valid raw orders."""

    required = ("left", "right", "max_relative_diff")

    def bounds(self, c):
        return None, c.params["max_relative_diff"]

    def _total(self, con, c: Check, side: dict[str, Any]) -> Any:
        table = side.get("table", c.table)
        if side.get("absent_is_zero") and not columns_of(con, table):
            # e.g. the raw orders of a sales source that is switched off or has no rows yet: no money there.
            return 0
        where = f" where {side['where']}" if side.get("where") else ""
        return one(con, f"select {side['expr']} from {table_ref(table)}{where}")[0]

    def measure(self, con, c):
        left = self._total(con, c, c.params["left"])
        right = self._total(con, c, c.params["right"])
        left, right = float(left or 0), float(right or 0)
        diff = abs(left - right) / abs(right) if right else (0.0 if left == 0 else 1.0)
        return Measurement(diff, None, None, {"left": left, "right": right})

    def examples(self, con, c, m):
        return [{c.params["left"].get("label", "left"): round(m.context["left"], 2),
                 c.params["right"].get("label", "right"): round(m.context["right"], 2),
                 "difference": round(m.context["left"] - m.context["right"], 2)}]

    def threshold(self, c):
        return f"relative difference at most {pct(c.params['max_relative_diff'], 2)}"

    def rule(self, c):
        return (f"{c.params['left'].get('label', 'left')} matches {c.params['right'].get('label', 'right')} "
                f"within {pct(c.params['max_relative_diff'], 2)}")

    def failure(self, c, m):
        left, right = m.context.get("left"), m.context.get("right")
        return (f"{c.params['left'].get('label', 'left')}: {num(left)}; {c.params['right'].get('label', 'right')}: "
                f"{num(right)}. A difference of {num(abs((left or 0) - (right or 0)))} ({pct(m.observed, 2)}; at most "
                f"{pct(c.params['max_relative_diff'], 2)} allowed): some {c.label} was lost or counted twice.")


KINDS: dict[str, Kind] = {
    "required_columns": RequiredColumns(),
    "row_count": RowCount(),
    "not_null": NotNull(),
    "unique": Unique(),
    "pattern_share": PatternShare(),
    "accepted_values": AcceptedValues(),
    "timestamp_range": TimestampRange(),
    "freshness": Freshness(),
    "between": Between(),
    "max_group_size": MaxGroupSize(),
    "singleton_share": SingletonShare(),
    "id_changes": IdChanges(),
    "reconcile": Reconcile(),
}
