-- The steward's decisions: pairs of source records that must or must not be one customer, read on every run from
-- the CSV file of var('identity_overrides_path') (relative paths resolve against transform/; shipped:
-- transform/identity/overrides.csv). Being a file outside the warehouse, the decisions survive full rebuilds.
-- Columns: action (must_link | cannot_link), source_a, source_record_id_a, source_b, source_record_id_b, reason,
-- decided_by, decided_at. A must-link pair becomes an edge of rule steward_must_link (the strongest evidence);
-- a cannot-link pair is a conflict the cluster guard separates (int_identity_edges_cut).

select
    lower(trim(action)) as action,
    trim(source_a) || ':' || trim(source_record_id_a) as node_key_a,
    trim(source_b) || ':' || trim(source_record_id_b) as node_key_b,
    reason,
    decided_by,
    cast(decided_at as {{ c360.type_timestamptz() }}) as decided_at
from {{ c360.read_csv_text(identity_overrides_file(), ['action', 'source_a', 'source_record_id_a', 'source_b', 'source_record_id_b', 'reason', 'decided_by', 'decided_at']) }}
where action is not null
