"""`c360 erase`: remove one person from everything c360 keeps, and make sure they never come back.

1. **Who** — identity resolution decides: an email, a c360 customer id or a source record resolves through
   ``marts.identity_map`` to customer ids, and those to every source record (identity node) of the person, with
   the emails and phones identity resolution saw on them (``intermediate.int_identity_nodes``).
2. **Tombstones** — salted digests of those emails, phones and record ids (:mod:`privacy.store`). Every later
   load drops a record that matches one before it is written (:mod:`privacy.load_filter`), so a re-delivered
   file or API page never brings the person back, and since the raw layer never gets them again, neither can
   a ``dbt build --full-refresh`` (staging reads only raw). One gate at the door, rather than an anti-join in
   every staging model: raw keeps no copy to leak, and the rebuild has nothing to filter.
3. **Removal** (:func:`erase`, one writer at a time under the warehouse lock): the matching rows of every table
   of the warehouse (raw tables and dlt's staging copies, child tables, quarantine payloads, every table and
   incremental model of staging, intermediate and marts; views need nothing), then the warehouse file is rewritten so
   the deleted rows' bytes are gone too; the published DuckDB and every kept Parquet version are rewritten
   without the person (:mod:`privacy.files`); reports, Data Docs and run logs get the person's emails and
   phones replaced by ``[erased]``; dlt's copies of loaded packages are removed.
4. **Audit** — a ``privacy.erasures`` row: what was asked (kind + digest), when, the customers, and the rows
   removed per table.

Aggregates over many customers (retention_cohorts, satisfaction_by_segment_month) hold no personal data; they
are recomputed without the person by the next run's dbt build.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from c360 import settings
from privacy import store
from privacy.identifiers import canonical_email, digest, identifiers_in, phone_key
from privacy.matching import RAW_KEYS, Matcher, model_key_kind, norm

#: Schemas of models (dbt) whose tables may hold the person; views need nothing (staging: the incremental event
#: tables, macro incremental_materialization).
MODEL_SCHEMAS = ("staging", "intermediate", "marts", "snapshots")
#: Schemas of records about runs (checks, exports) that may quote the person: scrubbed in place.
SCRUB_SCHEMAS = ("quality", "activation")
TEXT_TYPES = ("VARCHAR", "JSON")
#: The sources of identity nodes (marts.identity_map.source), i.e. what SOURCE may be in --source-record.
NODE_SOURCES = ("sales", "support", "email", "web_user", "web_anonymous")


class ErasureError(ValueError):
    """The request names nobody c360 knows, or cannot be carried out; the message says why."""


@dataclass
class Request:
    kind: str  # email, customer_id, source_record
    value: str

    def normalized(self) -> str:
        if self.kind == "email":
            email = canonical_email(self.value)
            if not email:
                raise settings.ConfigError(f"--email {self.value!r} is not an email address")
            return email
        if self.kind == "source_record":
            if ":" not in self.value:
                raise settings.ConfigError(f"--source-record must be SOURCE:ID (e.g. sales:10002), got {self.value!r}")
        return self.value.strip()


@dataclass
class Plan:
    request: Request
    customers: list[str] = field(default_factory=list)
    records: set[str] = field(default_factory=set)  # node keys, source:id
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    rows: dict[str, int] = field(default_factory=dict)  # schema.table -> rows matching
    files: dict[str, int] = field(default_factory=dict)  # file -> rows or replacements

    def summary(self) -> str:
        lines = [f"person: {len(self.customers)} customer id(s) {', '.join(self.customers) or '(none resolved)'}, "
                 f"{len(self.records)} source record(s), {len(self.emails)} email(s), {len(self.phones)} phone(s)"]
        for table, n in sorted(self.rows.items()):
            if n:
                lines.append(f"  {table}: {n:,} row(s)")
        for name, n in sorted(self.files.items()):
            if n:
                lines.append(f"  {name}: {n:,}")
        return "\n".join(lines)


def _tables(con: duckdb.DuckDBPyConnection, schemas_like: str | tuple[str, ...], catalog: str | None = None):
    where = ("table_schema like ?" if isinstance(schemas_like, str)
             else f"table_schema in ({', '.join('?' for _ in schemas_like)})")
    params = [schemas_like] if isinstance(schemas_like, str) else list(schemas_like)
    if catalog:
        where += " and table_catalog = ?"
        params.append(catalog)
    return con.execute(f"select table_schema, table_name from information_schema.tables where {where} "
                       "and table_type = 'BASE TABLE' order by 1, 2", params).fetchall()


def _columns(con, schema: str, table: str, catalog: str | None = None) -> list[tuple[str, str]]:
    sql = "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?"
    params = [schema, table]
    if catalog:
        sql += " and table_catalog = ?"
        params.append(catalog)
    return con.execute(sql + " order by ordinal_position", params).fetchall()


def _exists(con, schema: str, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, table]).fetchone()[0])


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def resolve(con: duckdb.DuckDBPyConnection, request: Request) -> Plan:
    """The person behind ``request``: customer ids, source records, emails and phones."""
    plan = Plan(request)
    value = request.normalized()
    has_map = _exists(con, "marts", "identity_map")
    has_nodes = _exists(con, "intermediate", "int_identity_nodes")
    if request.kind == "email":
        plan.emails.add(value)
        plan.records.add(f"email:{value}")
        if has_nodes and has_map:
            plan.customers = [r[0] for r in con.execute(
                "select distinct m.customer_id from intermediate.int_identity_nodes n join marts.identity_map m "
                "using (source, source_record_id) where n.email = ? order by 1", [value]).fetchall()]
    elif request.kind == "customer_id":
        plan.customers = [value]
        if has_map and not con.execute("select count(*) from marts.identity_map where customer_id = ?",
                                       [value]).fetchone()[0]:
            raise ErasureError(f"customer id {value!r} is not in marts.identity_map: nothing to erase "
                               "(erase by --email to also block future loads of an address)")
    else:
        source, record_id = value.split(":", 1)
        if source not in NODE_SOURCES:
            raise ErasureError(f"--source-record: unknown source {source!r}; one of {', '.join(NODE_SOURCES)}")
        plan.records.add(value)
        if has_map:
            plan.customers = [r[0] for r in con.execute(
                "select distinct customer_id from marts.identity_map where source = ? and source_record_id = ?",
                [source, record_id]).fetchall()]
    if plan.customers and has_map:
        marks = ", ".join("?" for _ in plan.customers)
        plan.records |= {f"{s}:{i}" for s, i in con.execute(
            f"select source, source_record_id from marts.identity_map where customer_id in ({marks})",
            plan.customers).fetchall()}
    if has_nodes and plan.records:
        marks = ", ".join("?" for _ in plan.records)
        for email, phone in con.execute(
                f"select email, phone from intermediate.int_identity_nodes where node_key in ({marks})",
                sorted(plan.records)).fetchall():
            if email:
                plan.emails.add(email)
            if phone_key(phone):
                plan.phones.add(phone_key(phone))
    return plan


#: Distinct values per (schema, table, column, prefiltered) for the erasure being planned: the plan asks about the
#: same columns again as it learns more of the person (cleared by :func:`erase` before and after).
_DISTINCT: dict[tuple[str, str, str, bool], list[Any]] = {}


def _distinct(con, schema: str, table: str, column: str, prefilter: bool = False) -> list[Any]:
    """Distinct non-null values of a column as text; ``prefilter``: only those that may hold an email or phone."""
    key = (schema, table, column, prefilter)
    if key not in _DISTINCT:
        col = q(column)
        cond = (f" and (contains({col}::varchar, '@') or regexp_matches({col}::varchar, '[0-9]{{3}}') "
                f"or {col}::varchar like '{{%')" if prefilter else "")
        _DISTINCT[key] = [r[0] for r in con.execute(
            f"select distinct {col}::varchar from {q(schema)}.{q(table)} where {col} is not null{cond}").fetchall()]
    return _DISTINCT[key]


def _matching_values(con, schema: str, table: str, column: str, test) -> list[Any]:
    """Distinct values of a text column for which ``test`` is true (cheap SQL prefilter first)."""
    return [v for v in _distinct(con, schema, table, column, prefilter=True) if test(v)]


def _predicate(con, schema: str, table: str, matcher: Matcher, keys: dict[str, str] | None,
               quarantine_keys: dict[str, dict[str, str]] | None = None) -> tuple[str, list[Any]]:
    """SQL condition (and its parameters) true for the person's rows of one table."""
    parts: list[str] = []
    params: list[Any] = []
    for column, dtype in _columns(con, schema, table):
        col = q(column)
        kind = (keys or {}).get(norm(column)) if keys is not None else model_key_kind(column)
        if kind:
            values = [v for v in _distinct(con, schema, table, column) if matcher.key_hits(kind, v)]
            if values:
                parts.append(f"{col}::varchar in ({', '.join('?' for _ in values)})")
                params += values
        if dtype.upper() in TEXT_TYPES and not column.startswith("_dlt_"):
            if quarantine_keys is not None and column == "payload":
                encoding = ("payload_encoding" if "payload_encoding" in {c for c, _ in _columns(con, schema, table)}
                            else "null")
                rows = con.execute(f"select distinct resource, payload, {encoding} from {q(schema)}.{q(table)} "
                                   "where payload is not null").fetchall()
                values = sorted({p for r, p, e in rows if matcher.payload_hits(p, quarantine_keys.get(r, {}), e)})
            else:
                values = _matching_values(con, schema, table, column, matcher.text_hits)
            if values:
                parts.append(f"{col}::varchar in ({', '.join('?' for _ in values)})")
                params += values
    return (" or ".join(parts) if parts else "false"), params


