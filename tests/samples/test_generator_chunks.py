"""The generator's writers hold a bounded chunk of rows: the chunk size changes memory, never the sample.

A 7-row chunk flushes the sales rows hundreds of times per batch, so rows broken after their chunk went to
disk (malformed orders and items) are read back and rewritten; the result must equal one flush per batch.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from pathlib import Path

from samples.generator import generate
from samples.generator.run import write_state
from samplekit import REFERENCE_DATE

CUSTOMERS = 150
SEED = 11


def sales_tables(path: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("select name from sqlite_master where type = 'table' order by name")]
        return {t: con.execute(f"select * from {t} order by rowid").fetchall() for t in names}
    finally:
        con.close()


def other_files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "sales.sqlite"}


def test_a_tiny_chunk_writes_the_same_sample_as_one_flush(tmp_path):
    one, tiny = tmp_path / "one", tmp_path / "tiny"
    entries = []
    for increment in (False, True):
        generate(one, CUSTOMERS, SEED, reference_date=REFERENCE_DATE, increment=increment, chunk_rows=10**9)
        entries.append(generate(tiny, CUSTOMERS, SEED, reference_date=REFERENCE_DATE, increment=increment,
                                chunk_rows=7))
        tables = sales_tables(tiny / "sales.sqlite")
        assert sales_tables(one / "sales.sqlite") == tables
        assert other_files(one) == other_files(tiny)
    # the rows broken after their chunk went to disk carry the break: exactly the manifest's malformed counts
    assert len(tables["orders"]) > 20 * 7
    malformed = [e["tables"] for e in entries]
    no_customer = [o for o in tables["orders"] if o[1] is None]  # customer_id
    assert len(no_customer) == sum(m["sales.orders"]["malformed"].get("missing_key", 0) for m in malformed) >= 2
    negative = [i for i in tables["order_items"] if i[3] < 0]  # quantity
    assert len(negative) == sum(m["sales.order_items"]["malformed"].get("invalid_value", 0) for m in malformed) >= 2


def test_the_state_file_is_written_in_slices_with_the_bytes_of_one_compress(tmp_path):
    # lists and dicts longer than the slice, nested values, non-ASCII text, an int key (JSON makes it a string)
    state = {"persons": [{"pid": f"p{i}", "name": "Zoë", "tags": [i, None, True]} for i in range(10)],
             "tickets": {str(i): {"life": {"solve": i * 1.5}} for i in range(7)}, "ids": {1: 2}, "empty": [],
             "few": [1, 2], "source_id": "ABC"}
    write_state(tmp_path / "state.gz", state, chunk=3)
    expected = gzip.compress(json.dumps(state, separators=(",", ":")).encode(), mtime=0)
    assert (tmp_path / "state.gz").read_bytes() == expected
