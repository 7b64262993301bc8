"""Write-audit-publish: the marts reach downstream tools only after they passed every critical expectation.

* **Write** — dbt builds the marts in the warehouse (schema ``marts``). Downstream tools never read the
  warehouse.
* **Audit** — :mod:`quality.suites` validates raw, identity and marts layers and records the outcomes in
  ``quality.validation_results``.
* **Publish** — :func:`publish` refuses while any critical expectation of the run failed (or the marts were
  not validated at all); otherwise it copies the marts into

  - a new DuckDB file (storage format :data:`STORAGE_VERSION`, readable by DuckDB 1.x and 2.x, without the
    loader's internal columns) built under a temporary name next to ``published_path()`` and moved into place with
    ``os.replace`` (atomic rename on POSIX). A reader that has the old file open keeps reading the old
    inode, undisturbed; a reader that opens the path gets either the old or the new publication, never a
    mixture, and nobody waits on a lock;
  - a new, complete version folder of Parquet files (one per mart) under ``<parquet_dir>/versions/``,
    after which the symlink ``<parquet_dir>/current`` is swapped atomically (new link + ``os.replace``).
    A set of files cannot be replaced atomically one by one (a reader could pair a new ``customer_360``
    with an old ``identity_map``); switching one link to a complete folder can. Readers should resolve
    ``current`` once (``os.path.realpath``) and read every file of their job through that folder. The
    last ``keep_versions`` folders are kept so that readers of a superseded version finish undisturbed.

Every publication is recorded in the published file's ``main._publication`` table (run_id, published_at,
table_name, row_count, parquet_file, fingerprint, data_run_id), carrying the history of earlier publications
forward. Only marts whose content changed are written (their fingerprint differs from the one recorded): the
new file starts as a copy of the current one and the Parquet files of unchanged marts are hard-linked, so a run
after a small increment does not copy every mart again.
"""

from __future__ import annotations

import logging
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from privacy import masking
from quality.model import ExpectationOutcome, PublicationResult
from quality.sql import q

log = logging.getLogger(__name__)

PUBLICATION_TABLE = "_publication"
MARTS_SCHEMA = "marts"
#: Storage format of the published DuckDB file, chosen for its readers rather than left to the writer's
#: default: DuckDB 2.x writes its own v2 format, which DuckDB 1.x (embedded in most BI drivers and
#: notebooks today) refuses to open. Every DuckDB since 0.10 / 1.0 reads v1.0.0, and 2.x reads it too.
#: Raise it only when the oldest client downstream reads the newer format
#: (https://duckdb.org/docs/stable/internals/storage).
STORAGE_VERSION = "v1.0.0"
#: Columns of the loader (dlt's load and row ids) stay in the warehouse, where incremental models use them as
#: cursors; downstream tools have no use for them, so the published marts leave them out.
INTERNAL_COLUMN_PREFIXES = ("_dlt_",)


def _defaults(published_path: Path | None, parquet_dir: Path | None) -> tuple[Path, Path]:
    from c360 import settings

    return (Path(published_path or settings.published_path()).resolve(),
            Path(parquet_dir or settings.published_parquet_dir()).resolve())


def blocking_reasons(outcomes: list[ExpectationOutcome], require_layers: tuple[str, ...]) -> tuple[str | None, list[ExpectationOutcome]]:
    """Why a run may not be published (None when it may), and the failed critical expectations."""
    if not outcomes:
        return "no validation results recorded for this run: run `c360 quality` first", []
    missing = [layer for layer in require_layers if layer not in {o.layer for o in outcomes}]
    if missing:
        return f"the {', '.join(missing)} layer(s) were not validated in this run", []
    blocking = [o for o in outcomes if o.is_blocking]
    if blocking:
        listed = "; ".join(f"{o.suite}: {o.description}" for o in blocking[:5])
        more = f" (and {len(blocking) - 5} more)" if len(blocking) > 5 else ""
        return f"{len(blocking)} critical expectation(s) failed: {listed}{more}", blocking
    return None, []