def _learn_keys(con, schema: str, table: str, keys: dict[str, str], where: str, params: list[Any],
                matcher: Matcher) -> bool:
    """Adds the record ids in the key columns of the matched rows to ``matcher``; True if any was new."""
    grew = False
    for column, _ in _columns(con, schema, table):
        kind = keys.get(norm(column))
        if not kind:
            continue
        for (value,) in con.execute(f"select distinct {q(column)}::varchar from {q(schema)}.{q(table)} "
                                    f"where ({where}) and {q(column)} is not null", params).fetchall():
            if not matcher.key_hits(kind, value):
                matcher.add("record", f"{kind}:{value}")
                grew = True
    return grew


def raw_keys(schema: str, table: str) -> dict[str, str]:
    return RAW_KEYS.get((schema.removesuffix("_staging"), table), {})


def _raw_tables(con) -> list[tuple[str, str]]:
    datasets = tuple(settings.RAW_DATASETS.values())
    return [(s, t) for s, t in _tables(con, "raw_%")
            if s.removesuffix("_staging") in datasets and not t.startswith("_dlt_")]


#: Raw tables that describe the person (rather than something they did): every email and phone in their rows is
#: the person's too (a Zendesk user's secondary address, a Segment identify's traits) and is erased and tombstoned.
IDENTITY_TABLES = {("raw_sales", "customers"), ("raw_support", "users"), ("raw_support", "users__identities"),
                   ("raw_web", "identifies"), ("raw_web", "aliases")}
