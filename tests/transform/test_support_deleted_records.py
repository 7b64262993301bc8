"""Deleted Zendesk tickets and deleted (inactive) Zendesk users, end to end.

Zendesk's incremental exports keep deleted tickets (``status`` deleted) and deleted users (``active`` false). They
must stay in raw (and staging, flagged) but leave ticket facts, cost to serve, the timeline and the customer list.

The test takes a copy of the session's sample and warehouse, builds the CRM marts on it, then, like a Zendesk
account would, exports one ticket again as deleted and one end user again as deleted (newer ``updated_at``), loads
the change through the real support source and the Zendesk-compatible server, and rebuilds incrementally.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import sample_loader

DELETED_AT = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_all(warehouse: Path, target_path: Path) -> None:
    sample_loader.dbt(warehouse, "build", "--select", "tag:crm", *sample_loader.FOUNDATION, target_path=target_path)


def reexport(jsonl: Path, record_id: int, **changes: object) -> dict:
    """Append the record with ``record_id`` again with ``changes`` and a newer updated_at (a Zendesk update)."""
    for line in jsonl.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("id") == record_id:
            record.update(changes, updated_at=DELETED_AT)
            with jsonl.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            return record
    raise AssertionError(f"{jsonl.name} has no record {record_id}")


@dataclasses.dataclass
class Scenario:
    after: Any  # sample_loader.Built: the warehouse after the deletions were loaded and built
    before: Any  # the same warehouse before the deletions, marts built
    ticket_id: str
    ticket_customer: str
    user_id: str
    user_customer: str


@pytest.fixture(scope="module")
def scenario(built, workspace: Path) -> Scenario:
    root = workspace / "support-deleted"
    root.mkdir()
    sample = root / "sample"
    shutil.copytree(built.sample_dir, sample, copy_function=shutil.copy2)
    before = dataclasses.replace(built, warehouse=sample_loader.copy_warehouse(built.warehouse, root / "before.duckdb"))
    build_all(before.warehouse, built.target_path)
    after = dataclasses.replace(built, warehouse=sample_loader.copy_warehouse(before.warehouse, root / "after.duckdb"))

    # a customer's solved ticket with Zendesk metrics, and an end user who is a customer of support alone
    ticket_id, ticket_customer = before.query("""
        select ticket_id, customer_id from intermediate.int_crm_tickets_attributed
        where is_solved and customer_id in (select customer_id from marts.customer_360)
        order by ticket_id limit 1
    """)[0]
    user_id, user_customer = before.query("""
        select m.source_record_id, m.customer_id
        from marts.identity_map as m
        inner join marts.customer_360 as c using (customer_id)
        where m.source = 'support' and c.source_record_count = 1
        order by m.source_record_id limit 1
    """)[0]
    reexport(sample / "support" / "tickets.jsonl", int(ticket_id), status="deleted")
    reexport(sample / "support" / "users.jsonl", int(user_id), active=False)

    sample_loader.load(sample, after.warehouse)
    build_all(after.warehouse, built.target_path)
    return Scenario(after, before, ticket_id, ticket_customer, user_id, user_customer)


def test_deleted_ticket_stays_in_raw_and_staging_flagged(scenario: Scenario) -> None:
    assert scenario.after.query("select status from raw_support.tickets where id = ?", [int(scenario.ticket_id)]) == [("deleted",)]
    assert scenario.after.query("select is_deleted, is_open, is_solved from staging.stg_support__tickets where ticket_id = ?",
                 [scenario.ticket_id]) == [(True, False, False)]


def test_deleted_ticket_leaves_facts_costs_and_timeline(scenario: Scenario) -> None:
    w, b, t, c = scenario.after, scenario.before, scenario.ticket_id, scenario.ticket_customer
    assert w.query("select count(*) from intermediate.int_crm_tickets_attributed where ticket_id = ?", [t]) == [(0,)]
    # the timeline row written before the deletion is gone (incremental model: removed, not just not re-added)
    assert b.query("select count(*) from marts.customer_interactions where interaction_id = ?", [f"ticket:{t}"]) == [(1,)]
    assert w.query("select count(*) from marts.customer_interactions where interaction_id = ?", [f"ticket:{t}"]) == [(0,)]
    sql_360 = "select ticket_count, tickets_solved from marts.customer_360 where customer_id = ?"
    (count_before, solved_before), = b.query(sql_360, [c])
    assert w.query(sql_360, [c]) == [(count_before - 1, solved_before - 1)]
    sql_value = "select ticket_count, cost_to_serve from marts.customer_value where customer_id = ?"
    (tickets_before, cost_before), = b.query(sql_value, [c])
    (tickets_after, cost_after), = w.query(sql_value, [c])
    assert tickets_after == tickets_before - 1
    assert cost_after < cost_before


def test_deleted_user_stays_in_staging_but_is_no_customer(scenario: Scenario) -> None:
    w, u, c = scenario.after, scenario.user_id, scenario.user_customer
    assert w.query("select active from raw_support.users where id = ? order by updated_at desc limit 1", [int(u)]) == [(False,)]
    assert w.query("select is_deleted from staging.stg_support__users where user_id = ?", [u]) == [(True,)]
    assert w.query("select count(*) from marts.identity_map where source = 'support' and source_record_id = ?", [u]) == [(0,)]
    assert scenario.before.query("select count(*) from marts.customer_360 where customer_id = ?", [c]) == [(1,)]
    assert w.query("select count(*) from marts.customer_360 where customer_id = ?", [c]) == [(0,)]
    assert w.query("select count(*) from marts.customer_value where customer_id = ?", [c]) == [(0,)]
    assert w.query("select count(*) from marts.customer_interactions where identity_source = 'support' and identity_record_id = ?",
                 [u]) == [(0,)]
