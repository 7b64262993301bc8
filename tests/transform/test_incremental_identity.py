"""Incremental identity (issue 11): a run resolves again only the components whose records or links changed, and
the result equals resolving everything.

The sequence on the session's 300-customer sample: the first build (everything), a rerun with no new data, the
generator's next increment, a run with a Zendesk user chaining two people the guard must keep apart (a conflict),
then a run with more hand-made changes the generator never makes - two customers joined by a Zendesk user (a
merge), a sales customer's new email leaving its mailbox behind (a split) and a Zendesk user deleted (a node
gone), which keeps the conflict's component and its cut as they were. Every step after the first runs incrementally. The last step is also run with
var identity_resolve_all from the same state and data, and the whole data from scratch (`--full-refresh`, over
a guard table without `resolved_at`, as the version before incremental identity left it).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import sample_loader
from sample_loader import Built

RESOLVE_ALL = ["--vars", "{identity_resolve_all: true}"]


def _add_conflict(warehouse: Path) -> None:
    """A Zendesk user with John's email and Mary's phone chains two people the guard keeps apart (a conflict)."""
    con = duckdb.connect(str(warehouse))
    try:
        for sales_id, first, birth, phone in ((990001, "John", "1970-03-04", "+1 404 555 0191"),
                                              (990002, "Mary", "1990-07-08", "+1 404 555 0192")):
            con.execute(
                "insert into raw_sales.customers by name select ? as id, ? as first_name, 'Conflictson' as last_name,"
                " cast(? as date) as birth_date, lower(?) || '.conflictson@conflictson-family.net' as email, ? as phone,"
                " 'US' as country, now() as created_at, now() as updated_at, '9999999999.999999' as _dlt_load_id,"
                " 'conflict-' || ? as _dlt_id",
                [sales_id, first, birth, first, phone, sales_id],
            )
        con.execute(
            "insert into raw_support.users by name select 999000000002 as id, 'Mary Conflictson' as name,"
            " 'john.conflictson@conflictson-family.net' as email, '+1 404 555 0192' as phone, 'end-user' as role, true as active,"
            " now() as created_at, now() as updated_at, '9999999999.999999' as _dlt_load_id, 'conflict-z' as _dlt_id"
        )
    finally:
        con.close()


def _change_sources(warehouse: Path) -> dict[str, str]:
    """The hand-made changes, the same on every copy; returns the records they are about."""
    con = duckdb.connect(str(warehouse))
    try:
        # a merge: two customers holding one sales record each (nothing else that could contradict), joined by a
        # Zendesk user carrying the first one's email and the second one's sales id; the second takes the first's
        # name and birth date, as one person's two accounts would
        singles = con.execute(
            """
            select a.customer_id, a.node_key, c.id::varchar, c.email
            from intermediate.int_customer_ids_assigned a
            join raw_sales.customers c on a.node_key = 'sales:' || c.id::varchar
            where a.component_key is not null and c.email is not null and c.id < 990000 and a.customer_id in (
                select customer_id from intermediate.int_customer_ids_assigned
                where component_key is not null and node_key not like 'email:%'
                group by customer_id having count(*) = 1)
            order by a.customer_id
            limit 2
            """
        ).fetchall()
        (old_customer, _, elder, elder_email), (young_customer, _, young, _) = singles
        con.execute(
            """
            update raw_sales.customers set first_name = e.first_name, last_name = e.last_name, birth_date = e.birth_date
            from (select first_name, last_name, birth_date from raw_sales.customers where id::varchar = ?) as e
            where raw_sales.customers.id::varchar = ?
            """,
            [elder, young],
        )
        con.execute(
            """
            insert into raw_support.users (id, name, email, external_id, role, active, created_at, updated_at, _dlt_load_id, _dlt_id)
            select 999000000001, first_name || ' ' || last_name, email, ?, 'end-user', true, now(), now(),
                '9999999999.999999', 'bridge-row'
            from raw_sales.customers where id::varchar = ?
            """,
            [young, elder],
        )
        # a split: a customer of a sales record and its SendGrid mailbox only; the sales record's email changes
        split_customer, mailbox_key, sales_key = con.execute(
            """
            select customer_id, min(node_key), max(node_key)
            from intermediate.int_customer_ids_assigned
            where component_key is not null and customer_id not in (?, ?)
            group by customer_id
            having count(*) = 2 and min(node_key) like 'email:%' and max(node_key) like 'sales:%'
            order by customer_id
            limit 1
            """,
            [old_customer, young_customer],
        ).fetchone()
        con.execute("update raw_sales.customers set email = 'moved.' || id::varchar || '@posteo.de' "
                    "where 'sales:' || id::varchar = ?", [sales_key])
        # a node gone: a Zendesk end user deleted (active false)
        gone = con.execute(
            "select 'support:' || id::varchar from raw_support.users where role = 'end-user' and active and id < 999000000000"
            " order by id limit 1"
        ).fetchone()[0]
        con.execute("update raw_support.users set active = false where 'support:' || id::varchar = ?", [gone])
    finally:
        con.close()
    return {"old": old_customer, "young": young_customer, "split": split_customer, "mailbox": mailbox_key,
            "sales": sales_key, "gone": gone}


@pytest.fixture(scope="module")
def runs(incremented: Built, workspace: Path) -> dict:
    """The changed data resolved three ways: incrementally, everything from the same state, and from scratch."""
    root = workspace / "incremental-identity"
    root.mkdir()
    # first the conflict, resolved incrementally, so that the next run keeps its component (and its cut) as it was
    conflicted = sample_loader.copy_warehouse(incremented.warehouse, root / "conflicted.duckdb")
    _add_conflict(conflicted)
    sample_loader.dbt(conflicted, "run", "--select", *sample_loader.FOUNDATION, target_path=incremented.target_path)
    result: dict = {}
    for name, args in (("incremental", []), ("everything", RESOLVE_ALL), ("scratch", ["--full-refresh"])):
        warehouse = sample_loader.copy_warehouse(conflicted, root / f"{name}.duckdb")
        result["changes"] = _change_sources(warehouse)
        if name == "scratch":  # the guard's table as the version before incremental identity wrote it
            with duckdb.connect(str(warehouse)) as con:
                con.execute("alter table intermediate.int_identity_edges_cut drop column resolved_at")
        sample_loader.dbt(warehouse, "run", "--select", *sample_loader.FOUNDATION, *args,
                          target_path=incremented.target_path)
        result[name] = warehouse
    return result


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return sorted(con.execute(sql).fetchall(), key=repr)
    finally:
        con.close()


def _customers(warehouse: Path) -> set[frozenset]:
    groups: dict[str, set] = {}
    for node, customer in _rows(warehouse, "select source || ':' || source_record_id, customer_id from marts.identity_map"):
        groups.setdefault(customer, set()).add(node)
    return {frozenset(nodes) for nodes in groups.values()}


def test_an_increment_resolves_only_what_changed(incremented):
    resolved, total = _rows(incremented.warehouse, "select count(*) filter (where is_resolved), count(*) "
                                                   "from intermediate.int_identity_components")[0]
    assert 0 < resolved < total / 2, (resolved, total)


def test_a_rerun_without_new_data_resolves_nothing(rerun):
    assert _rows(rerun.warehouse, "select count(*) filter (where is_resolved) from intermediate.int_identity_components") == [(0,)]


def test_the_changes_merge_split_and_remove(runs):
    changes, warehouse = runs["changes"], runs["incremental"]
    history = _rows(warehouse, "select old_customer_id, new_customer_id, reason from marts.customer_id_history")
    assert (changes["young"], changes["old"], "merge") in history
    split = [row for row in history if row[0] == changes["split"] and row[2] == "split"]
    assert len(split) == 1, history
    # the two records now have one id each: the old one (the tie goes to the smaller node key) and the new one
    parts = _rows(warehouse, "select customer_id from intermediate.int_customer_ids_assigned "
                             f"where node_key in ('{changes['mailbox']}', '{changes['sales']}')")
    assert sorted(parts) == sorted([(changes["split"],), (split[0][1],)])
    # the guard kept John and Mary apart and said so, in the run before; this run left their component as it was
    assert _rows(warehouse, "select distinct is_resolved from intermediate.int_identity_components "
                            "where node_key in ('sales:990001', 'sales:990002')") == [(False,)]
    couple = _rows(warehouse, "select customer_id from intermediate.int_customer_ids_assigned "
                              "where node_key in ('sales:990001', 'sales:990002')")
    assert len(set(couple)) == 2
    assert set(_rows(warehouse, "select conflict_node_key_a, conflict_node_key_b from intermediate.int_identity_edges_cut")) \
        == {("sales:990001", "sales:990002")}
    gone = _rows(warehouse, f"select component_key, customer_id from intermediate.int_customer_ids_assigned where node_key = '{changes['gone']}'")
    assert len(gone) == 1 and gone[0][0] is None and gone[0][1] is not None


TABLES = {
    "marts.identity_map": "source, source_record_id, customer_id",
    "marts.customer_id_history": "old_customer_id, new_customer_id, reason",
    "intermediate.int_identity_components": "node_key, component_key, component_size, resolution_fingerprint",
    "intermediate.int_identity_clusters": "node_key, cluster_key, first_pass_cluster_key, cluster_size",
    "intermediate.int_identity_conflicts": "node_key_a, node_key_b, reason",
    "intermediate.int_identity_edges_cut": "node_key_a, node_key_b, rule, conflict_node_key_a, conflict_node_key_b, conflict_reason",
    "intermediate.int_customer_ids_assigned": "node_key, cluster_key, first_pass_cluster_key, component_key, customer_id",
}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_incremental_equals_resolving_everything(runs, table):
    sql = f"select {TABLES[table]} from {table}"
    incremental, everything = _rows(runs["incremental"], sql), _rows(runs["everything"], sql)
    assert incremental, table
    assert incremental == everything


def test_incremental_equals_a_rebuild_from_scratch(runs):
    assert _customers(runs["incremental"]) == _customers(runs["scratch"])
    scratch = _rows(runs["scratch"], "select count(*) filter (where is_resolved), count(*) from intermediate.int_identity_components")[0]
    assert scratch[0] == scratch[1]