#: Their columns that hold identifiers (not urls or ids that merely look like long numbers).
IDENTIFIER_COLUMN = re.compile(r"mail|phone|mobile|^value$", re.I)


def _raw_where(con, s: str, t: str, matcher: Matcher) -> tuple[str, list[Any]]:
    """The person's rows of one raw table; a child table's rows also go with their parent's."""
    if "__" not in t:
        qkeys = {tbl: k for (ds, tbl), k in RAW_KEYS.items() if ds == s.removesuffix("_staging")}
        return _predicate(con, s, t, matcher, raw_keys(s, t), quarantine_keys=qkeys if t == "quarantine" else None)
    parent = t.split("__", 1)[0]
    own, oparams = _predicate(con, s, t, matcher, raw_keys(s, t))
    if not _exists(con, s, parent):
        return own, oparams
    pwhere, pparams = _predicate(con, s, parent, matcher, raw_keys(s, parent))
    link = "_dlt_root_id" if "_dlt_root_id" in {c for c, _ in _columns(con, s, t)} else "_dlt_parent_id"
    return f"({own}) or {link} in (select _dlt_id from {q(s)}.{q(parent)} where {pwhere})", oparams + pparams


def _harvest(con, plan: Plan, matcher: Matcher, raw: list[tuple[str, str]]) -> None:
    """Adds the emails and phones in the person's rows of :data:`IDENTITY_TABLES` to the plan and the matcher."""
    for s, t in raw:
        if (s.removesuffix("_staging"), t) not in IDENTITY_TABLES:
            continue
        where, params = _raw_where(con, s, t, matcher)
        if where == "false":
            continue
        for column, dtype in _columns(con, s, t):
            if dtype.upper() not in TEXT_TYPES or not IDENTIFIER_COLUMN.search(column):
                continue
            for (value,) in con.execute(f"select distinct {q(column)}::varchar from {q(s)}.{q(t)} "
                                        f"where ({where}) and {q(column)} is not null", params).fetchall():
                emails, phones = identifiers_in(value)
                for e in emails - plan.emails:
                    plan.emails.add(e)
                    matcher.add("email", e)
                for p in phones - plan.phones:
                    plan.phones.add(p)
                    matcher.add("phone", p)


