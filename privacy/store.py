"""What erasure keeps in the warehouse (schema ``privacy``): the salt, the tombstones and the audit trail.

* ``privacy.salt`` — one row: the salt of every tombstone hash, generated (``secrets.token_hex``) on first use
  when ``C360_PRIVACY_SALT`` is unset, else a fingerprint of the configured one so that a changed salt fails
  fast instead of silently disarming every tombstone. A configured salt is never written to the warehouse.
* ``privacy.tombstones`` — ``kind`` (email, phone, record), ``digest`` (sha256 of salt + kind + normalized
  value, never the value), the erasure that wrote it and when. Loads drop any record whose identifiers hash to
  a tombstone (:mod:`privacy.load_filter`).
* ``privacy.erasures`` — one audit row per erasure: what was asked (the kind of identifier and its digest, not
  the value), when it started and finished, the customers it resolved to, and ``rows_removed`` (JSON: table ->
  rows) — plus ``privacy.erasure_counts`` with the same counts as rows, for SQL.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Iterable

import duckdb

from c360 import settings

SCHEMA = "privacy"

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.salt (salt varchar, fingerprint varchar not null, created_at timestamptz not null);
create table if not exists {SCHEMA}.tombstones (
    kind varchar not null, digest varchar not null, erasure_id varchar not null, created_at timestamptz not null);
create table if not exists {SCHEMA}.erasures (
    erasure_id varchar not null, requested_kind varchar not null, requested_digest varchar not null,
    started_at timestamptz not null, finished_at timestamptz, customer_ids varchar[], source_records integer,
    rows_removed json, files_changed json);
create table if not exists {SCHEMA}.erasure_counts (
    erasure_id varchar not null, location varchar not null, table_name varchar not null, rows_removed bigint not null);
"""


def _fingerprint(salt: str) -> str:
    return hashlib.sha256(("c360-salt\x00" + salt).encode()).hexdigest()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def salt(con: duckdb.DuckDBPyConnection, create: bool = True) -> str | None:
    """The salt of the tombstone hashes: ``C360_PRIVACY_SALT`` if set, else the one generated into the warehouse.

    ``create=False`` (readers): None when there is none yet. Raises :class:`settings.ConfigError` when the
    configured salt is not the one the existing tombstones were written with.
    """
    configured = settings.privacy_salt()
    has_table = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'salt'", [SCHEMA]
    ).fetchone()[0]
    row = con.execute(f"select salt, fingerprint from {SCHEMA}.salt limit 1").fetchone() if has_table else None
    if row is not None:
        stored, fingerprint = row
        if configured is not None and _fingerprint(configured) != fingerprint:
            raise settings.ConfigError(
                "C360_PRIVACY_SALT differs from the salt the warehouse's tombstones were written with: "
                "restore the earlier value (or unset it if the warehouse generated its own)")
        if configured is None and stored is None:
            raise settings.ConfigError(
                "the warehouse's tombstones were written with C360_PRIVACY_SALT, which is now unset: set it again")
        return configured if configured is not None else stored
    if not create:
        return configured
    ensure_schema(con)
    value = configured if configured is not None else secrets.token_hex(32)
    con.execute(f"insert into {SCHEMA}.salt values (?, ?, now())",
                [None if configured is not None else value, _fingerprint(value)])
    return value


def add_tombstones(con: duckdb.DuckDBPyConnection, erasure_id: str, digests: Iterable[tuple[str, str]]) -> int:
    """Records ``(digest, kind)`` pairs not recorded yet; returns how many were new."""
    ensure_schema(con)
    existing = {r[0] for r in con.execute(f"select digest from {SCHEMA}.tombstones").fetchall()}
    new = sorted({(k, d) for d, k in digests if d not in existing})
    if new:
        con.executemany(f"insert into {SCHEMA}.tombstones values (?, ?, ?, now())",
                        [[k, d, erasure_id] for k, d in new])
    return len(new)


def tombstone_digests(con: duckdb.DuckDBPyConnection) -> tuple[str | None, frozenset[str]]:
    """(salt, digests) of every tombstone; (None, empty) when nothing was ever erased."""
    has = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'tombstones'",
        [SCHEMA]).fetchone()[0]
    if not has:
        return None, frozenset()
    digests = frozenset(r[0] for r in con.execute(f"select digest from {SCHEMA}.tombstones").fetchall())
    if not digests:
        return None, frozenset()
    return salt(con, create=False), digests
