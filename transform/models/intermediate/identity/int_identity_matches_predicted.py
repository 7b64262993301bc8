"""Pairs of profile records the trained identity model scores as the same person (probabilistic evidence).

Prediction only: the model (Splink JSON with m/u values, dbt var identity_model_path) is read, never
re-estimated; `c360 identity train` is the only thing that trains. Term frequencies come from the records
being scored. Runs in the dbt process on dbt's own DuckDB connection (dbt-duckdb Python model), so the
lineage stays one graph and "where a customer gets its id" stays in one folder. On the Spark engine the same
prediction runs as a step of its own with Splink's Spark backend (identity/spark.py).

is_corroborated: the pair agrees on a field besides the name (birth date, street, postal code, email or phone;
identity.model.CORROBORATING_FIELDS). Only corroborated pairs link; a name-only pair waits in the review queue.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from identity import matches
    from identity import model as identity_model

    profiles = dbt.ref("int_identity_profiles")
    threshold = matches.threshold(dbt.config.get("match_threshold"), dbt.config.get("review_threshold"))
    trained = identity_model.load(dbt.config.get("model_path"))
    if profiles.aggregate("count(*)").fetchall()[0][0] < 2:
        return matches.empty()
    scored = identity_model.predict(identity_model.unwrap(session), profiles, trained, threshold)
    return matches.to_matches(scored, identity_model.level_weights(trained))