def publish(
    warehouse: Path,
    run_id: str,
    *,
    outcomes: list[ExpectationOutcome] | None = None,
    published_path: Path | None = None,
    parquet_dir: Path | None = None,
    require_layers: tuple[str, ...] = ("marts",),
    keep_versions: int = 3,
    require_own_build: bool = False,
) -> PublicationResult:
    """Publish the warehouse's marts if run ``run_id`` passed every critical expectation.

    ``outcomes`` defaults to the run's rows in quality.validation_results. Never raises for a refusal: the
    result says whether it published and why not; the previous publication stays.

    ``require_own_build`` (the Dagster job): publish only if the last dbt build started in the warehouse
    (:func:`record_build`) is this run's. A run's checks come after its build, so when no other build
    started since, everything this run checked is what it publishes; otherwise another run rebuilt the
    marts in between and publishes them itself, after checking them.
    """
    from quality.results import load_results

    warehouse = Path(warehouse).resolve()
    published_path, parquet_dir = _defaults(published_path, parquet_dir)
    result = PublicationResult(run_id=run_id, published=False, reason="", published_path=published_path,
                               parquet_dir=parquet_dir)
    if outcomes is None:
        outcomes = load_results(warehouse, run_id)
    reason, blocking = blocking_reasons(outcomes, require_layers)
    if not reason and require_own_build:
        builder = last_build(warehouse)
        if builder != run_id:
            reason = (f"the marts were rebuilt by run {builder} after this run's checks began"
                      if builder else "no dbt build of this run is recorded in the warehouse")
    if reason:
        result.reason = f"{reason}; the last good publication stays in place"
        result.blocking = blocking
        return _refused(result)

    published_path.parent.mkdir(parents=True, exist_ok=True)
    (parquet_dir / "versions").mkdir(parents=True, exist_ok=True)
    # Publications run one at a time (the run lock), so whatever temporary file is here now was left by a
    # publication that was killed: remove it before it piles up (a .tmp DuckDB file + WAL can be many MB).
    clean_leftovers(published_path, parquet_dir)
    masking.ensure_salt(warehouse)
    stamp = datetime.now(timezone.utc)
    version_name = f"{stamp.strftime('%Y%m%dT%H%M%S%fZ')}-{run_id}"
    tmp_db = published_path.with_name(f".{published_path.name}.{version_name}.tmp")
    tmp_version = parquet_dir / "versions" / f".{version_name}.tmp"
    version = parquet_dir / "versions" / version_name
    try:
        counts, rewritten = _build(warehouse, run_id, stamp, published_path, tmp_db, tmp_version, version)
        _seal(tmp_db)
        os.replace(tmp_version, version)
        # A WAL beside the published file would be replayed by every reader that opens the new file: a WAL
        # of another file (left by someone who opened the published file read-write) fails the reader's open
        # with "Failed to deserialize" errors. The published file never has a WAL of its own.
        published_path.with_name(published_path.name + ".wal").unlink(missing_ok=True)
        # Commit point: two renames. Until here nothing downstream tools read has changed.
        os.replace(tmp_db, published_path)
        link_tmp = parquet_dir / f".current.{version_name}.tmp"
        os.symlink(os.path.relpath(version, parquet_dir), link_tmp)
        os.replace(link_tmp, parquet_dir / "current")
    except (duckdb.Error, OSError) as exc:
        _remove(tmp_db, tmp_version, version if not _is_current(parquet_dir, version) else None)
        result.reason = (f"copying the marts failed ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0]}); the last good publication stays in place")
        return _refused(result)

    _prune(parquet_dir, keep_versions)
    result.published = True
    result.published_at = stamp
    result.parquet_version = version
    result.row_counts = counts
    result.rewritten = rewritten
    result.reason = (f"published {len(counts)} marts ({sum(counts.values()):,} rows; {len(rewritten)} changed and "
                     f"rewritten, {len(counts) - len(rewritten)} unchanged and kept) from run {run_id} "
                     f"to {published_path} and {parquet_dir / 'current'}")
    return result


