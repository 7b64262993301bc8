"""Pairs of profile records the trained identity model scores as the same person (probabilistic evidence).

Prediction only: the model (Splink JSON with m/u values, dbt var identity_model_path) is read, never
re-estimated; `c360 identity train` is the only thing that trains. Term frequencies come from the records
being scored. Runs in the dbt process on dbt's own DuckDB connection (dbt-duckdb Python model), so the
lineage stays one graph and "where a customer gets its id" stays in one folder.
"""

import pandas as pd


def model(dbt, session):
    dbt.config(materialized="table")
    from identity import model as identity_model

    profiles = dbt.ref("int_identity_profiles")
    # pairs down to the review threshold are kept: below the match threshold they only reach the review queue
    threshold = min(float(dbt.config.get("match_threshold")), float(dbt.config.get("review_threshold")))
    trained = identity_model.load(dbt.config.get("model_path"))
    columns = ["node_key_a", "node_key_b", "match_probability", "match_weight", "evidence"]
    if profiles.aggregate("count(*)").fetchall()[0][0] < 2:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c.startswith("match") else "object") for c in columns})
    scored = identity_model.predict(identity_model.unwrap(session), profiles, trained, threshold)
    weights = identity_model.level_weights(trained)
    out = pd.DataFrame({
        "node_key_a": scored[["node_key_l", "node_key_r"]].min(axis=1),
        "node_key_b": scored[["node_key_l", "node_key_r"]].max(axis=1),
        "match_probability": scored["match_probability"].astype("float64"),
        "match_weight": scored["match_weight"].astype("float64"),
        "evidence": [identity_model.evidence_text(row, weights) for row in scored.itertuples()],
    })
    return out[columns]
