"""SQL helpers of the checks: quoting for DuckDB and the small query fragments every kind shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for annotations: the config imports the kinds, which import this module
    from quality.config import Check


def q(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def table_ref(table: str) -> str:
    schema, _, name = table.partition(".")
    return f"{q(schema)}.{q(name)}" if name else q(schema)


def sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def one(con, sql: str) -> tuple:
    rows = con.execute(sql).fetchall()
    return rows[0] if rows else (None,)


def where(check: Check, extra: str | None = None, *, scoped: bool = True) -> str:
    """The check's row filter: its `where`, ``extra``, and (``scoped``) the new loads of a raw check
    (:mod:`quality.scope`)."""
    parts = [p for p in (check.params.get("where"), check.params.get("scope") if scoped else None, extra) if p]
    return (" where " + " and ".join(f"({p})" for p in parts)) if parts else ""


def columns_of(con, table: str) -> list[str]:
    """The table's columns in order; empty when the table does not exist."""
    schema, _, name = table.partition(".")
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, name]).fetchall()]


def show(check: Check, con, extra: tuple[str, ...] = ()) -> str:
    """The columns shown in example rows: the table's `show` list that exists, else its first columns."""
    present = columns_of(con, check.table)
    wanted = [c for c in (*check.show, *extra) if c in present]
    cols = list(dict.fromkeys(wanted)) or present[:6]
    return ", ".join(q(c) for c in cols) if cols else "*"