def _plan_deletes(con, plan: Plan, matcher: Matcher) -> list[tuple[str, str, str, list[Any]]]:
    """(schema, table, condition, params) of every warehouse table holding the person, children included."""
    raw = _raw_tables(con)
    parents = [(s, t) for s, t in raw if "__" not in t and t != "quarantine"]
    # A matched row's keys may reveal more of the person's records (an order's id -> its items), and their identity
    # rows more of their addresses: repeat until nothing new turns up.
    for _ in range(4):
        grew = False
        for s, t in parents:
            keys = raw_keys(s, t)
            if keys:
                where, params = _predicate(con, s, t, matcher, keys)
                if where != "false":
                    grew |= _learn_keys(con, s, t, keys, where, params, matcher)
        before = len(matcher.digests)
        _harvest(con, plan, matcher, raw)
        if not grew and len(matcher.digests) == before:
            break
    deletes = [(s, t, *_raw_where(con, s, t, matcher)) for s, t in raw]
    for s, t in _tables(con, MODEL_SCHEMAS):
        deletes.append((s, t, *_predicate(con, s, t, matcher, None)))
    return deletes


def _scrubs(con, matcher: Matcher) -> list[tuple[str, str, str, str, str]]:
    """Values to rewrite in place (schema, table, column, old, new) in the tables that are records about runs,
    not about the person — quality results' failing-row examples, export records: their rows stay, the person's
    emails and phones in them become ``[erased]``."""
    from privacy.files import scrub_text

    out = []
    for s, t in _tables(con, SCRUB_SCHEMAS):
        for column, dtype in _columns(con, s, t):
            if dtype.upper() not in TEXT_TYPES:
                continue
            for value in _matching_values(con, s, t, column, matcher.text_hits):
                out.append((s, t, column, value, scrub_text(value, matcher)[0]))
    return out


def erase(request: Request, dry_run: bool = False, warehouse: Path | None = None, echo=print) -> Plan:
    """Erases the person behind ``request`` (see the module docstring); with ``dry_run`` only reports what it would."""
    from c360.locks import run_lock, warehouse_writer

    warehouse = Path(warehouse or settings.warehouse_path())
    if not warehouse.exists():
        raise settings.ConfigError(f"the warehouse {warehouse} does not exist: check C360_WAREHOUSE")
    # The run lock too: a run that extracted before the tombstones existed must not load the person afterwards
    # (an in-process run holds it from its first step to its last; c360/locks.py).
    say = (lambda text: echo(f"c360 erase: {text}")) if echo else None
    _DISTINCT.clear()
    try:
        with run_lock(say=say, warehouse=warehouse), warehouse_writer(say=say, warehouse=warehouse):
            return _erase_locked(request, dry_run, warehouse, echo)
    finally:
        _DISTINCT.clear()


