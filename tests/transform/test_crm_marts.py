"""The CRM marts on a real warehouse: generated sources, loaded by the ingestion pipelines, built by dbt.

The session's ``crm`` warehouse (tests/transform/conftest.py: ~300 customers, foundation models and the CRM marts
``tag:crm`` built). The incremental test takes ``crm_incremented`` (the generator's next increment, rebuilt
incrementally) and compares the timeline row by row with staging.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import sample_loader

SEGMENTS = {
    "Champions", "Loyal", "Potential loyalist", "New", "Promising", "Need attention", "About to sleep", "At risk",
    "Can't lose", "Hibernating", "Lost",
}
PER_CUSTOMER_MARTS = ("customer_segments", "customer_value", "customer_satisfaction", "channel_preference")


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_rfm_scores_and_segments(crm):
    rows = query(crm.warehouse, """
        select customer_id, recency_score, frequency_score, monetary_score, segment, lifecycle_stage, order_count
        from marts.customer_segments
    """)
    assert rows
    buyers = [r for r in rows if r[6] > 0]
    assert buyers, "the sample has customers with valid orders"
    for customer_id, r, f, m, segment, lifecycle, order_count in rows:
        if order_count > 0:
            assert {r, f, m} <= {1, 2, 3, 4, 5}, customer_id
            assert segment in SEGMENTS, (customer_id, segment)
            assert lifecycle in {"new", "active", "at risk", "churned"}
        else:
            assert (r, f, m) == (None, None, None)
            assert (segment, lifecycle) == ("Prospect", "prospect")
    # quintiles: the most recent buyer has recency 5, and at most ~a fifth of buyers share the top recency score
    top_recency = [r for r in buyers if r[1] == 5]
    assert top_recency and len(top_recency) <= len(buyers) * 0.2 + 1
    latest = query(crm.warehouse, """
        select recency_score from marts.customer_segments where order_count > 0 order by last_order_at desc limit 1
    """)
    assert latest == [(5,)]


def test_every_customer_has_exactly_one_row_per_customer_mart(crm):
    customers = {r[0] for r in query(crm.warehouse, "select customer_id from marts.customer_360")}
    assert customers
    for mart in PER_CUSTOMER_MARTS:
        ids = [r[0] for r in query(crm.warehouse, f"select customer_id from marts.{mart}")]
        assert len(ids) == len(set(ids)), f"{mart} has duplicate customers"
        assert set(ids) == customers, f"{mart} does not cover customer_360 exactly"


# The same touch definitions the timeline documents, written independently against staging + identity_map.
STAGING_TOUCHES = """
    with identities as (
        select m.source, m.source_record_id, m.customer_id
        from marts.identity_map as m inner join marts.customer_360 as c using (customer_id)
    ),
    touches as (
        select 'order' as kind, 'sales' as node_source, customer_id as node_id from staging.stg_sales__orders
        union all select 'ticket', 'support', requester_id from staging.stg_support__tickets
        union all select 'satisfaction_rating', 'support', requester_id from staging.stg_support__satisfaction_ratings
            where score in ('good', 'bad')
        union all select 'email_event', 'email', email_address from staging.stg_email__events
        union all select 'page_view', case when anonymous_id is not null then 'web_anonymous' else 'web_user' end,
            coalesce(anonymous_id, user_id) from staging.stg_web__pages
        -- a mobile app's screen view is a page view
        union all select 'page_view', case when anonymous_id is not null then 'web_anonymous' else 'web_user' end,
            coalesce(anonymous_id, user_id) from staging.stg_web__screens
        union all select 'track_event', case when anonymous_id is not null then 'web_anonymous' else 'web_user' end,
            coalesce(anonymous_id, user_id) from staging.stg_web__tracks
    )
    select kind, count(*) from touches
    inner join identities on identities.source = touches.node_source and identities.source_record_id = touches.node_id
    group by kind
