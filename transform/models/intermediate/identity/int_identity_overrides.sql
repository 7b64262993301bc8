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
    decided_at::timestamptz as decided_at,
from read_csv(
    '{{ identity_overrides_file() }}',
    header = true,
    all_varchar = true,
    columns = {
        'action': 'varchar', 'source_a': 'varchar', 'source_record_id_a': 'varchar', 'source_b': 'varchar',
        'source_record_id_b': 'varchar', 'reason': 'varchar', 'decided_by': 'varchar', 'decided_at': 'varchar'
    }
)
where action is not null
