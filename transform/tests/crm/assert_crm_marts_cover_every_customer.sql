-- The per-customer CRM marts have exactly one row for every customer of customer_360 (unique + relationships
-- tests cover the other direction).

{%- set marts = ['customer_segments', 'customer_value', 'customer_satisfaction', 'channel_preference'] %}

{%- for mart in marts %}
select '{{ mart }}' as mart, customers.customer_id
from {{ ref('customer_360') }} as customers
left join {{ ref(mart) }} as mart_rows on mart_rows.customer_id = customers.customer_id
where mart_rows.customer_id is null
{{ 'union all' if not loop.last }}
{%- endfor %}