def _build(warehouse: Path, run_id: str, stamp: datetime, published_path: Path, tmp_db: Path,
           tmp_version: Path, version: Path) -> tuple[dict[str, int], list[str]]:
    """Writes the new publication under its temporary names; returns the row counts and the marts rewritten.

    Only marts whose content changed are written: each mart's fingerprint (:func:`_fingerprint`) is compared
    with the one the current publication recorded. When some are unchanged, the new file starts as a byte copy
    of the current one (a file copy, no re-encoding), changed marts are replaced in it, and each unchanged
    mart's Parquet file is hard-linked into the new version folder. The new file is still complete before it is
    moved into place, so readers keep seeing whole publications.
    """
    from c360.settings import duckdb_config

    _remove(tmp_db, tmp_version)
    tmp_version.mkdir(parents=True)
    # the memory limit of dbt and the checks, spilling beyond it (C360_DUCKDB_MEMORY_LIMIT / _TEMP_DIR): an
    # in-memory connection has nowhere to spill by default. A table has no row order for its readers, so the
    # copies need not keep the warehouse's: both cores write them (the three largest marts at 100k customers:
    # 17.2 -> 14.2 s)
    con = duckdb.connect(config={**duckdb_config(), "preserve_insertion_order": "false"})
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach {_lit(warehouse)} as wh (read_only)")
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'wh' and table_schema = ? "
            "order by table_name", [MARTS_SCHEMA]).fetchall()]
        if not tables:
            raise duckdb.CatalogException(f"the warehouse has no tables in schema {MARTS_SCHEMA}")
        selects, fingerprints = {}, {}
        for table in tables:
            columns = [(name, dtype) for name, dtype in con.execute(
                "select column_name, data_type from information_schema.columns where table_catalog = 'wh' "
                "and table_schema = ? and table_name = ? order by ordinal_position", [MARTS_SCHEMA, table]).fetchall()
                if not name.startswith(INTERNAL_COLUMN_PREFIXES)]
            # personal data kept, hashed or dropped as C360_PUBLISHED_MASK_* say (privacy/masking.py)
            selects[table] = f"select {masking.projection(con, columns)} from wh.{MARTS_SCHEMA}.{q(table)}"
            fingerprints[table] = _fingerprint(con, selects[table], columns)
        previous = _previous(con, published_path, tables)
        reuse = bool(previous) and any(previous[t]["fingerprint"] == fingerprints[t] for t in tables if t in previous)
        if reuse:
            shutil.copyfile(published_path, tmp_db)  # the current publication, byte for byte (its storage format too)
            con.execute(f"attach {_lit(tmp_db)} as pub")
        else:
            con.execute(f"attach {_lit(tmp_db)} as pub (storage_version '{STORAGE_VERSION}')")
            con.execute(f"create schema pub.{MARTS_SCHEMA}")
        con.execute("use pub")
        counts: dict[str, int] = {}
        rewritten: list[str] = []
        data_runs: dict[str, str] = {}
        kept = {t for t in tables if reuse and t in previous and previous[t]["fingerprint"] == fingerprints[t]}
        if reuse:
            for gone in set(previous) - kept:
                con.execute(f"drop view if exists main.{q(gone)}")
                con.execute(f"drop table if exists {MARTS_SCHEMA}.{q(gone)}")
            con.execute("checkpoint pub")  # frees the dropped marts' blocks for the new ones: the file does not grow
        for table in tables:
            parquet = tmp_version / (table + ".parquet")
            if table in kept:
                before = previous[table]
                counts[table] = before["row_count"]
                data_runs[table] = before["data_run_id"]
                if _link(Path(before["parquet_file"]), parquet):
                    continue
            else:
                con.execute(f"drop table if exists {MARTS_SCHEMA}.{q(table)}")
                con.execute(f"create table {MARTS_SCHEMA}.{q(table)} as {selects[table]}")
                # Downstream tools may query `customer_360` as well as `marts.customer_360`.
                con.execute(f"create or replace view main.{q(table)} as select * from {MARTS_SCHEMA}.{q(table)}")
                counts[table] = con.execute(f"select count(*) from {MARTS_SCHEMA}.{q(table)}").fetchall()[0][0]
                data_runs[table] = run_id
                rewritten.append(table)
            con.execute(f"copy {MARTS_SCHEMA}.{q(table)} to {_lit(parquet)} (format parquet, compression zstd)")
        con.execute("detach wh")
        if not reuse:
            con.execute(f"create table main.{PUBLICATION_TABLE} ({_HISTORY_COLUMNS})")
            _carry_history(con, published_path)
        con.executemany(
            f"insert into main.{PUBLICATION_TABLE} by name select ? as run_id, ? as published_at, ? as table_name, "
            f"? as row_count, ? as parquet_file, ? as fingerprint, ? as data_run_id",
            [[run_id, stamp, table, counts[table], str(version / (table + ".parquet")), fingerprints[table],
              data_runs[table]] for table in tables])
        con.execute("checkpoint pub")  # the file is complete, without a WAL, before it is moved into place
        con.execute("use memory")
        con.execute("detach pub")
    finally:
        con.close()
    return counts, rewritten


