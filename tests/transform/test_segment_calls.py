"""Segment's screen, group and alias calls, from a log file through the real web source to the marts.

A Segment log file with a mobile app's calls is added to a copy of the session's sample and loaded with the real
pipelines into a copy of its warehouse, then the production `dbt build` runs: the screen view counts as a page
view in the customer's sessions and timeline, the group call gives the account, and the alias call links a new
device's anonymousId to the customer's userId.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

import sample_loader
from sample_loader import Built
from orchestration.constants import DBT_BUILD_ARGS

DEVICE = "ios-device-7f3a"  # an anonymousId the sample never used


def _call(kind: str, message_id: str, at: str, **fields) -> dict:
    return {"type": kind, "messageId": message_id, "timestamp": at, "originalTimestamp": at, "receivedAt": at,
            "sentAt": at, "channel": "mobile", "context": {"app": {"name": "C360 Shop", "version": "4.2"},
                                                          "device": {"type": "ios"}}, **fields}


@pytest.fixture(scope="module")
def mobile(built: Built, workspace: Path) -> tuple[Built, str]:
    root = workspace / "segment-calls"
    root.mkdir()
    sample = root / "sample"
    shutil.copytree(built.sample_dir, sample, copy_function=shutil.copy2)
    warehouse = sample_loader.copy_warehouse(built.warehouse, root / "warehouse.duckdb")
    # a logged-in customer the sample gives no account, so the account below is the one this file adds
    (user_id, last_seen), = built.query(
        "select user_id, max(occurred_at) from staging.stg_web__pages where user_id is not null "
        "and user_id not in (select user_id from staging.stg_web__groups where user_id is not null) "
        "group by user_id order by user_id limit 1"
    )
    at = last_seen.isoformat().replace("+00:00", "Z")
    calls = [
        # a screen view from the new device before login, the login (alias: device -> userId), account context
        _call("screen", "h5-screen-1", at, anonymousId=DEVICE, name="Product Detail", properties={"sku": "C360-1"}),
        _call("alias", "h5-alias-1", at, anonymousId=DEVICE, previousId=DEVICE, userId=user_id),
        _call("group", "h5-group-1", at, userId=user_id, groupId="acct-881",
              traits={"name": "Acme Corp", "industry": "Retail", "employees": "120", "plan": "business"}),
        # broken calls, quarantined by the source: a group without groupId, an alias without previousId
        _call("group", "h5-group-bad", at, userId=user_id, traits={"name": "No Id Inc"}),
        _call("alias", "h5-alias-bad", at, userId=user_id),
    ]
    folder = next((sample / "web" / "segment-logs").iterdir()) / "1799999999000"
    folder.mkdir(parents=True)
    with gzip.open(folder / "1799999999000-h5-mobile.gz", "wt") as fh:
        fh.write("".join(json.dumps(c) + "\n" for c in calls))
    sample_loader.load(sample, warehouse)
    sample_loader.dbt(warehouse, *DBT_BUILD_ARGS, target_path=root / "target")
    return Built(sample_dir=sample, warehouse=warehouse, truth=built.truth, target_path=root / "target"), user_id


def test_screen_view_counts_as_a_page_view(mobile):
    built, user_id = mobile
    assert built.query(
        "select screen_name, app_name, device_type, anonymous_id from staging.stg_web__screens where screen_id = ?",
        ["h5-screen-1"],
    ) == [("Product Detail", "C360 Shop", "ios", DEVICE)]
    (customer,), = built.query(
        "select customer_id from marts.identity_map where source = 'web_user' and source_record_id = ?", [user_id]
    )
    timeline = built.query(
        "select interaction_type, event_name from marts.customer_interactions "
        "where customer_id = ? and source_table = 'screens' and source_record_id = 'h5-screen-1'", [customer]
    )
    assert timeline == [("page_view", "Product Detail")]
    (views,), = built.query(
        "select page_view_count from intermediate.int_web_sessions_sessionized where visitor_node_key = ?",
        [f"web_anonymous:{DEVICE}"],
    )
    assert views == 1


def test_alias_links_the_new_device_to_the_customer(mobile):
    built, user_id = mobile
    assert built.query("select previous_id, user_id from staging.stg_web__aliases where alias_id = 'h5-alias-1'") == [
        (DEVICE, user_id)
    ]
    rows = dict(built.query(
        "select source_record_id, customer_id from marts.identity_map "
        "where (source, source_record_id) in (('web_anonymous', ?), ('web_user', ?))", [DEVICE, user_id]
    ))
    assert set(rows) == {DEVICE, user_id}
    assert rows[DEVICE] == rows[user_id]
    assert built.query(
        "select count(*) from intermediate.int_identity_edges where rule = 'alias' and node_key_a = ?",
        [f"web_anonymous:{DEVICE}"],
    ) == [(1,)]


def test_group_call_gives_the_account(mobile):
    built, user_id = mobile
    assert built.query(
        "select group_id, group_name, industry, employee_count, plan, user_id from staging.stg_web__groups "
        "where group_call_id = 'h5-group-1'"
    ) == [("acct-881", "Acme Corp", "Retail", 120, "business", user_id)]
    assert built.query(
        "select c.account_id, c.account_name, c.account_plan from marts.customer_360 as c "
        "inner join marts.identity_map as m using (customer_id) "
        "where m.source = 'web_user' and m.source_record_id = ?", [user_id]
    ) == [("acct-881", "Acme Corp", "business")]
    assert built.query("select count(*) from marts.customer_360 where account_id = 'acct-881'") == [(1,)]


def test_broken_group_and_alias_calls_are_quarantined(mobile):
    built, _ = mobile
    reasons = dict(built.query(
        "select resource, reason from raw_web.quarantine where payload like '%h5-%-bad%'"
    ))
    assert reasons == {"groups": "missing_key: groupId", "aliases": "missing_key: previousId and userId"}
