"""The cluster guard: evidence cut so that no customer holds two records that must not be one person.

Every cut edge is a row here, with the conflict that caused it; int_identity_clusters leaves these edges out.
The guard itself (strongest evidence first, an edge that would join two conflicting records is cut) is
identity/guard.py, shared with the Spark engine's step (identity/spark.py); the components and conflicts come
from SQL. Only the components int_identity_components resolved in this run are guarded; the cuts in the others
are kept from the previous run (incremental identity: they hold the same nodes, links and conflicts). DuckDB
picks the conflicted components' rows, so pandas sees only those.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    import pandas as pd

    from identity import guard

    # Rows are kept only when int_identity_components left some nodes unresolved (an incremental run) and the
    # previous table exists. A run resolving everything (first run, --full-refresh, identity_resolve_all) never
    # reads the previous table, whose columns may be those of an older version of this model.
    unresolved = dbt.ref("int_identity_components").filter("not is_resolved")
    keep = bool(unresolved.limit(1).fetchall()) and _exists(session, dbt.this)
    components = dbt.ref("int_identity_components").filter("is_resolved" if keep else "true")
    conflicts = dbt.ref("int_identity_conflicts").set_alias("f").join(
        components.select("node_key, component_key").set_alias("c"), "f.node_key_a = c.node_key"
    ).select("f.node_key_a, f.node_key_b, f.reason, c.component_key").df()
    cut = guard.empty()
    if not conflicts.empty:
        conflicted = session.from_df(conflicts[["component_key"]].drop_duplicates()).set_alias("k")
        edges = dbt.ref("int_identity_edges").set_alias("e").join(
            components.select("node_key, component_key").set_alias("c"), "e.node_key_a = c.node_key"
        ).join(conflicted, "c.component_key = k.component_key").select("e.*").df()
        cut = guard.cut_frame(edges, conflicts)
    # rows resolved now carry this run's start (dbt's run_started_at), as in the SQL models
    started = components.aggregate("max(resolved_at) as started").df()["started"]
    cut["resolved_at"] = started.iloc[0] if not cut.empty else None
    cut["resolved_at"] = cut["resolved_at"].astype(started.dtype)
    if keep:
        previous = session.sql(f"select * from {dbt.this}").set_alias("p").join(
            unresolved.select("node_key").set_alias("u"),
            "p.node_key_a = u.node_key",
        ).select(", ".join(f"p.{c}" for c in cut.columns)).df()
        cut = pd.concat([cut, previous], ignore_index=True) if not previous.empty else cut
    return cut


def _exists(session, relation) -> bool:
    schema, name = str(relation).replace('"', "").split(".")[-2:]
    return bool(session.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
    ).fetchall()[0][0])
