"""``c360 export segment``: the customers of a segment (or of any SQL filter over the marts) as files an email
tool imports, minus everyone who must not be emailed, and a record of each export in the warehouse.

Read side: the published marts (``C360_PUBLISHED``, what downstream tools read; the warehouse with
``--warehouse-source``), opened read-only. The audience is one flat row per customer: ``customer_360`` with
the columns of ``customer_segments`` and ``channel_preference`` it lacks, so ``--where`` can name any of them
(``segment = 'Loyal' and value_tier = 'platinum'``).

Left out, each counted under the first reason that applies:

* ``no_email``: no email address to write to;
* ``unsubscribed``: a global unsubscribe (SendGrid ``unsubscribe`` event; group unsubscribes only close
  their group and do not count);
* ``complained``: a spam report (``spamreport``);
* ``bounced``: an address of the customer SendGrid reported undeliverable (hard bounce with no delivery
  after it) — the customer's golden address may be that one, so the customer is left out altogether;
* ``not_contactable``: ``channel_preference.is_email_contactable`` is false for another reason.

Write side: ``<exports dir>/<segment>-<time>-<id>.sendgrid.csv`` (:mod:`activation.sendgrid`), ``.csv``
(every audience column) and ``.parquet``, each written to a temporary name and renamed, then one row in
``activation.exports`` of the warehouse (opened read-write only for that insert).
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from activation.sendgrid import COLUMNS as SENDGRID_COLUMNS

FORMATS = ("sendgrid", "csv", "parquet")
#: reason -> SQL condition over an audience row; the first reason that applies is the one counted.
EXCLUSIONS: dict[str, str] = {
    "no_email": "email is null or trim(email) = ''",
    "unsubscribed": "coalesce(emails_unsubscribed, 0) > 0",
    "complained": "coalesce(emails_complained, 0) > 0",
    "bounced": "coalesce(email_addresses_undeliverable, 0) > 0",
    "not_contactable": "not coalesce(is_email_contactable, false)",
}
#: The marts the audience is made of, joined on customer_id (the first one is the base: every customer).
MARTS = ("customer_360", "customer_segments", "channel_preference")
RECORD_TABLE = "activation.exports"
RECORD_COLUMNS = {
    "export_id": "varchar primary key", "segment": "varchar", "filter": "varchar", "row_count": "bigint",
    "audience_count": "bigint", "excluded_no_email": "bigint", "excluded_unsubscribed": "bigint",
    "excluded_complained": "bigint", "excluded_bounced": "bigint", "excluded_not_contactable": "bigint",
    "formats": "varchar", "sendgrid_file": "varchar", "csv_file": "varchar", "parquet_file": "varchar",
    "source": "varchar", "publication_run_id": "varchar", "exported_at": "timestamptz",
}


class ExportError(ValueError):
    """The export cannot run as asked (unknown segment, bad filter, missing marts); the message says why."""


@dataclass
class ExportResult:
    export_id: str
    segment: str | None
    filter: str | None
    row_count: int
    audience_count: int
    excluded: dict[str, int]
    files: dict[str, Path] = field(default_factory=dict)
    exported_at: datetime | None = None
    publication_run_id: str | None = None


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
        "order by ordinal_position", [table]).fetchall()]


def audience_sql(con) -> str:
    """One row per customer: customer_360 plus the columns of the other marts it does not have."""
    seen: list[str] = []
    parts, joins = [], []
    for i, mart in enumerate(MARTS):
        cols = _columns(con, mart)
        if not cols:
            raise ExportError(f"the marts have no table marts.{mart}: build and publish the marts first "
                              f"(`c360 run`), or read the warehouse with --warehouse-source")
        new = [c for c in cols if c not in seen and not c.startswith("_dlt")]
        seen += new
        alias = f"m{i}"
        parts += [f'{alias}."{c}"' for c in new]
        if i:
            joins.append(f"left join marts.{mart} as {alias} on {alias}.customer_id = m0.customer_id")
    return f"select {', '.join(parts)} from marts.{MARTS[0]} as m0 {' '.join(joins)}"


def _segments(con, audience: str) -> list[tuple[str, int]]:
    return con.execute(f"select segment, count(*) from ({audience}) where segment is not null "
                       f"group by segment order by segment").fetchall()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "export"


def _copy(con, sql: str, path: Path, options: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        con.execute(f"copy ({sql}) to '{str(tmp).replace(chr(39), chr(39) * 2)}' ({options})")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def export_segment(
    segment: str | None = None,
    *,
    where: str | None = None,
    source: Path | None = None,
    warehouse: Path | None = None,
    out_dir: Path | None = None,
    formats: tuple[str, ...] = FORMATS,
) -> ExportResult:
    """Export the emailable customers of ``segment`` (customer_segments.segment, case-insensitive) and/or of the
    SQL filter ``where``; returns what was written. ``source`` defaults to the published marts, ``warehouse``
    (where the export is recorded) to C360_WAREHOUSE, ``out_dir`` to C360_EXPORTS_DIR."""
    from c360 import settings

    if not segment and not where:
        raise ExportError("name a segment or give --where (a SQL filter over the marts)")
    if where and ";" in where:
        raise ExportError("--where takes one SQL condition, without ';'")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ExportError(f"unknown format(s) {', '.join(unknown) or '(none)'}: choose from {', '.join(FORMATS)}")
    source = Path(source or settings.published_path())
    warehouse = Path(warehouse or settings.warehouse_path())
    out_dir = Path(out_dir or settings.exports_dir())
    if not source.exists():
        raise ExportError(f"{source} does not exist: publish the marts first (`c360 run`), or read the warehouse "
                          f"with --warehouse-source")

    con = duckdb.connect(str(source), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        audience = audience_sql(con)
        conditions = []
        if segment:
            names = {name.lower(): name for name, _ in _segments(con, audience)}
            if segment.lower() not in names:
                listing = ", ".join(f"{n} ({c})" for n, c in _segments(con, audience)) or "none"
                raise ExportError(f"no customer is in segment {segment!r}; segments: {listing}")
            segment = names[segment.lower()]
            conditions.append("segment = " + "'" + segment.replace("'", "''") + "'")
        if where:
            conditions.append(f"({where})")
        selected = f"select * from ({audience}) where {' and '.join(conditions)}"
        reason = "case " + " ".join(f"when {cond} then '{name}'" for name, cond in EXCLUSIONS.items()) + " end"
        try:
            counts = dict(con.execute(f"select coalesce({reason}, 'kept'), count(*) from ({selected}) group by 1")
                          .fetchall())
        except duckdb.Error as exc:
            raise ExportError(f"--where is not a valid filter over the marts: {str(exc).splitlines()[0]}") from None
        kept = f"select * from ({selected}) where ({reason}) is null order by customer_id"
        export_id = uuid.uuid4().hex
        exported_at = datetime.now(timezone.utc)
        stem = f"{_slug(segment or 'filter')}-{exported_at:%Y%m%dT%H%M%SZ}-{export_id[:8]}"
        out_dir.mkdir(parents=True, exist_ok=True)
        files: dict[str, Path] = {}
        if "sendgrid" in formats:
            columns = ", ".join(f'{expr} as "{name}"' for name, expr in SENDGRID_COLUMNS.items())
            files["sendgrid"] = out_dir / f"{stem}.sendgrid.csv"
            _copy(con, f"select {columns} from ({kept})", files["sendgrid"], "format csv, header")
        if "csv" in formats:
            files["csv"] = out_dir / f"{stem}.csv"
            _copy(con, kept, files["csv"], "format csv, header")
        if "parquet" in formats:
            files["parquet"] = out_dir / f"{stem}.parquet"
            _copy(con, kept, files["parquet"], "format parquet")
        publication = None
        if con.execute("select count(*) from information_schema.tables where table_name = '_publication'").fetchall()[0][0]:
            publication = con.execute("select run_id from _publication order by published_at desc limit 1").fetchall()
            publication = publication[0][0] if publication else None
    finally:
        con.close()

    result = ExportResult(
        export_id=export_id, segment=segment, filter=where, row_count=counts.get("kept", 0),
        audience_count=sum(counts.values()), excluded={name: counts.get(name, 0) for name in EXCLUSIONS},
        files=files, exported_at=exported_at, publication_run_id=publication)
    record(result, warehouse, source)
    return result


def record(result: ExportResult, warehouse: Path, source: Path) -> None:
    """One row in activation.exports of the warehouse (created on first use)."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create schema if not exists activation")
        con.execute(f"create table if not exists {RECORD_TABLE} "
                    f"({', '.join(f'{n} {t}' for n, t in RECORD_COLUMNS.items())})")
        row = {
            "export_id": result.export_id, "segment": result.segment, "filter": result.filter,
            "row_count": result.row_count, "audience_count": result.audience_count,
            **{f"excluded_{name}": n for name, n in result.excluded.items()},
            "formats": ",".join(result.files),
            **{f"{fmt}_file": str(result.files[fmt]) if fmt in result.files else None for fmt in FORMATS},
            "source": str(source), "publication_run_id": result.publication_run_id,
            "exported_at": result.exported_at,
        }
        con.execute(f"insert into {RECORD_TABLE} ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
                    list(row.values()))
    finally:
        con.close()


def cli_export(args) -> int:
    """`c360 export segment`: prints what was written, one line per file; exit 2 on a usage error."""
    import sys

    from c360 import settings

    try:
        result = export_segment(
            args.name, where=args.where,
            source=Path(args.source) if args.source else (settings.warehouse_path() if args.warehouse_source else None),
            warehouse=Path(args.warehouse) if args.warehouse else None,
            out_dir=Path(args.out) if args.out else None, formats=tuple(args.format or FORMATS))
    except ExportError as exc:
        print(f"c360 export segment: {exc}", file=sys.stderr)
        return 2
    left_out = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in result.excluded.items() if n) or "nobody"
    print(f"exported {result.row_count} of {result.audience_count} customers "
          f"({result.segment or 'filter'}{' where ' + result.filter if result.filter else ''}); left out: {left_out}")
    for fmt, path in result.files.items():
        print(f"  {fmt:<8} {path}")
    print(f"  recorded in {RECORD_TABLE} (export_id {result.export_id})")
    return 0