def _erase_locked(request: Request, dry_run: bool, warehouse: Path, echo) -> Plan:
    from privacy import files

    con = duckdb.connect(str(warehouse), read_only=dry_run)
    try:
        con.execute("set TimeZone = 'UTC'")
        plan = resolve(con, request)  # first: a request naming nobody writes nothing
        salt = store.salt(con, create=not dry_run) or "dry-run"
        matcher = Matcher.from_identifiers(salt, plan.emails, plan.phones, plan.records, plan.customers)
        deletes = _plan_deletes(con, plan, matcher)
        for s, t, where, params in deletes:
            n = con.execute(f"select count(*) from {q(s)}.{q(t)} where {where}", params).fetchone()[0]
            plan.rows[f"{s}.{t}"] = n
        scrubs = _scrubs(con, matcher)
        for s, t, column, _, _ in scrubs:
            key = f"{s}.{t}.{column} (values scrubbed)"
            plan.rows[key] = plan.rows.get(key, 0) + 1
        if dry_run:
            plan.files = files.scan(matcher, warehouse)
            echo("c360 erase --dry-run: would remove\n" + plan.summary())
            return plan
        erasure_id = uuid.uuid4().hex
        started = datetime.now(timezone.utc)
        con.execute("begin")
        for s, t, where, params in deletes:
            if plan.rows[f"{s}.{t}"]:
                con.execute(f"delete from {q(s)}.{q(t)} where {where}", params)
        for s, t, column, old, new in scrubs:
            con.execute(f"update {q(s)}.{q(t)} set {q(column)} = ? where {q(column)}::varchar = ?", [new, old])
        # the tombstones: the identifiers identity resolution saw plus every record id the raw rows revealed
        store.add_tombstones(con, erasure_id, matcher.kinds.items())
        con.execute("commit")
    except BaseException:
        if not dry_run:
            try:
                con.execute("rollback")
            except duckdb.Error:
                pass
        con.close()
        raise
    con.close()
    # deleted rows stay in the file's free blocks until overwritten: rewrite the file so their bytes are gone
    files.compact(warehouse)
    plan.files = files.erase_files(matcher, warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        removed = {k: v for k, v in plan.rows.items() if v}
        con.execute(f"insert into {store.SCHEMA}.erasures values (?, ?, ?, ?, now(), ?, ?, ?, ?)",
                    [erasure_id, request.kind, digest(salt, request.kind, request.normalized()), started,
                     plan.customers, len(plan.records), json.dumps(removed), json.dumps(plan.files)])
        counts = [[erasure_id, "warehouse", k, v] for k, v in removed.items()]
        counts += [[erasure_id, "file", k, v] for k, v in plan.files.items() if v]
        if counts:
            con.executemany(f"insert into {store.SCHEMA}.erasure_counts values (?, ?, ?, ?)", counts)
    finally:
        con.close()
    echo(f"c360 erase: removed (erasure {erasure_id})\n" + plan.summary())
    return plan


def cli_erase(args) -> int:
    import sys

    from c360.locks import WarehouseBusy

    given = [(k, v) for k, v in (("email", args.email), ("customer_id", args.customer_id),
                                 ("source_record", args.source_record)) if v]
    if len(given) != 1:
        print("c360 erase: give exactly one of --email, --customer-id, --source-record", file=sys.stderr)
        return 2
    try:
        erase(Request(*given[0]), dry_run=args.dry_run)
    except settings.ConfigError as exc:
        print(f"c360 erase: {exc}", file=sys.stderr)
        return 2
    except (ErasureError, WarehouseBusy) as exc:
        print(f"c360 erase: {exc}", file=sys.stderr)
        return 1
    return 0
