"""Data that is legitimately absent does not block the gate: a source switched off (no raw tables at all), a
source with no rows yet (empty tables), clean data (no quarantine table). A real defect still blocks."""

from __future__ import annotations

import duckdb

from quality import run_quality
from quality_factory import execute

SUPPORT_TABLES = ("users", "tickets", "satisfaction_ratings", "quarantine")


def _run(site, run_id: str):
    return run_quality(site.warehouse, run_id, quality_dir=site.quality_dir, publish_marts=True,
                       published_path=site.published, parquet_dir=site.parquet_dir)


def _published_run(site) -> list[tuple]:
    con = duckdb.connect(str(site.published), read_only=True)
    try:
        return con.execute("select distinct run_id from _publication order by run_id").fetchall()
    finally:
        con.close()


def _no_sales_in_marts(site) -> None:
    """What dbt builds without sales data: customers without orders (revenue then reconciles with nothing)."""
    execute(site.warehouse, "update marts.customer_360 set revenue = 0, order_count = 0")


def test_switched_off_source_publishes(site):
    """No raw_sales schema at all: every sales check says "no rows yet"; revenue reconciles with no orders."""
    execute(site.warehouse, "drop schema raw_sales cascade")
    _no_sales_in_marts(site)
    run = _run(site, "sales-off")
    assert run.ok and run.publication.published, [o.description for o in run.critical_failures]
    sales = [o for o in run.outcomes if o.suite == "raw_sales"]
    assert sales and all(o.success or o.severity == "warning" for o in sales)
    assert all(o.description.startswith("No rows yet") for o in sales), {o.description for o in sales}
    assert not any(o.examples for o in sales)
    freshness = {o.expectation: o for o in sales if o.kind == "freshness"}
    assert freshness and all(not o.success and o.severity == "warning" for o in freshness.values())
    assert "raw_sales.customers does not exist" in freshness["customers.updated_at.freshness"].description
    revenue = next(o for o in run.outcomes if o.expectation == "customer_360.revenue_reconciles_with_raw_orders")
    assert revenue.success and revenue.observed_value == 0.0
    assert ("sales-off",) in _published_run(site)


def test_source_with_no_rows_yet_publishes(site):
    """Every support table exists (as dlt creates them from schema hints) but holds no row."""
    execute(site.warehouse, *(f"delete from raw_support.{t}" for t in SUPPORT_TABLES))
    run = _run(site, "support-empty")
    assert run.ok and run.publication.published, [o.description for o in run.critical_failures]
    support = [o for o in run.outcomes if o.suite == "raw_support"]
    assert {o.table for o in support} == {"raw_support.users", "raw_support.tickets", "raw_support.satisfaction_ratings"}
    passed = [o for o in support if o.success]
    assert passed and all(o.description.startswith("No rows yet") and "is empty" in o.description for o in passed)
    failed = [o for o in support if not o.success]
    assert [(o.kind, o.severity) for o in failed] == [("freshness", "warning")]
    assert failed[0].description.startswith("No rows yet: there are no support tickets (raw_support.tickets is empty)")


def test_clean_data_without_quarantine_tables_publishes(site):
    """Nothing was ever quarantined, so dlt never created the quarantine tables."""
    execute(site.warehouse, "drop table raw_sales.quarantine", "drop table raw_support.quarantine")
    run = _run(site, "no-quarantine")
    assert run.ok and run.publication.published, [o.description for o in run.critical_failures]
    assert all(o.success for o in run.outcomes), [o.description for o in run.outcomes if not o.success]
    quarantine = next(o for o in run.outcomes if o.expectation == "quarantine.required_columns")
    assert quarantine.success and quarantine.severity == "critical"
    assert quarantine.description.startswith("No rows yet: raw_sales.quarantine (quarantined sales records) does not exist")


def test_a_real_defect_still_blocks_beside_an_absent_source(site):
    """Absent tables are forgiven; a present table with a missing column or a broken value is not, even empty."""
    execute(site.warehouse,
            "drop schema raw_sales cascade",
            "drop table raw_support.quarantine",
            "alter table raw_web.pages drop column anonymous_id",          # a present table loses a column
            "delete from raw_support.satisfaction_ratings",
            "alter table raw_support.satisfaction_ratings drop column score",  # present but empty: still wrong
            "insert into raw_email.events select * from raw_email.events limit 3")  # duplicated event ids
    _no_sales_in_marts(site)
    before = _published_run(site)
    run = _run(site, "defects")
    assert not run.ok and not run.publication.published
    blocking = {(o.suite, o.expectation) for o in run.critical_failures}
    assert blocking == {("raw_web", "pages.required_columns"),
                        ("raw_support", "satisfaction_ratings.required_columns"),
                        ("raw_email", "events.sg_event_id.unique")}
    pages = next(o for o in run.critical_failures if o.expectation == "pages.required_columns")
    assert "missing 1 required column(s): anonymous_id" in pages.description
    assert _published_run(site) == before, "the last good publication stays"
