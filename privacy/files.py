"""The person's traces outside the warehouse's tables: published marts, Parquet versions, reports, logs, dlt's
copies of loaded packages; and the warehouse file's own free blocks.

* The published DuckDB file is rebuilt without the person under a temporary name and moved into place with
  ``os.replace``, like a publication (readers keep the old inode until they reopen).
* Every kept Parquet version (``<parquet dir>/versions/*``, the last ``keep_versions`` publications; see the
  README) gets each file rewritten without the person's rows, file by file (temporary file + ``os.replace``);
  so do the segment exports (``C360_EXPORTS_DIR``: Parquet, and CSV line by line).
* Text files under the quality folder (steward pages, Data Docs, GX results) and Dagster's run logs: each of the
  person's emails and phones, in whatever form written, becomes ``[erased]``.
* dlt keeps a copy of every loaded package (``<warehouse>.dlt/<pipeline>/load/loaded/*/completed_jobs``): removed.
  Pending packages (a run that failed before its load) were extracted before the tombstones: dropped, the next run
  extracts again through the load filter.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from c360 import settings
from privacy.identifiers import EMAIL_RE, PHONE_RE, canonical_email, digest, phone_key
from privacy.matching import Matcher, model_key_kind

ERASED = "[erased]"


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compact(warehouse: Path) -> None:
    """Rewrites ``warehouse`` into a fresh file (``COPY FROM DATABASE``) and moves it into place: DuckDB reuses
    the blocks of deleted rows but does not wipe them, so without this the erased values stay readable in the
    file's bytes. Runs under the writer lock, with no connection open."""
    tmp = warehouse.with_name(f".{warehouse.name}.erase.tmp")
    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach {_lit(warehouse)} as old")
        con.execute(f"attach {_lit(tmp)} as new")
        con.execute("copy from database old to new")
        con.execute("checkpoint new")
        con.execute("detach new")
        con.execute("detach old")
    finally:
        con.close()
    os.replace(tmp, warehouse)
    warehouse.with_name(warehouse.name + ".wal").unlink(missing_ok=True)


def _model_where(con, catalog: str, schema: str, table: str, matcher: Matcher) -> tuple[str, list]:
    parts, params = [], []
    cols = con.execute("select column_name, data_type from information_schema.columns where table_catalog = ? "
                       "and table_schema = ? and table_name = ?", [catalog, schema, table]).fetchall()
    for column, dtype in cols:
        col = _q(column)
        kind = model_key_kind(column)
        values = []
        if kind or dtype.upper() in ("VARCHAR", "JSON"):
            for (v,) in con.execute(f"select distinct {col}::varchar from {_q(catalog)}.{_q(schema)}.{_q(table)} "
                                    f"where {col} is not null").fetchall():
                if (kind and matcher.key_hits(kind, v)) or (dtype.upper() in ("VARCHAR", "JSON") and matcher.text_hits(v)):
                    values.append(v)
        if values:
            parts.append(f"{col}::varchar in ({', '.join('?' for _ in values)})")
            params += values
    return (" or ".join(parts) if parts else "false"), params


def rewrite_published(matcher: Matcher, published: Path, dry_run: bool = False) -> int:
    """Rows of the person in the published DuckDB file; rebuilt without them unless ``dry_run``."""
    from quality.publish import STORAGE_VERSION

    if not published.exists():
        return 0
    tmp = published.with_name(f".{published.name}.erase.tmp")
    con = duckdb.connect()
    removed = 0
    try:
        con.execute(f"attach {_lit(published)} as pub (read_only)")
        if not dry_run:
            for p in (tmp, tmp.with_name(tmp.name + ".wal")):
                p.unlink(missing_ok=True)
            con.execute(f"attach {_lit(tmp)} as new (storage_version '{STORAGE_VERSION}')")
            for (schema,) in con.execute("select schema_name from duckdb_schemas() where database_name = 'pub' "
                                         "and not internal").fetchall():
                con.execute(f"create schema if not exists new.{_q(schema)}")
        tables = con.execute("select schema_name, table_name from duckdb_tables() where database_name = 'pub'").fetchall()
        for schema, table in tables:
            where, params = _model_where(con, "pub", schema, table, matcher)
            removed += con.execute(f"select count(*) from pub.{_q(schema)}.{_q(table)} where {where}", params).fetchone()[0]
            if not dry_run:
                con.execute(f"create table new.{_q(schema)}.{_q(table)} as select * from pub.{_q(schema)}.{_q(table)} "
                            f"where not coalesce({where}, false)", params)
        if not dry_run:
            for (sql,) in con.execute("select sql from duckdb_views() where database_name = 'pub' and not internal").fetchall():
                con.execute("use new")
                con.execute(sql)
                con.execute("use memory")
            con.execute("checkpoint new")
            con.execute("detach new")
    finally:
        con.close()
    if not dry_run:
        os.replace(tmp, published)
    return removed