#: The publication history: one row per mart per publication. ``fingerprint`` is the mart's content
#: fingerprint (:func:`_fingerprint`); ``data_run_id`` the publication that wrote the rows the file holds (an
#: unchanged mart keeps the rows, and the data_run_id, of an earlier one).
_HISTORY_COLUMNS = """run_id varchar not null, published_at timestamptz not null, table_name varchar not null,
    row_count bigint not null, parquet_file varchar, fingerprint varchar, data_run_id varchar"""


def _fingerprint(con: duckdb.DuckDBPyConnection, select: str, columns: list[tuple[str, str]]) -> str:
    """What a published mart holds, cheaply: its published columns and types, row count and an
    order-independent sum of row hashes, over the rows as published (masking applied). One scan of the
    mart in the warehouse, no write. A different DuckDB version may hash differently: then every mart is
    rewritten once, never wrongly kept."""
    rows, digest = con.execute(f"select count(*), coalesce(sum(hash(p)), 0) from ({select}) as p").fetchone()
    shape = con.execute("select md5(?)", [select + repr(columns) + duckdb.__version__]).fetchone()[0]
    return f"{shape}:{rows}:{digest}"


def _previous(con: duckdb.DuckDBPyConnection, published_path: Path, tables: list[str]) -> dict[str, dict]:
    """Per mart, what the current publication recorded (fingerprint, row count, Parquet file, data run);
    empty when there is no usable one (none yet, an older file without fingerprints, a foreign file)."""
    if not published_path.exists():
        return {}
    try:
        con.execute(f"attach {_lit(published_path)} as prev (read_only)")
    except duckdb.Error as exc:
        log.warning("current publication %s unreadable, rebuilt in full: %s", published_path, exc)
        return {}
    try:
        cols = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = 'prev' and table_schema = 'main' "
            "and table_name = ?", [PUBLICATION_TABLE]).fetchall()}
        if not {"fingerprint", "data_run_id"} <= cols:
            return {}
        present = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'prev' and table_schema = ?",
            [MARTS_SCHEMA]).fetchall()}
        cur = con.execute(f"""
            select table_name, fingerprint, row_count, parquet_file, data_run_id from prev.main.{PUBLICATION_TABLE}
            where published_at = (select max(published_at) from prev.main.{PUBLICATION_TABLE})""")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
        return {r["table_name"]: r for r in rows if r["table_name"] in present and r["fingerprint"]}
    except duckdb.Error as exc:
        log.warning("publication history of %s unreadable, rebuilt in full: %s", published_path, exc)
        return {}
    finally:
        con.execute("detach prev")


def _carry_history(con: duckdb.DuckDBPyConnection, published_path: Path) -> None:
    if not published_path.exists():
        return
    try:
        con.execute(f"attach {_lit(published_path)} as prev (read_only)")
        con.execute(f"insert into main.{PUBLICATION_TABLE} by name select * from prev.main.{PUBLICATION_TABLE}")
    except duckdb.Error as exc:  # an older or foreign file: start a fresh history rather than fail
        log.warning("publication history of %s not carried over: %s", published_path, exc)
    finally:
        if "prev" in {r[0] for r in con.execute("select database_name from duckdb_databases()").fetchall()}:
            con.execute("detach prev")


