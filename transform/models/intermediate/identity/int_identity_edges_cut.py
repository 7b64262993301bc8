"""The cluster guard: evidence cut so that no customer holds two records that must not be one person.

Every cut edge is a row here, with the conflict that caused it; int_identity_clusters leaves these edges out.
The guard itself (strongest evidence first, an edge that would join two conflicting records is cut) is
identity/guard.py, shared with the Spark engine's step (identity/spark.py); the components and conflicts come
from SQL. Only the components int_identity_components resolved in this run are guarded; the cuts in the others
are kept from the previous run (incremental identity: they hold the same nodes, links and conflicts).
"""


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from identity import guard

    components = dbt.ref("int_identity_components").df()
    if not _exists(session, dbt.this):
        components["is_resolved"] = True
    resolved = components[components["is_resolved"]]
    conflicts = dbt.ref("int_identity_conflicts").df()
    component_of = dict(zip(resolved["node_key"], resolved["component_key"]))
    conflicts = conflicts[conflicts["node_key_a"].isin(component_of.keys())]
    cut = guard.empty()
    if not conflicts.empty:
        conflicted = {component_of[a] for a in conflicts["node_key_a"]}
        edges = dbt.ref("int_identity_edges").df()
        edges = edges[edges["node_key_a"].map(component_of).isin(conflicted)]
        cut = guard.cut_frame(edges, conflicts)
    # resolved rows carry this run's start (dbt's run_started_at), as in the SQL models
    cut["resolved_at"] = resolved["resolved_at"].max() if not cut.empty else None
    cut["resolved_at"] = cut["resolved_at"].astype(components["resolved_at"].dtype)
    if not components["is_resolved"].all():
        kept = set(components.loc[~components["is_resolved"], "node_key"])
        previous = session.sql(f"select * from {dbt.this}").df()
        cut = pd.concat([cut, previous[previous["node_key_a"].isin(kept)][cut.columns]], ignore_index=True)
    return cut


def _exists(session, relation) -> bool:
    """Whether the model's previous table exists: without it there is nothing to keep, so every component is guarded."""
    schema, name = str(relation).replace('"', "").split(".")[-2:]
    return bool(session.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
    ).fetchall()[0][0])