"""


def test_interactions_reconcile_with_staging(crm):
    expected = dict(query(crm.warehouse, STAGING_TOUCHES))
    actual = dict(query(crm.warehouse, "select interaction_type, count(*) from marts.customer_interactions group by 1"))
    assert set(expected) == {"order", "ticket", "satisfaction_rating", "email_event", "page_view", "track_event"}
    assert actual == expected
    # every touch belongs to a customer of customer_360 and names its source record
    orphans = query(crm.warehouse, """
        select count(*) from marts.customer_interactions
        where customer_id not in (select customer_id from marts.customer_360) or source_record_id is null
    """)
    assert orphans == [(0,)]


def test_retention_cohorts(crm):
    rows = query(crm.warehouse, """
        select cohort_month, months_since_acquisition, cohort_size, retained_customers, retained_share
        from marts.retention_cohorts
    """)
    assert rows
    for cohort, month, size, retained, share in rows:
        assert 0 <= share <= 1
        assert retained <= size
        if month == 0:
            assert share == 1 and retained == size, cohort
    buyers = query(crm.warehouse, "select count(*) from marts.customer_360 where order_count > 0")[0][0]
    assert sum(r[2] for r in rows if r[1] == 0) == buyers
    # later months do lose customers somewhere (the sample is not everyone buying every month)
    assert any(r[4] < 1 for r in rows if r[1] > 0)


def test_csat_matches_raw_ratings(crm):
    # recomputed from the raw Zendesk table: latest version of each rating, answered scores only, through identity_map
    raw = dict(query(crm.warehouse, """
        with latest as (
            select * from raw_support.satisfaction_ratings
            qualify row_number() over (partition by id order by updated_at desc, _dlt_load_id desc) = 1
        )
        select m.customer_id, avg(case when lower(latest.score) = 'good' then 1.0 else 0.0 end)
        from latest
        inner join marts.identity_map as m on m.source = 'support' and m.source_record_id = latest.requester_id::varchar
        where lower(latest.score) in ('good', 'bad')
        group by m.customer_id
    """))
    assert len(raw) >= 3, "the sample has customers with answered ratings"
    mart = dict(query(crm.warehouse, "select customer_id, csat from marts.customer_satisfaction"))
    with_bad = [c for c, v in raw.items() if v < 1]
    sample = sorted(raw)[:5] + with_bad[:2]
    for customer_id in sample:
        assert mart[customer_id] == pytest.approx(raw[customer_id]), customer_id
    # nobody without answered ratings has a CSAT
    assert all(v is None for c, v in mart.items() if c not in raw)


def test_satisfaction_score_band_and_complaints(crm):
    rows = query(crm.warehouse, """
        select satisfaction_score, satisfaction_band, has_signal, spam_report_count, csat
        from marts.customer_satisfaction
    """)
    for score, band, has_signal, spam, csat in rows:
        if not has_signal:
            assert score is None and band == "unknown"
        else:
            assert 0 <= score <= 100
            assert band == ("promoter" if score >= 80 else "passive" if score >= 60 else "detractor")
    assert {r[1] for r in rows} >= {"promoter", "unknown"}


def test_customer_value_formulas(crm):
    rows = query(crm.warehouse, """
        select v.customer_id, v.revenue, v.gross_margin, c.revenue, c.gross_margin, v.ticket_count, v.agent_reply_count,
               v.cost_to_serve, v.historical_clv, v.churn_risk, v.predicted_clv, v.order_count, v.margin_per_order
        from marts.customer_value as v inner join marts.customer_360 as c using (customer_id)
    """)
    assert any(r[10] > 0 for r in rows), "some customer has a positive predicted CLV"
    for (customer_id, revenue, margin, c_revenue, c_margin, tickets, replies, cost, clv, churn, predicted,
         orders, margin_per_order) in rows:
        assert (revenue, margin) == (c_revenue, c_margin), customer_id
        assert float(cost) == pytest.approx(tickets * 8.0 + replies * 3.0)  # default vars
        assert float(clv) == pytest.approx(float(margin) - float(cost))
        if orders == 0:
            assert churn is None and predicted == 0
        else:
            assert 0 <= churn <= 1
            if margin_per_order >= 0:
                assert predicted >= 0


def test_reference_date_is_the_latest_touch(crm):
    latest = query(crm.warehouse, """
        select greatest(
            (select max(ordered_at) from staging.stg_sales__orders),
            (select max(occurred_at) from staging.stg_email__events),
            (select max(occurred_at) from staging.stg_web__pages),
            (select max(occurred_at) from staging.stg_web__tracks),
            (select max(created_at) from staging.stg_support__tickets),
            (select max(rated_at) from staging.stg_support__satisfaction_ratings)
        )
    """)[0][0]
    reference = query(crm.warehouse, "select reference_at from intermediate.int_crm_reference_dates")
    assert reference == [(latest,)]
    assert {r[0] for r in query(crm.warehouse, "select distinct reference_date from marts.customer_segments")} == {latest.date()}


def test_channel_preference_and_next_best_action(crm):
    rows = query(crm.warehouse, """
        select p.best_channel, p.next_best_action, p.is_email_contactable, p.outreach_channel, p.satisfaction_band,
               s.lifecycle_stage, p.email_score, p.web_score, p.support_score
        from marts.channel_preference as p inner join marts.customer_segments as s using (customer_id)
    """)
    for best, action, contactable, outreach, band, lifecycle, email, web, support in rows:
        scores = {"email": email, "web": web, "support": support}
        if best == "none":
            assert max(scores.values()) == 0
        else:
            assert scores[best] == max(scores.values()) > 0
        if outreach == "email":
            assert contactable
        if band == "detractor":
            assert action == "support_follow_up"
        elif action.startswith("win_back_"):
            assert lifecycle in ("at risk", "churned")
    assert len({r[0] for r in rows}) >= 3, "customers prefer different channels"


# Row by row what a full rebuild of the timeline would hold, written independently against staging + identity_map.
STAGING_ROWS = """
    with identities as (
        select m.source, m.source_record_id, m.customer_id
        from marts.identity_map as m inner join marts.customer_360 as c using (customer_id)
    ),
    touches as (
        select 'order:' || order_id as interaction_id, 'sales' as node_source, customer_id as node_id,
            status, total as amount
        from staging.stg_sales__orders
        union all select 'ticket:' || ticket_id, 'support', requester_id, status, null from staging.stg_support__tickets
        union all select 'rating:' || satisfaction_rating_id, 'support', requester_id, null, null
            from staging.stg_support__satisfaction_ratings where score in ('good', 'bad')
        union all select 'email:' || email_event_id, 'email', email_address, null, null from staging.stg_email__events
        union all select 'page_view:' || page_id, case when anonymous_id is not null then 'web_anonymous' else 'web_user' end,
            coalesce(anonymous_id, user_id), null, null from staging.stg_web__pages
        union all select 'page_view:' || screen_id, case when anonymous_id is not null then 'web_anonymous' else 'web_user' end,
            coalesce(anonymous_id, user_id), null, null from staging.stg_web__screens
        union all select 'track_event:' || track_id, case when anonymous_id is not null then 'web_anonymous' else 'web_user' end,
            coalesce(anonymous_id, user_id), null, null from staging.stg_web__tracks
    )
    select interaction_id, identities.customer_id, touches.status, touches.amount
    from touches
    inner join identities on identities.source = touches.node_source and identities.source_record_id = touches.node_id
    order by interaction_id
