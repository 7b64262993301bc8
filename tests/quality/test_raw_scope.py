"""Raw checks measure the loads that are new since they last passed, not the whole table again
(quality/scope.py): a bad row in a new load is found, and the figures say how many rows were measured."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dlt
import duckdb

from quality.results import store_results
from quality.suites import run_suites


def _orders(first_id: int, n: int, *, bad_time_id: int | None = None, copy_of: int | None = None):
    now = datetime.now(timezone.utc)
    for i in range(first_id, first_id + n):
        created = datetime(1990, 1, 1, tzinfo=timezone.utc) if i == bad_time_id else now - timedelta(days=i % 30)
        yield {"id": copy_of if (copy_of and i == first_id + n - 1) else i, "customer_id": i % 7, "status": "paid",
               "currency": "EUR", "total": 10.5, "created_at": created, "updated_at": now}


def _load(pipeline, rows) -> str:
    info = pipeline.run(dlt.resource(rows, name="orders", write_disposition="append"))
    return info.loads_ids[0]


def _check(warehouse, run_id, tmp_path):
    outcomes = run_suites("raw", warehouse, run_id, suites=["raw_sales"], quality_dir=tmp_path / "quality")
    store_results(outcomes, warehouse)
    return {o.expectation: o for o in outcomes}


def test_second_run_measures_only_the_new_load_and_flags_its_bad_row(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    pipeline = dlt.pipeline("scope_test", destination=dlt.destinations.duckdb(str(warehouse)),
                            dataset_name="raw_sales", pipelines_dir=str(tmp_path / "dlt"))
    first = _load(pipeline, _orders(1, 50))
    run1 = _check(warehouse, "run-1", tmp_path)
    times = run1["orders.created_at.timestamp_range"]
    assert times.success and times.element_count == 50 and times.loads_after is None and times.loads_through == first

    # The next load: 10 orders, one with a broken clock, one repeating an order id of the first load.
    second = _load(pipeline, _orders(100, 10, bad_time_id=103, copy_of=7))
    run2 = _check(warehouse, "run-2", tmp_path)
    times = run2["orders.created_at.timestamp_range"]
    assert not times.success and times.unexpected_count == 1
    assert times.element_count == 10, "only the rows of the new load are measured"
    assert (times.loads_after, times.loads_through) == (first, second)
    assert times.examples and times.examples[0]["id"] == 103
    assert "Measured on the loads since" in times.description  # the steward page says what was measured
    key = run2["orders.id.unique"]
    # the new load's keys are looked up among all rows: the copy of order 7 from the first load is found
    assert not key.success and key.unexpected_count == 2 and key.element_count == 60
    assert key.examples == [{"id": 7, "copies": 2}]

    # Nothing new: the failed checks look again at everything since they last passed (the bad rows stay
    # reported); a check that passed has nothing new to measure.
    run3 = _check(warehouse, "run-3", tmp_path)
    assert not run3["orders.created_at.timestamp_range"].success
    assert run3["orders.created_at.timestamp_range"].element_count == 10
    assert not run3["orders.id.unique"].success

    # Once the bad rows are fixed (deleted here), the checks measure everything since they last passed (the
    # second load and the next one), pass, and the next run starts after the newest load.
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("delete from raw_sales.orders where id = 103 or (id = 7 and _dlt_load_id = ?)", [second])
    finally:
        con.close()
    third = _load(pipeline, _orders(200, 5))
    run4 = _check(warehouse, "run-4", tmp_path)
    times, key = run4["orders.created_at.timestamp_range"], run4["orders.id.unique"]
    assert times.success and key.success
    assert times.element_count == 8 + 5 and (times.loads_after, times.loads_through) == (first, third)
