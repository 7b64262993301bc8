-- The current state of every (address, unsubscribe group) that saw a group_unsubscribe or group_resubscribe.
-- SendGrid's unsubscribe groups (asm_group_id) let a recipient leave one kind of mail (say, newsletters) and keep
-- the rest; a group_resubscribe re-opens that group. The latest of the two events decides; on a tie (the same
-- second) the unsubscribe wins, since sending to someone who opted out is the costlier mistake. A group event
-- without asm_group_id is kept with a null group (unknown group), never dropped.

with

group_events as (

    select email_address, email, asm_group_id, event_type, occurred_at
    from {{ ref('stg_email__events') }}
    where event_type in ('group_unsubscribe', 'group_resubscribe')
        and email_address is not null

),

per_group as (

    select
        email_address,
        any_value(email) as email,
        asm_group_id,
        max(occurred_at) filter (where event_type = 'group_unsubscribe') as last_unsubscribed_at,
        max(occurred_at) filter (where event_type = 'group_resubscribe') as last_resubscribed_at
    from group_events
    group by email_address, asm_group_id

)

select
    md5(email_address || '|' || coalesce(cast(asm_group_id as {{ dbt.type_string() }}), '')) as group_subscription_key,
    email_address,
    email,
    asm_group_id,
    last_unsubscribed_at,
    last_resubscribed_at,
    last_unsubscribed_at is not null
        and last_unsubscribed_at >= coalesce(last_resubscribed_at, {{ c360.min_timestamptz() }}) as is_unsubscribed
from per_group