"""


def test_incremental_timeline_matches_a_full_rebuild(crm, crm_incremented):
    before = query(crm.warehouse, "select count(*) from marts.customer_interactions")[0][0]
    after = query(crm_incremented.warehouse, "select count(*) from marts.customer_interactions")[0][0]
    assert after > before, "the increment brought new touches"
    # an increment updates orders in place (status changes) and may merge customers: the incremental table must
    # hold exactly the rows, customer_ids and statuses a rebuild from staging gives
    timeline = query(crm_incremented.warehouse, """
        select interaction_id, customer_id, case when interaction_type in ('order', 'ticket') then status end, amount
        from marts.customer_interactions order by interaction_id
    """)
    expected = query(crm_incremented.warehouse, STAGING_ROWS)
    assert len(timeline) == len(expected)
    assert timeline == expected
    changed = query(crm_incremented.warehouse, "select count(*) from marts.customer_id_history")[0][0]
    rekeyed = query(crm_incremented.warehouse, """
        select count(*) from marts.customer_interactions
        where customer_id in (select new_customer_id from marts.customer_id_history)
    """)[0][0]
    assert changed == 0 or rekeyed > 0, "customers whose id changed keep their touches under the new id"


def test_product_affinities_and_recommendations_reconcile_with_raw_orders(crm):
    """Recounted from the raw order tables (not the staging models the marts read): the number of baskets and each
    pair's co-purchases; no customer is offered a product they bought; at most var recommendation_count each."""
    raw = dict(query(crm.warehouse, """
        with valid as (
            select distinct o.id::varchar as order_id, i.product_id::varchar as product_id
            from raw_sales.orders o join raw_sales.order_items i on i.order_id = o.id
            where lower(trim(o.status)) not in ('cancelled', 'canceled', 'refunded') and i.product_id is not null)
        select a.product_id || '>' || b.product_id, count(*) from valid a join valid b
          on a.order_id = b.order_id and a.product_id <> b.product_id group by 1
        union all select 'baskets', count(distinct order_id) from valid"""))
    affinities = query(crm.warehouse, """select product_id || '>' || paired_product_id, co_order_count, basket_count,
                                                support, lift from marts.product_affinities""")
    assert affinities, "the sample has products bought together"
    for pair, co_orders, baskets, support, lift in affinities:
        assert co_orders == raw[pair] >= 2 and baskets == raw["baskets"], pair
        assert support == pytest.approx(co_orders / baskets, abs=1e-6)
    lifts = {pair: lift for pair, *_, lift in affinities}
    assert all(lifts[f"{b}>{a}"] == pytest.approx(lift) for (a, b), lift in
               ((pair.split(">"), lift) for pair, lift in lifts.items())), "lift is symmetric"

    bought = query(crm.warehouse, """
        select count(*) from marts.customer_recommendations r
        join marts.identity_map m on m.customer_id = r.customer_id and m.source = 'sales'
        join raw_sales.orders o on o.customer_id::varchar = m.source_record_id
        join raw_sales.order_items i on i.order_id = o.id and i.product_id::varchar = r.product_id
        where lower(trim(o.status)) not in ('cancelled', 'canceled', 'refunded')""")
    assert bought == [(0,)]
    per_customer = query(crm.warehouse, "select max(n), count(*) from (select count(*) n from "
                                        "marts.customer_recommendations group by customer_id)")
    assert 0 < per_customer[0][0] <= 5 and per_customer[0][1] > 0


