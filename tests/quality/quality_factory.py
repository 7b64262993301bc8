"""Small, realistic c360 warehouses for the quality tests: the contracted raw datasets and marts, clean by
default, with one kind of bad data seeded on request (the tests then show the matching check catches it)."""

from __future__ import annotations

from pathlib import Path

import duckdb

STATUSES = "['pending', 'paid', 'shipped', 'completed', 'cancelled', 'refunded']"
TICKET_STATUSES = "['new', 'open', 'pending', 'hold', 'solved', 'closed']"
EMAIL_EVENTS = "['processed', 'delivered', 'open', 'click', 'bounce', 'unsubscribe']"


def build_warehouse(path: Path, customers: int = 300) -> Path:
    """A clean warehouse: every check of quality/expectations.yml passes on it."""
    con = duckdb.connect(str(path))
    try:
        con.execute("set TimeZone = 'UTC'")
        for schema in ("raw_sales", "raw_support", "raw_email", "raw_web", "marts"):
            con.execute(f"create schema {schema}")
        n = customers
        con.execute(f"""
            create table raw_sales.customers as
            select i as id, 'First' || i as first_name, 'Last' || i as last_name,
                   'person' || i || '@example.com' as email,
                   case when i % 10 = 0 then null else '+1 555 01' || lpad(cast(i as varchar), 5, '0') end as phone,
                   now() - i * interval 1 hour as created_at,
                   now() - interval 2 day + i * interval 1 second as updated_at,
                   'load1' as _dlt_load_id, md5(cast(i as varchar)) as _dlt_id
            from range(1, {n} + 1) t(i)""")
        con.execute(f"""
            create table raw_sales.orders as
            select o as id, 1 + (o % {n}) as customer_id,
                   {STATUSES}[1 + (o % 6)] as status, 'EUR' as currency,
                   cast(10 + (o % 97) as decimal(12, 2)) as subtotal, cast(0 as decimal(12, 2)) as discount,
                   cast(10 + (o % 97) as decimal(12, 2)) as total,
                   now() - o * interval 1 minute as created_at,
                   now() - interval 1 day as updated_at,
                   'load1' as _dlt_load_id, md5('o' || o) as _dlt_id
            from range(1, {3 * n} + 1) t(o)""")
        con.execute(f"""
            create table raw_sales.order_items as
            select o as id, o as order_id, 1 + o % 20 as product_id, 1 + o % 3 as quantity,
                   cast(10 + (o % 97) as decimal(12, 2)) as unit_price
            from range(1, {3 * n} + 1) t(o)""")
        con.execute("""create table raw_sales.quarantine (source varchar, resource varchar, origin varchar,
                       reason varchar, payload varchar, quarantined_at timestamptz)""")
        con.execute("""insert into raw_sales.quarantine values
                       ('sales', 'customers', 'sales.customers', 'missing_key: id', '{}', now())""")
        con.execute(f"""
            create table raw_support.users as
            select 1000 + i as id, 'Person ' || i as name,
                   'person' || i || '@example.com' as email,
                   null::varchar as phone, 'end-user' as role,
                   now() - interval 3 day as updated_at, 'load1' as _dlt_load_id, md5('u' || i) as _dlt_id
            from range(1, {n // 2} + 1) t(i)""")
        con.execute(f"""
            create table raw_support.tickets as
            select 5000 + i as id, 1000 + 1 + (i % {n // 2}) as requester_id,
                   {TICKET_STATUSES}[1 + (i % 6)] as status, 'email' as via__channel,
                   now() - i * interval 1 hour as created_at,
                   now() - interval 1 day as updated_at
            from range(1, {n} + 1) t(i)""")
        con.execute(f"""
            create table raw_support.satisfaction_ratings as
            select 9000 + i as id, 5000 + i as ticket_id, 1000 + 1 + (i % {n // 2}) as requester_id,
                   case when i % 4 = 0 then 'bad' else 'good' end as score,
                   now() - i * interval 1 hour as created_at
            from range(1, {n // 2} + 1) t(i)""")
        con.execute("""create table raw_support.quarantine (source varchar, resource varchar, origin varchar,
                       reason varchar, payload varchar, quarantined_at timestamptz)""")
        con.execute(f"""
            create table raw_email.events as
            select 'sg' || e as sg_event_id, 'person' || (1 + e % {n}) || '@example.com' as email,
                   {EMAIL_EVENTS}[1 + (e % 6)] as event,
                   epoch(now() - e * interval 5 minute)::bigint as timestamp,
                   'msg' || (e // 3) as sg_message_id
            from range(1, {10 * n} + 1) t(e)""")
        con.execute(f"""
            create table raw_web.tracks as
            select 'm' || e as message_id, 'anon' || (e % {2 * n}) as anonymous_id,
                   case when e % 3 = 0 then cast(1 + e % {n} as varchar) end as user_id,
                   case when e % 5 = 0 then 'Order Completed' else 'Product Viewed' end as event,
                   now() - e * interval 3 minute as timestamp
            from range(1, {10 * n} + 1) t(e)""")
        con.execute(f"""
            create table raw_web.pages as
            select 'p' || e as message_id, 'anon' || (e % {2 * n}) as anonymous_id, null::varchar as user_id,
                   now() - e * interval 3 minute as timestamp
            from range(1, {5 * n} + 1) t(e)""")
        con.execute(f"""
            create table raw_web.identifies as
            select 'i' || e as message_id, 'anon' || e as anonymous_id, cast(1 + e % {n} as varchar) as user_id,
                   'person' || (1 + e % {n}) || '@example.com' as traits__email,
                   now() - e * interval 1 hour as timestamp
            from range(1, {n} + 1) t(e)""")
        # Identity: customer k is sales customer k (+ support user, + email address, + 2 cookies).
        con.execute(f"""
            create table marts.identity_map as
            select 'sales' as source, cast(i as varchar) as source_record_id, 'c' || i as customer_id,
                   'source_key' as rule, 1.0 as score from range(1, {n} + 1) t(i)
            union all
            select 'support', cast(1000 + i as varchar), 'c' || i, 'email_exact', 0.99 from range(1, {n // 2} + 1) t(i)
            union all
            select 'email', 'person' || i || '@example.com', 'c' || i, 'email_exact', 0.99 from range(1, {n} + 1) t(i)
            union all
            select 'web_anonymous', 'anon' || i, 'c' || (1 + i % {n}), 'login', 0.95 from range(0, {2 * n}) t(i)""")
        con.execute("""
            create table marts.customer_id_history (old_customer_id varchar, new_customer_id varchar,
                reason varchar, changed_at timestamptz)""")
        con.execute("""insert into marts.customer_id_history values
                       ('c9999', 'c1', 'merge', now() - interval 1 day), ('c2', 'c9998', 'split', now())""")
        con.execute(f"""
            create table marts.customer_360 as
            select m.customer_id, 'First' || i as first_name, 'Last' || i as last_name,
                   'person' || i || '@example.com' as email, null::varchar as phone,
                   coalesce(r.orders, 0) as order_count, coalesce(r.revenue, 0)::decimal(18, 2) as revenue,
                   case when i <= {n // 2} then (i % 11) / 10.0 end as csat
            from (select i, 'c' || i as customer_id from range(1, {n} + 1) t(i)) m
            left join (select customer_id, sum(total) as revenue, count(*) as orders from raw_sales.orders
                       where status not in ('cancelled', 'refunded') group by 1) r
              on r.customer_id = m.i""")
        con.execute(f"""
            create table marts.customer_satisfaction as
            select 'c' || i as customer_id, (i % 11) / 10.0 as csat, (i % 11) * 10 as satisfaction_score,
                   1 + i % 4 as rated_ticket_count
            from range(1, {n // 2} + 1) t(i)""")
        con.execute(f"""
            create table marts.customer_segments as
            select 'c' || i as customer_id, 1 + i % 5 as recency_score, 1 + (i // 5) % 5 as frequency_score,
                   1 + (i // 25) % 5 as monetary_score, 'loyal' as segment
            from range(1, {n} + 1) t(i)""")
    finally:
        con.close()
    return path


def execute(path: Path, *statements: str) -> None:
    """Seed bad data: run statements against the warehouse and close it."""
    con = duckdb.connect(str(path))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()
