"""customer_360 facts add up to what the raw datasets hold."""

from __future__ import annotations

import pytest


def test_revenue_sums_to_valid_orders_in_raw(built):
    (raw,) = built.query(
        """
        select coalesce(sum(total), 0)
        from raw_sales.orders
        where lower(status) not in ('cancelled', 'canceled', 'refunded')
          and customer_id::varchar in (select id::varchar from raw_sales.customers)
        """
    )[0]
    ((golden, orders),) = built.query("select sum(revenue), sum(order_count) from marts.customer_360")
    assert raw > 0
    assert golden == pytest.approx(raw)
    (raw_orders,) = built.query(
        "select count(*) from raw_sales.orders where lower(status) not in ('cancelled', 'canceled', 'refunded')"
        " and customer_id::varchar in (select id::varchar from raw_sales.customers)"
    )[0]
    assert orders == raw_orders


def test_ticket_counts_reconcile_with_raw(built):
    ((raw_tickets, raw_open, raw_solved),) = built.query(
        """
        select count(*),
               count(*) filter (where status in ('new', 'open', 'pending', 'hold')),
               count(*) filter (where status in ('solved', 'closed'))
        from raw_support.tickets
        where requester_id in (select id from raw_support.users where role not in ('agent', 'admin'))
        """
    )
    ((tickets, open_, solved),) = built.query(
        "select sum(ticket_count), sum(tickets_open), sum(tickets_solved) from marts.customer_360"
    )
    assert raw_tickets > 0
    assert (tickets, open_, solved) == (raw_tickets, raw_open, raw_solved)


def test_email_event_counts_reconcile_with_raw(built):
    # SendGrid's meanings: a bounce of type 'bounce' is a hard bounce, type 'blocked' a temporary block;
    # 'unsubscribe' is global, 'group_unsubscribe' is per unsubscribe group
    raw = built.query(
        """
        select count(*) filter (where event = 'delivered'),
               count(*) filter (where event = 'open' and not coalesce(sg_machine_open, false)),
               count(*) filter (where event = 'click'),
               count(*) filter (where event = 'bounce' and coalesce(type, 'bounce') = 'bounce'),
               count(*) filter (where event = 'blocked' or (event = 'bounce' and type = 'blocked')),
               count(*) filter (where event = 'unsubscribe'),
               count(*) filter (where event = 'group_unsubscribe'),
               count(*) filter (where event = 'spamreport')
        from raw_email.events
        """
    )[0]
    golden = built.query(
        "select sum(emails_delivered), sum(emails_opened), sum(emails_clicked), sum(emails_bounced), sum(emails_blocked),"
        " sum(emails_unsubscribed), sum(emails_group_unsubscribed), sum(emails_complained) from marts.customer_360"
    )[0]
    assert raw[0] > 0 and raw[1] > 0
    assert golden == raw


def test_page_views_reconcile_with_raw(built):
    """Page views are web pages plus a mobile app's screen views."""
    (raw_pages, raw_screens) = built.query(
        "select (select count(*) from raw_web.pages where coalesce(anonymous_id, user_id) is not null),"
        " (select count(*) from raw_web.screens where coalesce(anonymous_id, user_id) is not null)"
    )[0]
    (golden,) = built.query("select sum(page_view_count) from marts.customer_360")[0]
    assert raw_pages > 0 and raw_screens > 0
    assert golden == raw_pages + raw_screens


def test_golden_record_provenance_points_at_mapped_records(built):
    """Every surviving attribute names a record of the same customer in identity_map."""
    (bad,) = built.query(
        """
        select count(*) from marts.customer_360 c
        where c.email is not null and not exists (
            select 1 from marts.identity_map m
            where m.customer_id = c.customer_id and m.source = c.email__source
              and m.source_record_id = c.email__source_record_id
        )
        """
    )[0]
    (with_email,) = built.query("select count(*) from marts.customer_360 where email is not null")[0]
    assert with_email > 0
    assert bad == 0
