"""Least exposure for the published marts: email, phone, address and birth date columns kept, hashed or dropped.

``C360_PUBLISHED_MASK_<KIND>`` (keep | hash | drop, default keep) decides per kind of personal data, for every
consumer of the published DuckDB file and Parquet versions; the warehouse keeps the full form for the pipeline
and for whoever is given access to it. A hashed value is ``sha256(salt || lower(trim(value)))`` in hex, with the
warehouse's privacy salt (:mod:`privacy.store`): the same person has the same hash in every mart and every
publication, so consumers can still join and count distinct people, but cannot read or look up a value.

Columns are recognised by name (see :data:`KINDS`); counts such as ``emails_complained`` are numbers, not
personal data, and are never masked (only text and date columns are). An email can also sit in a column that is
not an email column (``identity_map.source_record_id`` of the email source): any text value shaped like an email
is masked like the email columns.
"""

from __future__ import annotations

import re

import duckdb

from c360 import settings

KINDS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"(^|_)e?mail(_address)?$|^email", re.I),
    "phone": re.compile(r"phone|mobile", re.I),
    "address": re.compile(r"street|address(_line)?|postal_code|postcode|zip(_code)?", re.I),
    "birth_date": re.compile(r"birth|birthday|dob$", re.I),
}
MASKABLE_TYPES = ("VARCHAR", "DATE", "TIMESTAMP", "JSON")


def kind_of(column: str, data_type: str) -> str | None:
    if not data_type.upper().startswith(MASKABLE_TYPES):
        return None
    for kind, pattern in KINDS.items():
        if pattern.search(column):
            return kind
    return None


def needs_salt(masking: dict[str, str] | None = None) -> bool:
    return "hash" in (masking or settings.published_masking()).values()


def ensure_salt(warehouse) -> None:
    """Creates the warehouse's privacy salt if hashing is configured and there is none yet (one short write)."""
    from privacy import store

    if not needs_salt() or settings.privacy_salt() is not None:
        return
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if store.salt(con, create=False) is not None:
            return
    with duckdb.connect(str(warehouse)) as con:
        store.salt(con, create=True)


def projection(con: duckdb.DuckDBPyConnection, columns: list[tuple[str, str]], catalog: str = "wh") -> str:
    """The select list of a published mart with ``columns`` (name, type) under the masking settings.

    Sets the DuckDB variable ``c360_privacy_salt`` on ``con`` when a column is hashed (the salt is read from the
    attached warehouse ``catalog`` or C360_PRIVACY_SALT; it never appears in the SQL text).
    """
    masking = settings.published_masking()
    out = []
    for name, dtype in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        kind = kind_of(name, dtype)
        mode = masking.get(kind or "", "keep")
        if mode == "drop":
            continue
        if mode == "hash":
            _set_salt(con, catalog)
            out.append(f"case when {quoted} is null then null else {_hash(quoted)} end as {quoted}")
        elif kind is None and dtype.upper() == "VARCHAR" and masking["email"] != "keep":
            # an email in a column that is not an email column: identity_map.source_record_id of the email source,
            # customer_interactions.identity_record_id. Masked like the email columns (hash: the same hash).
            masked = _hash(quoted) if masking["email"] == "hash" else "null"
            if masking["email"] == "hash":
                _set_salt(con, catalog)
            out.append(f"case when regexp_full_match({quoted}, '{EMAIL_SHAPE}') then {masked} else {quoted} end "
                       f"as {quoted}")
        else:
            out.append(quoted)
    return ", ".join(out)


EMAIL_SHAPE = r"\s*[^@\s]+@[^@\s]+\.[^@\s.]+\s*"


def _hash(quoted: str) -> str:
    return f"sha256(getvariable('c360_privacy_salt') || lower(trim({quoted}::varchar)))"


def _set_salt(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    salt = settings.privacy_salt()
    if salt is None:
        row = None
        try:
            row = con.execute(f"select salt from {catalog}.privacy.salt limit 1").fetchone()
        except duckdb.CatalogException:
            pass
        if row is None or row[0] is None:
            raise settings.ConfigError("hashing published columns needs a salt: set C360_PRIVACY_SALT "
                                       "(or publish once with the warehouse writable so it can generate one)")
        salt = row[0]
    con.execute("set variable c360_privacy_salt = ?", [salt])