def rewrite_parquet(matcher: Matcher, paths: list[Path], dry_run: bool = False) -> dict[str, int]:
    """Rows of the person in each Parquet file; each rewritten without them unless ``dry_run``."""
    counts: dict[str, int] = {}
    con = duckdb.connect()
    try:
        for path in paths:
            con.execute(f"create or replace view pq as select * from read_parquet({_lit(path)})")
            where, params = _model_where(con, "memory", "main", "pq", matcher)
            n = con.execute(f"select count(*) from pq where {where}", params).fetchone()[0]
            if n:
                counts[str(path)] = n
            if n and not dry_run:
                tmp = path.with_name(f".{path.name}.erase.tmp")
                con.execute(f"copy (select * from pq where not coalesce({where}, false)) to {_lit(tmp)} "
                            "(format parquet, compression zstd)", params)
                os.replace(tmp, path)
    finally:
        con.close()
    return counts


def rewrite_csv(matcher: Matcher, paths: list[Path], dry_run: bool = False) -> dict[str, int]:
    """Lines of the person (one of their emails, phones or customer ids in a field) removed from CSV files."""
    import csv
    import io

    counts: dict[str, int] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        kept = rows[:1] + [r for r in rows[1:] if not any(
            matcher.text_hits(f) or matcher.key_hits("customer", f) for f in r)]
        if len(kept) < len(rows):
            counts[str(path)] = len(rows) - len(kept)
            if not dry_run:
                out = io.StringIO()
                csv.writer(out, lineterminator="\n").writerows(kept)
                tmp = path.with_name(f".{path.name}.erase.tmp")
                tmp.write_text(out.getvalue(), encoding="utf-8")
                os.replace(tmp, path)
    return counts


def scrub_text(text: str, matcher: Matcher) -> tuple[str, int]:
    """``text`` with the person's emails and phones replaced by ``[erased]``; and how many were replaced."""
    count = 0

    def email(m):
        nonlocal count
        e = canonical_email(m.group(0))
        if e and digest(matcher.salt, "email", e) in matcher.digests:
            count += 1
            return ERASED
        return m.group(0)

    def phone(m):
        nonlocal count
        k = phone_key(m.group(0))
        if k and digest(matcher.salt, "phone", k) in matcher.digests:
            count += 1
            return ERASED
        return m.group(0)

    text = EMAIL_RE.sub(email, text) if "@" in text else text
    return PHONE_RE.sub(phone, text), count


def scrub_folder(matcher: Matcher, folder: Path, dry_run: bool = False) -> dict[str, int]:
    """Replaces the person's emails and phones in every text file under ``folder``."""
    counts: dict[str, int] = {}
    if not folder.is_dir():
        return counts
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # images, fonts, databases: not text the reports write
        new, n = scrub_text(text, matcher)
        if n:
            counts[str(path)] = n
            if not dry_run:
                tmp = path.with_name(f".{path.name}.erase.tmp")
                tmp.write_text(new, encoding="utf-8")
                os.replace(tmp, path)
    return counts


def drop_dlt_copies(warehouse: Path, dry_run: bool = False) -> dict[str, int]:
    """Removes dlt's kept copies of loaded packages and drops pending packages of every c360 pipeline."""
    counts: dict[str, int] = {}
    root = warehouse.with_name(warehouse.name + ".dlt")
    if not root.is_dir():
        return counts
    for jobs in sorted(root.glob("*/load/loaded/*/completed_jobs")):
        files = [p for p in jobs.iterdir() if p.is_file()]
        if files:
            counts[str(jobs.relative_to(root))] = len(files)
            if not dry_run:
                for p in files:
                    p.unlink()
    if not dry_run:
        import dlt

        for pipeline_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            try:
                dlt.attach(pipeline_name=pipeline_dir.name, pipelines_dir=str(root)).abort_packages()
            except Exception:  # not a pipeline folder, or nothing pending: nothing to drop
                continue
    return counts


def _targets(warehouse: Path) -> tuple[Path, Path, Path, list[Path]]:
    folders = [settings.quality_dir(), settings.dagster_home() / "logs"]
    return settings.published_path(), settings.published_parquet_dir(), settings.exports_dir(), folders


def scan(matcher: Matcher, warehouse: Path) -> dict[str, int]:
    """What :func:`erase_files` would change (rows or replacements per file)."""
    return erase_files(matcher, warehouse, dry_run=True)


def erase_files(matcher: Matcher, warehouse: Path, dry_run: bool = False) -> dict[str, int]:
    published, parquet_dir, exports, folders = _targets(warehouse)
    counts: dict[str, int] = {}
    n = rewrite_published(matcher, published, dry_run)
    if n:
        counts[str(published)] = n
    versions = sorted((parquet_dir / "versions").glob("*/*.parquet")) if parquet_dir.is_dir() else []
    counts.update(rewrite_parquet(matcher, versions, dry_run))
    # segment exports (`c360 export segment`): files handed to other tools, still c360's to clean
    if exports.is_dir():
        counts.update(rewrite_parquet(matcher, sorted(exports.rglob("*.parquet")), dry_run))
        counts.update(rewrite_csv(matcher, sorted(exports.rglob("*.csv")), dry_run))
    for folder in folders:
        counts.update(scrub_folder(matcher, folder, dry_run))
    counts.update({f"dlt:{k}": v for k, v in drop_dlt_copies(warehouse, dry_run).items()})
    return counts