def _link(source: Path, target: Path) -> bool:
    """Hard-links an unchanged mart's Parquet file into the new version (no rewrite); False when it cannot."""
    try:
        os.link(source, target)
        return True
    except OSError:
        return False


BUILDS_TABLE = "quality.builds"


def record_build(warehouse: Path, run_id: str) -> None:
    """Records that run ``run_id`` starts a dbt build of the warehouse (call it under the writer lock, before
    the build: a build that fails half way has changed the marts too)."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create schema if not exists quality")
        con.execute(f"create table if not exists {BUILDS_TABLE} (run_id varchar not null, started_at timestamptz not null)")
        con.execute(f"insert into {BUILDS_TABLE} values (?, ?)", [run_id, datetime.now(timezone.utc)])
    finally:
        con.close()


def last_build(warehouse: Path) -> str | None:
    """The run whose dbt build started last in the warehouse (None if none is recorded)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        exists = con.execute("select count(*) from information_schema.tables where table_schema = 'quality' "
                             "and table_name = 'builds'").fetchone()[0]
        if not exists:
            return None
        row = con.execute(f"select run_id from {BUILDS_TABLE} order by started_at desc limit 1").fetchone()
        return row[0] if row else None
    finally:
        con.close()


def _seal(tmp_db: Path) -> None:
    """The new file is complete on its own and on disk before it is moved into place.

    After ``checkpoint`` + ``detach`` + ``close`` DuckDB has no WAL for it; if one is there anyway, the
    file alone is not the whole publication, and a reader would see a partial one: refuse. ``fsync`` so a
    crash right after the rename cannot leave a published name pointing at unwritten blocks.
    """
    wal = tmp_db.with_name(tmp_db.name + ".wal")
    if wal.exists():
        raise OSError(f"{tmp_db} still has a write-ahead log after checkpoint and close")
    fd = os.open(tmp_db, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def leftovers(published_path: Path, parquet_dir: Path) -> list[Path]:
    """Temporary files of publications that never finished (killed between build and rename)."""
    found: list[Path] = []
    if published_path.parent.is_dir():
        found += sorted(published_path.parent.glob(f".{published_path.name}.*.tmp"))
        found += sorted(published_path.parent.glob(f".{published_path.name}.*.tmp.wal"))
    if (parquet_dir / "versions").is_dir():
        found += sorted((parquet_dir / "versions").glob(".*.tmp"))
    if parquet_dir.is_dir():
        found += sorted(p for p in parquet_dir.glob(".current.*.tmp") if p.is_symlink() or p.exists())
    return found


def clean_leftovers(published_path: Path | None = None, parquet_dir: Path | None = None) -> list[Path]:
    """Removes :func:`leftovers`; returns what was removed. Call only while no publication runs."""
    published_path, parquet_dir = _defaults(published_path, parquet_dir)
    removed = leftovers(published_path, parquet_dir)
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if removed:
        log.info("removed %d temporary file(s) of an unfinished publication: %s", len(removed),
                 ", ".join(p.name for p in removed))
    return removed


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _is_current(parquet_dir: Path, version: Path) -> bool:
    link = parquet_dir / "current"
    return link.is_symlink() and link.resolve() == version.resolve()


def _remove(*paths: Path | None) -> None:
    for path in paths:
        if path is None:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            for p in (path, path.with_name(path.name + ".wal")):
                p.unlink(missing_ok=True)


def _prune(parquet_dir: Path, keep: int) -> None:
    """Drop all but the newest `keep` complete versions; never the current one."""
    versions = sorted(p for p in (parquet_dir / "versions").iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in versions[:-keep] if keep > 0 else []:
        if not _is_current(parquet_dir, old):
            shutil.rmtree(old, ignore_errors=True)


def _refused(result: PublicationResult) -> PublicationResult:
    log.info(result.reason)
    return result


def current_parquet_dir(parquet_dir: Path | None = None) -> Path:
    """The complete version folder downstream tools should read (``current`` resolved once)."""
    _, parquet_dir = _defaults(None, parquet_dir)
    return (parquet_dir / "current").resolve(strict=True)