def test_export_leaves_out_everyone_sendgrid_says_not_to_email(crm, tmp_path):
    """`c360 export segment` on the real marts, checked against the raw SendGrid events: no exported address (or
    customer) ever unsubscribed globally, reported spam, or hard-bounced without a later delivery."""
    import csv
    import shutil

    from activation.export import export_segment

    warehouse = shutil.copy(crm.warehouse, tmp_path / "warehouse.duckdb")
    result = export_segment(where="order_count >= 0", source=warehouse, warehouse=warehouse, out_dir=tmp_path)
    assert result.excluded["unsubscribed"] > 0 and result.excluded["complained"] + result.excluded["bounced"] > 0, \
        "the sample has customers to leave out"
    with result.files["sendgrid"].open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == result.row_count > 0
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("create temp table exported (email varchar, customer_id varchar)")
        con.executemany("insert into exported values (?, ?)", [(r["email"], r["external_id"]) for r in rows])
        blocked = con.execute("""
            with events as (
                select lower(trim(e.email)) as email, e.event, coalesce(e.type, '') as type,
                       to_timestamp(e.timestamp::bigint) as at, m.customer_id
                from raw_email.events e
                left join marts.identity_map m on m.source = 'email' and m.source_record_id = lower(trim(e.email))),
            bounced as (
                select email, customer_id from events b where event = 'bounce' and type <> 'blocked'
                  and not exists (select 1 from events d where d.email = b.email and d.event = 'delivered' and d.at > b.at))
            select x.email, e.event from exported x join events e
              on (e.email = x.email or e.customer_id = x.customer_id) and e.event in ('unsubscribe', 'spamreport')
            union all
            select x.email, 'bounce' from exported x join bounced b on b.email = x.email or b.customer_id = x.customer_id
        """).fetchall()
        recorded = con.execute("select row_count from activation.exports").fetchall()
    finally:
        con.close()
    assert blocked == []
    assert recorded == [(result.row_count,)]
