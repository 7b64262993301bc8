"""Seeded bad data is caught by the matching critical expectation and never reaches the publication,
while readers of the last good publication keep reading it; clean data publishes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import duckdb
import pytest

from quality import load_results, publish, run_suites, store_results
from quality_factory import execute

# (id, suites to run besides the marts, statements that seed the defect, the expectation that must fail)
DEFECTS = [
    pytest.param(
        ("raw", ["raw_sales"]),
        ["insert into raw_sales.customers select * from raw_sales.customers where id in (7, 8)"],
        ("raw_sales", "customers.id.unique"),
        id="duplicated-key",
    ),
    pytest.param(
        ("raw", ["raw_sales"]),
        # 1 in 3 addresses broken: a 67% valid share, below the configured 80%.
        ["update raw_sales.customers set email = 'person' || id || ' at example dot com' where id % 3 = 0"],
        ("raw_sales", "customers.email.pattern_share"),
        id="invalid-emails",
    ),
    pytest.param(
        ("raw", ["raw_sales"]),
        # A broken clock: three orders dated before the order system existed.
        ["update raw_sales.orders set created_at = timestamptz '1990-01-01 00:00:00+00' where id in (3, 4, 9)"],
        ("raw_sales", "orders.created_at.timestamp_range"),
        id="order-time-out-of-range",
    ),
    pytest.param(
        ("marts", None),
        # A mart published without a column downstream tools read.
        ["alter table marts.customer_segments drop column monetary_score"],
        ("marts", "customer_segments.required_columns"),
        id="mart-column-missing",
    ),
    pytest.param(
        ("marts", None),
        ["update marts.customer_360 set revenue = revenue + 250 where customer_id = 'c2'"],
        ("marts", "customer_360.revenue_reconciles_with_raw_orders"),
        id="revenue-mismatch",
    ),
    pytest.param(
        ("identity", None),
        # A junk identifier glues 40 customers' sales accounts onto customer c1.
        ["update marts.identity_map set customer_id = 'c1' where source = 'sales' "
         "and cast(source_record_id as integer) between 100 and 139"],
        ("identity", "identity_map.max_cluster_size"),
        id="oversized-cluster",
    ),
]


def _validate(site, run_id: str, layer: str, suites: list[str] | None):
    outcomes = run_suites(layer, site.warehouse, run_id, quality_dir=site.quality_dir, suites=suites)
    store_results(outcomes, site.warehouse)
    return outcomes


def _published_state(site) -> tuple:
    st = site.published.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns, os.readlink(site.parquet_dir / "current")


@pytest.mark.parametrize("target, statements, expected", DEFECTS)
def test_seeded_defect_fails_its_critical_expectation_and_blocks_publication(site, target, statements, expected):
    layer, suites = target
    execute(site.warehouse, *statements)

    # A downstream reader has the last good publication open before the attempt ...
    reader = duckdb.connect(str(site.published), read_only=True)
    before = reader.execute("select count(*), sum(revenue) from customer_360").fetchall()
    state_before = _published_state(site)

    outcomes = _validate(site, f"defect-{expected[1]}", layer, suites)
    failed_critical = {(o.suite, o.expectation) for o in outcomes if o.is_blocking}
    assert failed_critical == {expected}, f"expected only {expected} to fail critically, got {failed_critical}"
    outcome = next(o for o in outcomes if (o.suite, o.expectation) == expected)
    assert outcome.severity == "critical" and not outcome.success
    assert outcome.examples, "a failed row-level check shows failing records"
    assert any(ch.isdigit() for ch in outcome.description), "says how many / how much, in words"

    # ... and keeps reading while the publication is attempted and after it was refused.
    reads: list = []
    stop = threading.Event()

    def keep_reading():
        while not stop.is_set():
            reads.append(reader.execute("select count(*), sum(revenue) from customer_360").fetchall())

    thread = threading.Thread(target=keep_reading)
    thread.start()
    try:
        result = publish(site.warehouse, outcome.run_id, require_layers=(layer,))
    finally:
        stop.set()
        thread.join()

    assert not result.published
    assert expected[1] in {o.expectation for o in result.blocking}
    assert "critical expectation(s) failed" in result.reason and "last good publication stays" in result.reason
    assert reads and all(r == before for r in reads)
    assert reader.execute("select count(*), sum(revenue) from customer_360").fetchall() == before
    reader.close()
    assert _published_state(site) == state_before
    con = duckdb.connect(str(site.published), read_only=True)
    try:
        assert con.execute("select distinct run_id from _publication").fetchall() == [("baseline-run",)]
    finally:
        con.close()
    assert not list(site.published.parent.glob(".published.duckdb.*.tmp*")), "no temporary file left behind"


def test_clean_run_publishes_every_mart_atomically(baseline):
    site, run = baseline
    assert run.outcomes and all(o.success for o in run.outcomes), [o.description for o in run.outcomes if not o.success]
    assert {o.layer for o in run.outcomes} == {"raw", "identity", "marts"}
    assert run.publication is not None and run.publication.published, run.publication.reason

    con = duckdb.connect(str(site.published), read_only=True)
    try:
        marts = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
        assert {"customer_360", "identity_map", "customer_satisfaction", "customer_segments"} <= marts
        history = dict(con.execute("select table_name, row_count from _publication where run_id = 'baseline-run'").fetchall())
        assert history == run.publication.row_counts
        assert con.execute("select count(*) from marts.customer_360").fetchall() == [(history["customer_360"],)]
    finally:
        con.close()

    current = (site.parquet_dir / "current").resolve()
    assert current.parent == (site.parquet_dir / "versions").resolve()
    files = {p.stem: p for p in current.glob("*.parquet")}
    assert set(files) == set(run.publication.row_counts)
    assert duckdb.sql(f"select count(*) from '{files['customer_360']}'").fetchall() == [(history["customer_360"],)]

    # Each expectation carries its severity in the GX suite (meta), and every result is in the warehouse.
    suite = json.loads((site.quality_dir / "gx" / "expectations" / "identity.json").read_text())
    assert {e["meta"]["severity"] for e in suite["expectations"]} == {"critical", "warning"}
    stored = load_results(site.warehouse, "baseline-run")
    assert len(stored) == len(run.outcomes) and all(o.success for o in stored)


def test_publication_swaps_atomically_under_readers(site):
    """Readers during a successful publication see the old or the new marts, whole, and are never blocked."""
    old_count = duckdb.connect(str(site.published), read_only=True)
    before = old_count.execute("select count(*) from customer_360").fetchall()[0][0]
    old_version = (site.parquet_dir / "current").resolve()

    # A valid change: 20 more customers with no orders (revenue still reconciles).
    execute(site.warehouse,
            "insert into marts.customer_360 (customer_id, first_name, email, order_count, revenue) "
            "select 'n' || i, 'New', 'new' || i || '@example.com', 0, 0 from range(20) t(i)")
    outcomes = run_suites("marts", site.warehouse, "grow-run", quality_dir=site.quality_dir)
    assert all(o.success for o in outcomes if o.severity == "critical")
    store_results(outcomes, site.warehouse)

    # A separate process keeps opening the published path and reading both tables of one publication.
    probe = subprocess.Popen([sys.executable, "-c", _PROBE, str(site.published), str(site.parquet_dir)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert probe.stdout.readline().strip() == "started"
    result = publish(site.warehouse, "grow-run")
    out, err = probe.communicate(timeout=60)
    assert result.published, result.reason
    assert probe.returncode == 0, err

    seen = [json.loads(line) for line in out.splitlines()]
    assert seen, "the probe read the publication"
    assert all(s["db"] in (before, before + 20) for s in seen), {s["db"] for s in seen}
    assert all(s["parquet"] in (before, before + 20) for s in seen)
    assert seen[-1] == {"db": before + 20, "parquet": before + 20}

    # The reader that had the old file open still reads the old publication, undisturbed.
    assert old_count.execute("select count(*) from customer_360").fetchall()[0][0] == before
    old_count.close()
    assert old_version.exists(), "the superseded Parquet version stays for its readers"
    con = duckdb.connect(str(site.published), read_only=True)
    try:
        assert con.execute("select count(*) from customer_360").fetchall()[0][0] == before + 20
        runs = [r[0] for r in con.execute("select distinct run_id from _publication order by published_at").fetchall()]
        assert runs == ["baseline-run", "grow-run"], "each publication is recorded, history carried forward"
    finally:
        con.close()


_PROBE = r"""
import json, os, sys, time
import duckdb
db, parquet_dir = sys.argv[1], sys.argv[2]
print("started", flush=True)
deadline = time.time() + 30
last = None
while time.time() < deadline:
    con = duckdb.connect(db, read_only=True)
    n = con.execute("select count(*) from customer_360").fetchall()[0][0]
    con.close()
    folder = os.path.realpath(os.path.join(parquet_dir, "current"))
    p = duckdb.sql(f"select count(*) from '{folder}/customer_360.parquet'").fetchall()[0][0]
    print(json.dumps({"db": n, "parquet": p}), flush=True)
    if last is not None and n != last:
        break
    last = n
    time.sleep(0.01)
