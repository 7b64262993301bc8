"""Models that cost what changed (issue 11) equal a rebuild from scratch on the same data.

The session's ``crm_incremented`` warehouse was built in full on batch 0 and then incrementally after the
generator's increment. A copy gets the hand-made changes of test_incremental_identity (two customers merged, one
split, a Zendesk user deleted) and another incremental run; a second copy of that result rebuilds the same models
with ``--full-refresh``. Each model made incremental must then hold exactly the same rows (EXCEPT ALL both ways),
leaving out only ``computed_at``, which says when a customer's rows were written.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import sample_loader
from test_incremental_identity import _change_sources

#: model -> columns compared (all but the bookkeeping of when a row was written)
MODELS = {
    "staging.stg_email__events": "*",
    "staging.stg_web__pages": "*",
    "staging.stg_web__tracks": "*",
    "intermediate.int_customer_attribute_candidates": "* exclude (computed_at)",
    "intermediate.int_customer_attributes_survived": "* exclude (computed_at)",
}


def _query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def changed(crm_incremented, workspace: Path) -> dict:
    """The increment plus a merge, a split and a deleted user, built incrementally and from scratch."""
    root = workspace / "incremental-models"
    root.mkdir()
    incremental = sample_loader.copy_warehouse(crm_incremented.warehouse, root / "incremental.duckdb")
    changes = _change_sources(incremental)
    sample_loader.dbt(incremental, "run", "--select", *sample_loader.FOUNDATION, target_path=crm_incremented.target_path)
    scratch = sample_loader.copy_warehouse(incremental, root / "scratch.duckdb")
    models = [name.split(".")[1] for name in MODELS]
    sample_loader.dbt(scratch, "run", "--full-refresh", "--select", *models, target_path=crm_incremented.target_path)
    return {"changes": changes, "incremental": incremental, "scratch": scratch}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_incremental_equals_full_refresh(changed, model):
    con = duckdb.connect()
    try:
        con.execute(f"attach '{changed['incremental']}' as inc (read_only)")
        con.execute(f"attach '{changed['scratch']}' as scr (read_only)")
        columns = MODELS[model]
        (rows,) = con.execute(f"select count(*) from inc.{model}").fetchone()
        assert rows > 0, model
        for a, b in (("inc", "scr"), ("scr", "inc")):
            extra = con.execute(
                f"select * from (select {columns} from {a}.{model} except all select {columns} from {b}.{model}) limit 5"
            ).fetchall()
            assert extra == [], f"{model}: rows in {a} but not in {b}: {extra}"
    finally:
        con.close()


def test_only_the_changed_customers_were_rebuilt(changed):
    """The last run wrote the rows of a few customers (those merged, split or touched), not all of them; the id the
    merge retired holds no row, and the customers of the merge and the split are among those rebuilt."""
    changes = changed["changes"]
    rebuilt, total = _query(changed["incremental"], """
        select count(distinct customer_id) filter (
                   where computed_at = (select max(computed_at) from intermediate.int_customer_attribute_candidates)),
               count(distinct customer_id)
        from intermediate.int_customer_attribute_candidates
    """)[0]
    assert 0 < rebuilt < total / 4, (rebuilt, total)
    for model in ("int_customer_attribute_candidates", "int_customer_attributes_survived"):
        retired = _query(changed["incremental"], f"select count(*) from intermediate.{model} where customer_id = '{changes['young']}'")
        assert retired == [(0,)], model
        markers = _query(changed["incremental"], f"select count(*) from intermediate.{model} where field is null")
        assert markers == [(0,)], model
    latest = {row[0] for row in _query(changed["incremental"], """
        select customer_id from intermediate.int_customer_attributes_survived
        where computed_at = (select max(computed_at) from intermediate.int_customer_attributes_survived)
    """)}
    assert {changes["old"], changes["split"]} <= latest, (changes, len(latest))
