-- The input of the probabilistic matcher (identity/model.py): one row per profile record - an identity node that
-- describes a person (sales customer, Zendesk end user, Segment identify traits of a userId) - with the fields the
-- Splink model compares. Email events and anonymous cookies carry one identifier and no person attributes; they
-- link by the deterministic rules only. `c360 identity train` reads this table too, so training and prediction
-- see the same fields.

select
    node_key,
    source,
    first_name,
    first_name_canonical,
    last_name,
    birth_date,
    street_normalized,
    postal_code,
    city,
    email,
    split_part(email, '@', 1) as email_local_part,
    phone
from {{ ref('int_identity_nodes') }}
where source in ('sales', 'support', 'web_user')
  and not is_staff
  -- a record with no name and no birth date cannot be told apart from anyone by comparison
  and (first_name is not null or last_name is not null or birth_date is not null)