"""


def test_missing_mart_is_a_failure_not_a_crash(site):
    """dbt always builds every mart (empty when there is no data): a missing one is a defect."""
    execute(site.warehouse, "drop table marts.customer_segments")
    outcomes = run_suites("marts", site.warehouse, "missing-run", quality_dir=site.quality_dir)
    by_name = {o.expectation: o for o in outcomes}
    schema = by_name["customer_segments.required_columns"]
    assert not schema.success and schema.severity == "critical"
    assert "does not exist" in schema.description
    assert by_name["customer_satisfaction.required_columns"].success
    assert by_name["customer_360.revenue_reconciles_with_raw_orders"].success


def test_row_level_kinds_still_catch_defects_in_a_custom_config(site, tmp_path):
    """`between`, `accepted_values` and `not_null` are no longer in the shipped suites (their checks live in dbt
    tests and in the sources' contracts) but stay available to a deployment's own expectations.yml."""
    from quality import load_config

    config = tmp_path / "expectations.yml"
    config.write_text("""
version: 7
suites:
  marts:
    layer: marts
    tables:
      marts.customer_satisfaction:
        noun: customers
        show: [customer_id, csat]
        checks:
          - {kind: between, column: csat, min: 0, max: 1, label: satisfaction score, severity: critical}
          - {kind: not_null, column: customer_id, label: customer id, severity: critical}
      marts.customer_segments:
        noun: customers
        checks:
          - {kind: accepted_values, column: segment, values: [loyal], label: segment, severity: warning}
""")
    execute(site.warehouse,
            "update marts.customer_satisfaction set csat = csat * 7 + 1.5 where customer_id in ('c3', 'c4', 'c9')",
            "update marts.customer_segments set segment = 'lost' where customer_id = 'c5'")
    outcomes = run_suites("marts", site.warehouse, "custom-run", quality_dir=site.quality_dir,
                          config=load_config(config))
    by_name = {o.expectation: o for o in outcomes}
    csat = by_name["customer_satisfaction.csat.between"]
    assert not csat.success and csat.is_blocking and csat.unexpected_count == 3
    assert csat.description == "3 customers have a satisfaction score outside 0–1."
    assert {e["customer_id"] for e in csat.examples} == {"c3", "c4", "c9"}
    assert by_name["customer_satisfaction.customer_id.not_null"].success
    segment = by_name["customer_segments.segment.accepted_values"]
    assert not segment.success and not segment.is_blocking and segment.unexpected_count == 1
    assert segment.config_version == 7


def test_cli_exits_non_zero_on_critical_failure(site, capsys):
    from c360.cli import main

    args = ["--warehouse", str(site.warehouse), "--layer", "marts", "--quality-dir", str(site.quality_dir)]
    assert main(["quality", *args]) == 0
    assert "0 critical failure(s)" in capsys.readouterr().out
    assert main(["publish", "--warehouse", str(site.warehouse)]) == 0, "the latest run passed: it publishes"
    assert "customer_360" in capsys.readouterr().out

    execute(site.warehouse, "update marts.customer_360 set revenue = revenue + 250 where customer_id = 'c5'")
    assert main(["quality", *args, "--publish"]) == 1
    out = capsys.readouterr().out
    assert ("CRITICAL  marts / customer_360.revenue_reconciles_with_raw_orders: Revenue of all customers in the "
            "customer 360 view: ") in out
    assert "A difference of 250 (" in out and "some revenue was lost or counted twice." in out
    assert "NOT published" in out
    assert main(["publish", "--warehouse", str(site.warehouse)]) == 1
    assert "critical expectation(s) failed" in capsys.readouterr().out

    assert main(["quality", "--warehouse", str(site.warehouse.with_name("nope.duckdb"))]) == 2
    assert "does not exist" in capsys.readouterr().err

    # Both runs are in the warehouse's history, so a steward can follow a measure over time.
    con = duckdb.connect(str(site.warehouse), read_only=True)
    try:
        cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                          "where table_schema = 'quality' and table_name = 'validation_results'").fetchall()}
        assert {"run_id", "suite", "expectation", "severity", "success", "observed_value", "checked_at"} <= cols
        trend = con.execute("""select success, observed_value from quality.validation_results
                               where suite = 'marts' and expectation = 'customer_360.revenue_reconciles_with_raw_orders'
                               order by checked_at""").fetchall()
        assert [success for success, _ in trend] == [True, False]
        assert trend[0][1] == 0.0 and trend[1][1] > 0.001
    finally:
        con.close()


def test_gx_history_is_bounded(tmp_path):
    import time as _time

    from quality.suites import prune_history

    for root in ("gx/uncommitted/validations/marts", "data_docs/validations/marts"):
        for i in range(5):
            run = tmp_path / root / f"run-{i}"
            (run / "20261122T000000Z").mkdir(parents=True)
            os.utime(run, (_time.time() - 100 + i, _time.time() - 100 + i))
    prune_history(tmp_path, keep_runs=3)
    for root in ("gx/uncommitted/validations/marts", "data_docs/validations/marts"):
        assert sorted(p.name for p in (tmp_path / root).iterdir()) == ["run-3", "run-4"], "room for the new run"
