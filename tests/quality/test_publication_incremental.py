"""Publication writes only the marts whose content changed: an unchanged mart keeps the rows (and the Parquet
file, hard-linked) of the publication that wrote it, a changed one is replaced; readers still get whole files."""

from __future__ import annotations

import os

import duckdb

from quality.model import ExpectationOutcome
from quality.publish import publish
from quality_factory import execute


def _passed(run_id):
    """The marts layer of a run that passed (publication needs one; the checks themselves are tested elsewhere)."""
    return [ExpectationOutcome(run_id=run_id, layer="marts", suite="marts", expectation="customer_360.row_count",
                               kind="row_count", table="marts.customer_360", column=None, severity="critical",
                               success=True, observed_value=1.0, unexpected_count=None, element_count=1,
                               threshold="", rule="", description="")]


def _history(path, run_id):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: (data_run, fp, rows) for t, data_run, fp, rows in con.execute(
            "select table_name, data_run_id, fingerprint, row_count from _publication where run_id = ?",
            [run_id]).fetchall()}
    finally:
        con.close()


def _inodes(result):
    return {p.stem: p.stat().st_ino for p in result.parquet_version.glob("*.parquet")}


def test_unchanged_marts_are_not_rewritten_and_a_changed_one_is(site):
    kw = dict(published_path=site.published, parquet_dir=site.parquet_dir, require_layers=())
    # The baseline file copied in by the fixture was written by the baseline run: every mart is unchanged.
    first = publish(site.warehouse, "run-1", outcomes=_passed("run-1"), **kw)
    assert first.published, first.reason
    assert first.rewritten == []
    history = _history(site.published, "run-1")
    assert set(history) == set(first.row_counts) and {d for d, _, _ in history.values()} == {"baseline-run"}

    second = publish(site.warehouse, "run-2", outcomes=_passed("run-2"), **kw)
    assert second.rewritten == []
    assert _inodes(second) == _inodes(first)  # the same files, linked, not written again

    # One changed row in one mart: only that mart is written again, with the new content.
    size = site.published.stat().st_size
    execute(site.warehouse, "update marts.customer_360 set first_name = 'Changed' "
                            "where customer_id = (select min(customer_id) from marts.customer_360)")
    third = publish(site.warehouse, "run-3", outcomes=_passed("run-3"), **kw)
    assert third.rewritten == ["customer_360"], third.reason
    assert site.published.stat().st_size <= size * 1.2, "the replaced mart's old blocks are reused"
    history3 = _history(site.published, "run-3")
    assert history3["customer_360"][0] == "run-3" and history3["customer_360"][1] != history["customer_360"][1]
    assert all(d == "baseline-run" for t, (d, _, _) in history3.items() if t != "customer_360")
    before, after = _inodes(second), _inodes(third)
    assert after["customer_360"] != before["customer_360"]
    assert {t: i for t, i in after.items() if t != "customer_360"} == {t: i for t, i in before.items() if t != "customer_360"}

    con = duckdb.connect(str(site.published), read_only=True)
    try:
        assert con.execute("select count(*) from customer_360 where first_name = 'Changed'").fetchone()[0] == 1
        assert con.execute("select count(*) from customer_360").fetchone()[0] == third.row_counts["customer_360"]
    finally:
        con.close()
    parquet = third.parquet_version / "customer_360.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}' where first_name = 'Changed'").fetchall() == [(1,)]
    assert not list(site.published.parent.glob(f".{site.published.name}.*"))  # no temporary file or WAL left
    assert not os.path.exists(str(site.published) + ".wal")


def test_a_changed_masking_setting_rewrites_the_marts_it_touches(site, monkeypatch):
    kw = dict(published_path=site.published, parquet_dir=site.parquet_dir, require_layers=())
    monkeypatch.setenv("C360_PUBLISHED_MASK_PHONE", "drop")
    result = publish(site.warehouse, "run-mask", outcomes=_passed("run-mask"), **kw)
    assert "customer_360" in result.rewritten and "retention_cohorts" not in result.rewritten
    con = duckdb.connect(str(site.published), read_only=True)
    try:
        cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                          "where table_name = 'customer_360'").fetchall()}
    finally:
        con.close()
    assert "phone" not in cols
