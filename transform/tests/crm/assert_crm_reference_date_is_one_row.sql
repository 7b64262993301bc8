-- The CRM marts cross join the reference date: it must be exactly one row.
select count(*) as row_count
from {{ ref('int_crm_reference_dates') }}
having count(*) <> 1
