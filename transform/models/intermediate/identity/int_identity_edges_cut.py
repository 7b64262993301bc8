"""The cluster guard: evidence cut so that no customer holds two records that must not be one person.

Every cut edge is a row here, with the conflict that caused it; int_identity_clusters leaves these edges out.
The guard itself (strongest evidence first, an edge that would join two conflicting records is cut) is
identity/guard.py, shared with the Spark engine's step (identity/spark.py); the components and conflicts come
from SQL.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from identity import guard

    conflicts = dbt.ref("int_identity_conflicts").df()
    if conflicts.empty:
        return guard.empty()
    components = dbt.ref("int_identity_components").df()
    component_of = dict(zip(components["node_key"], components["component_key"]))
    conflicted = {component_of[a] for a in conflicts["node_key_a"]}
    edges = dbt.ref("int_identity_edges").df()
    edges = edges[edges["node_key_a"].map(component_of).isin(conflicted)]
    return guard.cut_frame(edges, conflicts)
